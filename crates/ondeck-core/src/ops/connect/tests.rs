//! The readiness rule: each refusal, and that its words say what to do.

use super::*;
use crate::fixtures::{DEFINITION_ARN, definitions, task};

/// A task of state `state` launched with exec, its containers started, agents in `agent`.
fn exec_task(state: TaskState, agent: Option<&str>) -> Task {
    let mut task = task("web-1", "t1", state);
    task.exec_enabled = true;
    for container in &mut task.containers {
        container.exec_agent = agent.map(str::to_string);
        container.runtime_id = Some(format!("t1-{}", container.name));
    }
    task
}

/// The fixture's task definition (web:3), which has no task role.
fn definition() -> TaskDefinition {
    definitions()[DEFINITION_ARN].clone()
}

fn with_role() -> TaskDefinition {
    let mut definition = definition();
    definition.task_role_arn = Some("arn:aws:iam::123456789012:role/web-task".into());
    definition
}

fn refusal(task: &Task, definition: Option<&TaskDefinition>) -> NotReady {
    readiness(task, &task.containers[0], definition).unwrap_err()
}

#[test]
fn a_running_agent_in_a_started_container_is_ready() {
    let task = exec_task(TaskState::Running, Some("RUNNING"));
    assert_eq!(readiness(&task, &task.containers[0], None), Ok(()));
    assert_eq!(
        readiness(&task, &task.containers[0], Some(&with_role())),
        Ok(())
    );
}

#[test]
fn a_task_launched_without_exec_says_relaunch_with_exec() {
    let mut task = exec_task(TaskState::Running, None);
    task.exec_enabled = false;
    let why = refusal(&task, None);
    assert_eq!(why, NotReady::ExecNotEnabled);
    let text = why.to_string();
    assert!(text.contains("relaunch with exec"), "{text}");
    assert!(text.contains("assets/task-role-policy.json"), "{text}");
}

#[test]
fn an_agent_still_starting_says_wait_with_its_state() {
    for state in ["PENDING", "ACTIVATING"] {
        let task = exec_task(TaskState::Running, Some(state));
        let text = refusal(&task, Some(&with_role())).to_string();
        assert!(
            text.starts_with(&format!(
                "the exec agent of api is {state}, not RUNNING yet: wait"
            )),
            "{text}"
        );
    }
    let unreported = exec_task(TaskState::Running, None);
    let text = refusal(&unreported, None).to_string();
    assert!(
        text.contains("is not reported yet") && text.contains("wait"),
        "{text}"
    );
}

#[test]
fn a_stopped_agent_says_relaunch_and_what_the_task_needs() {
    let task = exec_task(TaskState::Running, Some("STOPPED"));
    let why = refusal(&task, Some(&with_role()));
    assert_eq!(
        why,
        NotReady::AgentStopped {
            container: "api".into(),
            state: "STOPPED".into()
        }
    );
    let text = why.to_string();
    assert!(
        text.contains("is STOPPED") && text.contains("relaunch"),
        "{text}"
    );
    assert!(text.contains("ssmmessages"), "{text}");
}

#[test]
fn a_missing_task_role_is_named_when_the_agent_stopped() {
    let task = exec_task(TaskState::Running, Some("STOPPED"));
    let text = refusal(&task, Some(&definition())).to_string();
    assert!(
        text.starts_with("task definition web:3 has no task role"),
        "{text}"
    );
    assert!(text.contains("then relaunch"), "{text}");
    // A starting agent is waited for, and one that runs anyway is not second-guessed.
    let pending = exec_task(TaskState::Running, Some("PENDING"));
    assert!(matches!(
        refusal(&pending, Some(&definition())),
        NotReady::AgentStarting { .. }
    ));
    let running = exec_task(TaskState::Running, Some("RUNNING"));
    assert_eq!(
        readiness(&running, &running.containers[0], Some(&definition())),
        Ok(())
    );
}

#[test]
fn a_task_not_running_yet_says_wait_and_an_ended_one_says_launch_anew() {
    let starting = exec_task(TaskState::Pending, Some("PENDING"));
    let text = refusal(&starting, None).to_string();
    assert!(
        text.starts_with("the task is PENDING, not running yet: wait"),
        "{text}"
    );
    let ended = exec_task(TaskState::Stopping, Some("RUNNING"));
    assert_eq!(
        refusal(&ended, None),
        NotReady::TaskEnded(TaskState::Stopping)
    );
    assert!(
        refusal(&ended, None)
            .to_string()
            .contains("launch a new instance")
    );
}

#[test]
fn a_container_without_a_runtime_id_has_not_started() {
    let mut task = exec_task(TaskState::Running, Some("RUNNING"));
    task.containers[0].runtime_id = None;
    let text = refusal(&task, None).to_string();
    assert_eq!(text, "api has not started yet: wait for it, then try again");
}

#[test]
fn names_from_aws_are_made_printable() {
    let mut task = exec_task(TaskState::Running, Some("\x1b[31mSTOPPED"));
    task.containers[0].name = "api\x1b]52;c;x\x07".into();
    let text = refusal(&task, None).to_string();
    assert!(!text.contains('\x1b'), "{text:?}");
}

fn template(exec: Option<bool>) -> Template {
    let mut template = crate::fixtures::profile("dev").templates["web"].clone();
    template.exec = exec;
    template.exec_container = None;
    template
}

#[test]
fn exec_is_on_by_default_only_with_a_task_role() {
    assert!(launches_with_exec(&template(None), &with_role()));
    assert!(!launches_with_exec(&template(None), &definition()));
    assert!(launches_with_exec(&template(Some(true)), &definition()));
    assert!(!launches_with_exec(&template(Some(false)), &with_role()));
}

#[test]
fn a_definition_without_a_task_role_is_warned_of_before_launch() {
    let asked = check_exec_at_launch(&template(Some(true)), &[definition()]);
    assert_eq!(
        asked,
        [ExecWarning::NoTaskRole {
            template: "web".into(),
            definition: "web:3".into(),
            asked: true
        }]
    );
    let text = asked[0].to_string();
    for needed in [
        "sets `exec = true`",
        "no task role",
        "ssmmessages:*",
        "assets/task-role-policy.json",
        "initProcessEnabled",
    ] {
        assert!(text.contains(needed), "{needed}: {text}");
    }
    let by_default = check_exec_at_launch(&template(None), &[definition()]);
    let text = by_default[0].to_string();
    assert!(text.contains("launches without ECS Exec"), "{text}");
    assert!(text.contains("`exec = false`"), "{text}");
}

#[test]
fn nothing_is_said_with_a_task_role_or_when_exec_is_turned_off() {
    assert!(check_exec_at_launch(&template(None), &[with_role()]).is_empty());
    assert!(check_exec_at_launch(&template(Some(true)), &[with_role()]).is_empty());
    assert!(check_exec_at_launch(&template(Some(false)), &[definition()]).is_empty());
}

#[test]
fn an_exec_container_the_definitions_lack_is_named_with_the_ones_they_have() {
    let mut template = template(None);
    template.exec_container = Some("db".into());
    let warnings = check_exec_at_launch(&template, &[with_role()]);
    assert_eq!(warnings.len(), 1);
    let text = warnings[0].to_string();
    assert!(
        text.contains("`exec_container = \"db\"`") && text.contains("containers: api, redis"),
        "{text}"
    );
}

#[test]
fn the_agents_words_for_a_missing_program_name_it() {
    let said = "Unable to start command: Failed to start pty: fork/exec /bin/bash: no such file \
                or directory";
    let missing = NoShell::detect(Some("/bin/bash"), said, None, false).expect("missing");
    assert_eq!(missing.program.as_deref(), Some("/bin/bash"));
    let text = missing.to_string();
    assert!(
        text.starts_with("the container has no /bin/bash; set `shell = \"...\"` in the template"),
        "{text}"
    );
    assert!(text.ends_with("or use `-- COMMAND`"), "{text}");
    let runc = "OCI runtime exec failed: exec failed: unable to start container process: exec: \
                \"/bin/sh\": stat /bin/sh: no such file or directory: unknown";
    assert_eq!(
        NoShell::detect(Some("/bin/sh"), runc, None, false).and_then(|m| m.program),
        Some("/bin/sh".into())
    );
}

#[test]
fn exit_127_before_any_key_is_a_missing_program_and_after_one_is_not() {
    assert_eq!(
        NoShell::detect(Some("vim -R x"), "", Some(127), false).and_then(|m| m.program),
        Some("vim".into())
    );
    assert!(NoShell::detect(Some("/bin/sh"), "", Some(126), false).is_some());
    let unnamed = NoShell::detect(None, "", Some(127), false).unwrap();
    assert!(
        unnamed
            .to_string()
            .starts_with("the container has no such program;")
    );
    assert!(
        NoShell::detect(Some("/bin/sh"), "", Some(127), true).is_none(),
        "the user's `exit 127`"
    );
    assert!(NoShell::detect(Some("/bin/sh"), "", Some(1), false).is_none());
    assert!(NoShell::detect(Some("/bin/sh"), "hello\n", None, false).is_none());
}
