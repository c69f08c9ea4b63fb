use std::collections::BTreeMap;

use super::*;
use crate::state::fixtures::*;
use crate::state::{Action, Effect, MessageKind, Mode, update};
use ondeck_core::instances::InstanceState;
use ondeck_core::model::TaskState;
use ondeck_core::ops::Launched;
use ondeck_core::ops::connect::ExecWarning;

fn dialog() -> LaunchDialog {
    LaunchDialog::new(&profile("dev"))
}

fn type_into(dialog: &mut LaunchDialog, text: &str) {
    for c in text.chars() {
        assert_eq!(dialog.key(Key::char(c)), Outcome::Open);
    }
}

#[test]
fn tab_and_enter_step_through_the_fields_and_back_tab_goes_back() {
    let mut dialog = dialog();
    assert_eq!(dialog.focus, LaunchField::Template);
    dialog.key(Key::plain(KeyCode::Tab));
    assert_eq!(dialog.focus, LaunchField::Name);
    dialog.key(Key::plain(KeyCode::Enter));
    assert_eq!(dialog.focus, LaunchField::Env);
    dialog.key(Key::plain(KeyCode::Tab));
    assert_eq!(dialog.focus, LaunchField::Confirm);
    dialog.key(Key::plain(KeyCode::Tab));
    assert_eq!(dialog.focus, LaunchField::Template, "round again");
    dialog.key(Key::plain(KeyCode::BackTab));
    assert_eq!(dialog.focus, LaunchField::Confirm);
    assert_eq!(dialog.key(Key::plain(KeyCode::Esc)), Outcome::Cancelled);
}

#[test]
fn the_template_list_moves_with_j_k_and_arrows_within_its_ends() {
    let mut dialog = dialog();
    dialog.key(Key::char('k'));
    assert_eq!(dialog.cursor, 0);
    dialog.key(Key::char('j'));
    assert_eq!(dialog.cursor, 1);
    dialog.key(Key::plain(KeyCode::Down));
    assert_eq!(dialog.cursor, 1, "worker is the last of two");
    dialog.key(Key::plain(KeyCode::Up));
    assert_eq!(dialog.cursor, 0);
}

#[test]
fn text_fields_edit_with_the_line_keys_and_the_request_carries_them() {
    let mut dialog = dialog();
    dialog.key(Key::char('j'));
    dialog.key(Key::plain(KeyCode::Tab));
    // `j` and `k` are letters in a text field.
    type_into(&mut dialog, "jobs kept");
    dialog.key(Key::ctrl('w'));
    dialog.key(Key::plain(KeyCode::Home));
    type_into(&mut dialog, "x-");
    assert_eq!(dialog.name.text(), "x-jobs ");
    dialog.key(Key::plain(KeyCode::Tab));
    type_into(&mut dialog, "worker:THREADS=4");
    dialog.key(Key::plain(KeyCode::Tab));
    let Outcome::Done(request) = dialog.key(Key::plain(KeyCode::Enter)) else {
        panic!("not submitted: {dialog:?}");
    };
    assert_eq!(request.template, "worker");
    assert_eq!(request.name.as_deref(), Some("x-jobs"), "trimmed");
    assert_eq!(request.env["worker"]["THREADS"], "4");
}

#[test]
fn a_paste_goes_into_the_focused_field_and_its_newlines_submit_nothing() {
    let mut dialog = dialog();
    dialog.paste("ignored\n");
    assert_eq!(
        dialog.focus,
        LaunchField::Template,
        "no field to paste into"
    );
    assert_eq!((dialog.name.text(), dialog.env.text()), ("", ""));

    dialog.key(Key::plain(KeyCode::Tab));
    dialog.paste("pasted\n\nname\n");
    assert_eq!(dialog.focus, LaunchField::Name);
    assert_eq!(dialog.name.text(), "pasted  name ");
    dialog.key(Key::plain(KeyCode::Tab));
    dialog.paste("api:A=1\r\nworker:B=2");
    assert_eq!(dialog.env.text(), "api:A=1 worker:B=2");
    dialog.key(Key::plain(KeyCode::Tab));
    dialog.paste("\n");
    assert_eq!(dialog.focus, LaunchField::Confirm, "a paste is not a key");
}

#[test]
fn a_bad_env_override_is_refused_with_the_reason() {
    let mut dialog = dialog();
    dialog.key(Key::plain(KeyCode::Tab));
    dialog.key(Key::plain(KeyCode::Tab));
    type_into(&mut dialog, "THREADS=4");
    dialog.key(Key::plain(KeyCode::Tab));
    assert_eq!(dialog.key(Key::plain(KeyCode::Enter)), Outcome::Open);
    assert!(
        dialog
            .error
            .as_deref()
            .is_some_and(|error| error.contains("CONTAINER:KEY=VALUE")),
        "{:?}",
        dialog.error
    );
}

#[test]
fn a_profile_without_templates_cannot_submit() {
    let mut bare = profile("dev");
    bare.templates.clear();
    let mut dialog = LaunchDialog::new(&bare);
    dialog.key(Key::plain(KeyCode::BackTab));
    assert_eq!(dialog.key(Key::plain(KeyCode::Enter)), Outcome::Open);
    assert!(dialog.error.unwrap().contains("has no templates"));
}

// Through `update`: the dialog as `n` opens it.

#[test]
fn launch_dialog_flow_submits_and_shows_the_instance_at_once() {
    let mut state = loaded(vec![]);
    press(&mut state, Key::char('n'));
    assert!(matches!(state.mode, Mode::Launch(_)));
    press(&mut state, Key::char('j')); // template: worker
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "jobs");
    press(&mut state, Key::plain(KeyCode::Enter));
    type_text(&mut state, "worker:THREADS=4");
    press(&mut state, Key::plain(KeyCode::Enter));
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    let [Effect::Launch { req, request }] = effects.as_slice() else {
        panic!("expected a launch, got {effects:?}");
    };
    assert_eq!(
        *request,
        LaunchRequest {
            template: "worker".into(),
            name: Some("jobs".into()),
            env: BTreeMap::from([(
                "worker".to_string(),
                BTreeMap::from([("THREADS".to_string(), "4".to_string())])
            )]),
            ttl: None,
        }
    );
    assert_eq!(state.mode, Mode::Normal);
    assert!(state.waiting());

    let effects = update(
        &mut state,
        Action::Launched {
            req: *req,
            at: at(10, 1),
            result: Ok(Launched {
                id: mine("jobs"),
                tasks: vec![task("jobs", "j-1", TaskState::Provisioning)],
                failures: vec![],
                recovered: false,
                exec_warnings: vec![],
            }),
        },
    );
    refresh_req(&effects);
    assert_eq!(names(&state), vec!["jobs"]);
    assert_eq!(
        state.rows()[0].state,
        InstanceState::Lifecycle(TaskState::Provisioning)
    );
    assert_eq!(selected_name(&state), Some("jobs"));
}

#[test]
fn a_launch_whose_exec_cannot_work_says_so_in_the_status_line() {
    let mut state = loaded(vec![]);
    press(&mut state, Key::char('n'));
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "jobs");
    press(&mut state, Key::plain(KeyCode::Enter));
    press(&mut state, Key::plain(KeyCode::Enter));
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    let [Effect::Launch { req, .. }] = effects.as_slice() else {
        panic!("expected a launch, got {effects:?}");
    };
    let warning = ExecWarning::NoTaskRole {
        template: "web".into(),
        definition: "web:3".into(),
        asked: true,
    };
    update(
        &mut state,
        Action::Launched {
            req: *req,
            at: at(10, 1),
            result: Ok(Launched {
                id: mine("jobs"),
                tasks: vec![task("jobs", "j-1", TaskState::Provisioning)],
                failures: vec![],
                recovered: false,
                exec_warnings: vec![warning.clone()],
            }),
        },
    );
    let message = state.message.as_ref().expect("a message");
    assert_eq!(message.kind, MessageKind::Error, "it stands out");
    assert!(
        message.text.starts_with("launched jobs from web"),
        "{}",
        message.text
    );
    assert!(
        message.text.ends_with(&format!("; {warning}")),
        "{}",
        message.text
    );
    assert!(message.text.contains("ssmmessages:*"), "{}", message.text);
    assert_eq!(
        selected_name(&state),
        Some("jobs"),
        "the launch itself went on"
    );
}

#[test]
fn a_bad_env_override_keeps_the_dialog_open_with_the_reason() {
    let mut state = loaded(vec![]);
    press(&mut state, Key::char('n'));
    press(&mut state, Key::plain(KeyCode::Tab));
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "THREADS=4");
    press(&mut state, Key::plain(KeyCode::Tab));
    assert!(press(&mut state, Key::plain(KeyCode::Enter)).is_empty());
    let Mode::Launch(dialog) = &state.mode else {
        panic!("dialog closed");
    };
    assert!(
        dialog
            .error
            .as_deref()
            .unwrap()
            .contains("CONTAINER:KEY=VALUE")
    );
}

#[test]
fn a_launch_under_way_shows_its_registration_and_nothing_else_does() {
    let mut state = loaded(vec![]);
    update(
        &mut state,
        Action::LaunchProgress("registering ondeck-dev-shop revision 3…".into()),
    );
    assert_eq!(state.message, None, "no launch is out");
    press(&mut state, Key::char('n'));
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "shop-1");
    press(&mut state, Key::plain(KeyCode::Enter));
    press(&mut state, Key::plain(KeyCode::Enter));
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::Launch { .. }]),
        "{effects:?}"
    );
    update(
        &mut state,
        Action::LaunchProgress("registering ondeck-dev-shop revision 3…".into()),
    );
    let message = state.message.as_ref().expect("a message");
    assert_eq!(message.text, "registering ondeck-dev-shop revision 3…");
}
