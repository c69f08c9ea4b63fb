//! Services: a desired count kept running, tasks replaced after a crash, scaled to zero and
//! back, deleted; and the instance states ondeck reads off them.

use super::*;
use ondeck_core::CloudError;
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
    let crashed = healed
        .tasks
        .iter()
        .find(|task| task.task_arn == first.task_arn)
        .unwrap();
    assert_eq!(
        crashed.stop_code.as_deref(),
        Some("EssentialContainerExited")
    );
    assert_eq!(
        crashed.stopped_reason.as_deref(),
        Some("Essential container in task exited")
    );
    let worker = &crashed.containers[0];
    assert_eq!(worker.exit_code, Some(137));
    assert_eq!(
        worker.reason.as_deref(),
        Some("OutOfMemoryError: Container killed due to memory usage")
    );
    let ran_for = crashed.times.stopping_at.unwrap() - crashed.times.started_at.unwrap();
    assert!(
        (180..=300).contains(&ran_for.num_seconds()),
        "out of memory after {ran_for}"
    );
    let last_line = read_all(&cloud, &stream_of(crashed, "worker"))
        .pop()
        .unwrap();
    assert!(last_line.message.contains("out of memory"), "{last_line:?}");
    let replaced_after = next.times.created_at.unwrap() - crashed.times.stopping_at.unwrap();
    assert!(
        (8..=15).contains(&replaced_after.num_seconds()),
        "replaced after {replaced_after}"
    );

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
    assert!(!stopped.is_empty());
    for task in &stopped {
        assert_eq!(task.stop_code.as_deref(), Some("ServiceSchedulerInitiated"));
        let reason = task.stopped_reason.as_deref().unwrap();
        assert!(
            reason.starts_with("Scaling activity initiated by (deployment ecs-svc/"),
            "{reason}"
        );
    }
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

#[test]
fn its_first_task_starts_seconds_after_the_create_and_walks_to_running() {
    let (cloud, clock) = demo(1.0);
    block_on(cloud.create_service(&service_request("hh"))).unwrap();
    let mut waited = 0;
    while tasks_of(&cloud).is_empty() {
        clock.advance(Duration::seconds(1));
        waited += 1;
        assert!(waited <= 20, "no task after {waited}s");
    }
    assert!((8..=15).contains(&waited), "started after {waited}s");
    let task = tasks_of(&cloud).remove(0);
    assert_eq!(task.group, Some(format!("service:{NAME}")));
    assert_eq!(service_of(&cloud).pending_count, 1);

    let seen = watch(&cloud, &clock, &task.task_arn, Duration::seconds(1), 40);
    assert_eq!(
        states(&seen),
        [
            TaskState::Provisioning,
            TaskState::Pending,
            TaskState::Activating,
            TaskState::Running
        ]
    );
    let task = find(&cloud, &task.task_arn).unwrap();
    assert!(task.private_ip.is_some());
    assert!(!read_all(&cloud, &stream_of(&task, "worker")).is_empty());
    let service = service_of(&cloud);
    assert_eq!((service.running_count, service.pending_count), (1, 0));
}

#[test]
fn calls_on_a_missing_or_deleted_service_are_refused_like_ecs() {
    let (cloud, _) = demo(1.0);
    let missing = block_on(cloud.scale_service("ondeck-ana-nobody-queue-worker", 1)).unwrap_err();
    assert!(missing.is_not_found());
    assert!(
        format!("{missing}").contains("ServiceNotFoundException"),
        "{missing}"
    );

    block_on(cloud.create_service(&service_request("ii"))).unwrap();
    let negative = block_on(cloud.scale_service(NAME, -1)).unwrap_err();
    assert!(matches!(negative, CloudError::Invalid { .. }), "{negative}");
    block_on(cloud.delete_service(NAME)).unwrap();
    for refused in [
        block_on(cloud.scale_service(NAME, 1)).unwrap_err(),
        block_on(cloud.delete_service(NAME)).unwrap_err(),
    ] {
        assert!(refused.is_not_found());
        assert!(
            format!("{refused}").contains("ServiceNotActiveException"),
            "{refused}"
        );
    }
}

#[test]
fn bad_creates_are_refused_like_ecs() {
    let (cloud, _) = demo(1.0);
    let mut no_subnets = service_request("jj");
    no_subnets.network.subnets.clear();
    let mut long_token = service_request("jj");
    long_token.client_token = "x".repeat(37);
    let mut bad_name = service_request("jj");
    bad_name.name = "ondeck ana jobs".into();
    for request in [no_subnets, long_token, bad_name] {
        let refused = block_on(cloud.create_service(&request)).unwrap_err();
        assert!(matches!(refused, CloudError::Invalid { .. }), "{refused}");
    }
    let mut unknown = service_request("jj");
    unknown.task_definition = "no-such-family".into();
    assert!(
        block_on(cloud.create_service(&unknown))
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        block_on(cloud.list_services(&Scope::Service(NAME.into())))
            .unwrap()
            .is_empty(),
        "nothing was created"
    );
}

#[test]
fn events_are_the_twenty_newest_in_ecs_words_and_go_with_the_service() {
    let (cloud, clock) = demo(1.0);
    block_on(cloud.create_service(&service_request("kk"))).unwrap();
    for _ in 0..2 * 60 * 6 {
        clock.advance(Duration::seconds(10));
        tasks_of(&cloud);
    }
    let tasks = tasks_of(&cloud);
    assert!(tasks.len() > 10, "the worker crashed every few minutes");
    let events = service_of(&cloud).events;
    assert_eq!(events.len(), 20);
    assert!(
        events
            .windows(2)
            .all(|w| w[0].created_at >= w[1].created_at)
    );
    let ids: std::collections::BTreeSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), events.len());
    let words: Vec<String> = tasks
        .iter()
        .flat_map(|task| {
            let id = task.task_id();
            [
                format!("(service {NAME}) has started 1 tasks: (task {id})."),
                format!("(service {NAME}) has stopped 1 running tasks: (task {id})."),
            ]
        })
        .chain([format!("(service {NAME}) has reached a steady state.")])
        .collect();
    for event in &events {
        assert!(words.contains(&event.message), "{}", event.message);
    }

    block_on(cloud.delete_service(NAME)).unwrap();
    clock.advance(Duration::minutes(1));
    assert_eq!(service_of(&cloud).status, "INACTIVE");
    clock.advance(Duration::minutes(59));
    assert_eq!(
        service_of(&cloud).status,
        "INACTIVE",
        "kept for about an hour"
    );
    clock.advance(Duration::minutes(1));
    assert!(
        block_on(cloud.list_services(&Scope::Service(NAME.into())))
            .unwrap()
            .is_empty(),
        "then forgotten"
    );
    let forgotten = block_on(cloud.delete_service(NAME)).unwrap_err();
    assert!(
        format!("{forgotten}").contains("ServiceNotFoundException"),
        "{forgotten}"
    );
}

#[test]
fn what_the_services_did_does_not_depend_on_how_often_anyone_looked() {
    let (watched, watched_clock) = demo(1.0);
    let (left_alone, left_alone_clock) = demo(1.0);
    for cloud in [&watched, &left_alone] {
        block_on(cloud.create_service(&service_request("ll"))).unwrap();
    }
    for _ in 0..30 * 12 {
        watched_clock.advance(Duration::seconds(5));
        tasks_of(&watched);
    }
    left_alone_clock.advance(Duration::minutes(30));
    let everything = |cloud: &DemoCloud| {
        (
            block_on(cloud.list_tasks(&Scope::AllOwners)).unwrap(),
            block_on(cloud.list_services(&Scope::AllOwners)).unwrap(),
        )
    };
    let (tasks, services) = everything(&watched);
    assert!(tasks_of(&watched).len() > 2, "crashes and replacements");
    assert_eq!(services.len(), 2, "the demo's and this one");
    assert_eq!(everything(&left_alone), (tasks, services));
}
