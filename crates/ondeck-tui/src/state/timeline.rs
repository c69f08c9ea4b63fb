//! The timeline journal: every state change ondeck saw or ECS timestamped, per task.
//!
//! ECS forgets stopped tasks after about an hour, so the journal is the memory; the runtime
//! persists it as JSON lines. Pure: no I/O here.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use ondeck_core::instances::Instance;
use ondeck_core::model::TaskState;

/// What happened to a task.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum TimelineEvent {
    /// ondeck saw the task with this last status (first sighting or a change).
    Observed(TaskState),
    /// ondeck saw desired status turn STOPPED.
    StopRequested,
    /// One of ECS's own timestamps (`createdAt`, `startedAt` …).
    Ecs(String),
}

impl TimelineEvent {
    pub fn describe(&self) -> String {
        match self {
            TimelineEvent::Observed(state) => format!("seen {state}"),
            TimelineEvent::StopRequested => "stop requested".to_string(),
            TimelineEvent::Ecs(name) => format!("ECS {name}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub instance: String,
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
        let last = self
            .last_seen
            .entry(entry.task_arn.clone())
            .or_insert_with(|| LastSeen {
                status: TaskState::Unknown(String::new()),
                stop_requested: false,
            });
        match &entry.event {
            TimelineEvent::Observed(state) => last.status = state.clone(),
            TimelineEvent::StopRequested => last.stop_requested = true,
            TimelineEvent::Ecs(_) => {}
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

    /// One instance's timeline, oldest first: observations and ECS timestamps merged. By its
    /// tasks, not its name: a name reused after a destroy has a history of its own.
    pub(crate) fn for_instance(&self, instance: &Instance) -> Vec<&TimelineEntry> {
        let tasks: BTreeSet<&str> = instance
            .tasks
            .iter()
            .map(|task| task.task_arn.as_str())
            .collect();
        let mut entries: Vec<&TimelineEntry> = self
            .entries
            .iter()
            .filter(|entry| tasks.contains(entry.task_arn.as_str()))
            .collect();
        entries.sort_by(|a, b| {
            a.at.cmp(&b.at)
                .then_with(|| a.task_arn.cmp(&b.task_arn))
                .then_with(|| a.event.cmp(&b.event))
        });
        entries
    }
}

impl Default for Journal {
    fn default() -> Journal {
        Journal::new(Journal::DEFAULT_CAP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fixtures::{at, instance, task};

    #[test]
    fn changes_are_recorded_once_and_ecs_times_merge_in_order() {
        let mut journal = Journal::default();
        let mut pending = task("web", "t1", TaskState::Pending);
        pending.times.created_at = Some(at(10, 0));
        let first = journal.observe(&[instance("web", vec![pending.clone()])], at(10, 1));
        let events: Vec<_> = first.iter().map(|e| e.event.clone()).collect();
        assert_eq!(
            events,
            vec![
                TimelineEvent::Observed(TaskState::Pending),
                TimelineEvent::Ecs("createdAt".into())
            ]
        );
        // Same snapshot again: nothing new.
        assert!(
            journal
                .observe(&[instance("web", vec![pending.clone()])], at(10, 2))
                .is_empty()
        );

        let mut running = pending;
        running.last_status = TaskState::Running;
        running.times.started_at = Some(at(10, 2));
        journal.observe(&[instance("web", vec![running.clone()])], at(10, 3));
        let mut stopping = running;
        stopping.desired_status = "STOPPED".into();
        stopping.last_status = TaskState::Stopping;
        journal.observe(&[instance("web", vec![stopping.clone()])], at(10, 4));

        let described: Vec<String> = journal
            .for_instance(&instance("web", vec![stopping]))
            .iter()
            .map(|e| format!("{} {}", e.at.format("%H:%M"), e.event.describe()))
            .collect();
        assert_eq!(
            described,
            vec![
                "10:00 ECS createdAt",
                "10:01 seen PENDING",
                "10:02 ECS startedAt",
                "10:03 seen RUNNING",
                "10:04 seen STOPPING",
                "10:04 stop requested",
            ]
        );
    }

    #[test]
    fn a_reloaded_journal_does_not_report_known_tasks_as_new() {
        let mut journal = Journal::default();
        let snapshot = [instance("web", vec![task("web", "t1", TaskState::Running)])];
        let written = journal.observe(&snapshot, at(9, 0));
        let mut reloaded = Journal::from_entries(written, 100);
        assert!(reloaded.observe(&snapshot, at(9, 5)).is_empty());
    }

    #[test]
    fn the_cap_drops_the_oldest_entries() {
        let mut journal = Journal::new(2);
        for (minute, state) in [
            (0, TaskState::Provisioning),
            (1, TaskState::Pending),
            (2, TaskState::Running),
        ] {
            let mut seen = task("web", "t1", state);
            seen.times.created_at = Some(at(7, 0));
            journal.observe(&[instance("web", vec![seen])], at(8, minute));
        }
        let kept: Vec<_> = journal.entries().iter().map(|e| e.at).collect();
        assert_eq!(kept, vec![at(8, 1), at(8, 2)]);
    }
}
