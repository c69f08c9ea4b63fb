//! The forward dialog, and the detail pane's exec agent states, links and forwards.

use super::*;
use crate::state::fixtures::exec_ready;
use crate::state::forwards::ForwardStats;

fn snapshot_connect_sizes(scene: &str, state: &mut AppState) {
    for (width, height) in SIZES {
        lay_out(state, width, height);
        let backend = draw(state, width, height, true);
        insta::assert_snapshot!(format!("{scene}_{width}x{height}"), backend);
    }
}

/// api-demo launched with exec (redis's agent still starting), its template naming two links.
fn connectable() -> AppState {
    let mut ready = exec_ready("api-demo");
    ready.tasks[0].containers[1].exec_agent = Some("PENDING".into());
    let mut state = app(false, at(10, 5));
    poll(&mut state, at(10, 4), vec![ready, exec_ready("jobs")]);
    select(&mut state, "api-demo");
    let links = &mut state.profile.templates.get_mut("web").unwrap().links;
    links.insert("admin".into(), "http://{endpoint:api:8080}/admin".into());
    links.insert("cache".into(), "redis://{endpoint:redis:6379}".into());
    state
}

fn forward(state: &mut AppState, local: Option<u16>) -> u64 {
    press(state, Key::char('F'));
    let effects = update(state, Action::Key(Key::plain(KeyCode::Enter)));
    let Some(Effect::StartForward { id, .. }) = effects.first() else {
        panic!("a forward was asked for: {effects:?}");
    };
    if let Some(port) = local {
        update(
            state,
            Action::ForwardStarted {
                id: *id,
                result: Ok(port),
            },
        );
    }
    *id
}

#[test]
fn forward_dialog() {
    let mut state = connectable();
    press(&mut state, Key::char('F'));
    snapshot_connect_sizes("forward_dialog", &mut state);
}

#[test]
fn forward_dialog_with_a_refusal() {
    let mut state = connectable();
    press(&mut state, Key::char('F'));
    press(&mut state, Key::plain(KeyCode::Down));
    press(&mut state, Key::plain(KeyCode::Enter));
    let backend = draw(&state, 80, 24, false);
    let screen = format!("{backend:?}");
    assert!(
        screen.contains("exec agent of redis is PENDING"),
        "the dialog says why: {screen}"
    );
    snapshot_connect_sizes("forward_dialog_refused", &mut state);
}

#[test]
fn detail_pane_with_exec_links_and_forwards() {
    let mut state = connectable();
    let id = forward(&mut state, Some(15432));
    update(
        &mut state,
        Action::ForwardStats {
            id,
            stats: ForwardStats {
                sent: 1_536,
                received: 12 * 1024 * 1024,
                connections: 2,
                refused: 1,
            },
        },
    );
    forward(&mut state, None);
    press(&mut state, Key::char('d'));
    // The cursor on the forward.
    press(&mut state, Key::char(']'));
    press(&mut state, Key::char(']'));
    let backend = draw(&state, 160, 48, false);
    let screen = format!("{backend:?}");
    for expected in [
        "http://127.0.0.1:15432/admin",
        "redis://10.0.1.23:6379",
        "forwards ›localhost:15432 → api:8080",
        "↑1.5 KiB ↓12.0 MiB · 2 open",
        "1 refused: nothing listens on 8080 in the container",
        "localhost:… → api:8080",
        "agent RUNNING",
        "agent PENDING",
    ] {
        assert!(screen.contains(expected), "{expected} on screen: {screen}");
    }
    snapshot_connect_sizes("detail_connect", &mut state);
}

#[test]
fn detail_pane_with_a_container_chosen() {
    let mut state = connectable();
    press(&mut state, Key::char('d'));
    // The items: two links, then api and redis; `[` wraps to the last.
    press(&mut state, Key::char('['));
    let backend = draw(&state, 160, 48, false);
    let screen = format!("{backend:?}");
    assert!(
        screen.contains(" ›redis"),
        "the chosen container is marked: {screen}"
    );
    assert!(!screen.contains("›admin"), "and nothing else: {screen}");
    snapshot_connect_sizes("detail_container_chosen", &mut state);
}
