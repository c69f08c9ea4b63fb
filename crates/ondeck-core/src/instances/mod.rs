//! Domain rules: how tasks make instances, who owns them, and the one-word instance state.

pub mod cost;
pub mod expiry;
pub mod identity;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Task, TaskState, tags};
use identity::{InstanceId, launch_of};

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

/// One private copy of the application: the tasks of one launch (same owner, instance and
/// launch-token tags).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instance {
    pub name: String,
    /// Whose the owner tag says it is; see [`Instance::is_owned_by`] for whose it is.
    pub owner: String,
    /// The launch token (see [`identity::InstanceId::launch`]).
    pub launch: String,
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

    pub fn id(&self) -> InstanceId {
        InstanceId {
            owner: self.owner.clone(),
            name: self.name.clone(),
            launch: self.launch.clone(),
        }
    }

    /// This is the instance `id` names.
    pub fn is(&self, id: &InstanceId) -> bool {
        self.name == id.name && self.owner == id.owner && self.launch == id.launch
    }

    /// Mine only when the owner tag and every task's `startedBy` agree: a task started under
    /// one owner's key but tagged with another's is nobody's to touch without `--all-owners`.
    pub fn is_owned_by(&self, owner: &str) -> bool {
        self.owner == owner && self.disputed_by().is_none()
    }

    /// The `startedBy` of a task that disagrees with the owner tag, if any.
    pub fn disputed_by(&self) -> Option<&str> {
        let key = owner_key(&self.owner);
        self.tasks
            .iter()
            .find(|task| task.started_by.as_deref() != Some(key.as_str()))
            .map(|task| task.started_by.as_deref().unwrap_or("nobody"))
    }

    /// Why acting on this instance is acting on someone else's (`None`: it is `me`'s).
    pub fn foreign_note(&self, me: &str) -> Option<String> {
        if let Some(started_by) = self.disputed_by() {
            return Some(format!(
                "it is tagged as {}'s but was started by {started_by}, so it is nobody's for sure",
                self.owner
            ));
        }
        (self.owner != me).then(|| format!("it belongs to {}, not to you ({me})", self.owner))
    }

    /// When it stopped for good: its last task's stop as ECS dated it. `None` while something
    /// still runs or is on its way down, or when ECS gave no time.
    pub fn ended_at(&self) -> Option<DateTime<Utc>> {
        if !self.state.is_final() {
            return None;
        }
        self.tasks
            .iter()
            .filter_map(|task| {
                let times = &task.times;
                times
                    .stopped_at
                    .or(times.execution_stopped_at)
                    .or(times.stopping_at)
            })
            .max()
    }

    /// Some task is still meant to run: not destroyed, not stopped for good.
    pub fn is_wanted(&self) -> bool {
        self.tasks
            .iter()
            .any(|task| task.desired_status != "STOPPED")
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

/// Group tasks into instances by owner, instance tag and launch: tasks of different launches
/// are different instances even under one name. Tasks without the instance tag are not
/// ondeck's. Sorted by creation time, newest first, then by identity.
pub fn group(tasks: Vec<Task>) -> Vec<Instance> {
    let mut by_id: BTreeMap<InstanceId, Vec<Task>> = BTreeMap::new();
    for task in tasks {
        let Some(name) = task.tag(tags::INSTANCE).map(str::to_string) else {
            continue;
        };
        let id = InstanceId {
            owner: task.tag(tags::OWNER).unwrap_or("").to_string(),
            name,
            launch: launch_of(&task).to_string(),
        };
        by_id.entry(id).or_default().push(task);
    }
    let mut instances: Vec<Instance> = by_id
        .into_iter()
        .map(
            |(
                InstanceId {
                    owner,
                    name,
                    launch,
                },
                mut tasks,
            )| {
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
                    launch,
                    template,
                    created_at,
                    expires_at,
                    private_ips,
                    tasks,
                }
            },
        )
        .collect();
    instances.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.owner.cmp(&b.owner))
            .then_with(|| a.launch.cmp(&b.launch))
    });
    instances
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TaskTimes;

    fn task(instance: &str, last: TaskState, desired: &str) -> Task {
        Task {
            exec_enabled: false,
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

    fn launched(instance: &str, token: &str, last: TaskState, desired: &str) -> Task {
        let mut task = task(instance, last, desired);
        task.task_arn.push_str(token);
        task.tags
            .insert(tags::LAUNCH_TOKEN.to_string(), format!("{token}-0"));
        task
    }

    #[test]
    fn a_name_reused_after_destroy_is_a_new_instance() {
        let mut old = launched("one", "aaaa", TaskState::Stopped, "STOPPED");
        old.stop_code = Some("UserInitiated".into());
        old.stopped_reason = Some("ondeck: destroyed by ana".into());
        let new = launched("one", "bbbb", TaskState::Running, "RUNNING");
        let instances = group(vec![old, new]);
        let found: Vec<_> = instances
            .iter()
            .map(|i| (i.launch.as_str(), i.state.as_str(), i.tasks.len()))
            .collect();
        assert_eq!(found, vec![("aaaa", "STOPPED", 1), ("bbbb", "RUNNING", 1)]);
        assert!(instances[1].is(&instances[1].id()));
        assert!(!instances[0].is(&instances[1].id()));
    }

    #[test]
    fn one_name_of_two_owners_is_two_instances() {
        let mine = task("one", TaskState::Running, "RUNNING");
        let mut theirs = task("one", TaskState::Running, "RUNNING");
        theirs.started_by = Some("ondeck/bob".into());
        theirs.tags.insert(tags::OWNER.into(), "bob".into());
        let instances = group(vec![mine, theirs]);
        let owners: Vec<_> = instances.iter().map(|i| i.id().to_string()).collect();
        assert_eq!(owners, vec!["ana/one", "bob/one"]);
        assert!(instances[0].is_owned_by("ana") && !instances[0].is_owned_by("bob"));
        assert!(instances[1].is_owned_by("bob") && !instances[1].is_owned_by("ana"));
        assert_eq!(instances[0].foreign_note("ana"), None);
        assert_eq!(
            instances[1].foreign_note("ana").as_deref(),
            Some("it belongs to bob, not to you (ana)")
        );
    }

    #[test]
    fn started_by_and_the_owner_tag_must_agree() {
        // Started under ana's key, tagged as bob's: neither's.
        let mut task = task("odd", TaskState::Running, "RUNNING");
        task.tags.insert(tags::OWNER.into(), "bob".into());
        let instance = group(vec![task]).remove(0);
        assert_eq!(instance.owner, "bob");
        assert!(!instance.is_owned_by("bob"));
        assert!(!instance.is_owned_by("ana"));
        let note = instance.foreign_note("bob").unwrap();
        assert!(note.contains("started by ondeck/ana"), "{note}");
        assert!(instance.foreign_note("ana").is_some());
    }

    #[test]
    fn login_names_become_valid_owners() {
        assert_eq!(owner_from_login("john.doe"), "john-doe");
        assert!(is_valid_owner(&owner_from_login("john.doe")));
        assert!(!is_valid_owner("john doe"));
        assert!(!is_valid_owner(""));
    }
}
