use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::state::fixtures::{app, at, instance, logging_definitions, selected_name, task};
use crate::state::keymap::Key;
use crate::state::{Action, Effect, update};
use ondeck_core::instances::Instance;
use ondeck_core::model::{TaskDefinition, TaskState};
use ondeck_core::tail::TailEvent;

const T1: &str = "3f9a1c2e7b6d4e8f9a0b1c2d3e4f5a6b";
const T2: &str = "8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f";

fn web(name: &str, task_ids: &[&str]) -> Instance {
    instance(
        name,
        task_ids
            .iter()
            .map(|id| task(name, id, TaskState::Running))
            .collect(),
    )
}

/// Answers the poller at `minute` past ten with these instances and definitions.
fn refresh(
    state: &mut AppState,
    minute: u32,
    instances: Vec<Instance>,
    definitions: BTreeMap<String, TaskDefinition>,
) -> Vec<Effect> {
    let mut effects = update(state, Action::Tick(at(10, minute)));
    if !effects.iter().any(|e| matches!(e, Effect::Refresh { .. })) {
        effects = update(state, Action::Key(Key::char('r')));
    }
    let req = effects
        .iter()
        .find_map(|effect| match effect {
            Effect::Refresh { req, .. } => Some(*req),
            _ => None,
        })
        .expect("a refresh was asked for");
    update(
        state,
        Action::Refreshed {
            req,
            at: at(10, minute),
            result: Ok(ondeck_core::ops::Snapshot {
                instances,
                definitions,
            }),
        },
    )
}

/// Instances `b` (one task) and `a` (selected first, newest), both logging to awslogs.
fn dashboard() -> AppState {
    let mut state = app(false, at(10, 0));
    let mut newest = web("a", &[T1]);
    newest.created_at = Some(at(9, 30));
    refresh(
        &mut state,
        0,
        vec![newest, web("b", &[T2])],
        logging_definitions("awslogs"),
    );
    assert_eq!(selected_name(&state), Some("a"));
    state
}

fn press(state: &mut AppState, key: Key) -> Vec<Effect> {
    update(state, Action::Key(key))
}

fn started(effects: &[Effect]) -> Vec<(TailId, &TailSpec)> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::StartTail { tail_id, spec } => Some((*tail_id, spec)),
            _ => None,
        })
        .collect()
}

fn stopped(effects: &[Effect]) -> Vec<TailId> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::StopTail { tail_id } => Some(*tail_id),
            _ => None,
        })
        .collect()
}

/// Opens the pane on the selected instance; returns the tail id it started.
fn open(state: &mut AppState) -> TailId {
    let effects = press(state, Key::plain(KeyCode::Enter));
    let tails = started(&effects);
    assert_eq!(tails.len(), 1, "one tail started: {effects:?}");
    tails[0].0
}

fn event(source: u16, timestamp: i64, message: &str) -> TailEvent {
    TailEvent {
        source,
        timestamp,
        ingestion_time: timestamp,
        message: message.into(),
    }
}

fn deliver(state: &mut AppState, tail_id: TailId, events: Vec<TailEvent>) {
    update(
        state,
        Action::Tail {
            tail_id,
            message: TailMessage::Events(events),
        },
    );
}

fn texts(state: &AppState) -> Vec<String> {
    state
        .logs
        .as_ref()
        .expect("log pane open")
        .buffer
        .iter()
        .map(|line| line.text.text.clone())
        .collect()
}

#[test]
fn opening_starts_a_tail_over_every_awslogs_container_of_the_instance() {
    let mut state = dashboard();
    let effects = press(&mut state, Key::char('L'));
    let tails = started(&effects);
    assert_eq!(tails.len(), 1);
    let spec = tails[0].1;
    let streams: Vec<&str> = spec
        .sources
        .iter()
        .map(|s| s.stream.stream.as_str())
        .collect();
    assert_eq!(
        streams,
        vec![format!("ecs/api/{T1}"), format!("ecs/redis/{T1}")]
    );
    assert!(spec.sources.iter().all(|s| s.stream.group == "/ecs/web"));
    assert_eq!(spec.since, None);
    assert!(spec.follow && spec.prefer_live);
    let logs = state.logs.as_ref().unwrap();
    assert_eq!(logs.instance.name, "a");
    assert_eq!(logs.tail_id, tails[0].0);
    assert_eq!(logs.labels, vec!["api", "redis"]);
    assert_eq!(logs.buffer.capacity(), state.profile.log_buffer_lines);
    assert_eq!(state.pane, Some(Pane::Logs));
    assert_eq!(state.focus, Focus::Pane);
}

#[test]
fn closing_with_esc_or_q_stops_the_tail() {
    for key in [Key::plain(KeyCode::Esc), Key::char('q')] {
        let mut state = dashboard();
        let tail = open(&mut state);
        let effects = press(&mut state, key);
        assert_eq!(stopped(&effects), vec![tail], "{key}");
        assert!(!state.quitting, "{key} closes, not quits");
        assert!(state.logs.is_none());
        assert_eq!(state.pane, None);
    }
}

#[test]
fn another_pane_or_quitting_stops_the_tail() {
    let mut state = dashboard();
    let tail = open(&mut state);
    assert_eq!(stopped(&press(&mut state, Key::char('d'))), vec![tail]);
    assert_eq!(state.pane, Some(Pane::Detail));

    let mut state = dashboard();
    let tail = open(&mut state);
    let effects = press(&mut state, Key::ctrl('c'));
    assert!(state.quitting);
    assert_eq!(stopped(&effects), vec![tail]);
}

#[test]
fn switching_instance_stops_the_tail_and_starts_the_next_on_a_tick() {
    let mut state = dashboard();
    let tail = open(&mut state);
    press(&mut state, Key::plain(KeyCode::Tab));
    assert_eq!(state.focus, Focus::Table);
    let effects = press(&mut state, Key::char('j'));
    assert_eq!(stopped(&effects), vec![tail]);
    assert!(
        started(&effects).is_empty(),
        "not one session per row passed"
    );
    let logs = state.logs.as_ref().unwrap();
    assert_eq!(logs.instance.name, "b");
    assert_eq!(logs.tail, TailStatus::Pending);

    let effects = update(&mut state, Action::Tick(at(10, 0)));
    let tails = started(&effects);
    assert_eq!(tails.len(), 1);
    assert_ne!(tails[0].0, tail);
    assert_eq!(tails[0].1.sources[0].stream.stream, format!("ecs/api/{T2}"));
}

#[test]
fn switching_profile_stops_the_tail_and_closes_the_pane() {
    let mut state = dashboard();
    let tail = open(&mut state);
    press(&mut state, Key::char('?'));
    press(&mut state, Key::char('?'));
    let effects = update(&mut state, Action::Key(Key::char(':')));
    assert!(stopped(&effects).is_empty());
    for c in "profile prod".chars() {
        press(&mut state, Key::char(c));
    }
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::SwitchProfile(_)))
    );
    assert_eq!(stopped(&effects), vec![tail]);
    assert!(state.logs.is_none());
    assert_eq!(state.pane, None);
}

#[test]
fn events_land_sanitized_and_stale_tails_are_ignored() {
    let mut state = dashboard();
    let tail = open(&mut state);
    deliver(
        &mut state,
        tail,
        vec![
            event(0, 1_000, "\x1b[31mERROR\x1b[0m boom\x1b]52;c;aGk=\x07"),
            event(1, 1_001, "ready"),
        ],
    );
    assert_eq!(texts(&state), vec!["ERROR boom", "ready"]);
    deliver(
        &mut state,
        tail + 100,
        vec![event(0, 1_002, "from nowhere")],
    );
    update(
        &mut state,
        Action::Tail {
            tail_id: tail + 100,
            message: TailMessage::Health {
                health: StreamHealth::Ended,
                last_event_at: Some(9_999),
            },
        },
    );
    let logs = state.logs.as_ref().unwrap();
    assert_eq!(logs.buffer.len(), 2);
    assert_eq!(logs.tail, TailStatus::Running(StreamHealth::Starting));
    assert_eq!(logs.last_event_at, Some(1_001));
}

#[test]
fn a_batch_marks_the_screen_dirty_once_and_health_shows_in_the_title() {
    let mut state = dashboard();
    let tail = open(&mut state);
    state.dirty = false;
    deliver(&mut state, tail, vec![]);
    assert!(!state.dirty, "an empty batch changes nothing");
    deliver(
        &mut state,
        tail,
        (0..10).map(|i| event(0, 2_000 + i, "line")).collect(),
    );
    assert!(state.dirty);
    update(
        &mut state,
        Action::Tail {
            tail_id: tail,
            message: TailMessage::Health {
                health: StreamHealth::Polling {
                    interval: Duration::from_secs(2),
                },
                last_event_at: Some(2_009),
            },
        },
    );
    let title = state
        .logs
        .as_ref()
        .unwrap()
        .status_text(chrono::FixedOffset::east_opt(0).unwrap(), true);
    assert_eq!(title, "a · polling 2s · 00:00:02");
}

#[test]
fn a_paused_view_counts_new_lines() {
    let mut state = dashboard();
    let tail = open(&mut state);
    deliver(
        &mut state,
        tail,
        (0..30).map(|i| event(0, i, &format!("old {i}"))).collect(),
    );
    press(&mut state, Key::plain(KeyCode::PageUp));
    let logs = state.logs.as_ref().unwrap();
    assert!(!logs.view.is_following());
    deliver(
        &mut state,
        tail,
        vec![event(0, 100, "new 1"), event(1, 101, "new 2")],
    );
    assert_eq!(state.logs.as_ref().unwrap().view.new_since_pause(), 2);
    press(&mut state, Key::char('f'));
    let logs = state.logs.as_ref().unwrap();
    assert!(logs.view.is_following());
    assert_eq!(logs.view.new_since_pause(), 0);
}

#[test]
fn the_since_preset_restarts_the_tail_from_that_time_with_an_empty_buffer() {
    let mut state = dashboard();
    let tail = open(&mut state);
    deliver(&mut state, tail, vec![event(0, 1, "before")]);
    let effects = press(&mut state, Key::char('s'));
    assert_eq!(stopped(&effects), vec![tail]);
    let tails = started(&effects);
    assert_eq!(tails.len(), 1);
    let (restarted, spec) = tails[0];
    assert_eq!(
        spec.since,
        Some((at(10, 0) - chrono::Duration::minutes(1)).timestamp_millis())
    );
    let logs = state.logs.as_ref().unwrap();
    assert!(logs.buffer.is_empty());
    assert_eq!(logs.since_label(), "1m");
    deliver(&mut state, tail, vec![event(0, 2, "old tail")]);
    deliver(&mut state, restarted, vec![event(0, 3, "new tail")]);
    assert_eq!(texts(&state), vec!["new tail"]);
    for _ in 0..6 {
        press(&mut state, Key::char('s'));
    }
    assert_eq!(state.logs.as_ref().unwrap().since_label(), "tail");
}

/// Keys, streams that come and go, and what the pane says of them.
mod pane;

/// A service replacing its task under the open pane.
mod services;
