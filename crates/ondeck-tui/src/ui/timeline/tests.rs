//! The timeline of a service-backed instance: its tasks' changes and its service's events in
//! one time order, at the smallest size (50×15), at 80×24 and at 200×60.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::state::AppState;
use crate::state::fixtures::{app, at, poll};
use crate::state::keymap::Key;
use crate::state::timeline::fixtures::{
    crashed_task, service, service_backed, service_event, service_task,
};
use crate::state::{Action, update};
use crate::ui::{RenderContext, Theme, render};
use ondeck_core::model::{ServiceEvent, TaskState};

const OLD: &str = "81ab4c5d6e7f8091a2b3c4d5e6f70819";
const NEW: &str = "3f9c1a2b7e6d4e8f9a0b1c2d3e4f5a6b";

fn draw(state: &AppState, width: u16, height: u16) -> String {
    let ctx = RenderContext {
        now: at(10, 5),
        offset: FixedOffset::east_opt(0).expect("UTC"),
        theme: Theme::unicode(true),
    };
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| render(frame, state, &ctx))
        .expect("draw");
    terminal.backend().to_string()
}

fn seconds(at: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
    at + Duration::seconds(seconds)
}

/// What ECS said of the service by `until`, newest first, as DescribeServices gives it; the
/// last one carries a hidden character and an escape sequence, as text from AWS may.
fn events_until(until: DateTime<Utc>) -> Vec<ServiceEvent> {
    let all = [
        service_event(
            "e1",
            seconds(at(9, 0), 20),
            &format!("(service ondeck-ana-jobs-web) has started 1 tasks: (task {OLD})."),
        ),
        service_event(
            "e2",
            seconds(at(9, 1), 30),
            "(service ondeck-ana-jobs-web) has reached a steady state.",
        ),
        service_event(
            "e3",
            seconds(at(10, 3), 40),
            &format!("(service ondeck-ana-jobs-web) has started 1 tasks: (task {NEW})."),
        ),
        service_event(
            "e4",
            seconds(at(10, 4), 50),
            "(service ondeck-ana-jobs-web) was unable to \u{202e}place\x1b]0;t\x07 a task: \
             capacity is unavailable at this time.",
        ),
    ];
    all.into_iter()
        .rev()
        .filter(|event| event.created_at <= until)
        .collect()
}

/// The journal of `jobs` through a first task, its crash and its replacement.
fn replaced() -> AppState {
    let mut state = app(false, at(10, 5));
    let mut old = service_task(OLD, TaskState::Pending, at(9, 0));
    let jobs = |tasks, when| service_backed(tasks, vec![service(events_until(when))]);
    poll(
        &mut state,
        at(9, 1),
        vec![jobs(vec![old.clone()], at(9, 1))],
    );
    old.last_status = TaskState::Running;
    old.times.started_at = Some(seconds(at(9, 1), 10));
    poll(&mut state, at(9, 2), vec![jobs(vec![old], at(9, 2))]);
    let crashed = crashed_task(OLD, at(9, 0), seconds(at(10, 3), 5));
    let new = service_task(NEW, TaskState::Running, seconds(at(10, 3), 40));
    for minute in [4, 5] {
        poll(
            &mut state,
            at(10, minute),
            vec![jobs(vec![crashed.clone(), new.clone()], at(10, minute))],
        );
    }
    update(&mut state, Action::Key(Key::char('t')));
    state
}

#[test]
fn service_events_read_among_task_changes_at_every_size() {
    let state = replaced();
    for (width, height) in [(50, 15), (80, 24), (200, 60)] {
        let screen = draw(&state, width, height);
        assert!(!screen.contains('\x1b'), "no escape reaches the screen");
        insta::assert_snapshot!(format!("timeline_service_{width}x{height}"), screen);
    }
    let wide = draw(&state, 200, 60);
    assert!(
        wide.contains(
            "service   web:3             ondeck-ana-jobs-web: has reached a steady state."
        ),
        "{wide}"
    );
    assert!(wide.contains("<U+202E>place a task"), "{wide}");
}
