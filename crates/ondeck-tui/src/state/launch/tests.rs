use std::collections::BTreeMap;

use super::*;
use crate::state::fixtures::*;
use crate::state::{Action, Effect, MessageKind, Mode, update};
use ondeck_core::instances::InstanceState;
use ondeck_core::model::TaskState;
use ondeck_core::ops::Launched;
use ondeck_core::ops::connect::ExecWarning;

fn dialog() -> LaunchDialog {
    // `web:3` has been seen running (containers api and redis); `worker:3` has not.
    LaunchDialog::new(&profile("dev"), &ondeck_core::fixtures::definitions())
}

fn tab_to(dialog: &mut LaunchDialog, field: LaunchField) {
    while dialog.focus != field {
        dialog.key(Key::plain(KeyCode::Tab));
    }
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
    assert_eq!(dialog.focus, LaunchField::Ttl);
    dialog.key(Key::plain(KeyCode::Tab));
    assert_eq!(dialog.focus, LaunchField::Spot);
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
    tab_to(&mut dialog, LaunchField::Confirm);
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
    dialog.paste("90m\n");
    assert_eq!(dialog.ttl.text(), "90m ");
    tab_to(&mut dialog, LaunchField::Confirm);
    dialog.paste("\n");
    assert_eq!(dialog.focus, LaunchField::Confirm, "a paste is not a key");
}

#[test]
fn each_field_is_checked_as_it_is_typed_by_the_launchs_own_rules() {
    let mut dialog = dialog();
    tab_to(&mut dialog, LaunchField::Name);
    type_into(&mut dialog, "Bad_Name");
    let why = dialog.problem(LaunchField::Name).expect("a bad name");
    assert!(
        why.contains("1–48 lowercase letters, digits and -"),
        "{why}"
    );
    dialog.key(Key::ctrl('u'));
    type_into(&mut dialog, "good-name");
    assert_eq!(dialog.problem(LaunchField::Name), None);

    tab_to(&mut dialog, LaunchField::Env);
    type_into(&mut dialog, "THREADS=4");
    let why = dialog
        .problem(LaunchField::Env)
        .expect("not CONTAINER:KEY=VALUE");
    assert!(why.contains("CONTAINER:KEY=VALUE"), "{why}");
    dialog.key(Key::ctrl('u'));
    type_into(&mut dialog, "worker:THREADS=4");
    let why = dialog.problem(LaunchField::Env).expect("web has no worker");
    assert!(
        why.contains("template `web` has no container `worker`; containers: api, redis"),
        "{why}"
    );
    dialog.key(Key::ctrl('u'));
    type_into(&mut dialog, "redis:MAXMEM=1g");
    assert_eq!(dialog.problem(LaunchField::Env), None);

    tab_to(&mut dialog, LaunchField::Ttl);
    type_into(&mut dialog, "45d");
    let why = dialog.problem(LaunchField::Ttl).expect("too long");
    assert!(why.contains("longer than 30 days"), "{why}");
}

#[test]
fn a_problem_keeps_the_dialog_open_as_typed_and_enter_goes_to_the_field() {
    let mut dialog = dialog();
    tab_to(&mut dialog, LaunchField::Name);
    type_into(&mut dialog, "UPPER");
    tab_to(&mut dialog, LaunchField::Env);
    type_into(&mut dialog, "api:A=1");
    tab_to(&mut dialog, LaunchField::Confirm);
    assert_eq!(dialog.key(Key::plain(KeyCode::Enter)), Outcome::Open);
    assert_eq!(dialog.focus, LaunchField::Name);
    assert_eq!(
        (dialog.name.text(), dialog.env.text()),
        ("UPPER", "api:A=1")
    );
}

#[test]
fn containers_of_a_template_never_seen_running_are_left_to_the_launch() {
    let mut dialog = dialog();
    dialog.key(Key::char('j'));
    assert_eq!(dialog.template().unwrap().containers, None);
    tab_to(&mut dialog, LaunchField::Env);
    type_into(&mut dialog, "anything:A=1");
    assert_eq!(dialog.problem(LaunchField::Env), None);
}

#[test]
fn it_knows_what_the_template_runs_its_size_price_and_ttl() {
    let dialog = dialog();
    let web = dialog.template().unwrap();
    assert_eq!(
        web.containers.as_deref(),
        Some(&["api".to_string(), "redis".to_string()][..])
    );
    assert_eq!(web.size, Some((0.5, 1.0)));
    let on_demand = web.per_hour.unwrap();
    assert!(
        (on_demand - (0.5 * 0.04048 + 0.004445)).abs() < 1e-9,
        "{on_demand}"
    );
    assert!(web.per_hour_spot.unwrap() < on_demand);
    assert_eq!(web.ttl, Some(chrono::Duration::hours(8)));
    let worker = &dialog.templates[1];
    assert_eq!((worker.size, worker.per_hour), (None, None));
}

#[test]
fn ttl_and_spot_override_the_templates() {
    let mut dialog = dialog();
    tab_to(&mut dialog, LaunchField::Confirm);
    let Outcome::Done(plain) = dialog.key(Key::plain(KeyCode::Enter)) else {
        panic!("not submitted");
    };
    assert_eq!((plain.ttl, plain.spot), (None, None), "the template's");
    tab_to(&mut dialog, LaunchField::Ttl);
    type_into(&mut dialog, "1h30m");
    tab_to(&mut dialog, LaunchField::Spot);
    dialog.key(Key::char(' '));
    assert!(dialog.spot());
    tab_to(&mut dialog, LaunchField::Confirm);
    let Outcome::Done(request) = dialog.key(Key::plain(KeyCode::Enter)) else {
        panic!("not submitted");
    };
    assert_eq!(request.ttl, Some(chrono::Duration::minutes(90)));
    assert_eq!(request.spot, Some(true));
}

#[test]
fn a_profile_without_templates_cannot_submit() {
    let mut bare = profile("dev");
    bare.templates.clear();
    let mut dialog = LaunchDialog::new(&bare, &BTreeMap::new());
    dialog.key(Key::plain(KeyCode::BackTab));
    assert_eq!(dialog.key(Key::plain(KeyCode::Enter)), Outcome::Open);
    assert_eq!(dialog.focus, LaunchField::Template);
    assert!(
        dialog
            .problem(LaunchField::Template)
            .unwrap()
            .contains("has no templates")
    );
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
    for _ in 0..3 {
        press(&mut state, Key::plain(KeyCode::Enter)); // past the ttl and Spot
    }
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
            spot: None,
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
                services: Vec::new(),
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
    for _ in 0..4 {
        press(&mut state, Key::plain(KeyCode::Tab)); // to the button
    }
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
                services: Vec::new(),
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
    for _ in 0..3 {
        press(&mut state, Key::plain(KeyCode::BackTab)); // round to the button
    }
    assert!(press(&mut state, Key::plain(KeyCode::Enter)).is_empty());
    let Mode::Launch(dialog) = &state.mode else {
        panic!("dialog closed");
    };
    assert_eq!(dialog.focus, LaunchField::Env);
    assert_eq!(dialog.env.text(), "THREADS=4");
    assert!(
        dialog
            .problem(LaunchField::Env)
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
    for _ in 0..4 {
        press(&mut state, Key::plain(KeyCode::Tab)); // to the button
    }
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

#[test]
fn after_a_failed_launch_n_reopens_the_dialog_as_it_was_typed() {
    let mut state = loaded(vec![]);
    press(&mut state, Key::char('n'));
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "taken");
    for _ in 0..4 {
        press(&mut state, Key::plain(KeyCode::Tab)); // to the button
    }
    let [Effect::Launch { req, .. }] = press(&mut state, Key::plain(KeyCode::Enter))[..] else {
        panic!("no launch");
    };
    update(
        &mut state,
        Action::Launched {
            req,
            at: at(10, 1),
            result: Err("an instance named `taken` is already live".into()),
        },
    );
    let message = state.message.clone().unwrap();
    assert!(
        message
            .text
            .ends_with("— n reopens the launch dialog as you left it"),
        "{}",
        message.text
    );
    press(&mut state, Key::char('n'));
    let Mode::Launch(dialog) = &state.mode else {
        panic!("no dialog: {:?}", state.mode);
    };
    assert_eq!(dialog.name.text(), "taken");
    // Once a launch succeeds, the next dialog starts afresh.
    let [Effect::Launch { req, .. }] = press(&mut state, Key::plain(KeyCode::Enter))[..] else {
        panic!("no launch");
    };
    update(
        &mut state,
        Action::Launched {
            req,
            at: at(10, 2),
            result: Ok(Launched {
                id: mine("taken"),
                tasks: vec![task("taken", "t-1", TaskState::Provisioning)],
                services: Vec::new(),
                failures: vec![],
                recovered: false,
                exec_warnings: vec![],
            }),
        },
    );
    press(&mut state, Key::char('n'));
    assert!(matches!(&state.mode, Mode::Launch(d) if d.name.is_empty()));
}

#[test]
fn a_service_backed_template_takes_no_env_override_in_the_dialog() {
    let mut profile = profile("dev");
    for template in profile.templates.values_mut() {
        template.kind = ondeck_core::config::TemplateKind::Service;
    }
    let mut dialog = LaunchDialog::new(&profile, &ondeck_core::fixtures::definitions());
    tab_to(&mut dialog, LaunchField::Env);
    assert_eq!(dialog.problem(LaunchField::Env), None, "empty is fine");
    type_into(&mut dialog, "api:DEBUG=1");
    let problem = dialog.problem(LaunchField::Env).unwrap();
    assert!(problem.contains("kind = \"service\""), "{problem}");
    assert!(matches!(dialog.request(), Err((LaunchField::Env, _))));
}
