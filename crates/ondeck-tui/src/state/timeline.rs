//! The timeline journal: every state change ondeck saw or ECS timestamped, per task, and the
//! events ECS wrote about the services of service-backed instances.
//!
//! ECS forgets stopped tasks after about an hour, so the journal is the memory; the runtime
//! persists it as JSON lines. Pure: no I/O here.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use ondeck_core::instances::Instance;
use ondeck_core::model::TaskState;

/// What happened to a task, or to a service.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum TimelineEvent {
    /// ondeck saw the task with this last status (first sighting or a change).
    Observed(TaskState),
    /// ondeck saw desired status turn STOPPED.
    StopRequested,
    /// One of ECS's own timestamps (`createdAt`, `startedAt` …).
    Ecs(String),
    /// One of a service's events as DescribeServices gives it: ECS's id (it comes back on
    /// every call until newer events push it out) and its message, raw from AWS.
    Service {
        service: String,
        id: String,
        message: String,
    },
}

impl TimelineEvent {
    /// The event in words, unsanitized: a service's message comes from AWS.
    pub fn describe(&self) -> String {
        match self {
            TimelineEvent::Observed(state) => format!("seen {state}"),
            TimelineEvent::StopRequested => "stop requested".to_string(),
            TimelineEvent::Ecs(name) => format!("ECS {name}"),
            TimelineEvent::Service {
                service, message, ..
            } => {
                // ECS starts each message with `(service NAME) `; the name leads here anyway.
                let prefix = format!("(service {service}) ");
                let told = message.strip_prefix(&prefix).unwrap_or(message);
                format!("{service}: {told}")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub instance: String,
    /// The task's ARN; for a service's event, the service's.
    pub task_arn: String,
    /// The task definition `family:revision`, so a line reads without the ARN.
    pub task_definition: String,
    pub event: TimelineEvent,
}

impl TimelineEntry {
    pub(crate) fn task_id(&self) -> &str {
        self.task_arn.rsplit('/').next().unwrap_or(&self.task_arn)
    }

    fn identity(&self) -> (String, TimelineEvent, DateTime<Utc>) {
        (self.task_arn.clone(), self.event.clone(), self.at)
    }
}

/// What ondeck last saw of one task, to diff the next snapshot against.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LastSeen {
    status: TaskState,
    stop_requested: bool,
}

/// The journal: capped to the newest entries, deduplicated, in time order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    entries: Vec<TimelineEntry>,
    seen: BTreeSet<(String, TimelineEvent, DateTime<Utc>)>,
    last_seen: BTreeMap<String, LastSeen>,
    cap: usize,
}

impl Journal {
    pub const DEFAULT_CAP: usize = 5_000;

    pub fn new(cap: usize) -> Journal {
        Journal {
            entries: Vec::new(),
            seen: BTreeSet::new(),
            last_seen: BTreeMap::new(),
            cap: cap.max(1),
        }
    }

    /// A journal rebuilt from persisted entries (the newest `cap` of them are kept).
    pub fn from_entries(entries: impl IntoIterator<Item = TimelineEntry>, cap: usize) -> Journal {
        let mut journal = Journal::new(cap);
        for entry in entries {
            journal.insert(entry);
        }
        journal
    }

    pub fn entries(&self) -> &[TimelineEntry] {
        &self.entries
    }

    /// Record what a snapshot shows; returns only the entries that are new (to append to disk).
    pub fn observe(&mut self, instances: &[Instance], now: DateTime<Utc>) -> Vec<TimelineEntry> {
        let mut added = Vec::new();
        for instance in instances {
            for task in &instance.tasks {
                let entry = |at: DateTime<Utc>, event: TimelineEvent| TimelineEntry {
                    at,
                    instance: instance.name.clone(),
                    task_arn: task.task_arn.clone(),
                    task_definition: task.task_definition().to_string(),
                    event,
                };
                let before = self.last_seen.get(&task.task_arn).cloned();
                if before.as_ref().map(|seen| &seen.status) != Some(&task.last_status) {
                    added.push(entry(
                        now,
                        TimelineEvent::Observed(task.last_status.clone()),
                    ));
                }
                let stop_requested = task.desired_status == "STOPPED";
                if stop_requested && !before.is_some_and(|seen| seen.stop_requested) {
                    added.push(entry(now, TimelineEvent::StopRequested));
                }
                for (name, at) in task.times.named() {
                    if let Some(at) = at {
                        added.push(entry(at, TimelineEvent::Ecs(name.to_string())));
                    }
                }
            }
            for service in &instance.services {
                for event in &service.events {
                    added.push(TimelineEntry {
                        at: event.created_at,
                        instance: instance.name.clone(),
                        task_arn: service.arn.clone(),
                        task_definition: task_definition_of(&service.task_definition_arn)
                            .to_string(),
                        event: TimelineEvent::Service {
                            service: service.name.clone(),
                            id: event.id.clone(),
                            message: event.message.clone(),
                        },
                    });
                }
            }
        }
        added.retain(|entry| self.insert(entry.clone()));
        added
    }

    /// Adds an entry unless it is already known, or older than everything a full journal
    /// keeps (so an evicted ECS timestamp does not come back); true when it was new.
    fn insert(&mut self, entry: TimelineEntry) -> bool {
        let full = self.entries.len() >= self.cap;
        if full
            && self
                .entries
                .first()
                .is_some_and(|oldest| entry.at < oldest.at)
        {
            return false;
        }
        if !self.seen.insert(entry.identity()) {
            return false;
        }
        match &entry.event {
            TimelineEvent::Observed(state) => {
                self.last_seen_of(&entry.task_arn).status = state.clone();
            }
            TimelineEvent::StopRequested => {
                self.last_seen_of(&entry.task_arn).stop_requested = true
            }
            TimelineEvent::Ecs(_) | TimelineEvent::Service { .. } => {}
        }
        // Kept in time order, so the cap drops the oldest and timelines read in order.
        let at = self.entries.partition_point(|kept| kept.at <= entry.at);
        self.entries.insert(at, entry);
        if self.entries.len() > self.cap {
            let oldest = self.entries.remove(0);
            self.seen.remove(&oldest.identity());
        }
        true
    }

    fn last_seen_of(&mut self, task_arn: &str) -> &mut LastSeen {
        self.last_seen
            .entry(task_arn.to_string())
            .or_insert_with(|| LastSeen {
                status: TaskState::Unknown(String::new()),
                stop_requested: false,
            })
    }

    /// One instance's timeline, oldest first: observations, ECS timestamps and service events
    /// merged. By its tasks and services, not its name: a name reused after a destroy has a
    /// history of its own. A service made again under its old name has its old ARN too, so
    /// only events from its creation on are its own.
    pub(crate) fn for_instance(&self, instance: &Instance) -> Vec<&TimelineEntry> {
        let tasks: BTreeSet<&str> = instance
            .tasks
            .iter()
            .map(|task| task.task_arn.as_str())
            .collect();
        let is_of_instance = |entry: &TimelineEntry| match entry.event {
            TimelineEvent::Service { .. } => instance.services.iter().any(|service| {
                service.arn == entry.task_arn
                    && service.created_at.is_none_or(|created| entry.at >= created)
            }),
            _ => tasks.contains(entry.task_arn.as_str()),
        };
        let mut entries: Vec<&TimelineEntry> = self
            .entries
            .iter()
            .filter(|entry| is_of_instance(entry))
            .collect();
        entries.sort_by(|a, b| {
            a.at.cmp(&b.at)
                .then_with(|| a.task_arn.cmp(&b.task_arn))
                .then_with(|| a.event.cmp(&b.event))
        });
        entries
    }
}

/// `family:revision` of a task definition ARN, as [`ondeck_core::model::Task::task_definition`]
/// gives it for a task.
fn task_definition_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

impl Default for Journal {
    fn default() -> Journal {
        Journal::new(Journal::DEFAULT_CAP)
    }
}

#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;

#[cfg(test)]
mod tests;
