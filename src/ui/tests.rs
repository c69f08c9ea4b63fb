//! Snapshots of every screen at the minimum size (80×24) and a large one (160×48).

use chrono::{Duration, FixedOffset};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use super::*;
use crate::aws::model::TaskState;
use crate::instances::Instance;
use crate::state::fixtures::{app, at, instance, poll, task};
use crate::state::keymap::{Key, KeyCode};
use crate::state::{Action, Effect, update};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn context(color: bool) -> RenderContext {
    RenderContext {
        now: at(10, 5),
        offset: FixedOffset::east_opt(0).expect("UTC"),
        theme: Theme { color },
    }
}

fn draw(state: &AppState, width: u16, height: u16, color: bool) -> TestBackend {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| render(frame, state, &context(color)))
        .expect("draw");
    terminal.backend().clone()
}

fn snapshot_all_sizes(scene: &str, state: &AppState) {
    for (width, height) in SIZES {
        let backend = draw(state, width, height, true);
        insta::assert_snapshot!(format!("{scene}_{width}x{height}"), backend);
    }
}

fn press(state: &mut AppState, key: Key) {
    update(state, Action::Key(key));
}

fn type_text(state: &mut AppState, text: &str) {
    for c in text.chars() {
        press(state, Key::char(c));
    }
}

/// A realistic mix: running, starting, crashed, half-dead and destroyed instances.
fn fleet() -> Vec<Instance> {
    let mut api_a = task(
        "api-demo",
        "3f9a1c2e7b6d4e8f9a0b1c2d3e4f5a6b",
        TaskState::Running,
    );
    let mut api_b = task(
        "api-demo",
        "8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f",
        TaskState::Running,
    );
    api_b.task_definition_arn = api_a.task_definition_arn.clone();
    api_b.private_ip = Some("10.0.1.24".into());
    api_a.times.started_at = Some(at(9, 1));
    let mut api = instance("api-demo", vec![api_a, api_b]);
    api.expires_at = Some(at(18, 0));

    let mut starting = task(
        "jobs-x7k2",
        "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        TaskState::Pending,
    );
    starting.times.created_at = Some(at(10, 2));
    starting.private_ip = None;
    let mut jobs = instance("jobs-x7k2", vec![starting]);
    jobs.template = "worker".into();

    let mut crashed = task(
        "broken",
        "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        TaskState::Stopped,
    );
    crashed.stop_code = Some("EssentialContainerExited".into());
    crashed.stopped_reason = Some("Essential container in task exited".into());
    crashed.containers[0].exit_code = Some(137);
    crashed.containers[0].reason = Some("OutOfMemoryError: container killed".into());
    crashed.times.created_at = Some(at(7, 30));

    let survivor = task(
        "half",
        "1111aaaa2222bbbb3333cccc4444dddd",
        TaskState::Running,
    );
    let mut died = task(
        "half",
        "5555eeee6666ffff7777000088889999",
        TaskState::Stopped,
    );
    died.stop_code = Some("EssentialContainerExited".into());

    let mut destroyed = task(
        "old",
        "9999888877776666555544443333aaaa",
        TaskState::Stopped,
    );
    destroyed.stop_code = Some("UserInitiated".into());
    destroyed.stopped_reason = Some("ondeck: destroyed by ana".into());
    destroyed.times.created_at = Some(at(10, 0) - Duration::days(4));

    vec![
        api,
        jobs,
        instance("broken", vec![crashed]),
        instance("half", vec![survivor, died]),
        instance("old", vec![destroyed]),
    ]
}

fn populated() -> AppState {
    let mut state = app(false, at(10, 5));
    poll(&mut state, at(10, 4), fleet());
    state
}

#[test]
fn loading() {
    let mut state = app(false, at(10, 5));
    update(&mut state, Action::Tick(at(10, 5)));
    snapshot_all_sizes("loading", &state);
}

#[test]
fn empty() {
    let mut state = app(false, at(10, 5));
    poll(&mut state, at(10, 4), vec![]);
    snapshot_all_sizes("empty", &state);
}

#[test]
fn error_with_stale_data() {
    let mut state = populated();
    let sent = update(&mut state, Action::Key(Key::char('r')));
    let [Effect::Refresh { req, .. }] = sent.as_slice() else {
        panic!("expected a refresh, got {sent:?}");
    };
    let req = *req;
    update(
        &mut state,
        Action::Refreshed {
            req,
            at: at(10, 5),
            result: Err(
                "AWS credentials are missing or expired (token expired); run `aws sso login --profile dev`"
                    .into(),
            ),
        },
    );
    snapshot_all_sizes("error_with_stale_data", &state);
}

#[test]
fn populated_table() {
    snapshot_all_sizes("populated", &populated());
}

#[test]
fn detail_pane() {
    let mut state = populated();
    for _ in 0..3 {
        press(&mut state, Key::char('j'));
    }
    press(&mut state, Key::char('d'));
    assert_eq!(state.selected.as_deref(), Some("broken"));
    snapshot_all_sizes("detail", &state);
}

#[test]
fn timeline_pane() {
    let mut state = app(false, at(10, 5));
    let mut walking = task(
        "api-demo",
        "3f9a1c2e7b6d4e8f9a0b1c2d3e4f5a6b",
        TaskState::Provisioning,
    );
    walking.times.created_at = Some(at(9, 0));
    poll(
        &mut state,
        at(9, 0),
        vec![instance("api-demo", vec![walking.clone()])],
    );
    walking.last_status = TaskState::Pending;
    walking.times.pull_started_at = Some(at(9, 1));
    poll(
        &mut state,
        at(9, 1),
        vec![instance("api-demo", vec![walking.clone()])],
    );
    walking.last_status = TaskState::Running;
    walking.times.pull_stopped_at = Some(at(9, 2));
    walking.times.started_at = Some(at(9, 3));
    poll(
        &mut state,
        at(9, 3),
        vec![instance("api-demo", vec![walking.clone()])],
    );
    walking.last_status = TaskState::Stopping;
    walking.desired_status = "STOPPED".into();
    walking.stop_code = Some("UserInitiated".into());
    walking.times.stopping_at = Some(at(10, 0));
    poll(
        &mut state,
        at(10, 0),
        vec![instance("api-demo", vec![walking])],
    );
    press(&mut state, Key::char('t'));
    snapshot_all_sizes("timeline", &state);
}

#[test]
fn launch_dialog() {
    let mut state = populated();
    press(&mut state, Key::char('n'));
    press(&mut state, Key::char('j'));
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "nightly");
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "worker:THREADS=4");
    snapshot_all_sizes("launch_dialog", &state);
}

#[test]
fn destroy_confirmation() {
    let mut state = populated();
    press(&mut state, Key::ctrl('d'));
    snapshot_all_sizes("destroy_confirm", &state);
}

#[test]
fn help_overlay() {
    let mut state = populated();
    press(&mut state, Key::char('?'));
    snapshot_all_sizes("help", &state);
}

#[test]
fn read_only_help_hides_write_keys_and_shows_the_badge() {
    let mut state = app(true, at(10, 5));
    poll(&mut state, at(10, 4), fleet());
    press(&mut state, Key::char('?'));
    let text = draw(&state, 160, 48, true).to_string();
    assert!(text.contains("READ-ONLY"));
    assert!(text.contains("this help"));
    for hidden in [
        "launch an instance",
        "destroy selected",
        "extend time to live",
    ] {
        assert!(!text.contains(hidden), "{hidden} shown in read-only help");
    }
    let mut writable = populated();
    press(&mut writable, Key::char('?'));
    assert!(
        draw(&writable, 160, 48, true)
            .to_string()
            .contains("destroy selected")
    );
}

#[test]
fn no_color_paints_nothing_and_keeps_the_symbols() {
    let state = populated();
    let colored = draw(&state, 80, 24, true);
    let plain = draw(&state, 80, 24, false);
    let uses_color = |backend: &TestBackend| {
        backend
            .buffer()
            .content()
            .iter()
            .any(|cell| cell.fg != Color::Reset || cell.bg != Color::Reset)
    };
    assert!(uses_color(&colored));
    assert!(!uses_color(&plain));
    let text = plain.to_string();
    for symbol in ["●", "◐", "✖", "▲", "○"] {
        assert!(text.contains(symbol), "{symbol} missing without colour");
    }
}
