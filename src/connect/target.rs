//! Which container of an instance a shell or forward opens in, and whether it can: the
//! readiness rules with errors that say what to do.

use ondeck_core::config::Template;
use ondeck_core::instances::Instance;
use ondeck_core::logs::sanitize::printable;
use ondeck_core::model::{Container, Task, TaskState};

/// A container ready for a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) task_arn: String,
    pub(crate) container: String,
    pub(crate) runtime_id: Option<String>,
}

/// `wanted` (`-c`), else the template's `exec_container`, else the only container; several
/// without a choice is refused with their names.
pub(crate) fn choose(
    instance: &Instance,
    template: Option<&Template>,
    wanted: Option<&str>,
) -> Result<Target, String> {
    let name = printable(&instance.name);
    let live: Vec<&Task> = instance
        .tasks
        .iter()
        .filter(|task| task.last_status != TaskState::Stopped)
        .collect();
    let containers: Vec<(&Task, &Container)> = live
        .iter()
        .flat_map(|task| task.containers.iter().map(move |c| (*task, c)))
        .collect();
    let names = || {
        containers
            .iter()
            .map(|(_, c)| printable(&c.name).into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if containers.is_empty() {
        return Err(format!("instance {name} has no running task to connect to"));
    }
    let chosen = wanted.or(template.and_then(|t| t.exec_container.as_deref()));
    let (task, container) = match chosen {
        Some(wanted) => *containers
            .iter()
            .find(|(_, c)| c.name == wanted)
            .ok_or_else(|| {
                format!(
                    "instance {name} has no container `{}`; containers: {}",
                    printable(wanted),
                    names()
                )
            })?,
        None if containers.len() == 1 => containers[0],
        None => {
            return Err(format!(
                "instance {name} has several containers; choose one with -c: {}",
                names()
            ));
        }
    };
    ready(&name, task, container)?;
    Ok(Target {
        task_arn: task.task_arn.clone(),
        container: container.name.clone(),
        runtime_id: container.runtime_id.clone(),
    })
}

/// Exec needs the task launched with it and the container's agent running.
fn ready(instance: &str, task: &Task, container: &Container) -> Result<(), String> {
    let container_name = printable(&container.name);
    if !task.exec_enabled {
        return Err(format!(
            "instance {instance} was launched without ECS Exec, so no shell or forward can open; \
             relaunch with exec (set `exec = true` in its template, and give the task definition \
             a task role with the ssmmessages:* actions, see assets/task-role-policy.json)"
        ));
    }
    if task.last_status != TaskState::Running {
        return Err(format!(
            "instance {instance} is {} and not running yet; wait for it, then try again",
            task.last_status
        ));
    }
    match container.exec_agent.as_deref() {
        Some("RUNNING") => Ok(()),
        Some(state @ ("PENDING" | "ACTIVATING")) => Err(format!(
            "the exec agent of {container_name} is {state}, not running yet; wait a few seconds and try again"
        )),
        Some(state) => Err(format!(
            "the exec agent of {container_name} is {}; a shell cannot open — relaunch the instance \
             (the task role needs the ssmmessages:* actions, see assets/task-role-policy.json)",
            printable(state)
        )),
        None => Err(format!(
            "container {container_name} has no exec agent; relaunch with exec"
        )),
    }
}

#[cfg(test)]
mod tests;
