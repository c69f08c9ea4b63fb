use super::*;
use crate::state::fixtures::{definitions, exec_ready, running, task};
use ondeck_core::model::TaskState;

fn choices(preferred: Option<&str>) -> Vec<PortChoice> {
    port_choices(&exec_ready("api-demo"), &definitions(), preferred)
}

#[test]
fn choices_are_the_definitions_container_ports_with_the_preferred_container_first() {
    let listed = |found: Vec<PortChoice>| -> Vec<(String, u16)> {
        found.into_iter().map(|c| (c.container, c.port)).collect()
    };
    assert_eq!(
        listed(choices(None)),
        [("api".to_string(), 8080), ("redis".to_string(), 6379)]
    );
    assert_eq!(
        listed(choices(Some("redis"))),
        [("redis".to_string(), 6379), ("api".to_string(), 8080)]
    );
    let found = choices(None);
    assert_eq!(found[0].runtime_id.as_deref(), Some("api-demo-1-api"));
}

#[test]
fn stopped_tasks_offer_nothing() {
    let mut instance = exec_ready("api-demo");
    instance.tasks = vec![task("api-demo", "old", TaskState::Stopped)];
    assert!(port_choices(&instance, &definitions(), None).is_empty());
}

#[test]
fn enter_accepts_the_prefilled_port_on_a_free_local_port() {
    let mut dialog = ForwardDialog::new(choices(None));
    let Outcome::Done(choice) = dialog.key(Key::plain(KeyCode::Enter)) else {
        panic!("enter forwards");
    };
    assert_eq!(
        (choice.port.container.as_str(), choice.port.port),
        ("api", 8080)
    );
    assert_eq!(choice.local_port, 0);
}

#[test]
fn a_typed_local_port_and_the_arrows_choose_what_is_forwarded() {
    let mut dialog = ForwardDialog::new(choices(None));
    dialog.key(Key::plain(KeyCode::Down));
    for c in "16379".chars() {
        dialog.key(Key::char(c));
    }
    let Outcome::Done(choice) = dialog.key(Key::plain(KeyCode::Enter)) else {
        panic!("enter forwards");
    };
    assert_eq!(
        (choice.port.container.as_str(), choice.local_port),
        ("redis", 16379)
    );
}

#[test]
fn a_bad_local_port_keeps_the_dialog_open_and_says_why() {
    let mut dialog = ForwardDialog::new(choices(None));
    for c in "99999".chars() {
        dialog.key(Key::char(c));
    }
    assert_eq!(dialog.key(Key::plain(KeyCode::Enter)), Outcome::Open);
    assert!(
        dialog
            .error
            .as_deref()
            .unwrap()
            .contains("`99999` is not a port")
    );
}

#[test]
fn readiness_names_what_to_do() {
    let not_enabled = port_choices(&running("old"), &definitions(), None);
    assert!(
        ready(&not_enabled[0])
            .unwrap_err()
            .contains("relaunch with exec")
    );

    let mut instance = exec_ready("api-demo");
    instance.tasks[0].containers[0].exec_agent = Some("PENDING".into());
    let pending = port_choices(&instance, &definitions(), None);
    let why = ready(&pending[0]).unwrap_err();
    assert!(
        why.starts_with(
            "no forward to api: the exec agent of api is PENDING, not RUNNING yet: wait"
        ),
        "{why}"
    );

    let mut instance = exec_ready("api-demo");
    instance.tasks[0].containers[0].runtime_id = None;
    let unstarted = port_choices(&instance, &definitions(), None);
    assert!(ready(&unstarted[0]).unwrap_err().contains("not started"));

    assert_eq!(ready(&choices(None)[0]), Ok(()));
}
