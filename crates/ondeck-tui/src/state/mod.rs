//! The dashboard's state and its one pure transition: `update(&mut AppState, Action) -> Vec<Effect>`.
//!
//! Nothing here does I/O or knows tokio or the terminal. Every input arrives as an [`Action`];
//! everything slow leaves as an [`Effect`] that the runtime performs and answers with another
//! action tagged with the request id it was given (answers nobody waits for are dropped).
//!
//! [`AppState`] is made of parts, one per concern, each with its own type: the `poller`
//! (requests out, refresh schedule), the `table` (rows, selection, scrolling), the command
//! line and the dialogs (the `Mode`), the log pane ([`logs`]). `keys` routes keys and
//! commands to them; `requests` sends what they ask for and takes the answers.

pub(crate) mod command_line;
pub(crate) mod confirm;
pub(crate) mod extend;
pub(crate) mod forward_dialog;
pub mod forwards;
pub(crate) mod help;
pub(crate) mod input;
pub mod keymap;
pub(crate) mod keys;
pub(crate) mod launch;
pub mod logs;
pub(crate) mod poller;
pub(crate) mod profiles;
pub(crate) mod requests;
pub mod shell;
pub(crate) mod table;
pub mod timeline;

/// Ready-made profiles, tasks and instances for tests here and in the binary's runtime tests.
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::logview::LogView;
use command_line::CommandLine;
use confirm::Confirm;
use extend::ExtendDialog;
use forward_dialog::ForwardDialog;
use forwards::{ForwardId, ForwardStats, ForwardTarget, Forwards};
use help::Help;
use keymap::{Command, Key, KeyCode, Keymap};
use launch::LaunchDialog;
use logs::{LogsPane, TailId};
use ondeck_core::config::{Config, Profile};
use ondeck_core::instances::Instance;
use ondeck_core::instances::identity::{InstanceId, InstanceRef};
use ondeck_core::logs::LogBuffer;
use ondeck_core::model::{SessionGrant, TaskDefinition};
use ondeck_core::ops::{Destroyed, LaunchRequest, Launched, Snapshot};
use ondeck_core::tail::{TailMessage, TailSource, TailSpec};
use poller::Poller;
use profiles::ProfilePicker;
use shell::{ShellPicker, ShellSession};
use table::Table;
use timeline::{Journal, TimelineEntry};

pub type RequestId = u64;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Key(Key),
    /// Text pasted into the terminal (bracketed paste): typed into the field being edited,
    /// never taken as keys.
    Paste(String),
    /// The terminal has the user's focus again (from another window or tab): what was done
    /// there, a launch say, should show soon.
    FocusGained,
    /// The clock, from the runtime's ticker. Drives polling, the spinner and ages.
    Tick(DateTime<Utc>),
    /// The terminal went away (a dropped SSH link without SIGHUP): nobody is watching, so
    /// nothing may go on polling AWS.
    TerminalClosed,
    /// How the screen is laid out now (from `ui::screen_layout`, after a resize or a change
    /// of what is shown): rows on a page decide how far keys scroll.
    Layout(ScreenLayout),
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
        result: Result<Destroyed, String>,
    },
    Extended {
        req: RequestId,
        result: Result<DateTime<Utc>, String>,
    },
    /// How many services the pause scaled to zero (0: it was paused already).
    Paused {
        req: RequestId,
        result: Result<usize, String>,
    },
    /// How many services the resume scaled back up (0: it was not paused).
    Resumed {
        req: RequestId,
        result: Result<usize, String>,
    },
    /// The launch that brought a stopped or failed instance back.
    Relaunched {
        req: RequestId,
        at: DateTime<Utc>,
        result: Result<Launched, String>,
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
    /// The forward `id` listens on this local port, or could not open (why, and what to do).
    ForwardStarted {
        id: ForwardId,
        result: Result<u16, String>,
    },
    /// What the forward `id` has carried, sent only when it changed.
    ForwardStats {
        id: ForwardId,
        stats: ForwardStats,
    },
    /// The forward `id` stopped on its own (the session dropped).
    ForwardEnded {
        id: ForwardId,
        why: String,
    },
    /// ExecuteCommand answered the shell asked for under `req`.
    ShellGranted {
        req: RequestId,
        result: Result<SessionGrant, String>,
    },
    /// The shell has given the terminal back: its exit code where the protocol gives one, or
    /// why the session failed.
    ShellEnded {
        req: RequestId,
        result: Result<Option<i32>, String>,
    },
    /// What a launch or a relaunch under way is doing ("registering ondeck-dev-shop revision
    /// 3…", "waiting for web to stop…").
    LaunchProgress(String),
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
        /// From now or from the current expiry, whichever is later.
        by: chrono::Duration,
        all_owners: bool,
    },
    /// Scale every service of the service-backed instance to zero.
    Pause {
        req: RequestId,
        target: InstanceId,
        all_owners: bool,
    },
    /// Scale every service of the paused instance back to one task.
    Resume {
        req: RequestId,
        target: InstanceId,
        all_owners: bool,
    },
    /// Destroy what is left of the stopped or failed instance and launch its template again
    /// with the same name, env overrides and ttl; what it waits for comes back as
    /// `Action::LaunchProgress`.
    Relaunch {
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
    /// Follow these streams too in the running tail: only they are backfilled, and the tail's
    /// dedupe spans old and new.
    AddTailSources {
        tail_id: TailId,
        sources: Vec<TailSource>,
    },
    /// Stop the tail (and close its Live Tail session, which is billed per minute).
    StopTail {
        tail_id: TailId,
    },
    /// Ask ECS for a shell session (ExecuteCommand); answered with `Action::ShellGranted`.
    OpenShell {
        req: RequestId,
        task_arn: String,
        container: String,
        command: String,
    },
    /// Hand the terminal to the granted session until it ends, then answer with
    /// `Action::ShellEnded` and draw the whole screen again.
    AttachShell {
        req: RequestId,
        title: String,
        grant: SessionGrant,
    },
    /// Write the lines `view` lets through to `path`, each with its time and container
    /// (`labels`, by source index); answered with `Action::LogsSaved`.
    SaveLogs {
        path: PathBuf,
        buffer: LogBuffer,
        view: LogView,
        labels: Vec<String>,
    },
    /// Listen locally and carry each connection to the target's port, answering with
    /// `Action::ForwardStarted`, then `ForwardStats` while it runs.
    StartForward {
        id: ForwardId,
        target: ForwardTarget,
    },
    /// Close the forward's listener and connections, and end its session.
    StopForward {
        id: ForwardId,
    },
}

/// The layout facts that keys depend on, as the renderer lays the screen out. They reach
/// `update` by one route, [`Action::Layout`]; the renderer itself only reads the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScreenLayout {
    pub(crate) width: u16,
    pub(crate) height: u16,
    /// Instance rows the table shows.
    pub(crate) table_rows: usize,
    /// Lines the pane under the table (detail, timeline or logs) shows.
    pub(crate) pane_rows: usize,
}

impl Default for ScreenLayout {
    /// Before the first layout: ten rows a page.
    fn default() -> ScreenLayout {
        ScreenLayout {
            width: 0,
            height: 0,
            table_rows: 10,
            pane_rows: 10,
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
pub(crate) enum Focus {
    Table,
    Pane,
}

/// What the keys go to: the table (and a focused pane), or the line or dialog that is open.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Mode {
    Normal,
    /// The table's filter is being typed.
    Filter,
    CommandLine(CommandLine),
    Help(Help),
    Launch(LaunchDialog),
    /// How long to extend an instance by.
    Extend(ExtendDialog),
    /// A write (destroy, extend, relaunch; pause or resume of someone else's) waiting for
    /// its confirmation.
    Confirm(Confirm),
    Profiles(ProfilePicker),
    Forward(ForwardDialog),
    /// Which container a shell opens in.
    Shell(ShellPicker),
}

/// What a key did to a dialog or a line being typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome<T> {
    /// Still open.
    Open,
    Cancelled,
    Done(T),
}

/// A key in a dialog that picks one of `len` rows: esc cancels, enter picks the row at
/// `cursor`, up and down (as the keymap names them) move it within the rows.
pub(crate) fn choose_row(
    cursor: &mut usize,
    len: usize,
    key: Key,
    command: Option<Command>,
) -> Outcome<usize> {
    match key.code {
        KeyCode::Esc => return Outcome::Cancelled,
        KeyCode::Enter => return Outcome::Done(*cursor),
        _ if command == Some(Command::Up) => *cursor = cursor.saturating_sub(1),
        _ if command == Some(Command::Down) => *cursor = (*cursor + 1).min(len.saturating_sub(1)),
        _ => {}
    }
    Outcome::Open
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
    pub(crate) profiles: BTreeMap<String, Profile>,
    pub(crate) profile: Profile,
    pub(crate) keymap: Keymap,
    pub(crate) read_only: bool,
    pub(crate) all_owners: bool,
    pub(crate) now: DateTime<Utc>,
    /// False until the first answer for this profile: the table shows "Loading".
    pub loaded: bool,
    /// The last snapshot's instances, as listed.
    pub instances: Vec<Instance>,
    pub(crate) definitions: BTreeMap<String, TaskDefinition>,
    pub(crate) last_refresh: Option<DateTime<Utc>>,
    pub message: Option<Message>,
    pub journal: Journal,
    pub(crate) table: Table,
    pub(crate) poller: Poller,
    pub pane: Option<Pane>,
    /// The log pane's instance, tail and lines, while `pane` is `Logs` and one is selected.
    pub logs: Option<LogsPane>,
    pub(crate) focus: Focus,
    /// Lines scrolled in the pane (for the timeline: up from its newest line).
    pub(crate) pane_scroll: u16,
    pub(crate) mode: Mode,
    /// The launch dialog as it was last submitted: after its launch fails, `n` reopens it
    /// with everything typed. Dropped when the launch succeeds.
    pub(crate) launch_draft: Option<LaunchDialog>,
    /// Lines run from the `:` command line, oldest first (see `command_line::remember`).
    pub(crate) line_history: Vec<String>,
    pub(crate) forwards: Forwards,
    pub(crate) layout: ScreenLayout,
    pub(crate) spinner: usize,
    /// The shell asked for or attached, if any.
    pub(crate) shell: Option<ShellSession>,
    pub quitting: bool,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    /// `--select NAME` not yet found in a snapshot.
    select_pending: Option<InstanceRef>,
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
        let layout = ScreenLayout::default();
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
            table: Table::new(layout.table_rows),
            poller: Poller::default(),
            pane: opens_logs.then_some(Pane::Logs),
            logs: None,
            // `--select NAME` opens on that instance's logs, keys going to them.
            focus: if opens_logs {
                Focus::Pane
            } else {
                Focus::Table
            },
            pane_scroll: 0,
            mode: Mode::Normal,
            launch_draft: None,
            line_history: Vec::new(),
            forwards: Forwards::default(),
            layout,
            spinner: 0,
            shell: None,
            quitting: false,
            dirty: true,
            select_pending: start.select,
        })
    }

    /// The layout `update` was last told of.
    pub fn layout(&self) -> ScreenLayout {
        self.layout
    }

    /// Some request is out and worth mentioning: the status bar says we are waiting for AWS.
    pub(crate) fn waiting(&self) -> bool {
        self.poller.waiting(self.now)
    }

    /// The rows of the table: snapshot plus launches not yet listed, filtered and sorted.
    pub fn rows(&self) -> Vec<&Instance> {
        let now = self.now;
        self.table.rows(
            self.instances
                .iter()
                .chain(self.poller.optimistic())
                .filter(|instance| self.table.shows(instance, now)),
        )
    }

    /// Stopped and failed instances the filter would show but hiding leaves out.
    pub(crate) fn hidden_count(&self) -> usize {
        self.table.hidden(&self.instances, self.now)
    }

    /// The marked rows in the order shown; with none marked, the selected one.
    pub(crate) fn chosen_instances(&self) -> Vec<Instance> {
        let marked = self.table.marked();
        if marked.is_empty() {
            return self.selected_instance().cloned().into_iter().collect();
        }
        self.rows()
            .into_iter()
            .filter(|instance| marked.contains(&instance.id()))
            .cloned()
            .collect()
    }

    fn row_ids(&self) -> Vec<InstanceId> {
        self.rows().iter().map(|instance| instance.id()).collect()
    }

    pub(crate) fn selected_instance(&self) -> Option<&Instance> {
        let id = self.table.selected()?;
        self.rows().into_iter().find(|instance| instance.is(id))
    }

    /// How messages name an instance: bare for mine, `owner/name` for another's.
    fn label(&self, id: &InstanceId) -> String {
        id.label(&self.profile.owner)
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

    /// Keep the selection on the same instance (if it went away, on the same row) and on
    /// screen; the first snapshot also finds `--select NAME`.
    fn reconcile_selection(&mut self) {
        if let Some(wanted) = self.select_pending.take() {
            if !self.loaded {
                self.select_pending = Some(wanted);
                return;
            }
            let found =
                ondeck_core::ops::pick(self.rows(), &wanted, &self.profile.owner, self.all_owners)
                    .map(Instance::id);
            match found {
                Ok(id) => self.table.select(id),
                Err(err) => self.info(err.to_string()),
            }
        }
        let rows = self.row_ids();
        self.table.reconcile(&rows);
    }

    fn lay_out(&mut self, layout: ScreenLayout) {
        if layout == self.layout {
            return;
        }
        self.layout = layout;
        self.table.set_page(layout.table_rows);
        let rows = self.row_ids();
        self.table.reconcile(&rows);
        self.dirty = true;
    }

    fn journal_loaded(&mut self, profile: String, entries: Vec<TimelineEntry>, skipped: usize) {
        if profile != self.profile.name {
            return;
        }
        // Merge: anything observed before the file was read is kept.
        let observed = self.journal.entries().to_vec();
        self.journal =
            Journal::from_entries(entries.into_iter().chain(observed), Journal::DEFAULT_CAP);
        if skipped > 0 {
            self.info(format!(
                "timeline journal: skipped {}, kept the rest",
                ondeck_core::format::count(skipped, "unreadable line")
            ));
        }
        self.dirty = true;
    }
}

/// The one transition. Pure: the same state and action always give the same result.
pub fn update(state: &mut AppState, action: Action) -> Vec<Effect> {
    let mut effects = Vec::new();
    let snapshot_arrived = matches!(action, Action::Refreshed { .. });
    match action {
        Action::Key(key) => {
            state.dirty = true;
            // Someone is looking: what changed elsewhere should show soon.
            state.poller.note_activity(state.now);
            state.key(key, &mut effects);
        }
        Action::Paste(text) => state.paste(&text),
        Action::FocusGained => state.poller.note_activity(state.now),
        Action::Tick(now) => {
            state.tick(now, &mut effects);
            state.logs_tick(&mut effects);
        }
        Action::Tail { tail_id, message } => state.tail_message(tail_id, message),
        Action::LogsSaved { result } => state.logs_saved(result),
        Action::ForwardStarted { id, result } => state.forward_started(id, result),
        Action::ForwardStats { id, stats } => state.forward_stats(id, stats),
        Action::ForwardEnded { id, why } => state.forward_ended(id, why),
        Action::ShellGranted { req, result } => state.shell_granted(req, result, &mut effects),
        Action::ShellEnded { req, result } => state.shell_ended(req, result),
        Action::TerminalClosed => state.quitting = true,
        Action::LaunchProgress(text) => {
            if state.waiting() {
                state.info(text);
                state.dirty = true;
            }
        }
        Action::Layout(layout) => state.lay_out(layout),
        Action::JournalLoaded {
            profile,
            entries,
            skipped,
        } => state.journal_loaded(profile, entries, skipped),
        answer => state.answered(answer, &mut effects),
    }
    state.sync_logs(&mut effects, snapshot_arrived);
    state.close_stale_forwards(&mut effects, snapshot_arrived);
    effects
}
