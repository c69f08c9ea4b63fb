//! The log pane: which instance it shows, the tail that feeds it, its lines and its view.
//!
//! The pane exists while `AppState::pane` is `Pane::Logs` and an instance is selected;
//! [`AppState::sync_logs`] keeps that true after every action and names the tail effects,
//! so no code path can leave a Live Tail session (billed per minute) running unseen.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, Utc};

use super::input::LineInput;
use super::keymap::{Command, Context, Key, KeyCode};
use super::{AppState, Effect, Focus, Pane};
use crate::logview::LogView;
use ondeck_core::instances::Instance;
use ondeck_core::instances::identity::InstanceId;
use ondeck_core::logs::sources::log_sources;
use ondeck_core::logs::{LineKind, LogBuffer, sanitize};
use ondeck_core::tail::{StreamHealth, TailMessage, TailSource, TailSpec, TailTiming, WhenFull};

mod seam;

pub type TailId = u64;

/// Columns one ←/→ moves unwrapped lines.
const SIDEWAYS_STEP: isize = 8;

/// Lines per stream read back when the pane opens without a `since`.
const BACKFILL_LINES: i32 = 200;

/// `s` cycles through these: a label and how far back to start, in minutes (`None`: the last
/// lines of each stream).
const SINCE_PRESETS: [(&str, Option<i64>); 7] = [
    ("tail", None),
    ("1m", Some(1)),
    ("5m", Some(5)),
    ("15m", Some(15)),
    ("30m", Some(30)),
    ("1h", Some(60)),
    ("24h", Some(24 * 60)),
];

#[derive(Debug, Clone)]
pub struct LogsPane {
    pub instance: InstanceId,
    /// The current tail; messages with another id are stale.
    pub(crate) tail_id: TailId,
    pub buffer: LogBuffer,
    pub(crate) view: LogView,
    /// Container labels by source index.
    pub labels: Vec<String>,
    /// Containers whose lines ondeck cannot read, one line each.
    pub(crate) notes: Vec<String>,
    /// Why the tail stopped reading some containers while it reads the others.
    stopped: Vec<String>,
    /// Index into [`SINCE_PRESETS`].
    pub(crate) since: usize,
    pub(crate) full_screen: bool,
    /// The search being typed after `/`, until enter or esc.
    pub(crate) search_input: Option<LineInput>,
    pub tail: TailStatus,
    /// Newest event timestamp seen, milliseconds since the epoch.
    pub(crate) last_event_at: Option<i64>,
    sources: Vec<TailSource>,
    /// The instance's task ARNs in the last snapshot, to see a task a service started anew.
    tasks: BTreeSet<String>,
    /// Lines the tail dropped because the dashboard fell behind.
    pub(crate) dropped: u64,
}

/// Where the pane's tail stands, for its title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailStatus {
    /// No container has readable logs (yet).
    NoSources,
    /// Starts with the next tick: the selection just moved, and moving on through the table
    /// should not open a session per row passed.
    Pending,
    Running(StreamHealth),
}

impl LogsPane {
    fn new(instance: InstanceId, capacity: usize) -> LogsPane {
        LogsPane {
            instance,
            tail_id: 0,
            buffer: LogBuffer::new(capacity),
            view: LogView::new(),
            labels: Vec::new(),
            notes: Vec::new(),
            stopped: Vec::new(),
            since: 0,
            full_screen: false,
            search_input: None,
            tail: TailStatus::NoSources,
            last_event_at: None,
            sources: Vec::new(),
            tasks: BTreeSet::new(),
            dropped: 0,
        }
    }

    pub(crate) fn since_label(&self) -> &'static str {
        SINCE_PRESETS[self.since].0
    }

    /// The right side of the title: the instance (when the table does not show it), since,
    /// stream health, time of the newest line.
    pub(crate) fn status_text(&self, offset: FixedOffset, with_instance: bool) -> String {
        let mut parts = Vec::new();
        if with_instance {
            parts.push(self.instance.name.clone());
        }
        if self.since > 0 {
            parts.push(format!("since {}", self.since_label()));
        }
        parts.push(match &self.tail {
            TailStatus::NoSources => "no readable logs".to_string(),
            TailStatus::Pending => "connecting".to_string(),
            TailStatus::Running(health) => health_label(health),
        });
        if let Some(at) = self
            .last_event_at
            .and_then(DateTime::<Utc>::from_timestamp_millis)
        {
            parts.push(at.with_timezone(&offset).format("%H:%M:%S").to_string());
        }
        if self.dropped > 0 {
            parts.push(format!("{} lines dropped", self.dropped));
        }
        parts.join(" · ")
    }

    /// Merges a fresh look at the instance's containers: known streams keep their index (lines
    /// in the buffer refer to it), new ones are appended and returned.
    fn merge_sources(&mut self, found: ondeck_core::logs::sources::LogSources) -> Vec<TailSource> {
        let mut added = Vec::new();
        for (source, label) in found.sources.into_iter().zip(found.labels) {
            let known = self.sources.iter().position(|s| s.stream == source.stream);
            let index = match known {
                Some(index) => index,
                None => {
                    let source = TailSource {
                        index: self.sources.len() as u16,
                        ..source
                    };
                    added.push(source.clone());
                    self.sources.push(source);
                    self.labels.push(String::new());
                    self.sources.len() - 1
                }
            };
            // Labels may change, e.g. gain a task id once a second task has the same container.
            self.labels[index] = label;
        }
        self.notes = found.unreadable;
        self.notes.extend(self.stopped.iter().cloned());
        added
    }

    /// The tail delivers each line once, also across streams added while it runs.
    fn ingest(&mut self, events: Vec<ondeck_core::tail::TailEvent>) -> usize {
        let mut added = 0;
        for event in events {
            self.buffer
                .push(event.timestamp, event.source, &event.message);
            self.last_event_at = self.last_event_at.max(Some(event.timestamp));
            added += 1;
        }
        if added > 0 {
            self.view.on_lines_appended(&self.buffer, added);
        }
        added
    }
}

fn health_label(health: &StreamHealth) -> String {
    match health {
        StreamHealth::Starting => "connecting".into(),
        StreamHealth::Live { sampled: false } => "live".into(),
        StreamHealth::Live { sampled: true } => "live (sampled)".into(),
        StreamHealth::Polling { interval } => format!("polling {}s", interval.as_secs().max(1)),
        StreamHealth::WaitingForStream => "waiting for first line".into(),
        StreamHealth::Reconnecting { attempt, .. } => format!("reconnecting ({attempt})"),
        StreamHealth::Throttled { retry_in } => {
            format!("throttled, retry {}s", retry_in.as_secs().max(1))
        }
        StreamHealth::Ended => "ended".into(),
        StreamHealth::Failed { reason } => format!("stopped: {reason}"),
    }
}

/// `ondeck-<instance>-<time>.log`, with anything but safe file-name characters replaced.
fn save_path(instance: &str, now: DateTime<Utc>) -> PathBuf {
    let safe: String = instance
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    PathBuf::from(format!("ondeck-{safe}-{}.log", now.format("%Y%m%d-%H%M%S")))
}

impl AppState {
    /// `logs` (enter / L): show the selected instance's logs and give them the keys.
    pub(super) fn open_logs(&mut self) {
        self.pane = Some(Pane::Logs);
        self.focus = Focus::Pane;
        self.pane_scroll = 0;
    }

    fn close_logs(&mut self) {
        self.pane = None;
        self.focus = Focus::Table;
    }

    /// Makes the log pane match `pane` and the selection: starts, stops or switches the tail.
    /// Run after every action. `snapshot_arrived`: look for new containers of the instance.
    pub(super) fn sync_logs(&mut self, effects: &mut Vec<Effect>, snapshot_arrived: bool) {
        let wanted = if self.pane == Some(Pane::Logs) && !self.quitting {
            self.selected_instance().map(Instance::id)
        } else {
            None
        };
        let current = self.logs.as_ref().map(|logs| logs.instance.clone());
        if wanted == current {
            if snapshot_arrived {
                self.follow_new_sources(effects);
            }
            return;
        }
        let previous = self.logs.take();
        if let Some(old) = &previous {
            self.stop_tail(old, effects);
        }
        let Some(id) = wanted else {
            return;
        };
        let mut logs = LogsPane::new(id, self.profile.log_buffer_lines);
        if let Some(old) = &previous {
            logs.full_screen = old.full_screen;
        }
        if let Some(instance) = self.selected_instance() {
            logs.merge_sources(log_sources(instance, &self.definitions));
            logs.tasks = seam::task_arns(instance);
        }
        self.logs = Some(logs);
        self.dirty = true;
        if previous.is_some() {
            if let Some(logs) = &mut self.logs
                && !logs.sources.is_empty()
            {
                logs.tail = TailStatus::Pending;
            }
        } else {
            self.start_tail(effects);
        }
    }

    fn stop_tail(&self, logs: &LogsPane, effects: &mut Vec<Effect>) {
        if matches!(logs.tail, TailStatus::Running(_)) {
            effects.push(Effect::StopTail {
                tail_id: logs.tail_id,
            });
        }
    }

    /// Starts (or restarts) the tail over the pane's sources.
    fn start_tail(&mut self, effects: &mut Vec<Effect>) {
        let tail_id = self.poller.issue_id();
        let now_ms = self.now.timestamp_millis();
        let Some(logs) = &mut self.logs else {
            return;
        };
        if let TailStatus::Running(_) = logs.tail {
            effects.push(Effect::StopTail {
                tail_id: logs.tail_id,
            });
        }
        logs.tail_id = tail_id;
        // A new tail tries every container again.
        let retried = std::mem::take(&mut logs.stopped);
        logs.notes.retain(|note| !retried.contains(note));
        if logs.sources.is_empty() {
            logs.tail = TailStatus::NoSources;
            return;
        }
        let since = SINCE_PRESETS[logs.since]
            .1
            .map(|minutes| now_ms - minutes * 60_000);
        logs.tail = TailStatus::Running(StreamHealth::Starting);
        effects.push(Effect::StartTail {
            tail_id,
            spec: TailSpec {
                sources: logs.sources.clone(),
                since,
                backfill_limit: BACKFILL_LINES,
                follow: true,
                prefer_live: true,
                timing: TailTiming::default(),
                // The dashboard must never fall behind the tail by more than a channel's worth.
                when_full: WhenFull::DropAndCount,
            },
        });
    }

    /// A task that appeared since the pane opened brings new streams: the running tail follows
    /// them too, backfilling only them, so the lines shown stay and none comes twice. Where the
    /// new task took over from a service's stopped one, a marker line marks the seam, once:
    /// the task is known from then on.
    fn follow_new_sources(&mut self, effects: &mut Vec<Effect>) {
        let (Some(instance), Some(logs)) = (self.selected_instance(), &self.logs) else {
            return;
        };
        let found = log_sources(instance, &self.definitions);
        let seams = seam::new_seams(instance, &logs.tasks, self.now);
        let tasks = seam::task_arns(instance);
        let Some(logs) = &mut self.logs else {
            return;
        };
        logs.tasks = tasks;
        if !seams.is_empty() {
            for seam in &seams {
                logs.buffer.push_marker(seam.at, &seam.text);
            }
            logs.view.on_lines_appended(&logs.buffer, seams.len());
            self.dirty = true;
        }
        let notes_before = logs.notes.clone();
        let added = logs.merge_sources(found);
        if logs.notes != notes_before {
            self.dirty = true;
        }
        if added.is_empty() {
            return;
        }
        self.dirty = true;
        match logs.tail {
            TailStatus::Running(_) => effects.push(Effect::AddTailSources {
                tail_id: logs.tail_id,
                sources: added,
            }),
            TailStatus::NoSources => self.start_tail(effects),
            // The next tick starts it over every source.
            TailStatus::Pending => {}
        }
    }

    /// The next tick starts a tail the selection moved to.
    pub(super) fn logs_tick(&mut self, effects: &mut Vec<Effect>) {
        if self
            .logs
            .as_ref()
            .is_some_and(|logs| logs.tail == TailStatus::Pending)
        {
            self.start_tail(effects);
            self.dirty = true;
        }
    }

    pub(super) fn tail_message(&mut self, tail_id: TailId, message: TailMessage) {
        let Some(logs) = self
            .logs
            .as_mut()
            .filter(|logs| logs.tail_id == tail_id && matches!(logs.tail, TailStatus::Running(_)))
        else {
            return;
        };
        match message {
            TailMessage::Events(events) => {
                if logs.ingest(events) > 0 {
                    self.dirty = true;
                }
            }
            TailMessage::Health {
                health,
                last_event_at,
            } => {
                logs.tail = TailStatus::Running(health);
                logs.last_event_at = logs.last_event_at.max(last_event_at);
                self.dirty = true;
            }
            TailMessage::BackfillDone => {}
            TailMessage::SourceStopped { reason, .. } => {
                let note = sanitize(&reason).text;
                logs.stopped.push(note.clone());
                logs.notes.push(note);
                self.dirty = true;
            }
            TailMessage::Dropped { lines } => {
                logs.dropped += lines;
                self.dirty = true;
            }
        }
    }

    pub(super) fn logs_saved(&mut self, result: Result<(PathBuf, usize), String>) {
        match result {
            Ok((path, lines)) => self.info(format!("saved {lines} lines to {}", path.display())),
            Err(error) => self.error(format!("cannot save the logs: {error}"), false),
        }
        self.dirty = true;
    }

    /// A paste while the search is typed goes into it; false when no search is typed.
    pub(super) fn paste_into_search(&mut self, text: &str) -> bool {
        let search = self
            .logs
            .as_mut()
            .and_then(|logs| logs.search_input.as_mut());
        match search {
            Some(input) => {
                input.paste(text);
                true
            }
            None => false,
        }
    }

    /// Keys while the log pane has the focus. False: not a log pane key, handle it as usual.
    pub(super) fn log_key(&mut self, key: Key, effects: &mut Vec<Effect>) -> bool {
        let command = self
            .keymap
            .command_in(Context::LogPane, key)
            .or_else(|| self.keymap.command(key));
        let page = self.layout.pane_rows.max(1);
        let now = self.now;
        let Some(logs) = &mut self.logs else {
            // No instance to show: only closing means anything here.
            if command == Some(Command::LogClose) {
                self.close_logs();
                return true;
            }
            return false;
        };
        if let Some(mut input) = logs.search_input.take() {
            match key.code {
                KeyCode::Esc => {}
                KeyCode::Enter => {
                    let query = input.text();
                    logs.view.set_search(query);
                    if !query.is_empty() && !logs.view.next_match(&logs.buffer) {
                        self.info(format!("no line matches `{query}` yet"));
                    }
                }
                _ => {
                    input.key(key);
                    logs.search_input = Some(input);
                }
            }
            return true;
        }
        if let KeyCode::Char(digit @ '1'..='9') = key.code
            && !key.ctrl
            && !key.alt
        {
            let index = digit as usize - '1' as usize;
            if index < logs.labels.len() {
                logs.view.focus_source(Some(index as u16));
            } else {
                let count = logs.labels.len();
                self.info(format!("no container {digit}: this instance has {count}"));
            }
            return true;
        }
        let Some(command) = command else {
            return false;
        };
        let view = &mut logs.view;
        let buffer = &logs.buffer;
        match command {
            Command::LogAll => view.focus_source(None),
            Command::LogFollow | Command::Bottom => view.follow(),
            Command::Up => view.scroll_up(buffer, 1),
            Command::Down => view.scroll_down(buffer, 1),
            Command::PageUp => view.page_up(buffer, page),
            Command::PageDown => view.page_down(buffer, page),
            Command::Top => view.scroll_up(buffer, buffer.len()),
            Command::LogSearch => logs.search_input = Some(LineInput::new()),
            Command::LogNextMatch | Command::LogPrevMatch => {
                let found = match view.search() {
                    None => {
                        self.info("no search yet: press / to search");
                        return true;
                    }
                    Some(_) if command == Command::LogNextMatch => view.next_match(buffer),
                    Some(_) => view.prev_match(buffer),
                };
                if !found {
                    self.info("no more matches");
                }
            }
            Command::LogFilter => {
                if view.search().is_none() {
                    self.info("filter hides lines that do not match a search: press / first");
                } else {
                    view.toggle_filter();
                }
            }
            Command::LogLevel => view.cycle_level(),
            Command::LogTimestamps => view.toggle_timestamps(),
            Command::LogWrap => view.toggle_wrap(),
            Command::LogLeft | Command::LogRight => {
                let step = match command {
                    Command::LogLeft => -SIDEWAYS_STEP,
                    _ => SIDEWAYS_STEP,
                };
                if !view.scroll_sideways(step) {
                    self.info("lines wrap, so nothing is to the side: w turns wrapping off");
                }
            }
            Command::LogJson => view.toggle_json(),
            Command::LogFullScreen => logs.full_screen = !logs.full_screen,
            Command::LogSince => {
                logs.since = (logs.since + 1) % SINCE_PRESETS.len();
                logs.buffer.clear();
                logs.view.follow();
                logs.last_event_at = None;
                let label = logs.since_label();
                self.info(match label {
                    "tail" => "showing the last lines of each container".to_string(),
                    _ => format!("showing lines from the last {label}"),
                });
                self.start_tail(effects);
            }
            Command::LogSave => {
                let path = save_path(&logs.instance.name, now);
                effects.push(Effect::SaveLogs {
                    path,
                    buffer: logs.buffer.clone(),
                    view: logs.view.clone(),
                    labels: logs.labels.clone(),
                });
            }
            Command::LogCopy => match view.selected_line(buffer) {
                Some(line) if line.kind == LineKind::Marker => {
                    self.info("that line is ondeck's marker, not a container's: nothing copied");
                }
                Some(line) => {
                    let text = line.text.text.clone();
                    // The count first: a long line is cut at the status line's end.
                    self.info(format!(
                        "copied {} characters: {text}",
                        text.chars().count()
                    ));
                    effects.push(Effect::Copy(text));
                }
                None => self.info("no line to copy yet"),
            },
            Command::LogClose => self.close_logs(),
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests;
