//! Which container of an instance a shell or forward opens in, and whether it can (the
//! readiness rule of `ondeck_core::ops::connect`).

use std::collections::BTreeMap;

use ondeck_core::config::Template;
use ondeck_core::instances::Instance;
use ondeck_core::logs::sanitize::printable;
use ondeck_core::model::{Container, Task, TaskDefinition, TaskState};
use ondeck_core::ops::connect::readiness;

/// A container ready for a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) task_arn: String,
    pub(crate) container: String,
    /// ECS's id of the running container (readiness requires one).
    pub(crate) runtime_id: String,
}

/// `wanted` (`-c`), else the template's `exec_container`, else the only container; several
/// without a choice is refused with their names.
pub(crate) fn choose(
    instance: &Instance,
    definitions: &BTreeMap<String, TaskDefinition>,
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
    readiness(task, container, definitions.get(&task.task_definition_arn)).map_err(|why| {
        format!(
            "cannot connect to {} of {name}: {why}",
            printable(&container.name)
        )
    })?;
    Ok(Target {
        task_arn: task.task_arn.clone(),
        container: container.name.clone(),
        runtime_id: container.runtime_id.clone().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests;
