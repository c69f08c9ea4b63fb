//! A service-backed instance whose service replaces its task while the pane is open: the pane
//! follows the new task's streams by itself and marks the seam once.

use super::*;
use crate::state::timeline::fixtures::{
    crashed_task, scaled_in_task, service, service_backed, service_task,
};
use ondeck_core::logs::LineKind;

/// The task that ran first, and the one the service started after it.
const OLD: &str = "81ab4c5d6e7f8091a2b3c4d5e6f70819";
const NEW: &str = "3f9c1a2b7e6d4e8f9a0b1c2d3e4f5a6b";

fn jobs(tasks: Vec<ondeck_core::model::Task>) -> Instance {
    service_backed(tasks, vec![service(vec![])])
}

/// The dashboard with the logs of `jobs` open while its first task runs; the tail's id.
fn jobs_logs_open() -> (AppState, TailId) {
    let mut state = app(false, at(10, 0));
    refresh(
        &mut state,
        0,
        vec![jobs(vec![service_task(OLD, TaskState::Running, at(9, 0))])],
        logging_definitions("awslogs"),
    );
    let tail = open(&mut state);
    deliver(
        &mut state,
        tail,
        vec![
            event(0, at(10, 1).timestamp_millis(), "INFO working"),
            event(0, at(10, 2).timestamp_millis(), "ERROR out of memory"),
        ],
    );
    (state, tail)
}

fn markers(state: &AppState) -> Vec<String> {
    let logs = state.logs.as_ref().expect("log pane open");
    logs.buffer
        .iter()
        .filter(|line| line.kind == LineKind::Marker)
        .map(|line| line.text.text.clone())
        .collect()
}

fn added_streams(effects: &[Effect]) -> Vec<(TailId, Vec<String>)> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::AddTailSources { tail_id, sources } => Some((
                *tail_id,
                sources.iter().map(|s| s.stream.stream.clone()).collect(),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn a_crashed_service_task_s_replacement_is_followed_and_its_seam_marked_once() {
    let (mut state, tail) = jobs_logs_open();
    let crashed = crashed_task(OLD, at(9, 0), at(10, 3));
    // ECS has not started the replacement yet: nothing to follow, no seam.
    let effects = refresh(
        &mut state,
        3,
        vec![jobs(vec![crashed.clone()])],
        logging_definitions("awslogs"),
    );
    assert!(added_streams(&effects).is_empty(), "{effects:?}");
    assert!(markers(&state).is_empty());

    let replaced = jobs(vec![
        crashed.clone(),
        service_task(NEW, TaskState::Pending, at(10, 4)),
    ]);
    let effects = refresh(
        &mut state,
        5,
        vec![replaced.clone()],
        logging_definitions("awslogs"),
    );
    assert_eq!(
        added_streams(&effects),
        [(
            tail,
            vec![format!("ecs/api/{NEW}"), format!("ecs/redis/{NEW}")]
        )],
        "the running tail follows the new task"
    );
    assert_eq!(
        markers(&state),
        ["task 3f9c1a replaced 81ab4c (exit 137: OutOfMemoryError)"]
    );
    let logs = state.logs.as_ref().unwrap();
    let seam = logs.buffer.iter().last().unwrap();
    assert_eq!(
        seam.timestamp,
        at(10, 4).timestamp_millis(),
        "at the new task's creation, after the old task's lines"
    );
    assert_eq!(seam.level, None, "no error line for the level filter");
    assert_eq!(
        logs.labels,
        ["api@81ab4c", "redis@81ab4c", "api@3f9c1a", "redis@3f9c1a"],
        "the containers say which task they are of, as the seam does"
    );

    // The new task runs; later refreshes show the same tasks: no second seam.
    let mut running = replaced;
    running.tasks[1].last_status = TaskState::Running;
    for minute in [6, 7] {
        let effects = refresh(
            &mut state,
            minute,
            vec![running.clone()],
            logging_definitions("awslogs"),
        );
        assert!(added_streams(&effects).is_empty(), "{effects:?}");
    }
    assert_eq!(markers(&state).len(), 1);
    assert_eq!(state.logs.as_ref().unwrap().buffer.len(), 3);
}

#[test]
fn a_paused_and_resumed_service_marks_its_new_task_without_an_exit_reason() {
    let (mut state, tail) = jobs_logs_open();
    // Paused: scaled to zero, its tasks are no longer listed.
    let mut paused = jobs(vec![]);
    paused.services[0].desired_count = 0;
    refresh(&mut state, 3, vec![paused], logging_definitions("awslogs"));
    assert!(markers(&state).is_empty());

    // Resumed: the old task, stopped by the scale-in, is listed again beside the new one.
    let resumed = jobs(vec![
        scaled_in_task(OLD, at(9, 0), at(10, 3)),
        service_task(NEW, TaskState::Provisioning, at(10, 8)),
    ]);
    let effects = refresh(
        &mut state,
        9,
        vec![resumed.clone()],
        logging_definitions("awslogs"),
    );
    assert_eq!(added_streams(&effects).len(), 1);
    assert_eq!(added_streams(&effects)[0].0, tail);
    assert_eq!(
        markers(&state),
        ["task 3f9c1a started after 81ab4c (scaled in)"]
    );
    refresh(
        &mut state,
        10,
        vec![resumed],
        logging_definitions("awslogs"),
    );
    assert_eq!(markers(&state).len(), 1);
}

#[test]
fn the_seam_is_not_copied_as_a_container_s_line() {
    let (mut state, _) = jobs_logs_open();
    refresh(
        &mut state,
        5,
        vec![jobs(vec![
            crashed_task(OLD, at(9, 0), at(10, 3)),
            service_task(NEW, TaskState::Running, at(10, 4)),
        ])],
        logging_definitions("awslogs"),
    );
    // Following, the bottom line is the seam: copy takes the container's line above it.
    let effects = press(&mut state, Key::char('y'));
    assert_eq!(effects, vec![Effect::Copy("ERROR out of memory".into())]);
    // A search finds the seam, but copying it copies nothing.
    press(&mut state, Key::char('/'));
    for c in "replaced".chars() {
        press(&mut state, Key::char(c));
    }
    press(&mut state, Key::plain(KeyCode::Enter));
    let logs = state.logs.as_ref().unwrap();
    let found = logs
        .view
        .current_match()
        .and_then(|seq| logs.buffer.get(seq));
    assert_eq!(found.map(|line| line.kind), Some(LineKind::Marker));
    assert!(press(&mut state, Key::char('y')).is_empty());
    assert!(
        state
            .message
            .as_ref()
            .unwrap()
            .text
            .contains("nothing copied")
    );
}
