//! Domain rules: how tasks make instances, who owns them, and the one-word instance state.

pub mod cost;
pub mod expiry;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Task, TaskState, tags};

/// The `startedBy` value for an owner's tasks. ListTasks filters on it exactly.
pub fn owner_key(owner: &str) -> String {
    let key = format!("ondeck/{owner}");
    key.chars().take(128).collect()
}

/// Characters ECS accepts in `startedBy` (after the `ondeck/` prefix).
pub fn is_valid_owner(owner: &str) -> bool {
    !owner.is_empty()
        && owner.len() <= 120
        && owner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/'))
}

/// The login name made safe for `startedBy`: `john.doe` → `john-doe`.
pub fn owner_from_login(login: &str) -> String {
    let cleaned: String = login
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(120)
        .collect();
    if cleaned.is_empty() {
        "unknown".to_string()
    } else {
        cleaned
    }
}

/// The state of an instance in one word.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InstanceState {
    /// Every task agrees on this lifecycle word (or the slowest task is here).
    Lifecycle(TaskState),
    /// Some tasks stopped while others still run.
    Degraded,
    /// Tasks stopped that nobody asked to stop.
    Failed,
}

impl InstanceState {
    pub fn as_str(&self) -> &str {
        match self {
            InstanceState::Lifecycle(state) => state.as_str(),
            InstanceState::Degraded => "DEGRADED",
            InstanceState::Failed => "FAILED",
        }
    }

    pub fn is_transitional(&self) -> bool {
        matches!(self, InstanceState::Lifecycle(state) if state.is_transitional())
    }

    /// Gone for good: nothing runs and nothing will.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            InstanceState::Lifecycle(TaskState::Stopped) | InstanceState::Failed
        )
    }
}

impl fmt::Display for InstanceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for InstanceState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One private copy of the application: the tasks that share an instance tag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instance {
    pub name: String,
    pub owner: String,
    pub template: String,
    pub state: InstanceState,
    pub created_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub private_ips: Vec<String>,
    pub tasks: Vec<Task>,
}

impl Instance {
    pub fn tasks_running(&self) -> usize {
        self.tasks
            .iter()
            .filter(|task| task.last_status == TaskState::Running)
            .count()
    }

    /// (healthy or running-without-health-check, total) over every container.
    pub fn containers_ready(&self) -> (usize, usize) {
        let mut ready = 0;
        let mut total = 0;
        for container in self.tasks.iter().flat_map(|task| &task.containers) {
            total += 1;
            let healthy = match container.health.as_deref() {
                Some("HEALTHY") => true,
                Some("UNHEALTHY") => false,
                _ => container.last_status == "RUNNING",
            };
            if healthy {
                ready += 1;
            }
        }
        (ready, total)
    }

    pub fn is_owned_by(&self, owner: &str) -> bool {
        self.owner == owner
    }
}

/// A stop that somebody asked for (ondeck's destroy, or any StopTask by a user).
pub fn stop_was_requested(task: &Task) -> bool {
    task.stop_code.as_deref() == Some("UserInitiated")
        || task
            .stopped_reason
            .as_deref()
            .is_some_and(|reason| reason.starts_with("ondeck"))
}

/// The instance's state from its tasks' states. See README "Instance states".
pub fn instance_state(tasks: &[Task]) -> InstanceState {
    let stopped_unasked = tasks.iter().any(|task| {
        task.desired_status == "STOPPED"
            && task.last_status.rank() >= 4
            && !stop_was_requested(task)
    });
    let alive = tasks
        .iter()
        .filter(|task| task.desired_status != "STOPPED")
        .count();
    let stopped = tasks
        .iter()
        .filter(|task| task.last_status == TaskState::Stopped)
        .count();
    if stopped_unasked {
        return if alive > 0 {
            InstanceState::Degraded
        } else {
            InstanceState::Failed
        };
    }
    if stopped > 0 && alive > 0 {
        return InstanceState::Degraded;
    }
    // Everyone agrees, or report the slowest task: a launch is RUNNING only when all are.
    let slowest = tasks
        .iter()
        .map(|task| &task.last_status)
        .min_by_key(|state| state.rank());
    match slowest {
        Some(state) => InstanceState::Lifecycle(state.clone()),
        None => InstanceState::Lifecycle(TaskState::Stopped),
    }
}

/// Group tasks into instances by the instance tag. Tasks without the tag are not ondeck's.
/// Sorted by creation time, newest first, then by name.
pub fn group(tasks: Vec<Task>) -> Vec<Instance> {
    let mut by_name: BTreeMap<(String, String), Vec<Task>> = BTreeMap::new();
    for task in tasks {
        let Some(name) = task.tag(tags::INSTANCE).map(str::to_string) else {
            continue;
        };
        let owner = task.tag(tags::OWNER).unwrap_or("").to_string();
        by_name.entry((owner, name)).or_default().push(task);
    }
    let mut instances: Vec<Instance> = by_name
        .into_iter()
        .map(|((owner, name), mut tasks)| {
            tasks.sort_by(|a, b| a.task_definition().cmp(b.task_definition()));
            let first_tag = |key: &str| {
                tasks
                    .iter()
                    .find_map(|task| task.tag(key).map(str::to_string))
            };
            let template = first_tag(tags::TEMPLATE).unwrap_or_default();
            let expires_at = first_tag(tags::EXPIRES_AT)
                .and_then(|value| DateTime::parse_from_rfc3339(&value).ok())
                .map(|at| at.with_timezone(&Utc));
            let created_at = tasks.iter().filter_map(|task| task.times.created_at).min();
            let private_ips = tasks
                .iter()
                .filter_map(|task| task.private_ip.clone())
                .collect();
            Instance {
                state: instance_state(&tasks),
                name,
                owner,
                template,
                created_at,
                expires_at,
                private_ips,
                tasks,
            }
        })
        .collect();
    instances.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.name.cmp(&b.name))
    });
    instances
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TaskTimes;

    fn task(instance: &str, last: TaskState, desired: &str) -> Task {
        Task {
            task_arn: format!(
                "arn:aws:ecs:us-east-1:1:task/c/{instance}-{}",
                last.as_str()
            ),
            task_definition_arn: "arn:aws:ecs:us-east-1:1:task-definition/web:1".into(),
            last_status: last,
            desired_status: desired.into(),
            stop_code: None,
            stopped_reason: None,
            started_by: Some("ondeck/ana".into()),
            containers: vec![],
            tags: BTreeMap::from([
                (tags::INSTANCE.to_string(), instance.to_string()),
                (tags::OWNER.to_string(), "ana".to_string()),
            ]),
            cpu: None,
            memory: None,
            private_ip: None,
            capacity_provider: None,
            times: TaskTimes::default(),
        }
    }

    #[test]
    fn slowest_task_names_the_instance_state() {
        let tasks = vec![
            task("a", TaskState::Running, "RUNNING"),
            task("a", TaskState::Pending, "RUNNING"),
        ];
        assert_eq!(
            instance_state(&tasks),
            InstanceState::Lifecycle(TaskState::Pending)
        );
    }

    #[test]
    fn unrequested_stop_is_failed_or_degraded() {
        let mut crashed = task("a", TaskState::Stopped, "STOPPED");
        crashed.stop_code = Some("EssentialContainerExited".into());
        assert_eq!(
            instance_state(std::slice::from_ref(&crashed)),
            InstanceState::Failed
        );
        let running = task("a", TaskState::Running, "RUNNING");
        assert_eq!(instance_state(&[crashed, running]), InstanceState::Degraded);
    }

    #[test]
    fn destroy_walks_through_the_stop_sequence() {
        let mut stopping = task("a", TaskState::Deprovisioning, "STOPPED");
        stopping.stop_code = Some("UserInitiated".into());
        let mut stopped = task("a", TaskState::Stopped, "STOPPED");
        stopped.stopped_reason = Some("ondeck: destroyed by ana".into());
        assert_eq!(
            instance_state(&[stopping, stopped]),
            InstanceState::Lifecycle(TaskState::Deprovisioning)
        );
    }

    #[test]
    fn tasks_group_by_owner_and_instance_tag() {
        let mut untagged = task("x", TaskState::Running, "RUNNING");
        untagged.tags.clear();
        let instances = group(vec![
            task("a", TaskState::Running, "RUNNING"),
            task("b", TaskState::Running, "RUNNING"),
            task("a", TaskState::Pending, "RUNNING"),
            untagged,
        ]);
        let names: Vec<_> = instances
            .iter()
            .map(|i| (i.name.as_str(), i.tasks.len()))
            .collect();
        assert_eq!(names, vec![("a", 2), ("b", 1)]);
    }

    #[test]
    fn login_names_become_valid_owners() {
        assert_eq!(owner_from_login("john.doe"), "john-doe");
        assert!(is_valid_owner(&owner_from_login("john.doe")));
        assert!(!is_valid_owner("john doe"));
        assert!(!is_valid_owner(""));
    }
}
