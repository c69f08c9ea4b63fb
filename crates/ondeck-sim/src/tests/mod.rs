//! Tests of the simulated cluster, by seam; the builders they share are here.

mod connect;
mod initial_world;
mod live_tail;
mod log_streams;
mod registry;
mod services;
mod task_lifecycle;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use futures::StreamExt;
use futures::executor::block_on;

use super::catalog::CANNOT_PULL;
use super::*;
use ondeck_core::Cloud;
use ondeck_core::instances::{InstanceState, group, instance_state};
use ondeck_core::model::{
    LogFilter, LogQuery, LogStreamRef, NetworkConfig, RawLogEvent, Scope, Task, TaskState,
};

const OWNER: &str = "ana";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

fn demo(speed: f64) -> (DemoCloud, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(start()));
    (DemoCloud::with_clock(OWNER, speed, clock.clone()), clock)
}

fn request(task_definition: &str, token: &str) -> RunRequest {
    RunRequest {
        enable_exec: false,
        task_definition: task_definition.into(),
        network: NetworkConfig {
            subnets: vec!["subnet-0demo1".into(), "subnet-0demo2".into()],
            security_groups: vec!["sg-0demo".into()],
            assign_public_ip: false,
        },
        started_by: owner_key(OWNER),
        tags: BTreeMap::from([
            (tags::OWNER.to_string(), OWNER.to_string()),
            (tags::INSTANCE.to_string(), "test-1".to_string()),
        ]),
        env: BTreeMap::new(),
        client_token: token.into(),
        spot: false,
    }
}

fn run(cloud: &DemoCloud, task_definition: &str) -> Task {
    block_on(cloud.run_task(&request(task_definition, "")))
        .unwrap()
        .tasks
        .remove(0)
}

fn find(cloud: &DemoCloud, arn: &str) -> Option<Task> {
    block_on(cloud.list_tasks(&Scope::AllOwners))
        .unwrap()
        .into_iter()
        .chain(block_on(cloud.list_tasks(&Scope::StartedBy(owner_key(OWNER)))).unwrap())
        .find(|task| task.task_arn == arn)
}

/// Steps the clock and records each new state, with the seconds it first showed.
fn watch(
    cloud: &DemoCloud,
    clock: &ManualClock,
    arn: &str,
    step: Duration,
    steps: usize,
) -> Vec<(Duration, TaskState)> {
    let began = clock.now();
    let mut seen = vec![(Duration::zero(), find(cloud, arn).unwrap().last_status)];
    for _ in 0..steps {
        clock.advance(step);
        let state = find(cloud, arn).unwrap().last_status;
        if seen.last().unwrap().1 != state {
            seen.push((clock.now() - began, state));
        }
    }
    seen
}

fn states(seen: &[(Duration, TaskState)]) -> Vec<TaskState> {
    seen.iter().map(|(_, state)| state.clone()).collect()
}

fn first_seen(seen: &[(Duration, TaskState)], wanted: &TaskState) -> Duration {
    seen.iter().find(|(_, state)| state == wanted).unwrap().0
}

fn stream_of(task: &Task, container: &str) -> LogStreamRef {
    let family = task.task_definition().split(':').next().unwrap();
    LogStreamRef {
        group: format!("/ecs/demo/{family}"),
        stream: format!("ecs/{container}/{}", task.task_id()),
    }
}

fn query(stream: &LogStreamRef, token: Option<String>, from_head: bool, limit: i32) -> LogQuery {
    LogQuery {
        stream: stream.clone(),
        start_time: None,
        next_token: token,
        start_from_head: from_head,
        limit: Some(limit),
    }
}

/// Every line of the stream now, by pages of the largest size.
fn read_all(cloud: &DemoCloud, stream: &LogStreamRef) -> Vec<RawLogEvent> {
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let page =
            block_on(cloud.get_log_events(&query(stream, token.clone(), true, 1000))).unwrap();
        if page.events.is_empty() {
            return all;
        }
        all.extend(page.events);
        token = page.next_forward_token;
    }
}

fn initial_task(cloud: &DemoCloud, instance: &str) -> Task {
    block_on(cloud.list_tasks(&Scope::AllOwners))
        .unwrap()
        .into_iter()
        .find(|t| t.tag(tags::INSTANCE) == Some(instance))
        .unwrap()
}
