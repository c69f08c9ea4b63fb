//! Services: a desired count kept running, tasks replaced after a crash, scaled to zero and
//! back, deleted; and the instance states ondeck reads off them.

use super::*;
use ondeck_core::model::{Service, ServiceRequest};

const NAME: &str = "ondeck-ana-jobs-queue-worker";

fn service_request(token: &str) -> ServiceRequest {
    ServiceRequest {
        name: NAME.into(),
        task_definition: "queue-worker".into(),
        network: request("queue-worker", "").network,
        tags: BTreeMap::from([
            (tags::OWNER.to_string(), OWNER.to_string()),
            (tags::INSTANCE.to_string(), "jobs".to_string()),
            (tags::LAUNCH_TOKEN.to_string(), format!("{token}-0")),
        ]),
        client_token: format!("{token}-0"),
        spot: false,
        enable_exec: true,
    }
}

fn service_of(cloud: &DemoCloud) -> Service {
    block_on(cloud.list_services(&Scope::Service(NAME.into())))
        .unwrap()
        .remove(0)
}

fn tasks_of(cloud: &DemoCloud) -> Vec<Task> {
    block_on(cloud.list_tasks(&Scope::Service(NAME.into()))).unwrap()
}

/// The instance as ondeck's refresh groups it.
fn instance(cloud: &DemoCloud) -> ondeck_core::instances::Instance {
    let mut found = group(tasks_of(cloud), vec![service_of(cloud)]);
    assert_eq!(found.len(), 1, "{found:?}");
    found.remove(0)
}

/// Step the clock until `done` holds of the instance, at most `limit` away.
fn until(
    cloud: &DemoCloud,
    clock: &ManualClock,
    limit: Duration,
    mut done: impl FnMut(&ondeck_core::instances::Instance) -> bool,
) -> ondeck_core::instances::Instance {
    let until = clock.now() + limit;
    loop {
        let instance = instance(cloud);
        if done(&instance) {
            return instance;
        }
        assert!(clock.now() < until, "not within {limit}: {instance:#?}");
        clock.advance(Duration::seconds(1));
    }
}

#[test]
fn a_service_keeps_its_task_running_through_a_crash() {
    let (cloud, clock) = demo(1.0);
    let created = block_on(cloud.create_service(&service_request("aa"))).unwrap();
    assert_eq!(
        (created.status.as_str(), created.desired_count),
        ("ACTIVE", 1)
    );
    assert!(
        tasks_of(&cloud).is_empty(),
        "the scheduler starts it a little later"
    );

    let running = until(&cloud, &clock, Duration::minutes(2), |i| {
        i.state == InstanceState::Lifecycle(TaskState::Running)
    });
    let first = running.tasks[0].clone();
    assert_eq!(first.service(), Some(NAME));
    assert!(first.started_by.as_deref().unwrap().starts_with("ecs-svc/"));
    assert_eq!(
        first.tag(tags::INSTANCE),
        Some("jobs"),
        "the service's tags propagate"
    );
    assert!(first.exec_enabled);
    assert_eq!(service_of(&cloud).running_count, 1);
    assert!(
        block_on(cloud.list_tasks(&Scope::StartedBy(owner_key(OWNER))))
            .unwrap()
            .iter()
            .all(|task| task.service().is_none()),
        "a service's tasks are not started under the owner's key"
    );

    // The worker runs out of memory within minutes; the service starts the next task.
    let restarting = until(&cloud, &clock, Duration::minutes(10), |i| {
        i.state == InstanceState::Restarting
    });
    let (crashed, why) = restarting.last_crash().unwrap();
    assert_eq!(crashed.task_arn, first.task_arn);
    assert_eq!(why, "exit 137: OutOfMemoryError");
    let healed = until(&cloud, &clock, Duration::minutes(2), |i| {
        i.state == InstanceState::Lifecycle(TaskState::Running)
    });
    let next = healed
        .tasks
        .iter()
        .find(|task| task.desired_status != "STOPPED")
        .unwrap();
    assert_ne!(next.task_arn, first.task_arn, "a new task");
    assert_eq!(healed.tasks.len(), 2, "the crashed one is still listed");

    let events = service_of(&cloud).events;
    let messages: Vec<&str> = events.iter().map(|e| e.message.as_str()).collect();
    assert!(
        messages[0].contains("has started 1 tasks") || messages[0].contains("steady state"),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("has stopped 1 running tasks"))
    );
    assert!(
        events
            .windows(2)
            .all(|w| w[0].created_at >= w[1].created_at)
    );
    let mut ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), events.len(), "event ids are unique");
    assert_eq!(service_of(&cloud).events, events, "the same answer twice");
}

#[test]
fn scaled_to_zero_it_is_paused_and_scaled_back_it_starts_again() {
    let (cloud, clock) = demo(20.0);
    block_on(cloud.create_service(&service_request("bb"))).unwrap();
    until(&cloud, &clock, Duration::minutes(1), |i| {
        i.state == InstanceState::Lifecycle(TaskState::Running)
    });
    block_on(cloud.scale_service(NAME, 0)).unwrap();
    let stopped = tasks_of(&cloud);
    assert!(
        stopped
            .iter()
            .all(|t| t.stop_code.as_deref() == Some("ServiceSchedulerInitiated"))
    );
    let paused = until(&cloud, &clock, Duration::minutes(1), |i| {
        i.state == InstanceState::Paused
    });
    assert_eq!(service_of(&cloud).running_count, 0);
    clock.advance(Duration::minutes(30));
    assert_eq!(
        instance(&cloud).state,
        InstanceState::Paused,
        "nothing starts"
    );
    assert_eq!(tasks_of(&cloud).len(), paused.tasks.len());

    block_on(cloud.scale_service(NAME, 1)).unwrap();
    let mut seen = Vec::new();
    until(&cloud, &clock, Duration::minutes(1), |i| {
        seen.push(i.state.clone());
        i.state == InstanceState::Lifecycle(TaskState::Running)
    });
    assert!(
        !seen.contains(&InstanceState::Restarting),
        "a resume is a start, not a restart: {seen:?}"
    );
}

#[test]
fn a_deleted_service_drains_then_is_inactive_and_stopped() {
    let (cloud, clock) = demo(20.0);
    block_on(cloud.create_service(&service_request("cc"))).unwrap();
    until(&cloud, &clock, Duration::minutes(1), |i| {
        i.state == InstanceState::Lifecycle(TaskState::Running)
    });
    block_on(cloud.delete_service(NAME)).unwrap();
    assert_eq!(service_of(&cloud).status, "DRAINING");
    let gone = until(&cloud, &clock, Duration::minutes(1), |i| {
        i.state == InstanceState::Lifecycle(TaskState::Stopped)
    });
    assert!(!gone.is_wanted());
    assert_eq!(service_of(&cloud).status, "INACTIVE");
    assert!(
        block_on(cloud.scale_service(NAME, 1))
            .unwrap_err()
            .is_not_found()
    );
    // The name is free again once the old service is inactive.
    block_on(cloud.create_service(&service_request("dd"))).unwrap();
    assert_eq!(service_of(&cloud).status, "ACTIVE");
}

#[test]
fn create_is_idempotent_by_token_and_a_name_is_taken_otherwise() {
    let (cloud, _) = demo(1.0);
    let first = block_on(cloud.create_service(&service_request("ee"))).unwrap();
    let again = block_on(cloud.create_service(&service_request("ee"))).unwrap();
    assert_eq!(first.arn, again.arn);
    let err = block_on(cloud.create_service(&service_request("ff"))).unwrap_err();
    assert!(err.to_string().contains("not idempotent"), "{err}");
    assert_eq!(
        block_on(cloud.list_services(&Scope::Service(NAME.into())))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn services_are_scoped_by_their_owner_tag() {
    let (cloud, _) = demo(1.0);
    let mut theirs = service_request("gg");
    theirs.name = "ondeck-bob-jobs-queue-worker".into();
    theirs.tags.insert(tags::OWNER.into(), "bob".into());
    block_on(cloud.create_service(&theirs)).unwrap();
    let mine = block_on(cloud.list_services(&Scope::StartedBy(owner_key(OWNER)))).unwrap();
    assert!(mine.iter().all(|s| s.tag(tags::OWNER) == Some(OWNER)));
    assert!(!mine.iter().any(|s| s.name == theirs.name));
    let all = block_on(cloud.list_services(&Scope::AllOwners)).unwrap();
    assert!(all.iter().any(|s| s.name == theirs.name));
}

#[test]
fn the_demo_starts_with_a_service_backed_instance_that_heals() {
    let (cloud, clock) = demo(1.0);
    let mine = block_on(cloud.list_services(&Scope::StartedBy(owner_key(OWNER)))).unwrap();
    let service = mine
        .iter()
        .find(|s| s.tag(tags::INSTANCE) == Some("queue-workers"))
        .expect("the demo's service-backed instance");
    assert_eq!(service.tag(tags::TEMPLATE), Some("workers"));
    let name = service.name.clone();
    let tasks = || block_on(cloud.list_tasks(&Scope::Service(name.clone()))).unwrap();
    let stopped_before = tasks()
        .iter()
        .filter(|t| t.desired_status == "STOPPED")
        .count();
    clock.advance(Duration::minutes(8));
    let after = tasks();
    let crashed = after
        .iter()
        .filter(|t| t.desired_status == "STOPPED")
        .count();
    assert!(crashed > stopped_before, "its worker crashed again");
    assert_eq!(
        after
            .iter()
            .filter(|t| t.desired_status != "STOPPED")
            .count(),
        1,
        "and one task is there to replace it"
    );
}
