//! The dashboard's state and its one pure transition: `update(&mut AppState, Action) -> Vec<Effect>`.
//!
//! Nothing here does I/O or knows tokio or the terminal. Every input arrives as an [`Action`];
//! everything slow leaves as an [`Effect`] that the runtime performs and answers with another
//! action tagged with the request id it was given (answers nobody waits for are dropped).

pub mod confirm;
pub mod keymap;
pub mod launch;
pub mod logs;
pub mod timeline;

/// Ready-made profiles, tasks and instances for tests here and in the binary's runtime tests.
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};

use crate::logview::LogView;
use confirm::{Confirm, ConfirmOutcome, Guarded};
use keymap::{Command, Key, KeyCode, Keymap};
use launch::{DialogOutcome, LaunchDialog};
use logs::{LogsPane, TailId};
use ondeck_core::config::{Config, Profile};
use ondeck_core::instances::expiry::format_remaining;
use ondeck_core::instances::identity::{InstanceId, InstanceRef};
use ondeck_core::instances::{Instance, InstanceState, group};
use ondeck_core::logs::LogBuffer;
use ondeck_core::model::{TaskDefinition, TaskState};
use ondeck_core::ops::{LaunchRequest, Launched, Snapshot, endpoints, pick, template_ttl};
use ondeck_core::tail::{TailMessage, TailSpec};
use timeline::{Journal, TimelineEntry};

pub type RequestId = u64;

/// How long a launched instance is shown from RunTask's answer before ListTasks must have it.
const OPTIMISTIC_GRACE_SECS: i64 = 120;
/// The longest the poller waits after failures in a row.
const MAX_REFRESH_BACKOFF_SECS: u64 = 300;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Key(Key),
    /// The clock, from the runtime's ticker. Drives polling, the spinner and ages.
    Tick(DateTime<Utc>),
    /// The terminal went away (a dropped SSH link without SIGHUP): nobody is watching, so
    /// nothing may go on polling AWS.
    TerminalClosed,
    /// The terminal's size changed (rows decide how far a page moves).
    Resize {
        width: u16,
        height: u16,
    },
    Refreshed {
        req: RequestId,
        at: DateTime<Utc>,
        result: Result<Snapshot, String>,
    },
    Launched {
        req: RequestId,
        at: DateTime<Utc>,
        result: Result<Launched, String>,
    },
    Destroyed {
        req: RequestId,
        result: Result<usize, String>,
    },
    Extended {
        req: RequestId,
        result: Result<DateTime<Utc>, String>,
    },
    /// The persisted journal of a profile, read at start and after switching to it;
    /// `skipped` lines of it were not entries.
    JournalLoaded {
        profile: String,
        entries: Vec<TimelineEntry>,
        skipped: usize,
    },
    /// One message from the tail `tail_id` (events come as one batch per message).
    Tail {
        tail_id: TailId,
        message: TailMessage,
    },
    /// The log pane's lines were written: the path and how many lines.
    LogsSaved {
        result: Result<(PathBuf, usize), String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Refresh {
        req: RequestId,
        all_owners: bool,
    },
    Launch {
        req: RequestId,
        request: LaunchRequest,
    },
    Destroy {
        req: RequestId,
        target: InstanceId,
        all_owners: bool,
    },
    Extend {
        req: RequestId,
        target: InstanceId,
        all_owners: bool,
    },
    /// Put this text on the clipboard.
    Copy(String),
    /// Talk to another profile from now on, and load its journal.
    SwitchProfile(Profile),
    AppendJournal {
        profile: String,
        entries: Vec<TimelineEntry>,
    },
    /// Tail these streams, answering with `Action::Tail { tail_id, .. }` until stopped.
    StartTail {
        tail_id: TailId,
        spec: TailSpec,
    },
    /// Stop the tail (and close its Live Tail session, which is billed per minute).
    StopTail {
        tail_id: TailId,
    },
    /// Write the lines `view` lets through to `path`; answered with `Action::LogsSaved`.
    SaveLogs {
        path: PathBuf,
        buffer: LogBuffer,
        view: LogView,
    },
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Newest,
    Name,
    State,
    Template,
}

impl SortKey {
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Newest => "newest",
            SortKey::Name => "name",
            SortKey::State => "state",
            SortKey::Template => "template",
        }
    }

    fn next(self) -> SortKey {
        match self {
            SortKey::Newest => SortKey::Name,
            SortKey::Name => SortKey::State,
            SortKey::State => SortKey::Template,
            SortKey::Template => SortKey::Newest,
        }
    }
}

/// The pane under the instances table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Detail,
    Timeline,
    Logs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Table,
    Pane,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Filter,
    CommandLine(String),
    Help,
    Launch(LaunchDialog),
    /// A destroy or an extend waiting for its confirmation.
    Confirm(Confirm),
    Profiles {
        cursor: usize,
    },
}

/// A request sent and not yet answered.
#[derive(Debug, Clone, PartialEq, Eq)]
enum InFlight {
    Refresh,
    Launch { template: String },
    Destroy { label: String },
    Extend { target: InstanceId, label: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub kind: MessageKind,
    pub text: String,
    /// A refresh error is cleared by the next good refresh; others wait for the user.
    from_refresh: bool,
}

pub struct AppState {
    pub profiles: BTreeMap<String, Profile>,
    pub profile: Profile,
    pub keymap: Keymap,
    pub read_only: bool,
    pub all_owners: bool,
    pub now: DateTime<Utc>,
    /// False until the first answer for this profile: the table shows "Loading".
    pub loaded: bool,
    pub instances: Vec<Instance>,
    pub definitions: BTreeMap<String, TaskDefinition>,
    pub last_refresh: Option<DateTime<Utc>>,
    pub message: Option<Message>,
    pub journal: Journal,
    pub selected: Option<InstanceId>,
    pub filter: String,
    pub sort: SortKey,
    pub pane: Option<Pane>,
    /// The log pane's instance, tail and lines, while `pane` is `Logs` and one is selected.
    pub logs: Option<LogsPane>,
    pub focus: Focus,
    /// Lines scrolled in the pane (for the timeline: up from its newest line).
    pub pane_scroll: u16,
    /// The first instance row on screen. Kept by the renderer, which alone knows the table's
    /// height, so the table scrolls only when the selection leaves it (as ratatui's own
    /// `TableState` would be kept).
    pub table_top: std::cell::Cell<usize>,
    pub mode: Mode,
    pub spinner: usize,
    pub quitting: bool,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    page_rows: usize,
    selected_row: usize,
    /// `--select NAME` not yet found in a snapshot.
    select_pending: Option<InstanceRef>,
    optimistic: Vec<(Instance, DateTime<Utc>)>,
    in_flight: BTreeMap<RequestId, InFlight>,
    /// A refresh was asked for while one was in flight.
    refresh_pending: bool,
    next_refresh_at: Option<DateTime<Utc>>,
    /// Refreshes that failed in a row: the poller backs off while AWS throttles or is down.
    failed_refreshes: u32,
    /// When the refresh now out was sent.
    refresh_sent_at: Option<DateTime<Utc>>,
    next_request: RequestId,
}

/// How a dashboard starts.
pub struct StartOptions {
    pub profile: String,
    pub read_only: bool,
    pub all_owners: bool,
    pub select: Option<InstanceRef>,
    pub keymap: Keymap,
    pub journal: Journal,
    pub now: DateTime<Utc>,
}

impl AppState {
    pub fn new(config: &Config, start: StartOptions) -> anyhow::Result<AppState> {
        let profile = config.profile(Some(&start.profile))?.clone();
        let opens_logs = start.select.is_some();
        Ok(AppState {
            profiles: config.profiles.clone(),
            profile,
            keymap: start.keymap,
            read_only: start.read_only,
            all_owners: start.all_owners,
            now: start.now,
            loaded: false,
            instances: Vec::new(),
            definitions: BTreeMap::new(),
            last_refresh: None,
            message: None,
            journal: start.journal,
            pane: opens_logs.then_some(Pane::Logs),
            logs: None,
            select_pending: start.select,
            selected: None,
            filter: String::new(),
            sort: SortKey::Newest,
            // `--select NAME` opens on that instance's logs, keys going to them.
            focus: if opens_logs {
                Focus::Pane
            } else {
                Focus::Table
            },
            pane_scroll: 0,
            mode: Mode::Normal,
            spinner: 0,
            quitting: false,
            dirty: true,
            table_top: std::cell::Cell::new(0),
            page_rows: 10,
            selected_row: 0,
            optimistic: Vec::new(),
            in_flight: BTreeMap::new(),
            refresh_pending: false,
            next_refresh_at: Some(DateTime::<Utc>::MIN_UTC),
            failed_refreshes: 0,
            refresh_sent_at: None,
            next_request: 1,
        })
    }

    /// Some request is out: the status bar says we are waiting for AWS.
    /// The "waiting for AWS" indicator was on screen for the refresh answered at `at`.
    fn waiting_was_shown(&self, at: DateTime<Utc>) -> bool {
        self.refresh_sent_at
            .is_some_and(|sent| at.max(self.now) - sent >= Duration::seconds(1))
    }

    /// A routine refresh is mentioned only once it is slow: a quick one changes nothing on
    /// screen, so an idle dashboard writes nothing to the terminal.
    pub fn waiting(&self) -> bool {
        self.in_flight
            .values()
            .any(|asked| *asked != InFlight::Refresh)
            || (self.refresh_in_flight()
                && self
                    .refresh_sent_at
                    .is_some_and(|sent| self.now - sent >= Duration::seconds(1)))
    }

    pub fn refresh_in_flight(&self) -> bool {
        self.in_flight.values().any(|f| *f == InFlight::Refresh)
    }

    pub fn next_refresh_at(&self) -> Option<DateTime<Utc>> {
        self.next_refresh_at
    }

    /// The rows of the table: snapshot plus launches not yet listed, filtered and sorted.
    pub fn rows(&self) -> Vec<&Instance> {
        let needle = self.filter.to_lowercase();
        let mut rows: Vec<&Instance> = self
            .instances
            .iter()
            .chain(self.optimistic.iter().map(|(instance, _)| instance))
            .filter(|instance| needle.is_empty() || matches_filter(instance, &needle))
            .collect();
        match self.sort {
            SortKey::Newest => rows.sort_by(|a, b| {
                b.created_at
                    .cmp(&a.created_at)
                    .then_with(|| a.name.cmp(&b.name))
            }),
            SortKey::Name => rows.sort_by(|a, b| a.name.cmp(&b.name)),
            SortKey::State => rows.sort_by(|a, b| {
                state_order(&a.state)
                    .cmp(&state_order(&b.state))
                    .then_with(|| a.name.cmp(&b.name))
            }),
            SortKey::Template => rows.sort_by(|a, b| {
                a.template
                    .cmp(&b.template)
                    .then_with(|| a.name.cmp(&b.name))
            }),
        }
        rows
    }

    pub fn selected_instance(&self) -> Option<&Instance> {
        let id = self.selected.as_ref()?;
        self.rows().into_iter().find(|instance| instance.is(id))
    }

    /// How messages name an instance: bare for mine, `owner/name` for another's.
    fn label(&self, id: &InstanceId) -> String {
        id.label(&self.profile.owner)
    }

    fn request_id(&mut self) -> RequestId {
        let id = self.next_request;
        self.next_request += 1;
        id
    }

    fn info(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            kind: MessageKind::Info,
            text: text.into(),
            from_refresh: false,
        });
    }

    fn error(&mut self, text: impl Into<String>, from_refresh: bool) {
        self.message = Some(Message {
            kind: MessageKind::Error,
            text: text.into(),
            from_refresh,
        });
    }

    /// Anything of mine still changing by itself: poll at the busy cadence.
    fn busy(&self) -> bool {
        !self.optimistic.is_empty()
            || self.in_flight.values().any(|f| *f != InFlight::Refresh)
            || self
                .instances
                .iter()
                .filter(|instance| instance.owner == self.profile.owner)
                .flat_map(|instance| &instance.tasks)
                .any(|task| {
                    task.last_status.is_transitional()
                        || (task.desired_status == "STOPPED"
                            && task.last_status != TaskState::Stopped)
                })
    }

    /// Ask for a refresh now, unless one is out (then once it answers).
    fn refresh_now(&mut self, effects: &mut Vec<Effect>) {
        if self.refresh_in_flight() {
            self.refresh_pending = true;
            return;
        }
        let req = self.request_id();
        self.in_flight.insert(req, InFlight::Refresh);
        self.refresh_sent_at = Some(self.now);
        self.next_refresh_at = None;
        effects.push(Effect::Refresh {
            req,
            all_owners: self.all_owners,
        });
    }

    fn schedule_next_refresh(&mut self, from: DateTime<Utc>) {
        let secs = if self.busy() {
            self.profile.refresh_busy_secs
        } else {
            self.profile.refresh_steady_secs
        };
        // Each failure in a row doubles the wait (2 s → 4 s → … at most 5 min), so a throttled
        // or unreachable AWS is not hammered; the first good answer restores the cadence.
        let backoff = 1_u64 << self.failed_refreshes.min(8);
        let secs = (secs.max(1) * backoff).min(MAX_REFRESH_BACKOFF_SECS.max(secs));
        self.next_refresh_at = Some(from + Duration::seconds(secs as i64));
    }

    /// Keep the selection on the same instance; if it went away, on the same row.
    fn reconcile_selection(&mut self) {
        if let Some(wanted) = self.select_pending.take() {
            if !self.loaded {
                self.select_pending = Some(wanted);
                return;
            }
            let found =
                pick(self.rows(), &wanted, &self.profile.owner, self.all_owners).map(Instance::id);
            match found {
                Ok(id) => self.selected = Some(id),
                Err(err) => self.info(err.to_string()),
            }
        }
        let rows: Vec<InstanceId> = self.rows().iter().map(|i| i.id()).collect();
        if let Some(id) = &self.selected
            && let Some(at) = rows.iter().position(|row| row == id)
        {
            self.selected_row = at;
            return;
        }
        if rows.is_empty() {
            self.selected = None;
            self.selected_row = 0;
        } else {
            self.selected_row = self.selected_row.min(rows.len() - 1);
            self.selected = Some(rows[self.selected_row].clone());
        }
    }

    fn move_selection(&mut self, to: impl FnOnce(usize, usize) -> usize) {
        let rows: Vec<InstanceId> = self.rows().iter().map(|i| i.id()).collect();
        if rows.is_empty() {
            return;
        }
        let current = self
            .selected
            .as_ref()
            .and_then(|id| rows.iter().position(|row| row == id))
            .unwrap_or(0);
        let target = to(current, rows.len() - 1).min(rows.len() - 1);
        self.selected_row = target;
        self.selected = Some(rows[target].clone());
        self.pane_scroll = 0;
    }

    fn switch_profile(&mut self, name: &str, effects: &mut Vec<Effect>) {
        let Some(profile) = self.profiles.get(name).cloned() else {
            let known: Vec<_> = self.profiles.keys().cloned().collect();
            self.error(
                format!("no profile `{name}`; known profiles: {}", known.join(", ")),
                false,
            );
            return;
        };
        if profile.name == self.profile.name {
            self.info(format!("already on profile {name}"));
            return;
        }
        self.profile = profile.clone();
        self.loaded = false;
        self.instances.clear();
        self.definitions.clear();
        self.optimistic.clear();
        // Answers from the old profile's requests now match nothing and are dropped.
        self.in_flight.clear();
        self.refresh_pending = false;
        self.last_refresh = None;
        self.journal = Journal::default();
        self.selected = None;
        self.selected_row = 0;
        self.select_pending = None;
        if self.pane == Some(Pane::Logs) {
            self.pane = None;
            self.focus = Focus::Table;
        }
        self.info(format!("switched to profile {name}"));
        effects.push(Effect::SwitchProfile(profile));
        self.refresh_now(effects);
    }

    fn refuse_if_read_only(&mut self, command: Command) -> bool {
        if self.read_only {
            self.error(
                format!(
                    "read-only: `{}` is disabled; restart without --read-only to make changes",
                    command.name()
                ),
                false,
            );
        }
        self.read_only
    }

    fn launch(&mut self, request: LaunchRequest, effects: &mut Vec<Effect>) {
        let req = self.request_id();
        self.in_flight.insert(
            req,
            InFlight::Launch {
                template: request.template.clone(),
            },
        );
        self.info(format!("launching {}…", request.template));
        effects.push(Effect::Launch { req, request });
    }

    /// Extend the selected instance by its template's ttl, or say why that cannot work
    /// before asking AWS. Someone else's instance (in the all-owners view) is extended only
    /// after its name is typed.
    fn extend_selected(&mut self, effects: &mut Vec<Effect>) {
        let Some(instance) = self.selected_instance() else {
            self.info("nothing selected to extend");
            return;
        };
        let id = instance.id();
        let label = self.label(&id);
        let foreign = !instance.is_owned_by(&self.profile.owner);
        let refusal = if foreign && !self.all_owners {
            Some(format!(
                "{label} belongs to {}; only its owner can extend it, or someone in the \
                 --all-owners view",
                instance.owner
            ))
        } else if !instance.is_wanted() {
            Some(format!("{label} has stopped; there is nothing to extend"))
        } else {
            None
        };
        if let Some(refusal) = refusal {
            self.error(refusal, false);
            return;
        }
        let cli_name = if foreign {
            format!("{id} --all-owners")
        } else {
            label.clone()
        };
        let profile = &self.profile.name;
        let template = instance.template.clone();
        let ttl = match self.profile.templates.get(&template) {
            None => Err(format!(
                "template `{template}` is not in profile {profile}; run `ondeck extend {cli_name} --by 2h`"
            )),
            Some(found) => template_ttl(found).ok_or_else(|| {
                format!(
                    "template `{template}` has no ttl to extend {label} by; add ttl = \"8h\" under \
                     [profiles.{profile}.templates.{template}], or run `ondeck extend {cli_name} --by 2h`"
                )
            }),
        };
        match ttl {
            Ok(ttl) if foreign => {
                let by = format_remaining(ttl);
                let confirm = Confirm::new(Guarded::Extend { by }, instance, &self.profile.owner);
                self.mode = Mode::Confirm(confirm);
            }
            Ok(ttl) => self.send_extend(id, &format_remaining(ttl), effects),
            Err(error) => self.error(error, false),
        }
    }

    fn send_extend(&mut self, target: InstanceId, by: &str, effects: &mut Vec<Effect>) {
        let label = self.label(&target);
        let req = self.request_id();
        self.in_flight.insert(
            req,
            InFlight::Extend {
                target: target.clone(),
                label: label.clone(),
            },
        );
        self.info(format!("extending {label} by {by}…"));
        effects.push(Effect::Extend {
            req,
            target,
            all_owners: self.all_owners,
        });
    }

    /// Ask to destroy `instance`: `y` for mine, the name typed for someone else's.
    fn confirm_destroy(&mut self, instance: &Instance) {
        self.mode = Mode::Confirm(Confirm::new(
            Guarded::Destroy,
            instance,
            &self.profile.owner,
        ));
    }

    fn confirm_key(&mut self, mut confirm: Confirm, key: Key, effects: &mut Vec<Effect>) {
        let label = self.label(&confirm.target);
        match confirm.key(key) {
            ConfirmOutcome::Open => self.mode = Mode::Confirm(confirm),
            ConfirmOutcome::Cancelled
                if confirm.foreign.is_some() && key.code == KeyCode::Enter =>
            {
                self.info(format!("{label} kept: `{}` is not its name", confirm.typed));
            }
            ConfirmOutcome::Cancelled => self.info(format!("{label} kept")),
            ConfirmOutcome::Confirmed => match confirm.action {
                Guarded::Destroy => {
                    let req = self.request_id();
                    self.in_flight.insert(
                        req,
                        InFlight::Destroy {
                            label: label.clone(),
                        },
                    );
                    self.info(format!("destroying {label}…"));
                    effects.push(Effect::Destroy {
                        req,
                        target: confirm.target,
                        all_owners: self.all_owners,
                    });
                }
                Guarded::Extend { by } => self.send_extend(confirm.target, &by, effects),
            },
        }
    }

    /// The new expiry shows at once; the refresh that follows confirms it.
    fn extended(&mut self, target: &InstanceId, label: &str, until: DateTime<Utc>) {
        for instance in self.instances.iter_mut().filter(|i| i.is(target)) {
            instance.expires_at = Some(until);
        }
        self.info(format!(
            "{label} extended: expires {} UTC, in {}",
            until.format("%Y-%m-%d %H:%M"),
            format_remaining(until - self.now)
        ));
    }

    fn run_command(&mut self, command: Command, effects: &mut Vec<Effect>) {
        if command.is_write() && self.refuse_if_read_only(command) {
            return;
        }
        match command {
            Command::Quit => {
                self.quitting = true;
                effects.push(Effect::Quit);
            }
            Command::Help => self.mode = Mode::Help,
            Command::Refresh => self.refresh_now(effects),
            Command::Filter => self.mode = Mode::Filter,
            Command::CommandLine => self.mode = Mode::CommandLine(String::new()),
            Command::Launch => {
                if self.profile.templates.is_empty() {
                    self.error(
                        format!(
                            "profile {} has no templates; add one under [profiles.{}.templates]",
                            self.profile.name, self.profile.name
                        ),
                        false,
                    );
                } else {
                    self.mode = Mode::Launch(LaunchDialog::new(&self.profile));
                }
            }
            Command::Destroy => match self.selected_instance().cloned() {
                Some(instance) => self.confirm_destroy(&instance),
                None => self.info("nothing selected to destroy"),
            },
            Command::Extend => self.extend_selected(effects),
            Command::CopyEndpoint => {
                let found = self
                    .selected_instance()
                    .map(|instance| endpoints(instance, &self.definitions));
                match found.as_ref().and_then(|found| found.first()) {
                    Some(endpoint) => {
                        let text = format!("{}:{}", endpoint.ip, endpoint.port);
                        self.info(format!("copied {endpoint}"));
                        effects.push(Effect::Copy(text));
                    }
                    None => {
                        self.info("no endpoint yet: the instance has no running task with a port")
                    }
                }
            }
            Command::Detail => self.toggle_pane(Pane::Detail),
            Command::Timeline => self.toggle_pane(Pane::Timeline),
            Command::Logs => self.open_logs(),
            Command::Profiles => {
                let cursor = self
                    .profiles
                    .keys()
                    .position(|name| *name == self.profile.name)
                    .unwrap_or(0);
                self.mode = Mode::Profiles { cursor };
            }
            Command::NextPane | Command::PrevPane => {
                if self.pane.is_some() {
                    self.focus = match self.focus {
                        Focus::Table => Focus::Pane,
                        Focus::Pane => Focus::Table,
                    };
                }
            }
            Command::Sort => {
                self.sort = self.sort.next();
                self.reconcile_selection();
            }
            Command::Up | Command::Down | Command::Top | Command::Bottom => self.navigate(command),
            Command::PageUp | Command::PageDown => self.navigate(command),
            // Bound in the log pane's context only; `log_key` runs them.
            Command::LogAll
            | Command::LogFollow
            | Command::LogSearch
            | Command::LogNextMatch
            | Command::LogPrevMatch
            | Command::LogFilter
            | Command::LogLevel
            | Command::LogTimestamps
            | Command::LogWrap
            | Command::LogJson
            | Command::LogSince
            | Command::LogSave
            | Command::LogCopy
            | Command::LogFullScreen
            | Command::LogClose => {}
        }
    }

    fn toggle_pane(&mut self, pane: Pane) {
        if self.pane == Some(pane) {
            self.pane = None;
            self.focus = Focus::Table;
        } else {
            self.pane = Some(pane);
        }
        self.pane_scroll = 0;
    }

    fn navigate(&mut self, command: Command) {
        let page = self.page_rows.max(1);
        if self.focus == Focus::Pane && self.pane.is_some() {
            let by = match command {
                Command::PageUp | Command::PageDown => page as u16,
                _ => 1,
            };
            // Detail scrolls down from the top; the timeline scrolls up from its newest line.
            let down = matches!(command, Command::Down | Command::PageDown | Command::Bottom)
                == (self.pane == Some(Pane::Detail));
            self.pane_scroll = match command {
                Command::Top | Command::Bottom if !down => u16::MAX / 2,
                Command::Top | Command::Bottom => 0,
                _ if down => self.pane_scroll.saturating_add(by),
                _ => self.pane_scroll.saturating_sub(by),
            };
            return;
        }
        match command {
            Command::Up => self.move_selection(|at, _| at.saturating_sub(1)),
            Command::Down => self.move_selection(|at, last| (at + 1).min(last)),
            Command::Top => self.move_selection(|_, _| 0),
            Command::Bottom => self.move_selection(|_, last| last),
            Command::PageUp => self.move_selection(|at, _| at.saturating_sub(page)),
            Command::PageDown => self.move_selection(|at, last| (at + page).min(last)),
            _ => {}
        }
    }

    fn key(&mut self, key: Key, effects: &mut Vec<Effect>) {
        if key == Key::ctrl('c') {
            self.quitting = true;
            effects.push(Effect::Quit);
            return;
        }
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Normal
                if self.pane == Some(Pane::Logs)
                    && self.focus == Focus::Pane
                    && self.log_key(key, effects) => {}
            Mode::Normal => self.normal_key(key, effects),
            Mode::Help => {}
            Mode::Filter => self.filter_key(key),
            Mode::CommandLine(line) => self.command_line_key(line, key, effects),
            Mode::Launch(mut dialog) => match dialog.key(key) {
                DialogOutcome::Open => self.mode = Mode::Launch(dialog),
                DialogOutcome::Cancelled => self.info("launch cancelled"),
                DialogOutcome::Submit(request) => self.launch(request, effects),
            },
            Mode::Confirm(confirm) => self.confirm_key(confirm, key, effects),
            Mode::Profiles { cursor } => self.profiles_key(cursor, key, effects),
        }
    }

    fn normal_key(&mut self, key: Key, effects: &mut Vec<Effect>) {
        if key == Key::plain(KeyCode::Esc) {
            // Esc steps back: close a focused pane, else clear the filter and the message.
            if self.focus == Focus::Pane {
                self.focus = Focus::Table;
            } else {
                self.filter.clear();
                self.message = None;
                self.reconcile_selection();
            }
            return;
        }
        match self.keymap.command(key) {
            Some(command) => self.run_command(command, effects),
            None => self.info(format!("{key} does nothing here; press ? for help")),
        }
    }

    fn filter_key(&mut self, key: Key) {
        match key.code {
            KeyCode::Esc => self.filter.clear(),
            KeyCode::Enter => {}
            KeyCode::Backspace => {
                self.filter.pop();
                self.mode = Mode::Filter;
            }
            KeyCode::Char(c) if !key.ctrl && !key.alt => {
                self.filter.push(c);
                self.mode = Mode::Filter;
            }
            _ => self.mode = Mode::Filter,
        }
        self.reconcile_selection();
    }

    fn command_line_key(&mut self, mut line: String, key: Key, effects: &mut Vec<Effect>) {
        match key.code {
            KeyCode::Esc => {}
            KeyCode::Enter => self.execute_line(&line, effects),
            KeyCode::Backspace if line.is_empty() => {}
            KeyCode::Backspace => {
                line.pop();
                self.mode = Mode::CommandLine(line);
            }
            KeyCode::Char(c) if !key.ctrl && !key.alt => {
                line.push(c);
                self.mode = Mode::CommandLine(line);
            }
            _ => self.mode = Mode::CommandLine(line),
        }
    }

    fn execute_line(&mut self, line: &str, effects: &mut Vec<Effect>) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [] => {}
            ["q" | "quit"] => self.run_command(Command::Quit, effects),
            ["launch", template] | ["launch", template, _] => {
                if self.refuse_if_read_only(Command::Launch) {
                    return;
                }
                let request = LaunchRequest {
                    template: template.to_string(),
                    name: words.get(2).map(|name| name.to_string()),
                    ..LaunchRequest::default()
                };
                self.launch(request, effects);
            }
            ["destroy", name] => {
                if self.refuse_if_read_only(Command::Destroy) {
                    return;
                }
                // The same names as the CLI: NAME is mine, OWNER/NAME another owner's.
                let found = InstanceRef::parse(name).and_then(|wanted| {
                    pick(self.rows(), &wanted, &self.profile.owner, self.all_owners)
                        .cloned()
                        .map_err(|err| err.to_string())
                });
                match found {
                    Ok(instance) => self.confirm_destroy(&instance),
                    Err(error) => self.error(error, false),
                }
            }
            ["profile", name] => self.switch_profile(name, effects),
            _ => self.error(
                format!(
                    "unknown command `:{line}`; try :launch TEMPLATE [NAME], :destroy NAME, :profile NAME, :q"
                ),
                false,
            ),
        }
    }

    fn profiles_key(&mut self, cursor: usize, key: Key, effects: &mut Vec<Effect>) {
        let last = self.profiles.len().saturating_sub(1);
        let command = self.keymap.command(key);
        match key.code {
            KeyCode::Esc => {}
            KeyCode::Enter => {
                if let Some(name) = self.profiles.keys().nth(cursor).cloned() {
                    self.switch_profile(&name, effects);
                }
            }
            _ if command == Some(Command::Up) => {
                self.mode = Mode::Profiles {
                    cursor: cursor.saturating_sub(1),
                }
            }
            _ if command == Some(Command::Down) => {
                self.mode = Mode::Profiles {
                    cursor: (cursor + 1).min(last),
                }
            }
            _ => self.mode = Mode::Profiles { cursor },
        }
    }

    fn tick(&mut self, now: DateTime<Utc>, effects: &mut Vec<Effect>) {
        let minute_changed = now.timestamp().div_euclid(60) != self.now.timestamp().div_euclid(60);
        self.now = now;
        if minute_changed {
            self.dirty = true;
        }
        if self.waiting() {
            self.spinner = self.spinner.wrapping_add(1);
            self.dirty = true;
        }
        let before = self.optimistic.len();
        self.optimistic.retain(|(_, launched_at)| {
            now - *launched_at < Duration::seconds(OPTIMISTIC_GRACE_SECS)
        });
        if self.optimistic.len() != before {
            self.reconcile_selection();
            self.dirty = true;
        }
        if !self.refresh_in_flight() && self.next_refresh_at.is_some_and(|due| now >= due) {
            self.refresh_now(effects);
        }
    }

    fn refreshed(
        &mut self,
        at: DateTime<Utc>,
        result: Result<Snapshot, String>,
        effects: &mut Vec<Effect>,
    ) {
        match result {
            Ok(snapshot) => {
                self.failed_refreshes = 0;
                self.instances = snapshot.instances;
                self.definitions = snapshot.definitions;
                self.loaded = true;
                self.last_refresh = Some(at);
                if self.message.as_ref().is_some_and(|m| m.from_refresh) {
                    self.message = None;
                }
                let listed: Vec<InstanceId> = self.instances.iter().map(Instance::id).collect();
                self.optimistic
                    .retain(|(instance, _)| !listed.contains(&instance.id()));
                let entries = self.journal.observe(&self.instances, at);
                if !entries.is_empty() {
                    effects.push(Effect::AppendJournal {
                        profile: self.profile.name.clone(),
                        entries,
                    });
                }
                self.reconcile_selection();
            }
            // Keep what we had: stale data with the error beats an empty screen.
            Err(error) => {
                self.failed_refreshes += 1;
                self.error(error, true)
            }
        }
        self.schedule_next_refresh(at);
        if std::mem::take(&mut self.refresh_pending) {
            self.refresh_now(effects);
        }
    }

    fn launched(
        &mut self,
        at: DateTime<Utc>,
        template: String,
        result: Result<Launched, String>,
        effects: &mut Vec<Effect>,
    ) {
        match result {
            Ok(launched) => {
                let mut text = format!(
                    "launched {} from {template} ({} tasks)",
                    launched.id.name,
                    launched.tasks.len()
                );
                if !launched.failures.is_empty() {
                    text.push_str(&format!(
                        "; RunTask reported {} failure(s) that a retry overcame",
                        launched.failures.len()
                    ));
                }
                self.info(text);
                let listed = self.instances.iter().any(|i| i.is(&launched.id));
                if !listed {
                    for instance in group(launched.tasks) {
                        self.optimistic.push((instance, at));
                    }
                }
                self.selected = Some(launched.id);
                self.reconcile_selection();
                self.refresh_now(effects);
            }
            Err(error) => self.error(error, false),
        }
    }

    fn answered(&mut self, action: Action, effects: &mut Vec<Effect>) {
        let req = match &action {
            Action::Refreshed { req, .. }
            | Action::Launched { req, .. }
            | Action::Destroyed { req, .. }
            | Action::Extended { req, .. } => *req,
            _ => return,
        };
        // Only the request we are waiting for counts; anything else is stale.
        let Some(asked) = self.in_flight.remove(&req) else {
            return;
        };
        // A refresh that brings nothing new redraws nothing (see `refreshed`).
        let dirty_before = self.dirty;
        self.dirty = true;
        if let (InFlight::Refresh, Action::Refreshed { at, result, .. }) = (&asked, &action) {
            let unchanged = matches!(result, Ok(snapshot)
                if snapshot.instances == self.instances && snapshot.definitions == self.definitions)
                && self.loaded
                && !self.waiting_was_shown(*at)
                && self.message.as_ref().is_none_or(|m| !m.from_refresh);
            if unchanged {
                self.dirty = dirty_before;
            }
        }
        match (asked, action) {
            (InFlight::Refresh, Action::Refreshed { at, result, .. }) => {
                self.refreshed(at, result, effects)
            }
            (InFlight::Launch { template }, Action::Launched { at, result, .. }) => {
                self.launched(at, template, result, effects)
            }
            (InFlight::Destroy { label }, Action::Destroyed { result, .. }) => {
                match result {
                    Ok(0) => self.info(format!("{label} was already stopping")),
                    Ok(count) => self.info(format!("stopping {count} task(s) of {label}")),
                    Err(error) => self.error(error, false),
                }
                self.refresh_now(effects);
            }
            (InFlight::Extend { target, label }, Action::Extended { result, .. }) => {
                match result {
                    Ok(until) => self.extended(&target, &label, until),
                    Err(error) => self.error(error, false),
                }
                self.refresh_now(effects);
            }
            (asked, _) => {
                // An answer of the wrong kind for this id cannot be ours; keep waiting.
                self.in_flight.insert(req, asked);
            }
        }
    }
}

fn matches_filter(instance: &Instance, needle: &str) -> bool {
    [
        instance.name.as_str(),
        instance.template.as_str(),
        instance.state.as_str(),
        instance.owner.as_str(),
    ]
    .iter()
    .any(|field| field.to_lowercase().contains(needle))
}

/// Trouble first, then what is changing, then the steady and the gone.
fn state_order(state: &InstanceState) -> u8 {
    match state {
        InstanceState::Failed => 0,
        InstanceState::Degraded => 1,
        InstanceState::Lifecycle(lifecycle) if lifecycle.is_transitional() => 2,
        InstanceState::Lifecycle(TaskState::Stopped) => 4,
        InstanceState::Lifecycle(_) => 3,
    }
}

/// The one transition. Pure: the same state and action always give the same result.
pub fn update(state: &mut AppState, action: Action) -> Vec<Effect> {
    let mut effects = Vec::new();
    let snapshot_arrived = matches!(action, Action::Refreshed { .. });
    match action {
        Action::Key(key) => {
            state.dirty = true;
            state.key(key, &mut effects);
        }
        Action::Tick(now) => {
            state.tick(now, &mut effects);
            state.logs_tick(&mut effects);
        }
        Action::Tail { tail_id, message } => state.tail_message(tail_id, message),
        Action::LogsSaved { result } => state.logs_saved(result),
        Action::TerminalClosed => state.quitting = true,
        Action::Resize { height, .. } => {
            state.page_rows = usize::from(height.saturating_sub(8)).max(1);
            state.dirty = true;
        }
        Action::JournalLoaded {
            profile,
            entries,
            skipped,
        } => {
            if profile == state.profile.name {
                // Merge: anything observed before the file was read is kept.
                let observed = state.journal.entries().to_vec();
                state.journal = Journal::from_entries(
                    entries.into_iter().chain(observed),
                    Journal::DEFAULT_CAP,
                );
                if skipped > 0 {
                    let lines = if skipped == 1 { "line" } else { "lines" };
                    state.info(format!(
                        "timeline journal: skipped {skipped} unreadable {lines}, kept the rest"
                    ));
                }
                state.dirty = true;
            }
        }
        answer => state.answered(answer, &mut effects),
    }
    state.sync_logs(&mut effects, snapshot_arrived);
    effects
}
