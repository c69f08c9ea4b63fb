//! Keys and pastes to the part they are for: the line or dialog that is open, the log pane
//! when it has the focus, else the keymap's commands on the table and panes.

use super::command_line::{self, CommandLine, Completions, LineCommand};
use super::help::Help;
use super::keymap::{Command, Key, KeyCode};
use super::launch::LaunchDialog;
use super::profiles::ProfilePicker;
use super::{AppState, Effect, Focus, Mode, Outcome, Pane};
use ondeck_core::instances::identity::InstanceRef;
use ondeck_core::ops::{LaunchRequest, OpsError, pick};

impl AppState {
    pub(super) fn key(&mut self, key: Key, effects: &mut Vec<Effect>) {
        if key == Key::ctrl('c') {
            self.quitting = true;
            return;
        }
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Normal if self.logs_focused() && self.log_key(key, effects) => {}
            Mode::Normal => self.normal_key(key, effects),
            Mode::Help(mut help) => {
                if help.key(key) == Outcome::Open {
                    self.mode = Mode::Help(help);
                }
            }
            Mode::Filter => {
                if self.table.filter_key(key) == Outcome::Open {
                    self.mode = Mode::Filter;
                }
                self.reconcile_selection();
            }
            Mode::CommandLine(mut line) if key == Key::plain(KeyCode::Tab) => {
                line.complete(&self.completions());
                self.mode = Mode::CommandLine(line);
            }
            Mode::CommandLine(mut line) => match line.key(key) {
                Outcome::Open => self.mode = Mode::CommandLine(line),
                Outcome::Cancelled => {}
                Outcome::Done(text) => {
                    command_line::remember(&mut self.line_history, &text);
                    self.execute_line(&text, effects);
                }
            },
            Mode::Launch(mut dialog) => match dialog.key(key) {
                Outcome::Open => self.mode = Mode::Launch(dialog),
                Outcome::Cancelled => self.info("launch cancelled"),
                Outcome::Done(request) => {
                    self.launch_draft = Some(dialog);
                    self.launch(request, effects);
                }
            },
            Mode::Confirm(confirm) => self.confirm_key(confirm, key, effects),
            Mode::Extend(dialog) => self.extend_key(dialog, key, effects),
            Mode::Forward(mut dialog) => match dialog.key(key) {
                Outcome::Open => self.mode = Mode::Forward(dialog),
                Outcome::Cancelled => {}
                Outcome::Done(choice) => self.start_forward(choice, effects),
            },
            Mode::Shell(mut picker) => {
                let command = self.keymap.command(key);
                match picker.key(key, command) {
                    Outcome::Open => self.mode = Mode::Shell(picker),
                    Outcome::Cancelled => {}
                    Outcome::Done(index) => self.shell_picked(picker, index, effects),
                }
            }
            Mode::Profiles(mut picker) => {
                let command = self.keymap.command(key);
                match picker.key(key, command) {
                    Outcome::Open => self.mode = Mode::Profiles(picker),
                    Outcome::Cancelled => {}
                    Outcome::Done(cursor) => {
                        if let Some(name) = self.profiles.keys().nth(cursor).cloned() {
                            self.switch_profile(&name, effects);
                        }
                    }
                }
            }
        }
    }

    /// Pasted text goes into the field being typed; with none, it does nothing (it is never
    /// taken as keys, so a paste cannot run commands).
    pub(super) fn paste(&mut self, text: &str) {
        let logs_focused = self.logs_focused();
        match &mut self.mode {
            Mode::Filter => {
                self.table.filter.paste(text);
                self.reconcile_selection();
            }
            Mode::CommandLine(line) => line.input.paste(text),
            Mode::Launch(dialog) => dialog.paste(text),
            Mode::Confirm(confirm) => confirm.paste(text),
            Mode::Extend(dialog) => dialog.paste(text),
            Mode::Forward(dialog) => dialog.paste(text),
            Mode::Normal if logs_focused => {
                if !self.paste_into_search(text) {
                    return;
                }
            }
            Mode::Normal | Mode::Help(_) | Mode::Profiles(_) | Mode::Shell(_) => return,
        }
        self.dirty = true;
    }

    fn logs_focused(&self) -> bool {
        self.pane == Some(Pane::Logs) && self.focus == Focus::Pane
    }

    fn normal_key(&mut self, key: Key, effects: &mut Vec<Effect>) {
        if key == Key::plain(KeyCode::Esc) {
            // Esc steps back: close a focused pane, else drop the marks, else clear the filter
            // and the message.
            if self.focus == Focus::Pane {
                self.focus = Focus::Table;
            } else if self.table.clear_marks() {
                self.info("marks cleared");
            } else {
                self.table.filter.clear();
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

    fn execute_line(&mut self, line: &str, effects: &mut Vec<Effect>) {
        let command = match command_line::parse(line) {
            Ok(command) => command,
            Err(error) => return self.error(error, false),
        };
        match command {
            LineCommand::Nothing => {}
            LineCommand::Quit => self.run_command(Command::Quit, effects),
            LineCommand::Help => self.run_command(Command::Help, effects),
            LineCommand::LaunchDialog => self.run_command(Command::Launch, effects),
            LineCommand::DestroySelected => self.run_command(Command::Destroy, effects),
            LineCommand::ProfilePicker => self.run_command(Command::Profiles, effects),
            LineCommand::Launch { template, name } => {
                if self.refuse_if_read_only(Command::Launch) {
                    return;
                }
                if !self.profile.templates.contains_key(&template) {
                    let unknown = OpsError::UnknownTemplate {
                        template,
                        profile: self.profile.name.clone(),
                        known: self.profile.templates.keys().cloned().collect(),
                    };
                    return self.error(unknown.to_string(), false);
                }
                let request = LaunchRequest {
                    template,
                    name,
                    ..LaunchRequest::default()
                };
                self.launch_draft = None;
                self.launch(request, effects);
            }
            LineCommand::Destroy(name) => {
                if self.refuse_if_read_only(Command::Destroy) {
                    return;
                }
                // The same names as the CLI: NAME is mine, OWNER/NAME another owner's.
                let found = InstanceRef::parse(&name).and_then(|wanted| {
                    pick(self.rows(), &wanted, &self.profile.owner, self.all_owners)
                        .cloned()
                        .map_err(|err| err.to_string())
                });
                match found {
                    Ok(instance) => self.confirm_destroy(vec![instance]),
                    Err(error) => self.error(error, false),
                }
            }
            LineCommand::Profile(name) => self.switch_profile(&name, effects),
        }
    }

    /// What tab offers on the command line: this profile's templates, the names of the
    /// instances listed (as `:destroy` takes them) and the profiles.
    fn completions(&self) -> Completions {
        Completions {
            templates: self.profile.templates.keys().cloned().collect(),
            instances: self
                .rows()
                .iter()
                .map(|instance| self.label(&instance.id()))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect(),
            profiles: self.profiles.keys().cloned().collect(),
        }
    }

    pub(super) fn refuse_if_read_only(&mut self, command: Command) -> bool {
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

    fn run_command(&mut self, command: Command, effects: &mut Vec<Effect>) {
        if command.is_write() && self.refuse_if_read_only(command) {
            return;
        }
        match command {
            Command::Quit => self.quitting = true,
            Command::Help => self.mode = Mode::Help(Help::default()),
            Command::Refresh => self.refresh_now(effects),
            Command::Filter => self.mode = Mode::Filter,
            Command::CommandLine => {
                self.mode = Mode::CommandLine(CommandLine::new(&self.line_history))
            }
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
                    let dialog = self
                        .launch_draft
                        .take()
                        .unwrap_or_else(|| LaunchDialog::new(&self.profile, &self.definitions));
                    self.mode = Mode::Launch(dialog);
                }
            }
            Command::Destroy => match self.chosen_instances() {
                chosen if chosen.is_empty() => self.info("nothing selected to destroy"),
                chosen => self.confirm_destroy(chosen),
            },
            Command::Extend => self.extend_chosen(),
            Command::Pause => self.scale_selected(false, effects),
            Command::Resume => self.scale_selected(true, effects),
            Command::Relaunch => self.confirm_relaunch(),
            Command::CopyEndpoint => self.copy_endpoint(effects),
            Command::Forward => self.open_forward_dialog(),
            Command::CloseForward => self.close_selected_forward(effects),
            Command::CopyLink => self.copy_link(effects),
            Command::NextItem => self.step_item(true),
            Command::PrevItem => self.step_item(false),
            Command::Detail => self.toggle_pane(Pane::Detail),
            Command::Timeline => self.toggle_pane(Pane::Timeline),
            Command::Logs => self.open_logs(),
            Command::Shell => self.shell_selected(effects),
            Command::Profiles => {
                let names = self.profiles.keys().map(String::as_str);
                self.mode = Mode::Profiles(ProfilePicker::new(names, &self.profile.name));
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
                self.table.next_sort();
                self.reconcile_selection();
            }
            Command::ShowStopped => {
                self.table.show_ended = !self.table.show_ended;
                self.reconcile_selection();
                self.info(if self.table.show_ended {
                    "showing every stopped and failed instance"
                } else {
                    "stopped and failed instances are shown for an hour after they stop"
                });
            }
            Command::Mark => {
                if self.table.toggle_mark() {
                    let rows = self.row_ids();
                    self.table
                        .move_selection(&rows, |at, last| (at + 1).min(last));
                } else {
                    self.info("nothing selected to mark");
                }
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
            | Command::LogLeft
            | Command::LogRight
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
        if let (Focus::Pane, Some(pane)) = (self.focus, self.pane) {
            self.scroll_pane(pane, command);
            return;
        }
        let page = self.table.page();
        let rows = self.row_ids();
        let moved = match command {
            Command::Up => self
                .table
                .move_selection(&rows, |at, _| at.saturating_sub(1)),
            Command::Down => self
                .table
                .move_selection(&rows, |at, last| (at + 1).min(last)),
            Command::Top => self.table.move_selection(&rows, |_, _| 0),
            Command::Bottom => self.table.move_selection(&rows, |_, last| last),
            Command::PageUp => self
                .table
                .move_selection(&rows, |at, _| at.saturating_sub(page)),
            Command::PageDown => self
                .table
                .move_selection(&rows, |at, last| (at + page).min(last)),
            _ => false,
        };
        if moved {
            self.pane_scroll = 0;
        }
    }

    /// Scroll the focused pane as every list moves: up and down, a page, `g`/Home to its
    /// first line and `G`/End to its last. The timeline keeps its offset up from its newest
    /// (last) line, so that new lines show while it is at the end; the detail pane keeps its
    /// offset down from the top, and the renderer stops it at the last page.
    fn scroll_pane(&mut self, pane: Pane, command: Command) {
        let by = match command {
            Command::PageUp | Command::PageDown => self.layout.pane_rows.max(1) as u16,
            _ => 1,
        };
        let timeline = pane == Pane::Timeline;
        let last = if timeline {
            let lines = self
                .selected_instance()
                .map_or(0, |instance| self.journal.for_instance(instance).len());
            u16::try_from(lines.saturating_sub(self.layout.pane_rows)).unwrap_or(u16::MAX)
        } else {
            u16::MAX / 2
        };
        let from_top = if timeline {
            last.saturating_sub(self.pane_scroll)
        } else {
            self.pane_scroll.min(last)
        };
        let to = match command {
            Command::Top => 0,
            Command::Bottom => last,
            Command::Up | Command::PageUp => from_top.saturating_sub(by),
            _ => from_top.saturating_add(by).min(last),
        };
        self.pane_scroll = if timeline { last - to } else { to };
    }

    pub(super) fn switch_profile(&mut self, name: &str, effects: &mut Vec<Effect>) {
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
        let old = std::mem::replace(&mut self.profile, profile.clone()).name;
        let closed = self.close_all_forwards(effects);
        self.launch_draft = None;
        self.loaded = false;
        self.instances.clear();
        self.definitions.clear();
        // Answers from the old profile's requests now match nothing and are dropped.
        self.poller.forget_requests();
        self.last_refresh = None;
        self.journal = Default::default();
        self.table.clear_selection();
        self.select_pending = None;
        if self.pane == Some(Pane::Logs) {
            self.pane = None;
            self.focus = Focus::Table;
        }
        if closed == 0 {
            self.info(format!("switched to profile {name}"));
        } else {
            self.info(format!(
                "switched to profile {name}; closed the {closed} forward(s) opened under {old} \
                 — switch back and press F to open them again"
            ));
        }
        effects.push(Effect::SwitchProfile(profile));
        self.refresh_now(effects);
    }
}
