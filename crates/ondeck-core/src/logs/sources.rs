//! Which CloudWatch streams hold an instance's container logs, from the task definitions'
//! awslogs options: stream `<prefix>/<container>/<task-id>` in the configured group.

use std::collections::BTreeMap;

use super::sanitize::printable;
use crate::instances::Instance;
use crate::model::{LogStreamRef, Task, TaskDefinition};
use crate::tail::TailSource;

/// The instance's log streams, one per container with the awslogs driver, and a one-line
/// explanation for every container whose lines ondeck cannot read. Labels and explanations
/// are for display: names from the task definitions in them are sanitized.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSources {
    pub sources: Vec<TailSource>,
    /// Display names by source index: the container name, with the task id when two tasks
    /// run a container of the same name.
    pub labels: Vec<String>,
    pub unreadable: Vec<String>,
}

/// The start of a task's id that tells it from the instance's other tasks in the log pane
/// (`api@3f9a1c`, the marker where a service replaced its task), cleaned for display.
pub fn short_task_id(task: &Task) -> String {
    let id: String = task.task_id().chars().take(6).collect();
    printable(&id).into_owned()
}

pub fn log_sources(
    instance: &Instance,
    definitions: &BTreeMap<String, TaskDefinition>,
) -> LogSources {
    let mut found = LogSources::default();
    let mut seen_names: BTreeMap<String, usize> = BTreeMap::new();
    for task in &instance.tasks {
        let Some(definition) = definitions.get(&task.task_definition_arn) else {
            found.unreadable.push(format!(
                "task {}: its task definition could not be described",
                printable(task.task_id())
            ));
            continue;
        };
        for container in &definition.containers {
            *seen_names.entry(container.name.clone()).or_default() += 1;
        }
    }
    for task in &instance.tasks {
        let Some(definition) = definitions.get(&task.task_definition_arn) else {
            continue;
        };
        for container in &definition.containers {
            let log = container.log.as_ref();
            let awslogs = log.filter(|log| log.driver == "awslogs");
            let (Some(group), Some(prefix)) = (
                awslogs.and_then(|log| log.group.clone()),
                awslogs.and_then(|log| log.stream_prefix.clone()),
            ) else {
                let why = match log {
                    Some(log) if log.driver != "awslogs" => format!(
                        "uses the {} log driver; ondeck reads awslogs streams only",
                        log.driver
                    ),
                    Some(_) => "has awslogs without a group or stream prefix".to_string(),
                    None => "has no log configuration".to_string(),
                };
                found.unreadable.push(format!(
                    "container {} {}",
                    printable(&container.name),
                    printable(&why)
                ));
                continue;
            };
            let name = printable(&container.name);
            let label = if seen_names.get(&container.name).copied().unwrap_or(0) > 1 {
                format!("{name}@{}", short_task_id(task))
            } else {
                name.into_owned()
            };
            found.sources.push(TailSource {
                index: found.sources.len() as u16,
                container: container.name.clone(),
                stream: LogStreamRef {
                    group,
                    stream: format!("{prefix}/{}/{}", container.name, task.task_id()),
                },
                creates_group: awslogs.is_some_and(|log| log.create_group),
            });
            found.labels.push(label);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instances::group;
    use crate::model::{ContainerDefinition, LogConfig, TaskState, TaskTimes};

    fn container(name: &str, driver: &str) -> ContainerDefinition {
        ContainerDefinition {
            name: name.into(),
            essential: true,
            container_ports: vec![],
            cpu: None,
            memory: None,
            log: Some(LogConfig {
                driver: driver.into(),
                group: Some("/ecs/app".into()),
                region: None,
                stream_prefix: Some("ecs".into()),
                create_group: false,
            }),
        }
    }

    /// The log sources of a one-task instance whose task definition has `containers`.
    fn sources_of(containers: Vec<ContainerDefinition>) -> LogSources {
        let task = Task {
            exec_enabled: false,
            group: None,
            env_overrides: Default::default(),
            task_arn: "arn:aws:ecs:us-east-1:1:task/c/abc123def".into(),
            task_definition_arn: "arn:td/app:1".into(),
            last_status: TaskState::Running,
            desired_status: "RUNNING".into(),
            stop_code: None,
            stopped_reason: None,
            started_by: None,
            containers: vec![],
            tags: BTreeMap::from([("ondeck:instance".into(), "i".into())]),
            cpu: None,
            memory: None,
            private_ip: None,
            capacity_provider: None,
            times: TaskTimes::default(),
        };
        let definition = TaskDefinition {
            task_role_arn: None,
            arn: "arn:td/app:1".into(),
            family: "app".into(),
            revision: 1,
            cpu: None,
            memory: None,
            cpu_architecture: None,
            containers,
        };
        let instance = group(vec![task], vec![]).remove(0);
        log_sources(
            &instance,
            &BTreeMap::from([(definition.arn.clone(), definition)]),
        )
    }

    #[test]
    fn awslogs_containers_become_streams_and_others_are_explained() {
        let mut creates_its_group = container("api", "awslogs");
        if let Some(log) = creates_its_group.log.as_mut() {
            log.create_group = true;
        }
        let found = sources_of(vec![
            container("web", "awslogs"),
            container("router", "awsfirelens"),
            creates_its_group,
        ]);
        assert_eq!(found.sources.len(), 2);
        assert_eq!(found.sources[0].stream.stream, "ecs/web/abc123def");
        assert_eq!(found.sources[0].stream.group, "/ecs/app");
        assert!(!found.sources[0].creates_group);
        assert!(
            found.sources[1].creates_group,
            "awslogs-create-group is kept"
        );
        assert_eq!(found.labels, vec!["web", "api"]);
        assert_eq!(found.unreadable.len(), 1);
        assert!(found.unreadable[0].contains("awsfirelens"));
    }

    #[test]
    fn names_from_the_task_definition_are_shown_cleaned_and_kept_for_the_streams() {
        let hostile = "web\x1b]52;c;ZXZpbA==\x07\u{202e}";
        let found = sources_of(vec![
            container(hostile, "awslogs"),
            container("side\u{200b}car", "\x1b[2Jsplunk"),
        ]);
        assert_eq!(found.labels, vec!["web<U+202E>"]);
        assert_eq!(
            found.unreadable,
            vec![
                "container side<U+200B>car uses the splunk log driver; ondeck reads awslogs streams only"
            ]
        );
        // The stream is named by the container as ECS knows it.
        assert_eq!(found.sources[0].container, hostile);
        assert_eq!(
            found.sources[0].stream.stream,
            format!("ecs/{hostile}/abc123def")
        );
    }
}
