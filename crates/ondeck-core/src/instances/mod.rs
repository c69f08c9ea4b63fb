//! Domain rules: how tasks make instances, who owns them, and the one-word instance state.

pub mod cost;
pub mod expiry;
pub mod identity;
mod state;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Service, Task, TaskState, tags};
use identity::{InstanceId, launch_of};
pub use identity::{family_of, service_name, service_name_prefix};
pub use state::{instance_state, stop_summary, stop_was_requested};

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
    /// Tasks stopped that nobody asked to stop; for a service, ECS's deployment circuit
    /// breaker gave up.
    Failed,
    /// A service's task stopped and the service is starting its replacement.
    Restarting,
    /// Every service scaled to zero: nothing runs, nothing is paid for.
    Paused,
}

impl InstanceState {
    pub fn as_str(&self) -> &str {
        match self {
            InstanceState::Lifecycle(state) => state.as_str(),
            InstanceState::Degraded => "DEGRADED",
            InstanceState::Failed => "FAILED",
            InstanceState::Restarting => "RESTARTING",
            InstanceState::Paused => "PAUSED",
        }
    }

    pub fn is_transitional(&self) -> bool {
        match self {
            InstanceState::Lifecycle(state) => state.is_transitional(),
            InstanceState::Restarting => true,
            InstanceState::Degraded | InstanceState::Failed | InstanceState::Paused => false,
        }
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
    /// The services of a service-backed instance (`kind = "service"`); none for task-backed.
    pub services: Vec<Service>,
}

impl Instance {
    /// The tasks its counts are about: every task of a task-backed instance; of a service-backed
    /// one those still meant to run (the ones a service replaced are history).
    fn counted_tasks(&self) -> impl Iterator<Item = &Task> {
        let service_backed = self.is_service_backed();
        self.tasks
            .iter()
            .filter(move |task| !service_backed || task.desired_status != "STOPPED")
    }

    pub fn tasks_running(&self) -> usize {
        self.counted_tasks()
            .filter(|task| task.last_status == TaskState::Running)
            .count()
    }

    /// How many tasks it should have: one per task definition launched, or what its services
    /// want (0 while paused).
    pub fn tasks_expected(&self) -> usize {
        if self.is_service_backed() {
            self.services
                .iter()
                .filter(|service| service.is_active())
                .map(|service| service.desired_count.max(0) as usize)
                .sum()
        } else {
            self.tasks.len()
        }
    }

    /// (healthy or running-without-health-check, total) over every counted container.
    pub fn containers_ready(&self) -> (usize, usize) {
        let mut ready = 0;
        let mut total = 0;
        for container in self.counted_tasks().flat_map(|task| &task.containers) {
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

    /// Who disagrees with the owner tag, if anyone: the `startedBy` of a task, or a service
    /// not named for its owner. A service's tasks are started by the service (`ecs-svc/…`), so
    /// for them the service's name is what must agree.
    pub fn disputed_by(&self) -> Option<&str> {
        let key = owner_key(&self.owner);
        let task = self.tasks.iter().find(|task| {
            let by_service = task
                .service()
                .and_then(|name| self.services.iter().find(|service| service.name == name));
            match by_service {
                Some(service) => !self.service_agrees(service),
                None => task.started_by.as_deref() != Some(key.as_str()),
            }
        });
        if let Some(task) = task {
            return Some(match task.service() {
                Some(service) => service,
                None => task.started_by.as_deref().unwrap_or("nobody"),
            });
        }
        self.services
            .iter()
            .find(|service| !self.service_agrees(service))
            .map(|service| service.name.as_str())
    }

    fn service_agrees(&self, service: &Service) -> bool {
        let family = family_of(&service.task_definition_arn);
        service.name == service_name(&self.owner, &self.name, family)
    }

    pub fn is_service_backed(&self) -> bool {
        !self.services.is_empty()
    }

    /// Since when every service has been scaled to zero (the pause tag), while paused.
    pub fn paused_since(&self) -> Option<DateTime<Utc>> {
        if self.state != InstanceState::Paused {
            return None;
        }
        self.services
            .iter()
            .filter_map(|service| service.tag(tags::PAUSED_AT))
            .filter_map(|value| DateTime::parse_from_rfc3339(value).ok())
            .map(|at| at.with_timezone(&Utc))
            .max()
    }

    /// Why the newest task that nobody asked to stop stopped: `exit 137: OutOfMemoryError`.
    pub fn last_crash(&self) -> Option<(&Task, String)> {
        self.tasks
            .iter()
            .filter(|task| task.desired_status == "STOPPED" && !stop_was_requested(task))
            .max_by_key(|task| task.times.stopped_at.or(task.times.stopping_at))
            .map(|task| (task, stop_summary(task)))
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

    /// Some task is still meant to run, or a service is kept (paused ones too): not
    /// destroyed, not stopped for good.
    pub fn is_wanted(&self) -> bool {
        self.tasks
            .iter()
            .any(|task| task.desired_status != "STOPPED")
            || self.services.iter().any(Service::is_active)
    }
}

/// Group tasks and services into instances by owner, instance tag and launch: those of
/// different launches are different instances even under one name (a service's tasks carry
/// its tags). Those without the instance tag are not ondeck's. Sorted by creation time,
/// newest first, then by identity.
pub fn group(tasks: Vec<Task>, services: Vec<Service>) -> Vec<Instance> {
    let id_of = |tags: &BTreeMap<String, String>| {
        Some(InstanceId {
            owner: tags.get(tags::OWNER).cloned().unwrap_or_default(),
            name: tags.get(tags::INSTANCE)?.clone(),
            launch: launch_of(tags.get(tags::LAUNCH_TOKEN).map(String::as_str)).to_string(),
        })
    };
    let mut by_id: BTreeMap<InstanceId, (Vec<Task>, Vec<Service>)> = BTreeMap::new();
    for task in tasks {
        if let Some(id) = id_of(&task.tags) {
            by_id.entry(id).or_default().0.push(task);
        }
    }
    for service in services {
        if let Some(id) = id_of(&service.tags) {
            by_id.entry(id).or_default().1.push(service);
        }
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
                (mut tasks, mut services),
            )| {
                tasks.sort_by(|a, b| a.task_definition().cmp(b.task_definition()));
                services.sort_by(|a, b| a.name.cmp(&b.name));
                // A service's tags can be changed after launch (extend), its tasks' cannot.
                let first_tag = |key: &str| {
                    services
                        .iter()
                        .find_map(|service| service.tag(key).map(str::to_string))
                        .or_else(|| {
                            tasks
                                .iter()
                                .find_map(|task| task.tag(key).map(str::to_string))
                        })
                };
                let template = first_tag(tags::TEMPLATE).unwrap_or_default();
                let expires_at = first_tag(tags::EXPIRES_AT)
                    .and_then(|value| DateTime::parse_from_rfc3339(&value).ok())
                    .map(|at| at.with_timezone(&Utc));
                let created_at = tasks
                    .iter()
                    .filter_map(|task| task.times.created_at)
                    .chain(services.iter().filter_map(|service| service.created_at))
                    .min();
                let private_ips = tasks
                    .iter()
                    .filter_map(|task| task.private_ip.clone())
                    .collect();
                Instance {
                    state: instance_state(&tasks, &services),
                    name,
                    owner,
                    launch,
                    template,
                    created_at,
                    expires_at,
                    private_ips,
                    tasks,
                    services,
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
mod tests;
