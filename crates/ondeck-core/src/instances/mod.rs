//! Domain rules: how tasks make instances, who owns them, and the one-word instance state.

pub mod cost;
pub mod expiry;
pub mod identity;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Service, Task, TaskState, tags};
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

/// A task's stop in a few words: the first essential exit (`exit 137: OutOfMemoryError`),
/// else ECS's stop reason.
pub fn stop_summary(task: &Task) -> String {
    let exited = task
        .containers
        .iter()
        .find(|container| container.exit_code.is_some_and(|code| code != 0));
    let reason = task.stopped_reason.as_deref().unwrap_or("stopped");
    match exited {
        Some(container) => {
            let code = container.exit_code.unwrap_or_default();
            let why = container.reason.as_deref().unwrap_or(reason);
            // ECS writes "OutOfMemoryError: Container killed due to memory usage".
            let why = why.split(':').next().unwrap_or(why).trim();
            format!("exit {code}: {why}")
        }
        None => reason.to_string(),
    }
}

/// ECS service names: letters, digits, hyphens and underscores, at most 255.
const SERVICE_NAME_CHARS: usize = 255;

/// The service of one task definition of an instance: `ondeck-<owner>-<instance>-<family>`,
/// other characters as `-`, cut to ECS's 255.
pub fn service_name(owner: &str, instance: &str, family: &str) -> String {
    format!("{}{instance}-{family}", service_name_prefix(owner))
        .chars()
        .take(SERVICE_NAME_CHARS)
        .collect()
}

/// How the name of every service of `owner` starts: `ondeck-ana-`.
pub fn service_name_prefix(owner: &str) -> String {
    format!("ondeck-{owner}-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `web` of `arn:…:task-definition/web:3` (or of `web:3`).
pub fn family_of(task_definition: &str) -> &str {
    let tail = task_definition
        .rsplit('/')
        .next()
        .unwrap_or(task_definition);
    tail.rsplit_once(':').map_or(tail, |(family, _)| family)
}

/// A stop that somebody asked for (ondeck's destroy, any StopTask by a user, or a service
/// scaled in: a pause). ECS also says ServiceSchedulerInitiated when it replaces a task that
/// failed its health checks: that one is a crash.
pub fn stop_was_requested(task: &Task) -> bool {
    let reason = task.stopped_reason.as_deref().unwrap_or("");
    let scaled_in = task.stop_code.as_deref() == Some("ServiceSchedulerInitiated")
        && reason.starts_with("Scaling activity");
    task.stop_code.as_deref() == Some("UserInitiated") || scaled_in || reason.starts_with("ondeck")
}

/// The instance's state from its services and tasks. See README "Instance states".
pub fn instance_state(tasks: &[Task], services: &[Service]) -> InstanceState {
    if services.is_empty() {
        task_backed_state(tasks)
    } else {
        service_backed_state(tasks, services)
    }
}

/// A service-backed instance: ECS replaces a task that stops, so a crash is RESTARTING, not
/// FAILED, unless the deployment circuit breaker gave up.
fn service_backed_state(tasks: &[Task], services: &[Service]) -> InstanceState {
    let alive: Vec<&Task> = tasks
        .iter()
        .filter(|task| task.last_status != TaskState::Stopped)
        .collect();
    let slowest_alive = || {
        alive
            .iter()
            .map(|task| task.last_status.clone())
            .min_by_key(TaskState::rank)
    };
    let winding_down = || match slowest_alive() {
        Some(state) if state.rank() >= TaskState::Deactivating.rank() => {
            InstanceState::Lifecycle(state)
        }
        Some(_) => InstanceState::Lifecycle(TaskState::Deactivating),
        None => InstanceState::Lifecycle(TaskState::Stopped),
    };
    if !services.iter().any(Service::is_active) {
        return winding_down();
    }
    if services.iter().all(|service| service.desired_count == 0) {
        return if alive.is_empty() {
            InstanceState::Paused
        } else {
            winding_down()
        };
    }
    let short: Vec<&Service> = services
        .iter()
        .filter(|service| {
            let running = tasks
                .iter()
                .filter(|task| {
                    task.service() == Some(&service.name)
                        && task.last_status == TaskState::Running
                        && task.desired_status != "STOPPED"
                })
                .count();
            (running as i32) < service.desired_count
        })
        .collect();
    if short.is_empty() {
        // Running as wanted, whatever an earlier deployment's rollout said.
        return InstanceState::Lifecycle(TaskState::Running);
    }
    if short.iter().any(|service| service.rollout_failed.is_some()) {
        return InstanceState::Failed;
    }
    let crashed = short.iter().any(|service| {
        tasks.iter().any(|task| {
            task.service() == Some(&service.name)
                && task.desired_status == "STOPPED"
                && !stop_was_requested(task)
        })
    });
    if crashed {
        return InstanceState::Restarting;
    }
    let starting = alive
        .iter()
        .filter(|task| task.desired_status != "STOPPED")
        .map(|task| task.last_status.clone())
        .min_by_key(TaskState::rank);
    InstanceState::Lifecycle(starting.unwrap_or(TaskState::Provisioning))
}

fn task_backed_state(tasks: &[Task]) -> InstanceState {
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
mod tests {
    use super::*;
    use crate::model::TaskTimes;

    fn task(instance: &str, last: TaskState, desired: &str) -> Task {
        Task {
            exec_enabled: false,
            group: None,
            env_overrides: Default::default(),
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
            instance_state(&tasks, &[]),
            InstanceState::Lifecycle(TaskState::Pending)
        );
    }

    #[test]
    fn unrequested_stop_is_failed_or_degraded() {
        let mut crashed = task("a", TaskState::Stopped, "STOPPED");
        crashed.stop_code = Some("EssentialContainerExited".into());
        assert_eq!(
            instance_state(std::slice::from_ref(&crashed), &[]),
            InstanceState::Failed
        );
        let running = task("a", TaskState::Running, "RUNNING");
        assert_eq!(
            instance_state(&[crashed, running], &[]),
            InstanceState::Degraded
        );
    }

    #[test]
    fn destroy_walks_through_the_stop_sequence() {
        let mut stopping = task("a", TaskState::Deprovisioning, "STOPPED");
        stopping.stop_code = Some("UserInitiated".into());
        let mut stopped = task("a", TaskState::Stopped, "STOPPED");
        stopped.stopped_reason = Some("ondeck: destroyed by ana".into());
        assert_eq!(
            instance_state(&[stopping, stopped], &[]),
            InstanceState::Lifecycle(TaskState::Deprovisioning)
        );
    }

    #[test]
    fn tasks_group_by_owner_and_instance_tag() {
        let mut untagged = task("x", TaskState::Running, "RUNNING");
        untagged.tags.clear();
        let instances = group(
            vec![
                task("a", TaskState::Running, "RUNNING"),
                task("b", TaskState::Running, "RUNNING"),
                task("a", TaskState::Pending, "RUNNING"),
                untagged,
            ],
            vec![],
        );
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
        let instances = group(vec![old, new], vec![]);
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
        let instances = group(vec![mine, theirs], vec![]);
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
        let instance = group(vec![task], vec![]).remove(0);
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

    const SERVICE: &str = "ondeck-ana-jobs-worker";

    fn service(desired: i32) -> Service {
        Service {
            arn: format!("arn:aws:ecs:us-east-1:1:service/c/{SERVICE}"),
            name: SERVICE.into(),
            status: "ACTIVE".into(),
            task_definition_arn: "arn:aws:ecs:us-east-1:1:task-definition/worker:2".into(),
            desired_count: desired,
            running_count: 0,
            pending_count: 0,
            tags: BTreeMap::from([
                (tags::INSTANCE.to_string(), "jobs".to_string()),
                (tags::OWNER.to_string(), "ana".to_string()),
                (tags::LAUNCH_TOKEN.to_string(), "feed-0".to_string()),
            ]),
            created_at: None,
            rollout_failed: None,
            events: vec![],
        }
    }

    /// A task the service started: started by ecs-svc, tagged like the service.
    fn service_task(id: &str, last: TaskState, desired: &str) -> Task {
        let mut task = task("jobs", last, desired);
        task.task_arn = format!("arn:aws:ecs:us-east-1:1:task/c/{id}");
        task.started_by = Some("ecs-svc/123".into());
        task.group = Some(format!("service:{SERVICE}"));
        task.tags = service(1).tags;
        task
    }

    fn crashed(id: &str) -> Task {
        let mut task = service_task(id, TaskState::Stopped, "STOPPED");
        task.stop_code = Some("EssentialContainerExited".into());
        task.stopped_reason = Some("Essential container in task exited".into());
        task.containers = vec![crate::model::Container {
            name: "worker".into(),
            last_status: "STOPPED".into(),
            exit_code: Some(137),
            health: None,
            reason: Some("OutOfMemoryError: Container killed due to memory usage".into()),
            runtime_id: None,
            exec_agent: None,
        }];
        task
    }

    #[test]
    fn a_service_backed_instance_restarts_instead_of_failing() {
        let running = service_task("a1", TaskState::Running, "RUNNING");
        assert_eq!(
            instance_state(std::slice::from_ref(&running), &[service(1)]),
            InstanceState::Lifecycle(TaskState::Running)
        );
        // Its task died; the service has not started the next one yet.
        let dead = crashed("a1");
        assert_eq!(
            instance_state(std::slice::from_ref(&dead), &[service(1)]),
            InstanceState::Restarting
        );
        let next = service_task("b2", TaskState::Pending, "RUNNING");
        assert_eq!(
            instance_state(&[dead.clone(), next], &[service(1)]),
            InstanceState::Restarting
        );
        // The replacement runs: the dead task is history.
        let next = service_task("b2", TaskState::Running, "RUNNING");
        assert_eq!(
            instance_state(&[dead.clone(), next], &[service(1)]),
            InstanceState::Lifecycle(TaskState::Running)
        );
        let next = service_task("c3", TaskState::Running, "RUNNING");
        let healed = group(vec![dead.clone(), next], vec![service(1)]).remove(0);
        assert_eq!(
            (healed.tasks_running(), healed.tasks_expected()),
            (1, 1),
            "a replaced task is history, not a second task"
        );
        let instance = group(vec![dead], vec![service(1)]).remove(0);
        assert_eq!(
            (instance.tasks_running(), instance.tasks_expected()),
            (0, 1)
        );
        let (task, why) = instance.last_crash().unwrap();
        assert_eq!(task.task_id(), "a1");
        assert_eq!(why, "exit 137: OutOfMemoryError");
    }

    #[test]
    fn a_service_scaled_to_zero_is_paused_once_its_tasks_are_down() {
        let mut scaled_in = service_task("a1", TaskState::Deactivating, "STOPPED");
        scaled_in.stop_code = Some("ServiceSchedulerInitiated".into());
        scaled_in.stopped_reason = Some("Scaling activity initiated by (deployment 1)".into());
        assert_eq!(
            instance_state(std::slice::from_ref(&scaled_in), &[service(0)]),
            InstanceState::Lifecycle(TaskState::Deactivating)
        );
        scaled_in.last_status = TaskState::Stopped;
        assert_eq!(
            instance_state(std::slice::from_ref(&scaled_in), &[service(0)]),
            InstanceState::Paused
        );
        assert_eq!(instance_state(&[], &[service(0)]), InstanceState::Paused);
        // Resumed: the scale-in was asked for, so the wait is a start, not a restart.
        assert_eq!(
            instance_state(&[scaled_in], &[service(1)]),
            InstanceState::Lifecycle(TaskState::Provisioning)
        );
        let mut paused = service(0);
        paused
            .tags
            .insert(tags::PAUSED_AT.into(), "2026-12-03T18:00:00Z".into());
        let instance = group(vec![], vec![paused]).remove(0);
        assert!(instance.is_wanted(), "a paused instance keeps its name");
        assert_eq!(
            instance.paused_since().map(|at| at.to_rfc3339()),
            Some("2026-12-03T18:00:00+00:00".to_string())
        );
    }

    #[test]
    fn a_task_replaced_for_failing_its_health_checks_is_a_crash() {
        let mut unhealthy = service_task("a1", TaskState::Stopped, "STOPPED");
        unhealthy.stop_code = Some("ServiceSchedulerInitiated".into());
        unhealthy.stopped_reason = Some("Task failed container health checks".into());
        assert_eq!(
            instance_state(std::slice::from_ref(&unhealthy), &[service(1)]),
            InstanceState::Restarting
        );
        let instance = group(vec![unhealthy], vec![service(1)]).remove(0);
        assert_eq!(
            instance.last_crash().map(|(_, why)| why).as_deref(),
            Some("Task failed container health checks")
        );
    }

    #[test]
    fn a_given_up_deployment_is_failed_and_a_deleted_service_is_stopped() {
        let mut broken = service(1);
        broken.rollout_failed = Some("tasks failed to start".into());
        assert_eq!(
            instance_state(&[], &[broken.clone()]),
            InstanceState::Failed
        );
        // Running as wanted again (a resume): the old rollout's word no longer holds.
        let running = service_task("b2", TaskState::Running, "RUNNING");
        assert_eq!(
            instance_state(
                std::slice::from_ref(&running),
                std::slice::from_ref(&broken)
            ),
            InstanceState::Lifecycle(TaskState::Running)
        );
        // Paused or deleted, it is paused or going, not failed.
        broken.desired_count = 0;
        assert_eq!(
            instance_state(&[], std::slice::from_ref(&broken)),
            InstanceState::Paused
        );
        broken.status = "DRAINING".into();
        assert_eq!(
            instance_state(&[], &[broken]),
            InstanceState::Lifecycle(TaskState::Stopped)
        );
        let mut deleted = service(0);
        deleted.status = "DRAINING".into();
        let stopping = service_task("a1", TaskState::Stopping, "STOPPED");
        assert_eq!(
            instance_state(
                std::slice::from_ref(&stopping),
                std::slice::from_ref(&deleted)
            ),
            InstanceState::Lifecycle(TaskState::Stopping)
        );
        deleted.status = "INACTIVE".into();
        let instance = group(vec![], vec![deleted]).remove(0);
        assert_eq!(instance.state, InstanceState::Lifecycle(TaskState::Stopped));
        assert!(!instance.is_wanted());
    }

    #[test]
    fn a_services_tasks_are_its_owners_when_the_service_is_named_for_them() {
        let instance = group(
            vec![service_task("a1", TaskState::Running, "RUNNING")],
            vec![service(1)],
        )
        .remove(0);
        assert_eq!(instance.tasks.len(), 1);
        assert!(instance.is_owned_by("ana"), "{:?}", instance.disputed_by());
        // A service tagged as ana's but named for bob is nobody's for sure.
        let mut odd = service(1);
        odd.name = "ondeck-bob-jobs-worker".into();
        let instance = group(vec![], vec![odd]).remove(0);
        assert_eq!(instance.disputed_by(), Some("ondeck-bob-jobs-worker"));
        assert!(!instance.is_owned_by("ana"));
    }

    #[test]
    fn service_names_follow_ecs_rules() {
        assert_eq!(service_name("ana", "jobs", "worker"), SERVICE);
        assert_eq!(
            service_name("team/ana", "jobs", "w"),
            "ondeck-team-ana-jobs-w"
        );
        let long = service_name(&"o".repeat(120), &"n".repeat(48), &"f".repeat(255));
        assert_eq!(long.len(), 255);
        assert_eq!(
            family_of("arn:aws:ecs:r:1:task-definition/worker:2"),
            "worker"
        );
        assert_eq!(family_of("worker:2"), "worker");
    }
}
