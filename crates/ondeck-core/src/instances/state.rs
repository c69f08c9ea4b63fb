//! The one-word state of an instance, from its tasks and (service-backed) services, and why a
//! task stopped.

use super::InstanceState;
use crate::model::{Service, Task, TaskState};

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
