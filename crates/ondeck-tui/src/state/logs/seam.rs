//! Where a service replaced its task: the log pane follows the new task's streams by itself,
//! and one marker line at the seam says which task took over from which, and why the old one
//! stopped.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use ondeck_core::instances::{Instance, stop_summary, stop_was_requested};
use ondeck_core::logs::sources::short_task_id;
use ondeck_core::model::Task;

/// One marker to insert: when (milliseconds since the epoch) and what it says.
#[derive(Debug)]
pub(super) struct Seam {
    pub(super) at: i64,
    pub(super) text: String,
}

/// The task ARNs of `instance`, to tell the next snapshot's new tasks from known ones.
pub(super) fn task_arns(instance: &Instance) -> BTreeSet<String> {
    instance
        .tasks
        .iter()
        .map(|task| task.task_arn.clone())
        .collect()
}

/// The seams in `instance` that `known` (its task ARNs when last looked at) had not seen: a
/// live task of a service, new since then, beside a task of the same service that stopped
/// before it. Oldest first. A new task is dated by ECS's `createdAt`, else by `now`, when it
/// was first seen.
pub(super) fn new_seams(
    instance: &Instance,
    known: &BTreeSet<String>,
    now: DateTime<Utc>,
) -> Vec<Seam> {
    let mut arrived: Vec<&Task> = instance
        .tasks
        .iter()
        .filter(|task| {
            task.service().is_some()
                && task.desired_status != "STOPPED"
                && !known.contains(&task.task_arn)
        })
        .collect();
    arrived.sort_by_key(|task| task.times.created_at);
    let mut replaced: Vec<&str> = Vec::new();
    let mut seams = Vec::new();
    for new in arrived {
        let stopped_before = |old: &&Task| {
            old.service() == new.service()
                && old.task_arn != new.task_arn
                && old.desired_status == "STOPPED"
                && !replaced.contains(&old.task_arn.as_str())
                && match (old.times.created_at, new.times.created_at) {
                    (Some(old_at), Some(new_at)) => old_at <= new_at,
                    _ => true,
                }
        };
        let Some(old) = instance
            .tasks
            .iter()
            .filter(stopped_before)
            .max_by_key(|old| old.times.stopped_at.or(old.times.stopping_at))
        else {
            continue;
        };
        replaced.push(&old.task_arn);
        seams.push(Seam {
            at: new.times.created_at.unwrap_or(now).timestamp_millis(),
            text: seam_text(new, old),
        });
    }
    seams
}

/// `task b1c2d3 replaced a1b2c3 (exit 137: OutOfMemoryError)`. A stop somebody asked for
/// gives ECS's reason alone: the containers' exits (SIGTERM's 143) followed from it. One that
/// scaled the service in (a pause) was no fault: the new task started after the old one.
fn seam_text(new: &Task, old: &Task) -> String {
    let (new_id, old_id) = (short_task_id(new), short_task_id(old));
    let reason = old.stopped_reason.as_deref();
    let scaled_in = old.stop_code.as_deref() == Some("ServiceSchedulerInitiated")
        && reason.is_none_or(|reason| reason.starts_with("Scaling activity"));
    if scaled_in {
        return format!("task {new_id} started after {old_id} (scaled in)");
    }
    let why = if stop_was_requested(old) {
        reason.unwrap_or("stopped on request").to_string()
    } else {
        stop_summary(old)
    };
    format!("task {new_id} replaced {old_id} ({why})")
}
