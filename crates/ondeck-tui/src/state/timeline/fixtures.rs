//! Builders for tests of service-backed instances: ana's instance `jobs`, whose one service
//! keeps the `web` task definition running, its tasks, and the events ECS writes of it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use ondeck_core::fixtures::{DEFINITION_ARN, at, task};
use ondeck_core::instances::{Instance, group};
use ondeck_core::model::{Service, ServiceEvent, Task, TaskState, tags};

/// The instance's name, and its service's as ondeck names it.
pub const INSTANCE: &str = "jobs";
pub const SERVICE: &str = "ondeck-ana-jobs-web";
pub const SERVICE_ARN: &str = "arn:aws:ecs:eu-west-1:123456789012:service/dev/ondeck-ana-jobs-web";

/// The service, created at nine, wanting one task, with `events` (newest first, as ECS gives
/// them).
pub fn service(events: Vec<ServiceEvent>) -> Service {
    Service {
        arn: SERVICE_ARN.into(),
        name: SERVICE.into(),
        status: "ACTIVE".into(),
        task_definition_arn: DEFINITION_ARN.into(),
        desired_count: 1,
        running_count: 1,
        pending_count: 0,
        tags: BTreeMap::from([
            (tags::INSTANCE.to_string(), INSTANCE.to_string()),
            (tags::OWNER.to_string(), "ana".to_string()),
            (tags::TEMPLATE.to_string(), "web".to_string()),
        ]),
        created_at: Some(at(9, 0)),
        rollout_failed: None,
        events,
    }
}

/// ECS's event `id` at `created_at`.
pub fn service_event(id: &str, created_at: DateTime<Utc>, message: &str) -> ServiceEvent {
    ServiceEvent {
        id: id.into(),
        created_at,
        message: message.into(),
    }
}

/// A task the service started, created at `created_at`.
pub fn service_task(id: &str, state: TaskState, created_at: DateTime<Utc>) -> Task {
    let mut started = task(INSTANCE, id, state);
    started.group = Some(format!("service:{SERVICE}"));
    started.started_by = Some("ecs-svc/1".into());
    started.times.created_at = Some(created_at);
    started
}

/// [`service_task`] whose essential container ran out of memory at `stopped_at`.
pub fn crashed_task(id: &str, created_at: DateTime<Utc>, stopped_at: DateTime<Utc>) -> Task {
    let mut crashed = service_task(id, TaskState::Stopped, created_at);
    crashed.stop_code = Some("EssentialContainerExited".into());
    crashed.stopped_reason = Some("Essential container in task exited".into());
    crashed.containers[0].exit_code = Some(137);
    crashed.containers[0].reason =
        Some("OutOfMemoryError: Container killed due to memory usage".into());
    crashed.times.stopped_at = Some(stopped_at);
    crashed
}

/// [`service_task`] stopped at `stopped_at` because the service was scaled to zero (a pause);
/// its containers exited on SIGTERM.
pub fn scaled_in_task(id: &str, created_at: DateTime<Utc>, stopped_at: DateTime<Utc>) -> Task {
    let mut scaled_in = service_task(id, TaskState::Stopped, created_at);
    scaled_in.stop_code = Some("ServiceSchedulerInitiated".into());
    scaled_in.stopped_reason = Some("Scaling activity initiated by (deployment ecs-svc/1)".into());
    for container in &mut scaled_in.containers {
        container.exit_code = Some(143);
    }
    scaled_in.times.stopped_at = Some(stopped_at);
    scaled_in
}

/// The instance `jobs` made of these tasks and services, as a snapshot groups them.
pub fn service_backed(tasks: Vec<Task>, services: Vec<Service>) -> Instance {
    let found = group(tasks, services).remove(0);
    assert!(found.is_owned_by("ana"), "the fixture is ana's: {found:?}");
    found
}
