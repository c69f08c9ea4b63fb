//! A task from RunTask to STOPPED: timings, failures, client tokens, refusals.

use super::*;

#[test]
fn launch_walks_through_the_start_lifecycle_with_ecs_timestamps() {
    let (cloud, clock) = demo(1.0);
    let launched = run(&cloud, "web-stack");
    assert_eq!(launched.last_status, TaskState::Provisioning);
    assert_eq!(launched.desired_status, "RUNNING");
    assert_eq!(launched.times.created_at, Some(start()));
    assert_eq!(launched.times.pull_started_at, None);
    assert_eq!(launched.private_ip, None);
    assert_eq!(launched.capacity_provider.as_deref(), Some("FARGATE"));
    assert!(
        launched
            .containers
            .iter()
            .all(|c| c.last_status == "PENDING")
    );

    let mut ip_seen_in = None;
    let mut seen = vec![(0, TaskState::Provisioning)];
    for second in 1..=40 {
        clock.advance(Duration::seconds(1));
        let task = find(&cloud, &launched.task_arn).unwrap();
        if ip_seen_in.is_none() && task.private_ip.is_some() {
            ip_seen_in = Some(task.last_status.clone());
        }
        if seen.last().unwrap().1 != task.last_status {
            seen.push((second, task.last_status));
        }
    }
    let order: Vec<_> = seen.iter().map(|(_, state)| state.clone()).collect();
    assert_eq!(
        order,
        [
            TaskState::Provisioning,
            TaskState::Pending,
            TaskState::Activating,
            TaskState::Running
        ]
    );
    let running_after = seen.last().unwrap().0;
    assert!((10..=30).contains(&running_after), "{running_after}s");
    assert_eq!(ip_seen_in, Some(TaskState::Pending));

    let task = find(&cloud, &launched.task_arn).unwrap();
    let times = &task.times;
    let (pull_started, pull_stopped, started) = (
        times.pull_started_at.unwrap(),
        times.pull_stopped_at.unwrap(),
        times.started_at.unwrap(),
    );
    assert!(start() < pull_started && pull_started < pull_stopped && pull_stopped < started);
    assert!(started <= start() + Duration::seconds(running_after));
    assert!(started > start() + Duration::seconds(running_after - 1));
    assert_eq!(times.stopping_at, None);
    let ip = task.private_ip.unwrap();
    let octets: Vec<u8> = ip.split('.').map(|o| o.parse().unwrap()).collect();
    assert_eq!(&octets[..2], &[10, 0]);
    assert!(task.containers.iter().all(|c| c.last_status == "RUNNING"));

    clock.advance(Duration::seconds(30));
    let task = find(&cloud, &launched.task_arn).unwrap();
    let health: Vec<_> = task
        .containers
        .iter()
        .map(|c| c.health.as_deref())
        .collect();
    assert_eq!(health, [Some("HEALTHY"); 3]);
}

#[test]
fn start_times_are_jittered_per_task_within_ten_to_thirty_seconds() {
    let (cloud, clock) = demo(1.0);
    let arns: Vec<String> = (0..8).map(|_| run(&cloud, "web-stack").task_arn).collect();
    let mut running_after = BTreeMap::new();
    for second in 1..=31 {
        clock.advance(Duration::seconds(1));
        for arn in &arns {
            if find(&cloud, arn).unwrap().last_status == TaskState::Running {
                running_after.entry(arn.clone()).or_insert(second);
            }
        }
    }
    assert_eq!(running_after.len(), arns.len());
    assert!(running_after.values().all(|s| (10..=30).contains(s)));
    let distinct: std::collections::BTreeSet<_> = running_after.values().collect();
    assert!(distinct.len() > 2, "{running_after:?}");
}

#[test]
fn speed_shortens_the_lifecycle() {
    let (cloud, clock) = demo(20.0);
    let task = run(&cloud, "web-stack");
    let seen = watch(
        &cloud,
        &clock,
        &task.task_arn,
        Duration::milliseconds(50),
        40,
    );
    assert_eq!(seen.last().unwrap().1, TaskState::Running);
    assert!(first_seen(&seen, &TaskState::Running) <= Duration::milliseconds(1500));
}

#[test]
fn stop_walks_down_to_stopped_as_user_initiated() {
    let (cloud, clock) = demo(1.0);
    let task = run(&cloud, "web-stack");
    clock.advance(Duration::seconds(60));
    let reason = "ondeck: destroyed by ana";
    block_on(cloud.stop_task(&task.task_arn, reason)).unwrap();

    let stopping = find(&cloud, &task.task_arn).unwrap();
    assert_eq!(stopping.desired_status, "STOPPED");
    assert_eq!(stopping.last_status, TaskState::Deactivating);
    assert_eq!(stopping.stop_code.as_deref(), Some("UserInitiated"));
    assert_eq!(stopping.stopped_reason.as_deref(), Some(reason));
    assert_eq!(stopping.times.stopping_at, Some(clock.now()));

    let seen = watch(&cloud, &clock, &task.task_arn, Duration::seconds(1), 30);
    assert_eq!(
        states(&seen),
        [
            TaskState::Deactivating,
            TaskState::Stopping,
            TaskState::Deprovisioning,
            TaskState::Stopped
        ]
    );
    let total = first_seen(&seen, &TaskState::Stopped).num_seconds();
    assert!((10..=20).contains(&total), "{total}s");

    let stopped = find(&cloud, &task.task_arn).unwrap();
    let times = &stopped.times;
    assert!(times.stopping_at < times.execution_stopped_at);
    assert!(times.execution_stopped_at < times.stopped_at);
    assert!(
        stopped
            .containers
            .iter()
            .all(|c| c.last_status == "STOPPED")
    );
    assert!(stopped.containers.iter().all(|c| c.exit_code == Some(0)));
    assert_eq!(
        instance_state(std::slice::from_ref(&stopped), &[]),
        InstanceState::Lifecycle(TaskState::Stopped)
    );

    // Stopping again changes nothing, as with ECS.
    block_on(cloud.stop_task(&task.task_arn, "again")).unwrap();
    assert_eq!(find(&cloud, &task.task_arn).unwrap(), stopped);
}

#[test]
fn a_container_that_ignores_sigterm_is_killed() {
    let (cloud, clock) = demo(1.0);
    let task = run(&cloud, "data-pipeline");
    assert_eq!(task.cpu.as_deref(), Some("2048"));
    clock.advance(Duration::seconds(60));
    block_on(cloud.stop_task(&task.task_arn, "done")).unwrap();
    clock.advance(Duration::seconds(30));
    let stopped = find(&cloud, &task.task_arn).unwrap();
    let exits: Vec<_> = stopped
        .containers
        .iter()
        .map(|c| (c.name.as_str(), c.exit_code))
        .collect();
    assert_eq!(
        exits,
        [
            ("ingest", Some(0)),
            ("transform", Some(0)),
            ("loader", Some(137)),
            ("metrics", Some(0))
        ]
    );
}

#[test]
fn a_task_stopped_before_it_runs_never_runs() {
    let (cloud, clock) = demo(1.0);
    let task = run(&cloud, "web-stack");
    clock.advance(Duration::seconds(2));
    block_on(cloud.stop_task(task.task_id(), "changed my mind")).unwrap();
    let seen = watch(&cloud, &clock, &task.task_arn, Duration::seconds(1), 40);
    assert!(!states(&seen).contains(&TaskState::Running));
    assert_eq!(seen.last().unwrap().1, TaskState::Stopped);
    let stopped = find(&cloud, &task.task_arn).unwrap();
    assert_eq!(stopped.times.started_at, None);
    assert!(stopped.containers.iter().all(|c| c.exit_code.is_none()));
}

#[test]
fn broken_image_fails_to_start() {
    let (cloud, clock) = demo(1.0);
    let task = run(&cloud, "broken-image");
    let seen = watch(&cloud, &clock, &task.task_arn, Duration::seconds(1), 60);
    let order = states(&seen);
    assert_eq!(&order[..2], [TaskState::Provisioning, TaskState::Pending]);
    assert_eq!(order.last(), Some(&TaskState::Stopped));
    assert!(!order.contains(&TaskState::Activating) && !order.contains(&TaskState::Running));

    let failed = find(&cloud, &task.task_arn).unwrap();
    assert_eq!(failed.desired_status, "STOPPED");
    assert_eq!(failed.stop_code.as_deref(), Some("TaskFailedToStart"));
    assert_eq!(failed.stopped_reason.as_deref(), Some(CANNOT_PULL));
    assert!(
        failed
            .stopped_reason
            .unwrap()
            .starts_with("CannotPullContainerError")
    );
    let app = failed.containers.iter().find(|c| c.name == "app").unwrap();
    assert_eq!(app.reason.as_deref(), Some(CANNOT_PULL));
    assert_eq!(app.last_status, "STOPPED");
    assert!(failed.times.pull_started_at.is_some());
    assert_eq!(failed.times.started_at, None);
    assert!(failed.times.stopped_at.is_some());
    assert_eq!(
        instance_state(&[find(&cloud, &task.task_arn).unwrap()], &[]),
        InstanceState::Failed
    );
}

#[test]
fn crash_loop_exits_about_twenty_seconds_after_running() {
    let (cloud, clock) = demo(1.0);
    let task = run(&cloud, "crash-loop");
    let began = clock.now();
    let mut running_at = None;
    let mut desired_stopped_at = None;
    for _ in 0..120 {
        clock.advance(Duration::seconds(1));
        let now = find(&cloud, &task.task_arn).unwrap();
        if now.last_status == TaskState::Running && running_at.is_none() {
            running_at = Some(clock.now() - began);
        }
        if now.desired_status == "STOPPED" && desired_stopped_at.is_none() {
            desired_stopped_at = Some(clock.now() - began);
        }
    }
    let ran_for = (desired_stopped_at.unwrap() - running_at.unwrap()).num_seconds();
    assert!((14..=26).contains(&ran_for), "{ran_for}s");

    let crashed = find(&cloud, &task.task_arn).unwrap();
    assert_eq!(crashed.last_status, TaskState::Stopped);
    assert_eq!(
        crashed.stop_code.as_deref(),
        Some("EssentialContainerExited")
    );
    assert_eq!(
        crashed.stopped_reason.as_deref(),
        Some("Essential container in task exited")
    );
    let worker = crashed
        .containers
        .iter()
        .find(|c| c.name == "worker")
        .unwrap();
    assert_eq!(worker.exit_code, Some(1));
    assert_eq!(
        instance_state(std::slice::from_ref(&crashed), &[]),
        InstanceState::Failed
    );
}

#[test]
fn client_token_returns_the_same_task_for_a_day() {
    let (cloud, clock) = demo(1.0);
    let first = block_on(cloud.run_task(&request("web-stack", "intent-1-0"))).unwrap();
    clock.advance(Duration::seconds(5));
    let retry = block_on(cloud.run_task(&request("web-stack", "intent-1-0"))).unwrap();
    assert_eq!(retry.tasks.len(), 1);
    assert_eq!(retry.tasks[0].task_arn, first.tasks[0].task_arn);
    assert_eq!(
        Some(retry.tasks[0].clone()),
        find(&cloud, &first.tasks[0].task_arn),
        "a retry reports the task as it is now"
    );
    let test_tasks = block_on(cloud.list_tasks(&Scope::AllOwners))
        .unwrap()
        .into_iter()
        .filter(|task| task.tag(tags::INSTANCE) == Some("test-1"))
        .count();
    assert_eq!(test_tasks, 1);

    let mut changed = request("web-stack", "intent-1-0");
    changed.spot = true;
    let refused = block_on(cloud.run_task(&changed)).unwrap_err();
    assert!(matches!(refused, CloudError::Invalid { .. }), "{refused}");

    clock.advance(Duration::hours(25));
    let later = block_on(cloud.run_task(&request("web-stack", "intent-1-0"))).unwrap();
    assert_ne!(later.tasks[0].task_arn, first.tasks[0].task_arn);
}

#[test]
fn bad_requests_are_refused_like_ecs() {
    let (cloud, _) = demo(1.0);
    let unknown = block_on(cloud.run_task(&request("no-such-family", ""))).unwrap_err();
    assert!(unknown.is_not_found(), "{unknown}");
    let mut no_subnets = request("web-stack", "");
    no_subnets.network.subnets.clear();
    assert!(matches!(
        block_on(cloud.run_task(&no_subnets)),
        Err(CloudError::Invalid { .. })
    ));
    let mut stray_override = request("web-stack", "");
    stray_override
        .env
        .insert("nginx".into(), BTreeMap::from([("A".into(), "1".into())]));
    assert!(matches!(
        block_on(cloud.run_task(&stray_override)),
        Err(CloudError::Invalid { .. })
    ));
    assert!(
        block_on(cloud.stop_task("arn:aws:ecs:us-east-1:123456789012:task/demo/nope", "x"))
            .unwrap_err()
            .is_not_found()
    );
}

#[test]
fn spot_launches_on_fargate_spot() {
    let (cloud, _) = demo(1.0);
    let mut spot = request("data-pipeline", "");
    spot.spot = true;
    let task = block_on(cloud.run_task(&spot)).unwrap().tasks.remove(0);
    assert_eq!(task.capacity_provider.as_deref(), Some("FARGATE_SPOT"));
}
