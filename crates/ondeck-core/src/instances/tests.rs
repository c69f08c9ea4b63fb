use super::*;
use crate::model::TaskTimes;

fn task(instance: &str, last: TaskState, desired: &str) -> Task {
    Task {
        exec_enabled: false,
        group: None,
        env_overrides: Default::default(),
        task_arn: format!(
            "arn:aws:ecs:us-east-1:1:task/c/{instance}-{}",
            last.as_str()
        ),
        task_definition_arn: "arn:aws:ecs:us-east-1:1:task-definition/web:1".into(),
        last_status: last,
        desired_status: desired.into(),
        stop_code: None,
        stopped_reason: None,
        started_by: Some("ondeck/ana".into()),
        containers: vec![],
        tags: BTreeMap::from([
            (tags::INSTANCE.to_string(), instance.to_string()),
            (tags::OWNER.to_string(), "ana".to_string()),
        ]),
        cpu: None,
        memory: None,
        private_ip: None,
        capacity_provider: None,
        times: TaskTimes::default(),
    }
}

#[test]
fn slowest_task_names_the_instance_state() {
    let tasks = vec![
        task("a", TaskState::Running, "RUNNING"),
        task("a", TaskState::Pending, "RUNNING"),
    ];
    assert_eq!(
        instance_state(&tasks, &[]),
        InstanceState::Lifecycle(TaskState::Pending)
    );
}

#[test]
fn unrequested_stop_is_failed_or_degraded() {
    let mut crashed = task("a", TaskState::Stopped, "STOPPED");
    crashed.stop_code = Some("EssentialContainerExited".into());
    assert_eq!(
        instance_state(std::slice::from_ref(&crashed), &[]),
        InstanceState::Failed
    );
    let running = task("a", TaskState::Running, "RUNNING");
    assert_eq!(
        instance_state(&[crashed, running], &[]),
        InstanceState::Degraded
    );
}

#[test]
fn destroy_walks_through_the_stop_sequence() {
    let mut stopping = task("a", TaskState::Deprovisioning, "STOPPED");
    stopping.stop_code = Some("UserInitiated".into());
    let mut stopped = task("a", TaskState::Stopped, "STOPPED");
    stopped.stopped_reason = Some("ondeck: destroyed by ana".into());
    assert_eq!(
        instance_state(&[stopping, stopped], &[]),
        InstanceState::Lifecycle(TaskState::Deprovisioning)
    );
}

#[test]
fn tasks_group_by_owner_and_instance_tag() {
    let mut untagged = task("x", TaskState::Running, "RUNNING");
    untagged.tags.clear();
    let instances = group(
        vec![
            task("a", TaskState::Running, "RUNNING"),
            task("b", TaskState::Running, "RUNNING"),
            task("a", TaskState::Pending, "RUNNING"),
            untagged,
        ],
        vec![],
    );
    let names: Vec<_> = instances
        .iter()
        .map(|i| (i.name.as_str(), i.tasks.len()))
        .collect();
    assert_eq!(names, vec![("a", 2), ("b", 1)]);
}

fn launched(instance: &str, token: &str, last: TaskState, desired: &str) -> Task {
    let mut task = task(instance, last, desired);
    task.task_arn.push_str(token);
    task.tags
        .insert(tags::LAUNCH_TOKEN.to_string(), format!("{token}-0"));
    task
}

#[test]
fn a_name_reused_after_destroy_is_a_new_instance() {
    let mut old = launched("one", "aaaa", TaskState::Stopped, "STOPPED");
    old.stop_code = Some("UserInitiated".into());
    old.stopped_reason = Some("ondeck: destroyed by ana".into());
    let new = launched("one", "bbbb", TaskState::Running, "RUNNING");
    let instances = group(vec![old, new], vec![]);
    let found: Vec<_> = instances
        .iter()
        .map(|i| (i.launch.as_str(), i.state.as_str(), i.tasks.len()))
        .collect();
    assert_eq!(found, vec![("aaaa", "STOPPED", 1), ("bbbb", "RUNNING", 1)]);
    assert!(instances[1].is(&instances[1].id()));
    assert!(!instances[0].is(&instances[1].id()));
}

#[test]
fn one_name_of_two_owners_is_two_instances() {
    let mine = task("one", TaskState::Running, "RUNNING");
    let mut theirs = task("one", TaskState::Running, "RUNNING");
    theirs.started_by = Some("ondeck/bob".into());
    theirs.tags.insert(tags::OWNER.into(), "bob".into());
    let instances = group(vec![mine, theirs], vec![]);
    let owners: Vec<_> = instances.iter().map(|i| i.id().to_string()).collect();
    assert_eq!(owners, vec!["ana/one", "bob/one"]);
    assert!(instances[0].is_owned_by("ana") && !instances[0].is_owned_by("bob"));
    assert!(instances[1].is_owned_by("bob") && !instances[1].is_owned_by("ana"));
    assert_eq!(instances[0].foreign_note("ana"), None);
    assert_eq!(
        instances[1].foreign_note("ana").as_deref(),
        Some("it belongs to bob, not to you (ana)")
    );
}

#[test]
fn started_by_and_the_owner_tag_must_agree() {
    // Started under ana's key, tagged as bob's: neither's.
    let mut task = task("odd", TaskState::Running, "RUNNING");
    task.tags.insert(tags::OWNER.into(), "bob".into());
    let instance = group(vec![task], vec![]).remove(0);
    assert_eq!(instance.owner, "bob");
    assert!(!instance.is_owned_by("bob"));
    assert!(!instance.is_owned_by("ana"));
    let note = instance.foreign_note("bob").unwrap();
    assert!(note.contains("started by ondeck/ana"), "{note}");
    assert!(instance.foreign_note("ana").is_some());
}

#[test]
fn login_names_become_valid_owners() {
    assert_eq!(owner_from_login("john.doe"), "john-doe");
    assert!(is_valid_owner(&owner_from_login("john.doe")));
    assert!(!is_valid_owner("john doe"));
    assert!(!is_valid_owner(""));
}

const SERVICE: &str = "ondeck-ana-jobs-worker";

fn service(desired: i32) -> Service {
    Service {
        arn: format!("arn:aws:ecs:us-east-1:1:service/c/{SERVICE}"),
        name: SERVICE.into(),
        status: "ACTIVE".into(),
        task_definition_arn: "arn:aws:ecs:us-east-1:1:task-definition/worker:2".into(),
        desired_count: desired,
        running_count: 0,
        pending_count: 0,
        tags: BTreeMap::from([
            (tags::INSTANCE.to_string(), "jobs".to_string()),
            (tags::OWNER.to_string(), "ana".to_string()),
            (tags::LAUNCH_TOKEN.to_string(), "feed-0".to_string()),
        ]),
        created_at: None,
        rollout_failed: None,
        events: vec![],
    }
}

/// A task the service started: started by ecs-svc, tagged like the service.
fn service_task(id: &str, last: TaskState, desired: &str) -> Task {
    let mut task = task("jobs", last, desired);
    task.task_arn = format!("arn:aws:ecs:us-east-1:1:task/c/{id}");
    task.started_by = Some("ecs-svc/123".into());
    task.group = Some(format!("service:{SERVICE}"));
    task.tags = service(1).tags;
    task
}

fn crashed(id: &str) -> Task {
    let mut task = service_task(id, TaskState::Stopped, "STOPPED");
    task.stop_code = Some("EssentialContainerExited".into());
    task.stopped_reason = Some("Essential container in task exited".into());
    task.containers = vec![crate::model::Container {
        name: "worker".into(),
        last_status: "STOPPED".into(),
        exit_code: Some(137),
        health: None,
        reason: Some("OutOfMemoryError: Container killed due to memory usage".into()),
        runtime_id: None,
        exec_agent: None,
    }];
    task
}

#[test]
fn a_service_backed_instance_restarts_instead_of_failing() {
    let running = service_task("a1", TaskState::Running, "RUNNING");
    assert_eq!(
        instance_state(std::slice::from_ref(&running), &[service(1)]),
        InstanceState::Lifecycle(TaskState::Running)
    );
    // Its task died; the service has not started the next one yet.
    let dead = crashed("a1");
    assert_eq!(
        instance_state(std::slice::from_ref(&dead), &[service(1)]),
        InstanceState::Restarting
    );
    let next = service_task("b2", TaskState::Pending, "RUNNING");
    assert_eq!(
        instance_state(&[dead.clone(), next], &[service(1)]),
        InstanceState::Restarting
    );
    // The replacement runs: the dead task is history.
    let next = service_task("b2", TaskState::Running, "RUNNING");
    assert_eq!(
        instance_state(&[dead.clone(), next], &[service(1)]),
        InstanceState::Lifecycle(TaskState::Running)
    );
    let next = service_task("c3", TaskState::Running, "RUNNING");
    let healed = group(vec![dead.clone(), next], vec![service(1)]).remove(0);
    assert_eq!(
        (healed.tasks_running(), healed.tasks_expected()),
        (1, 1),
        "a replaced task is history, not a second task"
    );
    let instance = group(vec![dead], vec![service(1)]).remove(0);
    assert_eq!(
        (instance.tasks_running(), instance.tasks_expected()),
        (0, 1)
    );
    let (task, why) = instance.last_crash().unwrap();
    assert_eq!(task.task_id(), "a1");
    assert_eq!(why, "exit 137: OutOfMemoryError");
}

#[test]
fn a_service_scaled_to_zero_is_paused_once_its_tasks_are_down() {
    let mut scaled_in = service_task("a1", TaskState::Deactivating, "STOPPED");
    scaled_in.stop_code = Some("ServiceSchedulerInitiated".into());
    scaled_in.stopped_reason = Some("Scaling activity initiated by (deployment 1)".into());
    assert_eq!(
        instance_state(std::slice::from_ref(&scaled_in), &[service(0)]),
        InstanceState::Lifecycle(TaskState::Deactivating)
    );
    scaled_in.last_status = TaskState::Stopped;
    assert_eq!(
        instance_state(std::slice::from_ref(&scaled_in), &[service(0)]),
        InstanceState::Paused
    );
    assert_eq!(instance_state(&[], &[service(0)]), InstanceState::Paused);
    // Resumed: the scale-in was asked for, so the wait is a start, not a restart.
    assert_eq!(
        instance_state(&[scaled_in], &[service(1)]),
        InstanceState::Lifecycle(TaskState::Provisioning)
    );
    let mut paused = service(0);
    paused
        .tags
        .insert(tags::PAUSED_AT.into(), "2026-12-03T18:00:00Z".into());
    let instance = group(vec![], vec![paused]).remove(0);
    assert!(instance.is_wanted(), "a paused instance keeps its name");
    assert_eq!(
        instance.paused_since().map(|at| at.to_rfc3339()),
        Some("2026-12-03T18:00:00+00:00".to_string())
    );
}

#[test]
fn a_task_replaced_for_failing_its_health_checks_is_a_crash() {
    let mut unhealthy = service_task("a1", TaskState::Stopped, "STOPPED");
    unhealthy.stop_code = Some("ServiceSchedulerInitiated".into());
    unhealthy.stopped_reason = Some("Task failed container health checks".into());
    assert_eq!(
        instance_state(std::slice::from_ref(&unhealthy), &[service(1)]),
        InstanceState::Restarting
    );
    let instance = group(vec![unhealthy], vec![service(1)]).remove(0);
    assert_eq!(
        instance.last_crash().map(|(_, why)| why).as_deref(),
        Some("Task failed container health checks")
    );
}

#[test]
fn a_given_up_deployment_is_failed_and_a_deleted_service_is_stopped() {
    let mut broken = service(1);
    broken.rollout_failed = Some("tasks failed to start".into());
    assert_eq!(
        instance_state(&[], &[broken.clone()]),
        InstanceState::Failed
    );
    // Running as wanted again (a resume): the old rollout's word no longer holds.
    let running = service_task("b2", TaskState::Running, "RUNNING");
    assert_eq!(
        instance_state(
            std::slice::from_ref(&running),
            std::slice::from_ref(&broken)
        ),
        InstanceState::Lifecycle(TaskState::Running)
    );
    // Paused or deleted, it is paused or going, not failed.
    broken.desired_count = 0;
    assert_eq!(
        instance_state(&[], std::slice::from_ref(&broken)),
        InstanceState::Paused
    );
    broken.status = "DRAINING".into();
    assert_eq!(
        instance_state(&[], &[broken]),
        InstanceState::Lifecycle(TaskState::Stopped)
    );
    let mut deleted = service(0);
    deleted.status = "DRAINING".into();
    let stopping = service_task("a1", TaskState::Stopping, "STOPPED");
    assert_eq!(
        instance_state(
            std::slice::from_ref(&stopping),
            std::slice::from_ref(&deleted)
        ),
        InstanceState::Lifecycle(TaskState::Stopping)
    );
    deleted.status = "INACTIVE".into();
    let instance = group(vec![], vec![deleted]).remove(0);
    assert_eq!(instance.state, InstanceState::Lifecycle(TaskState::Stopped));
    assert!(!instance.is_wanted());
}

#[test]
fn a_services_tasks_are_its_owners_when_the_service_is_named_for_them() {
    let instance = group(
        vec![service_task("a1", TaskState::Running, "RUNNING")],
        vec![service(1)],
    )
    .remove(0);
    assert_eq!(instance.tasks.len(), 1);
    assert!(instance.is_owned_by("ana"), "{:?}", instance.disputed_by());
    // A service tagged as ana's but named for bob is nobody's for sure.
    let mut odd = service(1);
    odd.name = "ondeck-bob-jobs-worker".into();
    let instance = group(vec![], vec![odd]).remove(0);
    assert_eq!(instance.disputed_by(), Some("ondeck-bob-jobs-worker"));
    assert!(!instance.is_owned_by("ana"));
}

#[test]
fn service_names_follow_ecs_rules() {
    assert_eq!(service_name("ana", "jobs", "worker"), SERVICE);
    assert_eq!(
        service_name("team/ana", "jobs", "w"),
        "ondeck-team-ana-jobs-w"
    );
    let long = service_name(&"o".repeat(120), &"n".repeat(48), &"f".repeat(255));
    assert_eq!(long.len(), 255);
    assert_eq!(
        family_of("arn:aws:ecs:r:1:task-definition/worker:2"),
        "worker"
    );
    assert_eq!(family_of("worker:2"), "worker");
}
