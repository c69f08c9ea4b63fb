//! Builders for tests of state and ui: the core's builders, and a dashboard made of them.

use chrono::{DateTime, Utc};

pub use ondeck_core::fixtures::*;
use ondeck_core::instances::Instance;

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
    state.selected.as_ref().map(|id| id.name.as_str())
}

/// Select the first row named `name`.
pub fn select(state: &mut super::AppState, name: &str) {
    let id = state
        .rows()
        .iter()
        .find(|instance| instance.name == name)
        .map(|instance| instance.id());
    assert!(id.is_some(), "no row named {name}");
    state.selected = id;
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
