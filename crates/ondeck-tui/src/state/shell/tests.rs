use super::*;
use crate::state::fixtures::{everyone, exec_ready, loaded, press, running, select};
use crate::state::keymap::KeyCode;
use crate::state::{Action, MessageKind, update};

fn open_shell_effect(effects: &[Effect]) -> Option<(RequestId, String, String)> {
    effects.iter().find_map(|effect| match effect {
        Effect::OpenShell {
            req,
            container,
            command,
            ..
        } => Some((*req, container.clone(), command.clone())),
        _ => None,
    })
}

fn message(state: &AppState) -> (MessageKind, String) {
    let message = state.message.as_ref().expect("a message");
    (message.kind, message.text.clone())
}

fn grant() -> SessionGrant {
    SessionGrant {
        session_id: "ecs-execute-command-1".into(),
        stream_url: "ws://127.0.0.1:1/v1/data-channel/1".into(),
        token: "secret".into(),
    }
}

#[test]
fn s_with_several_containers_opens_the_picker_and_enter_asks_for_that_shell() {
    let mut state = loaded(vec![exec_ready("web-1")]);
    select(&mut state, "web-1");
    assert!(open_shell_effect(&press(&mut state, Key::char('s'))).is_none());
    let Mode::Shell(picker) = &state.mode else {
        panic!("the picker is open: {:?}", state.mode);
    };
    assert_eq!(picker.label, "web-1");
    let names: Vec<_> = picker
        .choices
        .iter()
        .map(|c| c.container.as_str())
        .collect();
    assert_eq!(names, ["api", "redis"]);
    press(&mut state, Key::char('j'));
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    let (req, container, command) = open_shell_effect(&effects).expect("a shell is asked for");
    assert_eq!(container, "redis");
    assert_eq!(command, DEFAULT_SHELL);
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(state.shell.as_ref().map(|s| s.req), Some(req));
}

#[test]
fn esc_closes_the_picker_without_a_shell() {
    let mut state = loaded(vec![exec_ready("web-1")]);
    select(&mut state, "web-1");
    press(&mut state, Key::char('s'));
    let effects = press(&mut state, Key::plain(KeyCode::Esc));
    assert!(open_shell_effect(&effects).is_none());
    assert_eq!(state.mode, Mode::Normal);
    assert!(state.shell.is_none());
}

#[test]
fn the_templates_exec_container_and_shell_skip_the_picker() {
    let mut state = loaded(vec![exec_ready("web-1")]);
    let template = state
        .profile
        .templates
        .get_mut("web")
        .expect("fixture template");
    template.exec_container = Some("redis".into());
    template.shell = Some("/bin/bash".into());
    select(&mut state, "web-1");
    let effects = press(&mut state, Key::char('s'));
    let (_, container, command) = open_shell_effect(&effects).expect("straight to the shell");
    assert_eq!(
        (container.as_str(), command.as_str()),
        ("redis", "/bin/bash")
    );
    assert_eq!(state.mode, Mode::Normal);
}

#[test]
fn a_task_without_exec_says_relaunch_with_exec_and_asks_nothing() {
    let mut state = loaded(vec![running("web-1")]);
    state
        .profile
        .templates
        .get_mut("web")
        .unwrap()
        .exec_container = Some("api".into());
    select(&mut state, "web-1");
    let effects = press(&mut state, Key::char('s'));
    assert!(open_shell_effect(&effects).is_none());
    let (kind, text) = message(&state);
    assert_eq!(kind, MessageKind::Error);
    assert!(text.contains("relaunch with exec"), "{text}");
}

#[test]
fn a_pending_agent_says_wait_with_its_state() {
    let mut instance = exec_ready("web-1");
    instance.tasks[0].containers[0].exec_agent = Some("PENDING".into());
    let mut state = loaded(vec![instance]);
    state
        .profile
        .templates
        .get_mut("web")
        .unwrap()
        .exec_container = Some("api".into());
    select(&mut state, "web-1");
    assert!(open_shell_effect(&press(&mut state, Key::char('s'))).is_none());
    let (_, text) = message(&state);
    assert!(
        text.starts_with(
            "no shell in api of web-1: the exec agent of api is PENDING, not RUNNING yet: wait"
        ),
        "{text}"
    );
}

#[test]
fn someone_elses_instance_gets_no_shell_from_the_dashboard() {
    let mut theirs = exec_ready("their-1");
    theirs.owner = "bob".into();
    for task in &mut theirs.tasks {
        task.tags
            .insert(ondeck_core::model::tags::OWNER.into(), "bob".into());
    }
    let mut state = everyone(None, vec![theirs]);
    select(&mut state, "their-1");
    assert!(open_shell_effect(&press(&mut state, Key::char('s'))).is_none());
    let (kind, text) = message(&state);
    assert_eq!(kind, MessageKind::Error);
    assert!(text.contains("belongs to bob"), "{text}");
}

#[test]
fn a_grant_hands_the_terminal_over_and_the_end_is_reported() {
    let mut state = loaded(vec![exec_ready("web-1")]);
    state
        .profile
        .templates
        .get_mut("web")
        .unwrap()
        .exec_container = Some("api".into());
    select(&mut state, "web-1");
    let (req, ..) = open_shell_effect(&press(&mut state, Key::char('s'))).unwrap();
    // A stale answer is dropped.
    assert!(
        update(
            &mut state,
            Action::ShellGranted {
                req: req + 100,
                result: Ok(grant())
            }
        )
        .is_empty()
    );
    let effects = update(
        &mut state,
        Action::ShellGranted {
            req,
            result: Ok(grant()),
        },
    );
    assert!(matches!(
        effects.as_slice(),
        [Effect::AttachShell { req: attached, title, grant: given }]
            if *attached == req && title == "api in web-1" && *given == grant()
    ));
    update(
        &mut state,
        Action::ShellEnded {
            req,
            result: Ok(Some(0)),
        },
    );
    assert!(state.shell.is_none());
    assert_eq!(
        message(&state).1,
        "shell in api in web-1 ended (exit code 0)"
    );
}

#[test]
fn a_refused_shell_is_said_in_the_status_line_and_s_works_again() {
    let mut state = loaded(vec![exec_ready("web-1")]);
    state
        .profile
        .templates
        .get_mut("web")
        .unwrap()
        .exec_container = Some("api".into());
    select(&mut state, "web-1");
    let (req, ..) = open_shell_effect(&press(&mut state, Key::char('s'))).unwrap();
    // While it opens, a second `s` asks for nothing more.
    assert!(open_shell_effect(&press(&mut state, Key::char('s'))).is_none());
    let effects = update(
        &mut state,
        Action::ShellGranted {
            req,
            result: Err("ecs:ExecuteCommand denied".into()),
        },
    );
    assert!(effects.is_empty());
    let (kind, text) = message(&state);
    assert_eq!(kind, MessageKind::Error);
    assert_eq!(
        text,
        "cannot open a shell in api in web-1: ecs:ExecuteCommand denied"
    );
    assert!(open_shell_effect(&press(&mut state, Key::char('s'))).is_some());
}

#[test]
fn read_only_refuses_a_shell() {
    let mut state = crate::state::fixtures::start(true, None);
    let effects = press(&mut state, Key::char('s'));
    assert!(open_shell_effect(&effects).is_none());
    assert!(message(&state).1.contains("read-only"));
}

#[test]
fn s_on_a_container_chosen_in_the_detail_pane_opens_there_without_the_picker() {
    let mut state = loaded(vec![exec_ready("web-1")]);
    select(&mut state, "web-1");
    // No links or forwards: the items are the containers, api then redis.
    press(&mut state, Key::char(']'));
    press(&mut state, Key::char(']'));
    let instance = state.selected_instance().unwrap();
    let chosen = state
        .chosen_container(instance)
        .map(|(_, c)| c.name.clone());
    assert_eq!(chosen.as_deref(), Some("redis"));
    let effects = press(&mut state, Key::char('s'));
    let (_, container, command) = open_shell_effect(&effects).expect("straight to the shell");
    assert_eq!(
        (container.as_str(), command.as_str()),
        ("redis", DEFAULT_SHELL)
    );
    assert_eq!(state.mode, Mode::Normal, "no picker");
}

#[test]
fn the_chosen_container_wins_over_the_templates_exec_container_and_is_judged_too() {
    let mut instance = exec_ready("web-1");
    instance.tasks[0].containers[1].exec_agent = Some("PENDING".into());
    let mut state = loaded(vec![instance]);
    state
        .profile
        .templates
        .get_mut("web")
        .unwrap()
        .exec_container = Some("api".into());
    select(&mut state, "web-1");
    press(&mut state, Key::char('['));
    assert!(open_shell_effect(&press(&mut state, Key::char('s'))).is_none());
    let (kind, text) = message(&state);
    assert_eq!(kind, MessageKind::Error);
    assert!(
        text.starts_with("no shell in redis of web-1: the exec agent of redis is PENDING"),
        "{text}"
    );
}

#[test]
fn with_nothing_chosen_s_still_asks_which_container() {
    let mut state = loaded(vec![exec_ready("web-1")]);
    select(&mut state, "web-1");
    let instance = state.selected_instance().unwrap();
    assert!(
        state.chosen_container(instance).is_none(),
        "a container is never chosen unasked"
    );
    press(&mut state, Key::char('s'));
    assert!(matches!(state.mode, Mode::Shell(_)), "{:?}", state.mode);
}
