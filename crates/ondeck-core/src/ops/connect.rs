//! ECS Exec, which shells and port forwards ride on: what a launch needs for it
//! ([`check_exec_at_launch`]) and whether a container can take a session right now
//! ([`readiness`]). One rule each for `ondeck launch`, `exec`, `forward`, the dashboard and
//! `doctor`, judged from what ECS said, before anything is asked of it.

use std::fmt;

use crate::config::Template;
use crate::logs::sanitize::printable;
use crate::model::{Container, Task, TaskDefinition, TaskState};

const TASK_ROLE: &str = "a task role with the ssmmessages:* actions, see \
                         assets/task-role-policy.json";

/// Whether a task of `definition` launches with ECS Exec: the template's `exec`, else on when
/// the definition has a task role (ECS Exec cannot open a channel without one).
pub fn launches_with_exec(template: &Template, definition: &TaskDefinition) -> bool {
    template.exec.unwrap_or(definition.task_role_arn.is_some())
}

/// Why shells and forwards will not work in an instance launched from a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecWarning {
    /// The definition has no task role. `asked`: the template sets `exec = true` (the agent
    /// will not run); otherwise the instance launches without exec.
    NoTaskRole {
        template: String,
        definition: String,
        asked: bool,
    },
    /// `exec_container` names a container none of the definitions has.
    UnknownExecContainer {
        template: String,
        container: String,
        known: Vec<String>,
    },
}

impl fmt::Display for ExecWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecWarning::NoTaskRole {
                template,
                definition,
                asked: true,
            } => write!(
                f,
                "template `{template}` sets `exec = true`, but task definition {} has no task \
                 role: its exec agent will not run, so no shell or forward will open; ECS Exec \
                 needs {TASK_ROLE} (initProcessEnabled is advised too)",
                printable(definition)
            ),
            ExecWarning::NoTaskRole {
                template,
                definition,
                asked: false,
            } => write!(
                f,
                "task definition {} has no task role, so `{template}` launches without ECS Exec \
                 and no shell or forward will open; for them register it with {TASK_ROLE} \
                 (initProcessEnabled is advised too), or set `exec = false` in the template to \
                 launch without exec quietly",
                printable(definition)
            ),
            ExecWarning::UnknownExecContainer {
                template,
                container,
                known,
            } => write!(
                f,
                "template `{template}` sets `exec_container = \"{container}\"`, but its task \
                 definitions have no such container; containers: {}",
                printable(&known.join(", "))
            ),
        }
    }
}

/// What keeps ECS Exec from working in an instance of `template`, whose task definitions are
/// `definitions`: said before RunTask by `launch` and by `doctor`. `exec = false` asks for none.
pub fn check_exec_at_launch(
    template: &Template,
    definitions: &[TaskDefinition],
) -> Vec<ExecWarning> {
    if template.exec == Some(false) {
        return Vec::new();
    }
    let mut warnings: Vec<ExecWarning> = definitions
        .iter()
        .filter(|definition| definition.task_role_arn.is_none())
        .map(|definition| ExecWarning::NoTaskRole {
            template: template.name.clone(),
            definition: format!("{}:{}", definition.family, definition.revision),
            asked: template.exec == Some(true),
        })
        .collect();
    if let Some(container) = &template.exec_container {
        let known: Vec<String> = definitions
            .iter()
            .flat_map(|definition| definition.containers.iter().map(|c| c.name.clone()))
            .collect();
        if !known.contains(container) {
            warnings.push(ExecWarning::UnknownExecContainer {
                template: template.name.clone(),
                container: container.clone(),
                known,
            });
        }
    }
    warnings
}

/// Why no session can open in a container now; each says what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// PROVISIONING, PENDING, ACTIVATING: it will run soon.
    TaskStarting(TaskState),
    /// Stopping or stopped: nothing will run again.
    TaskEnded(TaskState),
    /// Launched without `enableExecuteCommand`.
    ExecNotEnabled,
    /// ECS Exec needs a task role and the task definition has none.
    NoTaskRole { definition: String },
    /// The agent is PENDING or ACTIVATING, or has not been reported yet (None).
    AgentStarting {
        container: String,
        state: Option<String>,
    },
    /// STOPPED or any other state an agent does not come back from.
    AgentStopped { container: String, state: String },
    /// The agent runs but ECS has not named the running container yet (its runtime id).
    ContainerNotStarted { container: String },
}

impl fmt::Display for NotReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotReady::TaskStarting(state) => write!(
                f,
                "the task is {state}, not running yet: wait until it is RUNNING, then try again"
            ),
            NotReady::TaskEnded(state) => write!(
                f,
                "the task is {state}: nothing runs in it any more; launch a new instance"
            ),
            NotReady::ExecNotEnabled => write!(
                f,
                "the task was launched without ECS Exec: relaunch with exec (`exec = true` in \
                 the template, and {TASK_ROLE})"
            ),
            NotReady::NoTaskRole { definition } => write!(
                f,
                "task definition {} has no task role, and ECS Exec needs one: register it with \
                 {TASK_ROLE}, then relaunch",
                printable(definition)
            ),
            NotReady::AgentStarting { container, state } => write!(
                f,
                "the exec agent of {} is {}, not RUNNING yet: wait a few seconds (the detail \
                 pane shows its state), then try again",
                printable(container),
                state
                    .as_deref()
                    .map_or("not reported yet".into(), printable)
            ),
            NotReady::AgentStopped { container, state } => write!(
                f,
                "the exec agent of {} is {}: no session can open; relaunch the instance, and \
                 check that the task has {TASK_ROLE} and a route to the ssmmessages endpoint",
                printable(container),
                printable(state)
            ),
            NotReady::ContainerNotStarted { container } => write!(
                f,
                "{} has not started yet: wait for it, then try again",
                printable(container)
            ),
        }
    }
}

impl std::error::Error for NotReady {}

impl NotReady {
    /// A few words for a list of containers ("agent PENDING", "exec not enabled").
    pub fn brief(&self) -> String {
        match self {
            NotReady::ExecNotEnabled => "exec not enabled".into(),
            NotReady::NoTaskRole { .. } => "no task role".into(),
            NotReady::TaskStarting(state) | NotReady::TaskEnded(state) => format!("task {state}"),
            NotReady::AgentStarting { state: None, .. } => "agent not reported yet".into(),
            NotReady::AgentStarting {
                state: Some(state), ..
            }
            | NotReady::AgentStopped { state, .. } => format!("agent {}", printable(state)),
            NotReady::ContainerNotStarted { .. } => "not started".into(),
        }
    }
}

/// What a list of containers says of one that is ready.
pub const READY_BRIEF: &str = "agent RUNNING";

/// Whether `container` of `task` can take a shell or a forward now. `definition`, when known,
/// lets a missing task role be named as the cause of an agent that stopped.
pub fn readiness(
    task: &Task,
    container: &Container,
    definition: Option<&TaskDefinition>,
) -> Result<(), NotReady> {
    let state = &task.last_status;
    if matches!(
        state,
        TaskState::Deactivating
            | TaskState::Stopping
            | TaskState::Deprovisioning
            | TaskState::Stopped
    ) {
        return Err(NotReady::TaskEnded(state.clone()));
    }
    if !task.exec_enabled {
        return Err(NotReady::ExecNotEnabled);
    }
    if *state != TaskState::Running {
        return Err(NotReady::TaskStarting(state.clone()));
    }
    let name = || container.name.clone();
    match container.exec_agent.as_deref() {
        Some("RUNNING") => {}
        agent @ (None | Some("PENDING" | "ACTIVATING")) => {
            return Err(NotReady::AgentStarting {
                container: name(),
                state: agent.map(str::to_string),
            });
        }
        Some(other) => {
            let roleless = definition.filter(|definition| definition.task_role_arn.is_none());
            return Err(match roleless {
                // Without a task role the agent cannot reach Session Manager: that is the cause.
                Some(definition) => NotReady::NoTaskRole {
                    definition: format!("{}:{}", definition.family, definition.revision),
                },
                None => NotReady::AgentStopped {
                    container: name(),
                    state: other.to_string(),
                },
            });
        }
    }
    if container.runtime_id.is_none() {
        return Err(NotReady::ContainerNotStarted { container: name() });
    }
    Ok(())
}

/// The session's command could not start: the container has no such program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoShell {
    /// The program, as the agent or runtime named it, else as asked for (when known).
    pub program: Option<String>,
}

/// How the agent ("fork/exec P: no such file or directory") and the container runtime
/// (`exec: "P": executable file not found in $PATH`) say a program is missing.
const MISSING_SIGNS: [&str; 3] = [
    "no such file or directory",
    "executable file not found",
    "Unable to start command",
];

/// How much of a session's first output is looked at.
pub const NO_SHELL_WINDOW: usize = 4096;

impl NoShell {
    /// Whether a session that ended by itself failed for want of its program. `said`: the
    /// start of its output and the agent's closing words; `typed`: whether any key went to
    /// it (a shell the user ended with `exit 127` had its program). Exit codes 126 and 127
    /// are the shell's "cannot execute" and "not found".
    pub fn detect(
        command: Option<&str>,
        said: &str,
        exit_code: Option<i32>,
        typed: bool,
    ) -> Option<NoShell> {
        if typed {
            return None;
        }
        let signs = MISSING_SIGNS.iter().any(|sign| said.contains(sign));
        if !signs && !matches!(exit_code, Some(126 | 127)) {
            return None;
        }
        let named = said
            .split_once("fork/exec ")
            .and_then(|(_, rest)| rest.split_once(':'))
            .map(|(program, _)| program)
            .or_else(|| {
                said.split_once("exec: \"")
                    .and_then(|(_, rest)| rest.split_once('"'))
                    .map(|(program, _)| program)
            });
        let program = named.or_else(|| command.and_then(|c| c.split_whitespace().next()));
        Some(NoShell {
            program: program.map(|program| printable(program).into_owned()),
        })
    }
}

impl fmt::Display for NoShell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the container has no {}; set `shell = \"...\"` in the template (a shell the image \
             has, e.g. /bin/bash or /busybox/sh) or use `-- COMMAND`",
            self.program.as_deref().unwrap_or("such program")
        )
    }
}

impl std::error::Error for NoShell {}

#[cfg(test)]
mod tests;
