//! Builders for tests of state and ui: the core's builders, and a dashboard made of them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::keymap::Key;
pub use ondeck_core::fixtures::*;
use ondeck_core::instances::identity::{InstanceId, InstanceRef};
use ondeck_core::instances::{Instance, group, service_name};
use ondeck_core::model::{Service, Task, TaskState, tags};
use ondeck_core::ops::Snapshot;

/// A dashboard on profile `dev`, started at `now`, that has not heard from AWS yet.
pub fn app(read_only: bool, now: DateTime<Utc>) -> super::AppState {
    super::AppState::new(
        &config(),
        super::StartOptions {
            profile: "dev".into(),
            read_only,
            all_owners: false,
            select: None,
            keymap: super::keymap::Keymap::default(),
            journal: super::timeline::Journal::default(),
            now,
        },
    )
    .expect("profile dev exists")
}

/// The selected instance's name.
pub fn selected_name(state: &super::AppState) -> Option<&str> {
    state.table.selected().map(|id| id.name.as_str())
}

/// Select the first row named `name`.
pub fn select(state: &mut super::AppState, name: &str) {
    let id = state
        .rows()
        .iter()
        .find(|instance| instance.name == name)
        .map(|instance| instance.id());
    state
        .table
        .select(id.unwrap_or_else(|| panic!("no row named {name}")));
}

/// Let the poller ask and answer with these instances at `when`.
pub fn poll(state: &mut super::AppState, when: DateTime<Utc>, instances: Vec<Instance>) {
    let mut effects = super::update(state, super::Action::Tick(when));
    if !effects
        .iter()
        .any(|e| matches!(e, super::Effect::Refresh { .. }))
    {
        effects = super::update(state, super::Action::Key(super::keymap::Key::char('r')));
    }
    let req = effects
        .iter()
        .find_map(|effect| match effect {
            super::Effect::Refresh { req, .. } => Some(*req),
            _ => None,
        })
        .expect("a refresh was sent");
    super::update(
        state,
        super::Action::Refreshed {
            req,
            at: when,
            result: Ok(snapshot(instances)),
        },
    );
}

/// A dashboard on profile `dev` at ten o'clock, optionally started with `--select NAME`.
pub fn start(read_only: bool, select: Option<&str>) -> super::AppState {
    let mut state = app(read_only, at(10, 0));
    if let Some(name) = select {
        state = super::AppState::new(
            &config(),
            super::StartOptions {
                profile: "dev".into(),
                read_only,
                all_owners: false,
                select: Some(InstanceRef::parse(name).unwrap()),
                keymap: super::keymap::Keymap::default(),
                journal: super::timeline::Journal::default(),
                now: at(10, 0),
            },
        )
        .unwrap();
    }
    state
}

/// The all-owners dashboard (`--all-owners`), optionally with `--select`, after one snapshot,
/// sorted by name.
pub fn everyone(select: Option<&str>, instances: Vec<Instance>) -> super::AppState {
    let mut state = super::AppState::new(
        &config(),
        super::StartOptions {
            profile: "dev".into(),
            read_only: false,
            all_owners: true,
            select: select.map(|text| InstanceRef::parse(text).unwrap()),
            keymap: super::keymap::Keymap::default(),
            journal: super::timeline::Journal::default(),
            now: at(10, 0),
        },
    )
    .unwrap();
    let req = refresh_req(&super::update(&mut state, super::Action::Tick(at(10, 0))));
    answer(&mut state, req, at(10, 0), snapshot(instances));
    state.table.sort = super::table::SortKey::Name;
    state
}

/// The id of the one refresh among `effects`.
pub fn refresh_req(effects: &[super::Effect]) -> super::RequestId {
    let reqs: Vec<super::RequestId> = effects
        .iter()
        .filter_map(|effect| match effect {
            super::Effect::Refresh { req, .. } => Some(*req),
            _ => None,
        })
        .collect();
    assert_eq!(reqs.len(), 1, "expected one refresh in {effects:?}");
    reqs[0]
}

/// Answers the refresh `req` with `snap`, as AWS did at `when`.
pub fn answer(
    state: &mut super::AppState,
    req: super::RequestId,
    when: DateTime<Utc>,
    snap: Snapshot,
) -> Vec<super::Effect> {
    super::update(
        state,
        super::Action::Refreshed {
            req,
            at: when,
            result: Ok(snap),
        },
    )
}

/// A started dashboard that has seen one snapshot.
pub fn loaded(instances: Vec<Instance>) -> super::AppState {
    let mut state = start(false, None);
    let req = refresh_req(&super::update(&mut state, super::Action::Tick(at(10, 0))));
    answer(&mut state, req, at(10, 0), snapshot(instances));
    state
}

pub fn press(state: &mut super::AppState, key: Key) -> Vec<super::Effect> {
    super::update(state, super::Action::Key(key))
}

pub fn type_text(state: &mut super::AppState, text: &str) {
    for c in text.chars() {
        press(state, Key::char(c));
    }
}

/// Instance `name` with one running task.
pub fn running(name: &str) -> Instance {
    instance(
        name,
        vec![task(name, &format!("{name}-1"), TaskState::Running)],
    )
}

/// The identity of ana's instance `name` launched without a token.
pub fn mine(name: &str) -> InstanceId {
    InstanceId {
        owner: "ana".into(),
        name: name.into(),
        launch: String::new(),
    }
}

/// The names of the table's rows, top to bottom.
pub fn names(state: &super::AppState) -> Vec<String> {
    state.rows().iter().map(|i| i.name.clone()).collect()
}

pub fn selected_owner(state: &super::AppState) -> Option<&str> {
    state.table.selected().map(|id| id.owner.as_str())
}

/// [`running`] launched with exec: its containers started, their exec agents RUNNING.
pub fn exec_ready(name: &str) -> Instance {
    let mut found = running(name);
    for task in &mut found.tasks {
        task.exec_enabled = true;
        let task_id = task.task_id().to_string();
        for container in &mut task.containers {
            container.runtime_id = Some(format!("{task_id}-{}", container.name));
            container.exec_agent = Some("RUNNING".into());
        }
    }
    found
}

/// The service ondeck names for `owner`'s instance `name` (template `web`, its `web`
/// definition), `desired` tasks wanted, created at six; launched with a ttl of 12h, it expires
/// at six in the evening.
pub fn service(owner: &str, name: &str, desired: i32) -> Service {
    let service_name = service_name(owner, name, "web");
    Service {
        arn: format!("arn:aws:ecs:eu-west-1:123456789012:service/dev/{service_name}"),
        name: service_name,
        status: "ACTIVE".into(),
        task_definition_arn: DEFINITION_ARN.into(),
        desired_count: desired,
        running_count: 0,
        pending_count: 0,
        tags: BTreeMap::from([
            (tags::INSTANCE.to_string(), name.to_string()),
            (tags::OWNER.to_string(), owner.to_string()),
            (tags::TEMPLATE.to_string(), "web".to_string()),
            (
                tags::EXPIRES_AT.to_string(),
                "2026-11-23T18:00:00Z".to_string(),
            ),
            (tags::TTL.to_string(), "12h".to_string()),
        ]),
        created_at: Some(at(6, 0)),
        rollout_failed: None,
        events: Vec::new(),
    }
}

/// A task `service` started: by `ecs-svc`, in the service's group, with its tags.
pub fn service_task(service: &Service, id: &str, state: TaskState) -> Task {
    let name = service.tag(tags::INSTANCE).unwrap_or_default();
    let mut found = task(name, id, state);
    found.started_by = Some("ecs-svc/1".into());
    found.group = Some(format!("service:{}", service.name));
    found.tags = service.tags.clone();
    found
}

/// The instance of `service` and its `tasks`, grouped (and its state worked out) as from AWS.
pub fn service_backed(service: Service, tasks: Vec<Task>) -> Instance {
    group(tasks, vec![service]).remove(0)
}

/// `owner`'s service-backed `name`, its one task running.
pub fn serving(owner: &str, name: &str) -> Instance {
    let mut running = service(owner, name, 1);
    running.running_count = 1;
    let task = service_task(&running, &format!("{name}-svc-1"), TaskState::Running);
    service_backed(running, vec![task])
}

/// ana's service-backed `name`, paused at 06:53: its service at zero, nothing left of it
/// listed.
pub fn paused(name: &str) -> Instance {
    let mut scaled_in = service("ana", name, 0);
    scaled_in
        .tags
        .insert(tags::PAUSED_AT.into(), "2026-11-23T06:53:00Z".into());
    service_backed(scaled_in, Vec::new())
}

/// ana's service-backed `name`: its task was killed for memory at 10:01, and the service's
/// next one is pending.
pub fn restarting(name: &str) -> Instance {
    let mut wanted = service("ana", name, 1);
    wanted.pending_count = 1;
    let mut dead = service_task(
        &wanted,
        "3f9c1a2e7b6d4e8f9a0b1c2d3e4f5a6b",
        TaskState::Stopped,
    );
    dead.desired_status = "STOPPED".into();
    dead.stop_code = Some("EssentialContainerExited".into());
    dead.stopped_reason = Some("Essential container in task exited".into());
    dead.private_ip = None;
    dead.containers[0].exit_code = Some(137);
    dead.containers[0].reason =
        Some("OutOfMemoryError: Container killed due to memory usage".into());
    dead.times.started_at = Some(at(9, 1));
    dead.times.stopped_at = Some(at(10, 1));
    let mut next = service_task(
        &wanted,
        "81ab5c6d7e8f90a1b2c3d4e5f6a7b8c9",
        TaskState::Pending,
    );
    next.private_ip = None;
    next.times.created_at = Some(at(10, 2));
    service_backed(wanted, vec![dead, next])
}

/// Task-backed `name` whose essential container exited by itself: FAILED.
pub fn failed(name: &str) -> Instance {
    let mut crashed = task(name, &format!("{name}-1"), TaskState::Stopped);
    crashed.stop_code = Some("EssentialContainerExited".into());
    crashed.times.stopped_at = Some(at(9, 50));
    instance(name, vec![crashed])
}
