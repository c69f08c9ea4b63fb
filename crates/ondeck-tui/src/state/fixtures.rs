//! Builders for tests of state and ui: the core's builders, and a dashboard made of them.

use chrono::{DateTime, Utc};

use super::keymap::Key;
pub use ondeck_core::fixtures::*;
use ondeck_core::instances::Instance;
use ondeck_core::instances::identity::{InstanceId, InstanceRef};
use ondeck_core::model::TaskState;
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
