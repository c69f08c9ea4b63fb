use crate::state::fixtures::{at, exec_ready, loaded, mine, poll, press, select, type_text};
use crate::state::forwards::{ForwardStats, ForwardTarget};
use crate::state::keymap::{Key, KeyCode};
use crate::state::{Action, AppState, Effect, Mode, update};

fn dashboard() -> AppState {
    let mut state = loaded(vec![exec_ready("api-demo"), exec_ready("jobs")]);
    select(&mut state, "api-demo");
    state
        .profile
        .templates
        .get_mut("web")
        .unwrap()
        .links
        .extend([
            (
                "admin".to_string(),
                "http://{endpoint:api:8080}/admin".to_string(),
            ),
            (
                "cache".to_string(),
                "redis://{endpoint:redis:6379}".to_string(),
            ),
        ]);
    state
}

/// `F`, enter: the forward asked of the runtime.
fn forward_first_port(state: &mut AppState) -> (u64, ForwardTarget) {
    press(state, Key::char('F'));
    assert!(matches!(state.mode, Mode::Forward(_)), "F opens the dialog");
    let effects = press(state, Key::plain(KeyCode::Enter));
    match effects.as_slice() {
        [Effect::StartForward { id, target }] => (*id, target.clone()),
        other => panic!("expected one StartForward, got {other:?}"),
    }
}

fn message(state: &AppState) -> String {
    state
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

#[test]
fn f_then_enter_forwards_the_first_port_of_the_selected_instance() {
    let mut state = dashboard();
    let (_, target) = forward_first_port(&mut state);
    assert_eq!(target.instance, mine("api-demo"));
    assert_eq!(
        (target.container.as_str(), target.remote_port),
        ("api", 8080)
    );
    assert_eq!(target.runtime_id, "api-demo-1-api");
    assert_eq!(target.local_port, 0);
    assert!(target.task_arn.ends_with("/api-demo-1"));
}

#[test]
fn the_templates_exec_container_comes_first_in_the_dialog() {
    let mut state = dashboard();
    state
        .profile
        .templates
        .get_mut("web")
        .unwrap()
        .exec_container = Some("redis".into());
    let (_, target) = forward_first_port(&mut state);
    assert_eq!(
        (target.container.as_str(), target.remote_port),
        ("redis", 6379)
    );
}

#[test]
fn a_task_without_exec_is_refused_with_relaunch_advice() {
    let mut state = loaded(vec![crate::state::fixtures::running("old")]);
    select(&mut state, "old");
    press(&mut state, Key::char('F'));
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert!(effects.is_empty());
    let Mode::Forward(dialog) = &state.mode else {
        panic!("the dialog stays open with the reason");
    };
    assert!(
        dialog
            .error
            .as_deref()
            .unwrap()
            .contains("relaunch with exec")
    );
}

#[test]
fn the_started_forward_is_listed_and_its_links_use_the_local_port() {
    let mut state = dashboard();
    let instance = state.selected_instance().unwrap().clone();
    let before: Vec<_> = state
        .detail_items(&instance)
        .into_iter()
        .map(|i| format!("{i:?}"))
        .collect();
    assert!(
        before[0].contains("http://10.0.1.23:8080/admin"),
        "{before:?}"
    );

    let (id, _) = forward_first_port(&mut state);
    update(
        &mut state,
        Action::ForwardStarted {
            id,
            result: Ok(15432),
        },
    );
    assert_eq!(message(&state), "forwarding localhost:15432 → api:8080");
    let after: Vec<_> = state
        .detail_items(&instance)
        .into_iter()
        .map(|i| format!("{i:?}"))
        .collect();
    assert!(
        after[0].contains("http://127.0.0.1:15432/admin"),
        "{after:?}"
    );
    // The other link's container is not forwarded: still its private address.
    assert!(after[1].contains("redis://10.0.1.23:6379"), "{after:?}");
    assert_eq!(after.len(), 5, "two links, the forward, two containers");
}

#[test]
fn a_forward_that_fails_to_open_is_dropped_with_its_reason() {
    let mut state = dashboard();
    let (id, _) = forward_first_port(&mut state);
    update(
        &mut state,
        Action::ForwardStarted {
            id,
            result: Err("local port 15432 is taken; choose another".into()),
        },
    );
    assert!(state.forwards.list.is_empty());
    assert!(message(&state).contains("is taken"));
}

#[test]
fn stats_mark_the_screen_dirty_only_when_they_change() {
    let mut state = dashboard();
    let (id, _) = forward_first_port(&mut state);
    update(
        &mut state,
        Action::ForwardStarted {
            id,
            result: Ok(15432),
        },
    );
    let stats = ForwardStats {
        sent: 10,
        received: 200,
        connections: 1,
        refused: 0,
    };
    state.dirty = false;
    update(&mut state, Action::ForwardStats { id, stats });
    assert!(state.dirty);
    assert_eq!(state.forwards.list[0].stats, stats);
    state.dirty = false;
    update(&mut state, Action::ForwardStats { id, stats });
    assert!(!state.dirty, "the same figures again draw nothing");
}

#[test]
fn a_dropped_session_says_so_and_how_to_reopen() {
    let mut state = dashboard();
    let (id, _) = forward_first_port(&mut state);
    update(
        &mut state,
        Action::ForwardStarted {
            id,
            result: Ok(15432),
        },
    );
    update(
        &mut state,
        Action::ForwardEnded {
            id,
            why: "the session dropped (network)".into(),
        },
    );
    assert!(state.forwards.list.is_empty());
    let text = message(&state);
    assert!(
        text.contains("localhost:15432 → api:8080 closed: the session dropped"),
        "{text}"
    );
    assert!(text.contains("press F"), "{text}");
}

#[test]
fn brackets_pick_an_item_x_closes_the_forward_o_copies_the_link() {
    let mut state = dashboard();
    let (id, _) = forward_first_port(&mut state);
    update(
        &mut state,
        Action::ForwardStarted {
            id,
            result: Ok(15432),
        },
    );

    // Items: admin, cache, the forward. The cursor starts on the first link.
    assert_eq!(
        press(&mut state, Key::char('o')),
        [Effect::Copy("http://127.0.0.1:15432/admin".into())]
    );
    press(&mut state, Key::char(']'));
    assert_eq!(
        press(&mut state, Key::char('o')),
        [Effect::Copy("redis://10.0.1.23:6379".into())]
    );
    assert!(
        press(&mut state, Key::char('x')).is_empty(),
        "a link is not closed"
    );
    assert!(message(&state).contains("no forward selected"));

    press(&mut state, Key::char(']'));
    assert_eq!(
        press(&mut state, Key::char('x')),
        [Effect::StopForward { id }]
    );
    assert!(state.forwards.list.is_empty());
    assert_eq!(message(&state), "closed localhost:15432 → api:8080");
    // The cursor stays in place, now on the first container (after the links); `[` wraps
    // from the first item to the last container.
    assert!(press(&mut state, Key::char('o')).is_empty());
    assert!(message(&state).contains("no link selected"));
    press(&mut state, Key::char('['));
    assert_eq!(
        press(&mut state, Key::char('o')),
        [Effect::Copy("redis://10.0.1.23:6379".into())]
    );
    press(&mut state, Key::char('['));
    press(&mut state, Key::char('['));
    let instance = state.selected_instance().unwrap();
    let chosen = state
        .chosen_container(instance)
        .map(|(_, c)| c.name.clone());
    assert_eq!(chosen.as_deref(), Some("redis"));
}

#[test]
fn y_copies_the_exec_container_then_an_essential_one_not_the_first() {
    let mut state = dashboard();
    // The definitions list api (essential) then redis: put a non-essential first.
    for definition in state.definitions.values_mut() {
        definition.containers.reverse();
    }
    assert_eq!(
        press(&mut state, Key::char('y')),
        [Effect::Copy("10.0.1.23:8080".into())]
    );
    state
        .profile
        .templates
        .get_mut("web")
        .unwrap()
        .exec_container = Some("redis".into());
    assert_eq!(
        press(&mut state, Key::char('y')),
        [Effect::Copy("10.0.1.23:6379".into())]
    );
}

#[test]
fn y_on_a_container_chosen_in_the_detail_pane_copies_its_endpoint() {
    let mut state = loaded(vec![exec_ready("api-demo")]);
    select(&mut state, "api-demo");
    state
        .profile
        .templates
        .get_mut("web")
        .unwrap()
        .exec_container = Some("api".into());
    // The items are api then redis; `[` from nothing chosen lands on the last.
    press(&mut state, Key::char('['));
    assert_eq!(
        press(&mut state, Key::char('y')),
        [Effect::Copy("10.0.1.23:6379".into())]
    );
}

#[test]
fn y_on_a_selected_forward_copies_its_local_end() {
    let mut state = loaded(vec![exec_ready("api-demo")]);
    select(&mut state, "api-demo");
    let (id, _) = forward_first_port(&mut state);
    update(
        &mut state,
        Action::ForwardStarted {
            id,
            result: Ok(15432),
        },
    );
    assert_eq!(
        press(&mut state, Key::char('y')),
        [Effect::Copy("127.0.0.1:15432".into())]
    );
}

#[test]
fn destroying_the_instance_closes_its_forwards_only() {
    let mut state = dashboard();
    let (api, _) = forward_first_port(&mut state);
    select(&mut state, "jobs");
    let (jobs, _) = forward_first_port(&mut state);
    select(&mut state, "api-demo");
    press(&mut state, Key::ctrl('d'));
    let effects = press(&mut state, Key::char('y'));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Destroy { .. })),
        "{effects:?}"
    );
    assert!(
        effects.contains(&Effect::StopForward { id: api }),
        "{effects:?}"
    );
    assert!(!effects.contains(&Effect::StopForward { id: jobs }));
    assert_eq!(state.forwards.list.len(), 1);
}

#[test]
fn a_snapshot_without_the_forwarded_task_closes_the_forward() {
    let mut state = dashboard();
    let (id, _) = forward_first_port(&mut state);
    // Still there: nothing closes.
    poll(
        &mut state,
        at(10, 1),
        vec![exec_ready("api-demo"), exec_ready("jobs")],
    );
    assert_eq!(state.forwards.list.len(), 1);
    let mut stopped = exec_ready("api-demo");
    stopped.tasks[0].last_status = ondeck_core::model::TaskState::Stopped;
    let effects = {
        let tick = update(&mut state, Action::Tick(at(10, 5)));
        let req = crate::state::fixtures::refresh_req(&tick);
        crate::state::fixtures::answer(
            &mut state,
            req,
            at(10, 5),
            crate::state::fixtures::snapshot(vec![stopped, exec_ready("jobs")]),
        )
    };
    assert!(effects.contains(&Effect::StopForward { id }), "{effects:?}");
    assert!(state.forwards.list.is_empty());
}

#[test]
fn esc_cancels_the_dialog_and_typed_digits_are_the_local_port() {
    let mut state = dashboard();
    press(&mut state, Key::char('F'));
    assert!(press(&mut state, Key::plain(KeyCode::Esc)).is_empty());
    assert!(matches!(state.mode, Mode::Normal));
    press(&mut state, Key::char('F'));
    type_text(&mut state, "15432");
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::StartForward { target, .. }] if target.local_port == 15432)
    );
}

#[test]
fn switching_profile_closes_the_forwards_opened_under_the_old_one_and_says_so() {
    let mut state = dashboard();
    let (id, _) = forward_first_port(&mut state);
    update(
        &mut state,
        Action::ForwardStarted {
            id,
            result: Ok(15432),
        },
    );
    press(&mut state, Key::char(':'));
    type_text(&mut state, "profile prod");
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert!(effects.contains(&Effect::StopForward { id }), "{effects:?}");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::SwitchProfile(p) if p.name == "prod"))
    );
    assert!(state.forwards.list.is_empty());
    assert_eq!(
        message(&state),
        "switched to profile prod; closed the 1 forward(s) opened under dev — switch back and \
         press F to open them again"
    );
    // A late report about the closed forward changes nothing.
    update(
        &mut state,
        Action::ForwardStarted {
            id,
            result: Ok(15432),
        },
    );
    assert!(state.forwards_listed().is_empty());
}

#[test]
fn read_only_refuses_f_as_it_refuses_s() {
    let mut state = crate::state::fixtures::app(true, at(10, 5));
    poll(&mut state, at(10, 4), vec![exec_ready("api-demo")]);
    select(&mut state, "api-demo");
    assert!(press(&mut state, Key::char('F')).is_empty());
    assert_eq!(state.mode, Mode::Normal, "no dialog");
    assert!(
        message(&state).contains("read-only: `forward` is disabled"),
        "{}",
        message(&state)
    );
    assert!(press(&mut state, Key::char('s')).is_empty());
    assert!(
        message(&state).contains("read-only: `shell` is disabled"),
        "{}",
        message(&state)
    );
}
