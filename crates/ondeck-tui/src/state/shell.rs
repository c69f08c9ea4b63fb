//! `s`: a shell in one of the selected instance's containers. The container is the one chosen
//! in the detail pane (`[`/`]`), else the template's `exec_container`, the only one, or the
//! one picked from a list; whether it can take a session is judged from the snapshot
//! (`ops::connect::readiness`) before anything is asked of AWS. The runtime then asks for the
//! session ([`Effect::OpenShell`]), hands the terminal over to it ([`Effect::AttachShell`])
//! and says when it is back ([`Action::ShellEnded`]).

use std::collections::BTreeMap;

use super::keymap::{Command, Key};
use super::{AppState, Effect, Mode, Outcome, RequestId, choose_row};

use ondeck_core::instances::Instance;
use ondeck_core::model::{Container, SessionGrant, Task, TaskDefinition};
use ondeck_core::ops::connect::{NotReady, READY_BRIEF, readiness};

/// What runs when the template names no `shell`.
pub const DEFAULT_SHELL: &str = "/bin/sh";

/// One container a shell may open in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShellChoice {
    pub(crate) task_arn: String,
    pub(crate) container: String,
    /// The container's lastStatus (RUNNING, PENDING, STOPPED).
    pub(crate) status: String,
    /// Why a shell cannot open in it now; None when it can.
    pub(crate) not_ready: Option<NotReady>,
}

impl ShellChoice {
    pub(crate) fn ready(&self) -> bool {
        self.not_ready.is_none()
    }

    /// What the picker says of it, in a few words.
    pub(crate) fn readiness(&self) -> String {
        self.not_ready
            .as_ref()
            .map_or(READY_BRIEF.to_string(), NotReady::brief)
    }

    /// Why a shell cannot open here, said as what to do about it.
    fn refusal(&self, label: &str) -> Option<String> {
        let container = &self.container;
        self.not_ready
            .as_ref()
            .map(|why| format!("no shell in {container} of {label}: {why}"))
    }
}

/// The container picker, when the instance has several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShellPicker {
    /// How messages name the instance.
    pub(crate) label: String,
    pub(crate) choices: Vec<ShellChoice>,
    pub(crate) cursor: usize,
    /// The template's `shell`, or the default.
    pub(crate) command: String,
}

impl ShellPicker {
    /// `command` is what the keymap makes of `key`. Enter opens the shell at the cursor.
    pub(crate) fn key(&mut self, key: Key, command: Option<Command>) -> Outcome<usize> {
        choose_row(&mut self.cursor, self.choices.len(), key, command)
    }
}

/// The shell asked for, from the request until it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShellSession {
    pub(crate) req: RequestId,
    /// `api in checkout-fix`
    pub(crate) title: String,
    /// The terminal is the shell's.
    pub(crate) attached: bool,
}

/// Every container of the instance's tasks, in task then definition order.
fn choices(
    instance: &Instance,
    definitions: &BTreeMap<String, TaskDefinition>,
) -> Vec<ShellChoice> {
    instance
        .tasks
        .iter()
        .flat_map(|task| {
            task.containers
                .iter()
                .map(move |container| choice(task, container, definitions))
        })
        .collect()
}

/// One container, judged by the one readiness rule.
fn choice(
    task: &Task,
    container: &Container,
    definitions: &BTreeMap<String, TaskDefinition>,
) -> ShellChoice {
    ShellChoice {
        task_arn: task.task_arn.clone(),
        container: container.name.clone(),
        status: container.last_status.clone(),
        not_ready: readiness(task, container, definitions.get(&task.task_definition_arn)).err(),
    }
}

impl AppState {
    /// `s` on the selected instance.
    pub(super) fn shell_selected(&mut self, effects: &mut Vec<Effect>) {
        if let Some(session) = &self.shell {
            let title = session.title.clone();
            self.info(format!("a shell in {title} is already opening"));
            return;
        }
        let Some(instance) = self.selected_instance() else {
            self.info("nothing selected to open a shell in");
            return;
        };
        let label = self.label(&instance.id());
        if !instance.is_owned_by(&self.profile.owner) {
            let owner = instance.owner.clone();
            self.error(
                format!(
                    "{label} belongs to {owner}; the dashboard opens shells only in your own \
                     instances"
                ),
                false,
            );
            return;
        }
        // A container chosen in the detail pane is the one meant: no picker.
        let chosen_here = self
            .chosen_container(instance)
            .map(|(task, container)| choice(task, container, &self.definitions));
        let choices = choices(instance, &self.definitions);
        let template = self.profile.templates.get(&instance.template);
        let command = template
            .and_then(|template| template.shell.clone())
            .unwrap_or_else(|| DEFAULT_SHELL.to_string());
        let preferred = template.and_then(|template| template.exec_container.as_deref());
        let chosen = match preferred {
            Some(name) => choices.iter().position(|choice| choice.container == name),
            None if choices.len() == 1 => Some(0),
            None => None,
        };
        if let Some(here) = chosen_here {
            return self.open_shell(&label, &here, command, effects);
        }
        match chosen {
            _ if choices.is_empty() => {
                self.info(format!("{label} has no containers yet to open a shell in"))
            }
            Some(index) => self.open_shell(&label, &choices[index], command, effects),
            None => {
                let cursor = choices.iter().position(ShellChoice::ready).unwrap_or(0);
                self.mode = Mode::Shell(ShellPicker {
                    label,
                    choices,
                    cursor,
                    command,
                });
            }
        }
    }

    pub(super) fn shell_picked(
        &mut self,
        picker: ShellPicker,
        index: usize,
        effects: &mut Vec<Effect>,
    ) {
        if let Some(choice) = picker.choices.get(index) {
            self.open_shell(&picker.label, choice, picker.command.clone(), effects);
        }
    }

    fn open_shell(
        &mut self,
        label: &str,
        choice: &ShellChoice,
        command: String,
        effects: &mut Vec<Effect>,
    ) {
        if let Some(refusal) = choice.refusal(label) {
            self.error(refusal, false);
            return;
        }
        let req = self.poller.issue_id();
        let title = format!("{} in {label}", choice.container);
        self.info(format!("opening a shell in {title}…"));
        self.shell = Some(ShellSession {
            req,
            title,
            attached: false,
        });
        effects.push(Effect::OpenShell {
            req,
            task_arn: choice.task_arn.clone(),
            container: choice.container.clone(),
            command,
        });
    }

    /// ExecuteCommand answered: hand the terminal to the session, or say why not.
    pub(super) fn shell_granted(
        &mut self,
        req: RequestId,
        result: Result<SessionGrant, String>,
        effects: &mut Vec<Effect>,
    ) {
        let Some(session) = self.shell.as_mut().filter(|session| session.req == req) else {
            return;
        };
        self.dirty = true;
        match result {
            Ok(grant) => {
                session.attached = true;
                let title = session.title.clone();
                effects.push(Effect::AttachShell { req, title, grant });
            }
            Err(error) => {
                let title = session.title.clone();
                self.shell = None;
                self.error(format!("cannot open a shell in {title}: {error}"), false);
            }
        }
    }

    /// The terminal is back: `Ok(code)` when the shell ended (with its exit code where the
    /// protocol gives one), `Err` when the session failed.
    pub(super) fn shell_ended(&mut self, req: RequestId, result: Result<Option<i32>, String>) {
        let Some(session) = self.shell.take_if(|session| session.req == req) else {
            return;
        };
        self.dirty = true;
        let title = session.title;
        match result {
            Ok(Some(code)) => self.info(format!("shell in {title} ended (exit code {code})")),
            Ok(None) => self.info(format!("shell in {title} ended")),
            Err(error) => self.error(format!("the shell in {title} ended: {error}"), false),
        }
    }
}

#[cfg(test)]
mod tests;
