//! Container choice and the readiness rules, each error with what to do.

use ondeck_core::fixtures::{definitions, instance, profile, task};
use ondeck_core::model::TaskState;

use super::*;

fn exec_ready(state: TaskState, agent: &str) -> Task {
    let mut task = task("web-1", "t1", state);
    task.exec_enabled = true;
    for (i, container) in task.containers.iter_mut().enumerate() {
        container.exec_agent = Some(agent.into());
        container.runtime_id = Some(format!("t1-{i}"));
    }
    task
}

/// The fixture's definitions, with the task role exec needs.
fn with_role() -> BTreeMap<String, TaskDefinition> {
    let mut found = definitions();
    for definition in found.values_mut() {
        definition.task_role_arn = Some("arn:aws:iam::123456789012:role/web-task".into());
    }
    found
}

#[test]
fn several_containers_need_a_choice_and_the_refusal_lists_them() {
    let web = instance("web-1", vec![exec_ready(TaskState::Running, "RUNNING")]);
    let error = choose(&web, &with_role(), None, None).unwrap_err();
    assert!(error.contains("choose one with -c: api, redis"), "{error}");
    let target = choose(&web, &with_role(), None, Some("redis")).unwrap();
    assert_eq!(target.container, "redis");
    assert_eq!(target.runtime_id, "t1-1");
    let error = choose(&web, &with_role(), None, Some("db")).unwrap_err();
    assert!(
        error.contains("no container `db`; containers: api, redis"),
        "{error}"
    );
}

#[test]
fn the_templates_exec_container_is_the_default_and_c_overrides_it() {
    let web = instance("web-1", vec![exec_ready(TaskState::Running, "RUNNING")]);
    let mut template = profile("dev").templates["web"].clone();
    template.exec_container = Some("api".into());
    assert_eq!(
        choose(&web, &with_role(), Some(&template), None)
            .unwrap()
            .container,
        "api"
    );
    assert_eq!(
        choose(&web, &with_role(), Some(&template), Some("redis"))
            .unwrap()
            .container,
        "redis"
    );
}

#[test]
fn a_task_without_exec_says_relaunch_with_exec() {
    let mut plain = exec_ready(TaskState::Running, "RUNNING");
    plain.exec_enabled = false;
    let error = choose(
        &instance("web-1", vec![plain]),
        &BTreeMap::new(),
        None,
        Some("api"),
    )
    .unwrap_err();
    assert!(error.contains("relaunch with exec"), "{error}");
}

#[test]
fn an_agent_not_running_yet_says_wait_with_its_state() {
    let web = instance("web-1", vec![exec_ready(TaskState::Running, "PENDING")]);
    let error = choose(&web, &with_role(), None, Some("api")).unwrap_err();
    assert!(
        error.contains("is PENDING") && error.contains("wait"),
        "{error}"
    );
    let web = instance("web-1", vec![exec_ready(TaskState::Running, "STOPPED")]);
    let error = choose(&web, &BTreeMap::new(), None, Some("api")).unwrap_err();
    assert!(
        error.contains("is STOPPED") && error.contains("ssmmessages"),
        "{error}"
    );
    // Its task definition known, a missing task role is named as the cause.
    let error = choose(&web, &definitions(), None, Some("api")).unwrap_err();
    assert!(
        error.starts_with("cannot connect to api of web-1: task definition web:3 has no task role"),
        "{error}"
    );
}

#[test]
fn a_task_not_yet_running_says_wait() {
    let web = instance("web-1", vec![exec_ready(TaskState::Pending, "PENDING")]);
    let error = choose(&web, &with_role(), None, Some("api")).unwrap_err();
    assert!(
        error.contains("the task is PENDING, not running yet: wait"),
        "{error}"
    );
}
