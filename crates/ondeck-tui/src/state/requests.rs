//! What the dashboard asks of AWS — refreshes on the poller's schedule, launches, and the
//! writes on instances (destroy, extend, pause, resume, relaunch), after their confirmation
//! where one is needed — and what it does with the answers.

use chrono::{DateTime, Utc};

use super::confirm::{Confirm, Guarded};
use super::extend::ExtendDialog;
use super::keymap::{Command, Key, KeyCode};
use super::poller::InFlight;
use super::{Action, AppState, Effect, MessageKind, Mode, Outcome};
use ondeck_core::format::count;
use ondeck_core::instances::expiry::format_remaining;
use ondeck_core::instances::identity::InstanceId;
use ondeck_core::instances::{Instance, InstanceState, group};
use ondeck_core::ops::{LaunchRequest, Launched, OpsError, Snapshot, relaunch_refused};

impl AppState {
    pub(super) fn tick(&mut self, now: DateTime<Utc>, effects: &mut Vec<Effect>) {
        let minute_changed = now.timestamp().div_euclid(60) != self.now.timestamp().div_euclid(60);
        self.now = now;
        if minute_changed {
            // An instance stopped an hour ago leaves the table now.
            self.reconcile_selection();
            self.dirty = true;
        }
        if self.waiting() {
            self.spinner = self.spinner.wrapping_add(1);
            self.dirty = true;
        }
        if self.poller.expire_optimistic(now) {
            self.reconcile_selection();
            self.dirty = true;
        }
        if self.poller.refresh_due(now) {
            self.refresh_now(effects);
        }
    }

    /// Ask for a refresh now, unless one is out (then once it answers).
    pub(super) fn refresh_now(&mut self, effects: &mut Vec<Effect>) {
        if let Some(req) = self.poller.send_refresh(self.now) {
            effects.push(Effect::Refresh {
                req,
                all_owners: self.all_owners,
            });
        }
    }

    pub(super) fn launch(&mut self, request: LaunchRequest, effects: &mut Vec<Effect>) {
        let req = self.poller.send(InFlight::Launch {
            template: request.template.clone(),
        });
        self.info(format!("launching {}…", request.template));
        effects.push(Effect::Launch { req, request });
    }

    /// Ask to destroy `instances` (the marked rows, or the selected one): `y` when all are
    /// mine, the names of someone else's typed. One that has stopped already is left out and
    /// said so; with nothing left, nothing is asked and nothing sent.
    pub(super) fn confirm_destroy(&mut self, instances: Vec<Instance>) {
        let (stopped, live): (Vec<Instance>, Vec<Instance>) = instances
            .into_iter()
            .partition(|instance| instance.state.is_final());
        if !stopped.is_empty() {
            let names: Vec<String> = stopped.iter().map(|i| self.label(&i.id())).collect();
            let verb = if names.len() == 1 { "has" } else { "have" };
            let what = if live.is_empty() {
                "there is nothing to destroy"
            } else {
                "left out"
            };
            self.info(format!(
                "{} {verb} already stopped; {what}",
                names.join(", ")
            ));
        }
        if !live.is_empty() {
            self.mode = Mode::Confirm(Confirm::new(Guarded::Destroy, &live, &self.profile.owner));
        }
    }

    /// Ask how long to extend the marked instances (else the selected one) by, or say why
    /// one cannot be extended before asking AWS.
    pub(super) fn extend_chosen(&mut self) {
        let chosen = self.chosen_instances();
        let Some(first) = chosen.first() else {
            self.info("nothing selected to extend");
            return;
        };
        for instance in &chosen {
            match self.extend_refusal(instance) {
                Some(refusal) if chosen.len() > 1 => {
                    return self.error(
                        format!("{refusal}; unmark it (space) to extend the others"),
                        false,
                    );
                }
                Some(refusal) => return self.error(refusal, false),
                None => {}
            }
        }
        // One duration for all: the first one's template ttl is where the field starts.
        let ttl = self
            .profile
            .templates
            .get(&first.template)
            .and_then(|template| template.ttl);
        let targets = chosen.iter().map(Instance::id).collect();
        self.mode = Mode::Extend(ExtendDialog::new(targets, ttl));
    }

    /// Why `instance` cannot be extended from here, if it cannot.
    fn extend_refusal(&self, instance: &Instance) -> Option<String> {
        let label = self.label(&instance.id());
        if !instance.is_owned_by(&self.profile.owner) && !self.all_owners {
            Some(format!(
                "{label} belongs to {}; only its owner can extend it, or someone in the \
                 --all-owners view",
                instance.owner
            ))
        } else if !instance.is_wanted() {
            Some(format!("{label} has stopped; there is nothing to extend"))
        } else {
            None
        }
    }

    /// The extend dialog's answer goes to all its instances at once; when any is someone
    /// else's, after one confirmation that takes their names typed.
    pub(super) fn extend_key(
        &mut self,
        mut dialog: ExtendDialog,
        key: Key,
        effects: &mut Vec<Effect>,
    ) {
        let labels: Vec<String> = dialog.targets.iter().map(|id| self.label(id)).collect();
        let label = labels.join(", ");
        match dialog.key(key) {
            Outcome::Open => self.mode = Mode::Extend(dialog),
            Outcome::Cancelled if labels.len() == 1 => self.info(format!("{label} kept as it was")),
            Outcome::Cancelled => self.info(format!("{label} kept as they were")),
            Outcome::Done(by) => {
                let rows = self.rows();
                let (present, gone): (Vec<&InstanceId>, Vec<&InstanceId>) = dialog
                    .targets
                    .iter()
                    .partition(|id| rows.iter().any(|instance| instance.is(id)));
                if !gone.is_empty() {
                    let gone: Vec<String> = gone.into_iter().map(|id| self.label(id)).collect();
                    let what = if present.is_empty() {
                        "nothing to extend".to_string()
                    } else {
                        "nothing was extended; press e again for the others".to_string()
                    };
                    return self.error(format!("{} is gone; {what}", gone.join(", ")), false);
                }
                let instances: Vec<Instance> = rows
                    .into_iter()
                    .filter(|instance| dialog.targets.iter().any(|id| instance.is(id)))
                    .cloned()
                    .collect();
                if instances
                    .iter()
                    .any(|instance| !instance.is_owned_by(&self.profile.owner))
                {
                    let guarded = Guarded::Extend { by };
                    self.mode =
                        Mode::Confirm(Confirm::new(guarded, &instances, &self.profile.owner));
                    return;
                }
                // The marks did their job.
                self.table.clear_marks();
                let action = Guarded::Extend { by };
                for target in dialog.targets {
                    self.send_write(&action, target, effects);
                }
                if labels.len() > 1 {
                    self.info(action.under_way(&label));
                }
            }
        }
    }

    /// `P` (pause) or `R` (resume) on the selected row: a service-backed instance of mine is
    /// paused or resumed at once, as each undoes the other; someone else's once its name is
    /// typed. What cannot be done is said before asking AWS.
    pub(super) fn scale_selected(&mut self, resume: bool, effects: &mut Vec<Effect>) {
        let action = if resume {
            Guarded::Resume
        } else {
            Guarded::Pause
        };
        let Some(instance) = self.selected_instance().cloned() else {
            return self.info(format!("nothing selected to {}", action.verb()));
        };
        match self.scale_refusal(&instance, resume) {
            Some((MessageKind::Error, refusal)) => return self.error(refusal, false),
            Some((MessageKind::Info, news)) => return self.info(news),
            None => {}
        }
        if instance.foreign_note(&self.profile.owner).is_some() {
            self.mode = Mode::Confirm(Confirm::new(action, [&instance], &self.profile.owner));
        } else {
            self.send_write(&action, instance.id(), effects);
        }
    }

    /// Why `instance` cannot be paused (or resumed) from here, if it cannot: an error when it
    /// never can be, news when there is nothing to do.
    fn scale_refusal(&self, instance: &Instance, resume: bool) -> Option<(MessageKind, String)> {
        let label = self.label(&instance.id());
        let (verb, done) = if resume {
            ("resume", "resumed")
        } else {
            ("pause", "paused")
        };
        if let Some(busy) = self.write_under_way(instance) {
            return Some((MessageKind::Info, busy));
        }
        if !instance.is_service_backed() {
            return Some((
                MessageKind::Error,
                format!(
                    "{label} runs as ECS tasks, which cannot be {done}; launch it from a \
                     template with kind = \"service\""
                ),
            ));
        }
        if !instance.is_wanted() {
            return Some((
                MessageKind::Error,
                format!(
                    "{label} has stopped; there is nothing to {verb} — {} relaunches it",
                    self.key_for(Command::Relaunch)
                ),
            ));
        }
        // Paused, or on its way there: every service kept is at zero.
        let at_zero = instance
            .services
            .iter()
            .filter(|service| service.is_active())
            .all(|service| service.desired_count == 0);
        match (resume, at_zero) {
            (false, true) if instance.state == InstanceState::Paused => {
                Some((MessageKind::Info, format!("{label} is already paused")))
            }
            (false, true) => Some((MessageKind::Info, format!("{label} is already pausing"))),
            (true, false) => Some((
                MessageKind::Info,
                format!(
                    "{label} is {}, not paused; there is nothing to resume",
                    instance.state
                ),
            )),
            _ => None,
        }
    }

    /// `ctrl-r` on the selected row: an instance stopped for good is launched again from its
    /// template, after a confirmation (its name typed when it is someone else's).
    pub(super) fn confirm_relaunch(&mut self) {
        let Some(instance) = self.selected_instance().cloned() else {
            return self.info("nothing selected to relaunch");
        };
        let label = self.label(&instance.id());
        if let Some(busy) = self.write_under_way(&instance) {
            return self.info(busy);
        }
        if !instance.state.is_final() {
            return self.error(
                format!(
                    "relaunch is for FAILED or STOPPED instances; {label} is {} — {} destroys \
                     it, then {} relaunches it",
                    instance.state,
                    self.key_for(Command::Destroy),
                    self.key_for(Command::Relaunch)
                ),
                false,
            );
        }
        if let Some(refused) = relaunch_refused(&instance, &self.profile.owner) {
            return self.error(refused.to_string(), false);
        }
        if !self.profile.templates.contains_key(&instance.template) {
            let unknown = OpsError::UnknownTemplate {
                template: instance.template.clone(),
                profile: self.profile.name.clone(),
                known: self.profile.templates.keys().cloned().collect(),
            };
            return self.error(unknown.to_string(), false);
        }
        let action = Guarded::Relaunch {
            template: instance.template.clone(),
        };
        self.mode = Mode::Confirm(Confirm::new(action, [&instance], &self.profile.owner));
    }

    /// What to say when a write on `instance` is still out: one at a time per instance.
    fn write_under_way(&self, instance: &Instance) -> Option<String> {
        let action = self.poller.write_on(&instance.id())?;
        Some(format!(
            "{}: waiting for AWS to answer the {} sent before; try again once it has",
            self.label(&instance.id()),
            action.verb()
        ))
    }

    /// How to ask for `command` here: its first key, else its name for `[keymap]`.
    fn key_for(&self, command: Command) -> String {
        self.keymap
            .keys_for(command)
            .first()
            .map_or_else(|| format!("`{}`", command.name()), ToString::to_string)
    }

    /// Sends `action` on `target`, awaited under a request of its own, and says so.
    fn send_write(&mut self, action: &Guarded, target: InstanceId, effects: &mut Vec<Effect>) {
        let label = self.label(&target);
        self.info(action.under_way(&label));
        let req = self.poller.send(InFlight::Write {
            action: action.clone(),
            target: target.clone(),
            label,
        });
        let all_owners = self.all_owners;
        effects.push(match action {
            Guarded::Destroy => Effect::Destroy {
                req,
                target,
                all_owners,
            },
            Guarded::Extend { by } => Effect::Extend {
                req,
                target,
                by: *by,
                all_owners,
            },
            Guarded::Pause => Effect::Pause {
                req,
                target,
                all_owners,
            },
            Guarded::Resume => Effect::Resume {
                req,
                target,
                all_owners,
            },
            Guarded::Relaunch { .. } => Effect::Relaunch {
                req,
                target,
                all_owners,
            },
        });
    }

    pub(super) fn confirm_key(
        &mut self,
        mut confirm: Confirm,
        key: Key,
        effects: &mut Vec<Effect>,
    ) {
        let labels: Vec<String> = confirm.targets.iter().map(|t| self.label(&t.id)).collect();
        let label = labels.join(", ");
        match confirm.key(key) {
            Outcome::Open => self.mode = Mode::Confirm(confirm),
            Outcome::Cancelled
                if confirm.names_to_type().is_some() && key.code == KeyCode::Enter =>
            {
                let typed = confirm.typed.text();
                let whose = if labels.len() == 1 {
                    "its name"
                } else {
                    "their names"
                };
                self.info(format!("{label} kept: `{typed}` is not {whose}"));
            }
            Outcome::Cancelled => self.info(format!("{label} kept")),
            Outcome::Done(()) => {
                // The marks did their job.
                self.table.clear_marks();
                for target in confirm.targets {
                    self.send_write(&confirm.action, target.id, effects);
                }
                if labels.len() > 1 {
                    self.info(confirm.action.under_way(&label));
                }
            }
        }
    }

    /// An answer to a request: taken only if it is the one awaited under its id.
    pub(super) fn answered(&mut self, action: Action, effects: &mut Vec<Effect>) {
        let req = match &action {
            Action::Refreshed { req, .. }
            | Action::Launched { req, .. }
            | Action::Destroyed { req, .. }
            | Action::Extended { req, .. }
            | Action::Paused { req, .. }
            | Action::Resumed { req, .. }
            | Action::Relaunched { req, .. } => *req,
            _ => return,
        };
        // Only the request we are waiting for counts; anything else is stale.
        let Some(asked) = self.poller.take_answered(req) else {
            return;
        };
        // A refresh that brings nothing new redraws nothing (see `refreshed`).
        let dirty_before = self.dirty;
        self.dirty = true;
        if let (InFlight::Refresh, Action::Refreshed { at, result, .. }) = (&asked, &action) {
            let unchanged = matches!(result, Ok(snapshot)
                if snapshot.instances == self.instances && snapshot.definitions == self.definitions)
                && self.loaded
                && !self.poller.waiting_was_shown(*at, self.now)
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
            (
                InFlight::Write {
                    action: Guarded::Destroy,
                    label,
                    ..
                },
                Action::Destroyed { result, .. },
            ) => {
                match result {
                    Ok(destroyed) if destroyed.is_nothing() => {
                        self.info(format!("{label} was already stopping"))
                    }
                    Ok(destroyed) => self.info(format!("{label}: {}", destroyed.summary())),
                    Err(error) => self.error(error, false),
                }
                self.refresh_now(effects);
            }
            (
                InFlight::Write {
                    action: Guarded::Extend { .. },
                    target,
                    label,
                },
                Action::Extended { result, .. },
            ) => {
                match result {
                    Ok(until) => self.extended(&target, &label, until),
                    Err(error) => self.error(error, false),
                }
                self.refresh_now(effects);
            }
            (
                InFlight::Write {
                    action: Guarded::Pause,
                    label,
                    ..
                },
                Action::Paused { result, .. },
            ) => {
                match result {
                    Ok(0) => self.info(format!("{label} is already paused")),
                    Ok(_) => self.info(format!(
                        "{label} is pausing: its tasks stop, and it costs $0/h until resumed"
                    )),
                    Err(error) => self.error(error, false),
                }
                self.refresh_now(effects);
            }
            (
                InFlight::Write {
                    action: Guarded::Resume,
                    label,
                    ..
                },
                Action::Resumed { result, .. },
            ) => {
                match result {
                    Ok(0) => self.info(format!("{label} was not paused")),
                    Ok(_) => self.info(format!("{label} is resuming")),
                    Err(error) => self.error(error, false),
                }
                self.refresh_now(effects);
            }
            (
                InFlight::Write {
                    action: Guarded::Relaunch { .. },
                    label,
                    ..
                },
                Action::Relaunched { at, result, .. },
            ) => match result {
                Ok(launched) => {
                    self.show_launched(at, format!("relaunched {label}"), launched, effects)
                }
                Err(error) => {
                    // Whatever it got to (the old one destroyed, say) shows at once.
                    self.error(error, false);
                    self.refresh_now(effects);
                }
            },
            (asked, _) => {
                // An answer of the wrong kind for this id cannot be ours; keep waiting.
                self.poller.keep_waiting(req, asked);
            }
        }
    }

    fn refreshed(
        &mut self,
        at: DateTime<Utc>,
        result: Result<Snapshot, String>,
        effects: &mut Vec<Effect>,
    ) {
        self.poller.refresh_answered(result.is_ok());
        match result {
            Ok(snapshot) => {
                self.instances = snapshot.instances;
                self.definitions = snapshot.definitions;
                self.loaded = true;
                self.last_refresh = Some(at);
                if self.message.as_ref().is_some_and(|m| m.from_refresh) {
                    self.message = None;
                }
                self.poller.drop_listed(&self.instances);
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
            Err(error) => self.error(error, true),
        }
        let busy = self.poller.busy(&self.instances, &self.profile.owner);
        self.poller.schedule_next_refresh(
            at,
            busy,
            self.profile.refresh_busy_secs,
            self.profile.refresh_steady_secs,
        );
        if self.poller.take_pending_refresh() {
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
                self.launch_draft = None;
                let text = format!(
                    "launched {} from {template} ({})",
                    launched.id.name,
                    count(launched.tasks.len(), "task")
                );
                self.show_launched(at, text, launched, effects);
            }
            Err(error) if self.launch_draft.is_some() => {
                let key = self.keymap.keys_for(Command::Launch).first().copied();
                match key {
                    Some(key) => self.error(
                        format!("{error} — {key} reopens the launch dialog as you left it"),
                        false,
                    ),
                    None => self.error(error, false),
                }
            }
            Err(error) => self.error(error, false),
        }
    }

    /// A launch (or relaunch) that went through: `text` says so, with what RunTask and the
    /// exec checks reported; its row shows before ListTasks has it, and is selected.
    fn show_launched(
        &mut self,
        at: DateTime<Utc>,
        mut text: String,
        launched: Launched,
        effects: &mut Vec<Effect>,
    ) {
        if !launched.failures.is_empty() {
            text.push_str(&format!(
                "; RunTask reported {} that a retry overcame",
                count(launched.failures.len(), "failure")
            ));
        }
        if launched.exec_warnings.is_empty() {
            self.info(text);
        } else {
            // Said now, not when the first `s` is refused.
            for warning in &launched.exec_warnings {
                text.push_str(&format!("; {warning}"));
            }
            self.error(text, false);
        }
        let listed = self.instances.iter().any(|i| i.is(&launched.id));
        if !listed {
            for instance in group(launched.tasks, launched.services) {
                self.poller.show_launched(instance, at);
            }
        }
        self.table.select(launched.id);
        self.reconcile_selection();
        self.poller.note_activity(at);
        self.refresh_now(effects);
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
}
