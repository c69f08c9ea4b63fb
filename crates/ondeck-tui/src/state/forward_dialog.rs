//! The forward dialog: pick one of the instance's container ports (from its task
//! definitions' port mappings) and, optionally, the local port to listen on.

use std::collections::BTreeMap;

use super::Outcome;
use super::input::LineInput;
use super::keymap::{Key, KeyCode};
use ondeck_core::instances::Instance;
use ondeck_core::model::{TaskDefinition, TaskState};
use ondeck_core::ops::connect::{NotReady, readiness};

/// One port of one container of a live task: something a forward can reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PortChoice {
    pub(crate) task_arn: String,
    pub(crate) container: String,
    /// ECS's id of the running container; absent until the container has started.
    pub(crate) runtime_id: Option<String>,
    /// Why a forward cannot open to it now; None when it can.
    pub(crate) not_ready: Option<NotReady>,
    pub(crate) port: u16,
}

/// What the dialog asks for when confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ForwardChoice {
    pub(crate) port: PortChoice,
    /// 0: any free port.
    pub(crate) local_port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ForwardDialog {
    pub(crate) choices: Vec<PortChoice>,
    pub(crate) cursor: usize,
    /// Empty: a free port.
    pub(crate) local: LineInput,
    /// Why the last confirm was not accepted.
    pub(crate) error: Option<String>,
}

/// The container ports of the instance's live tasks, the preferred container's first.
pub(crate) fn port_choices(
    instance: &Instance,
    definitions: &BTreeMap<String, TaskDefinition>,
    preferred: Option<&str>,
) -> Vec<PortChoice> {
    let mut choices = Vec::new();
    for task in &instance.tasks {
        if task.last_status == TaskState::Stopped {
            continue;
        }
        let Some(definition) = definitions.get(&task.task_definition_arn) else {
            continue;
        };
        for container in &definition.containers {
            let running = task.containers.iter().find(|c| c.name == container.name);
            for port in &container.container_ports {
                choices.push(PortChoice {
                    task_arn: task.task_arn.clone(),
                    container: container.name.clone(),
                    runtime_id: running.and_then(|c| c.runtime_id.clone()),
                    not_ready: match running {
                        Some(running) => readiness(task, running, Some(definition)).err(),
                        None => Some(NotReady::ContainerNotStarted {
                            container: container.name.clone(),
                        }),
                    },
                    port: *port,
                });
            }
        }
    }
    // Stable: the definition's order is kept within each group.
    choices.sort_by_key(|choice| Some(choice.container.as_str()) != preferred);
    choices
}

impl ForwardDialog {
    pub(crate) fn new(choices: Vec<PortChoice>) -> ForwardDialog {
        ForwardDialog {
            choices,
            cursor: 0,
            local: LineInput::new(),
            error: None,
        }
    }

    /// Up and down pick the port, typing edits the local port, enter forwards.
    pub(crate) fn key(&mut self, key: Key) -> Outcome<ForwardChoice> {
        let last = self.choices.len().saturating_sub(1);
        match key.code {
            KeyCode::Esc => return Outcome::Cancelled,
            KeyCode::Up => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Down => self.cursor = (self.cursor + 1).min(last),
            KeyCode::Enter => {
                return match self.choice() {
                    Ok(choice) => Outcome::Done(choice),
                    Err(why) => {
                        self.error = Some(why);
                        Outcome::Open
                    }
                };
            }
            _ => {
                self.local.key(key);
            }
        }
        Outcome::Open
    }

    pub(crate) fn paste(&mut self, text: &str) {
        self.local.paste(text);
    }

    fn choice(&self) -> Result<ForwardChoice, String> {
        let port = self
            .choices
            .get(self.cursor)
            .ok_or("no container port to forward")?
            .clone();
        let text = self.local.text().trim();
        let local_port = if text.is_empty() {
            0
        } else {
            text.parse::<u16>().map_err(|_| {
                format!("local port `{text}` is not a port: type 1–65535, or leave it empty for a free one")
            })?
        };
        ready(&port)?;
        Ok(ForwardChoice { port, local_port })
    }
}

/// Whether a forward to this container can open now; the error says what to do if not.
pub(crate) fn ready(port: &PortChoice) -> Result<(), String> {
    match &port.not_ready {
        None => Ok(()),
        Some(why) => Err(format!("no forward to {}: {why}", port.container)),
    }
}

#[cfg(test)]
mod tests;
