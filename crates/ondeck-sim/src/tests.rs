use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use futures::StreamExt;
use futures::executor::block_on;

use super::catalog::CANNOT_PULL;
use super::*;
use ondeck_core::instances::{InstanceState, group, instance_state};
use ondeck_core::model::{LogStreamRef, NetworkConfig, TaskState};

const OWNER: &str = "ana";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

fn demo(speed: f64) -> (DemoCloud, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(start()));
    (DemoCloud::with_clock(OWNER, speed, clock.clone()), clock)
}

fn request(task_definition: &str, token: &str) -> RunRequest {
    RunRequest {
        task_definition: task_definition.into(),
        network: NetworkConfig {
            subnets: vec!["subnet-0demo1".into(), "subnet-0demo2".into()],
            security_groups: vec!["sg-0demo".into()],
            assign_public_ip: false,
        },
        started_by: owner_key(OWNER),
        tags: BTreeMap::from([
            (tags::OWNER.to_string(), OWNER.to_string()),
            (tags::INSTANCE.to_string(), "test-1".to_string()),
        ]),
        env: BTreeMap::new(),
        client_token: token.into(),
        spot: false,
    }
}

fn run(cloud: &DemoCloud, task_definition: &str) -> Task {
    block_on(cloud.run_task(&request(task_definition, "")))
        .unwrap()
        .tasks
        .remove(0)
}

fn find(cloud: &DemoCloud, arn: &str) -> Option<Task> {
    block_on(cloud.list_tasks(&Scope::AllOwners))
        .unwrap()
        .into_iter()
        .chain(block_on(cloud.list_tasks(&Scope::StartedBy(owner_key(OWNER)))).unwrap())
        .find(|task| task.task_arn == arn)
}

/// Steps the clock and records each new state, with the seconds it first showed.
fn watch(
    cloud: &DemoCloud,
    clock: &ManualClock,
    arn: &str,
    step: Duration,
    steps: usize,
) -> Vec<(Duration, TaskState)> {
    let began = clock.now();
    let mut seen = vec![(Duration::zero(), find(cloud, arn).unwrap().last_status)];
    for _ in 0..steps {
        clock.advance(step);
        let state = find(cloud, arn).unwrap().last_status;
        if seen.last().unwrap().1 != state {
            seen.push((clock.now() - began, state));
        }
    }
    seen
}

fn states(seen: &[(Duration, TaskState)]) -> Vec<TaskState> {
    seen.iter().map(|(_, state)| state.clone()).collect()
}

fn first_seen(seen: &[(Duration, TaskState)], wanted: &TaskState) -> Duration {
    seen.iter().find(|(_, state)| state == wanted).unwrap().0
}

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
        instance_state(std::slice::from_ref(&stopped)),
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
        instance_state(&[find(&cloud, &task.task_arn).unwrap()]),
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
        instance_state(std::slice::from_ref(&crashed)),
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

#[test]
fn scope_filters_by_started_by_or_instance_tag() {
    let (cloud, _) = demo(1.0);
    let mut untagged = request("web-stack", "");
    untagged.started_by = "someone-else".into();
    untagged.tags.clear();
    let stray = block_on(cloud.run_task(&untagged)).unwrap().tasks.remove(0);

    let mine = block_on(cloud.list_tasks(&Scope::StartedBy(owner_key(OWNER)))).unwrap();
    assert!(!mine.is_empty());
    assert!(
        mine.iter()
            .all(|t| t.started_by.as_deref() == Some("ondeck/ana"))
    );
    let all = block_on(cloud.list_tasks(&Scope::AllOwners)).unwrap();
    assert!(all.iter().all(|t| t.tag(tags::INSTANCE).is_some()));
    assert!(all.iter().any(|t| t.tag(tags::OWNER) == Some("alice")));
    assert!(all.len() > mine.len());
    assert!(!all.iter().any(|t| t.task_arn == stray.task_arn));
    let theirs = block_on(cloud.list_tasks(&Scope::StartedBy("someone-else".into()))).unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].task_arn, stray.task_arn);
}

#[test]
fn the_initial_world_has_instances_in_every_kind_of_state() {
    let (cloud, _) = demo(1.0);
    let instances = group(block_on(cloud.list_tasks(&Scope::AllOwners)).unwrap());
    let state_of = |name: &str| {
        instances
            .iter()
            .find(|i| i.name == name)
            .unwrap_or_else(|| panic!("no instance {name}"))
    };
    let long_running = state_of("checkout-fix");
    assert_eq!(long_running.owner, OWNER);
    assert_eq!(long_running.template, "web-stack");
    assert_eq!(
        long_running.state,
        InstanceState::Lifecycle(TaskState::Running)
    );
    assert!(long_running.created_at.unwrap() <= start() - Duration::hours(3));
    assert!(long_running.expires_at.unwrap() > start());
    let launching = state_of("pair-review");
    assert_eq!(launching.tasks.len(), 2);
    assert!(launching.state.is_transitional());
    assert_eq!(
        state_of("nightly-etl").state,
        InstanceState::Lifecycle(TaskState::Stopped)
    );
    assert_eq!(state_of("flaky-worker").state, InstanceState::Failed);

    let others: Vec<_> = instances.iter().filter(|i| i.owner == "alice").collect();
    assert!(!others.is_empty());
    for task in others.iter().flat_map(|i| &i.tasks) {
        assert_eq!(task.started_by.as_deref(), Some("ondeck/alice"));
        assert_eq!(task.last_status, TaskState::Running);
    }
    for task in instances.iter().flat_map(|i| &i.tasks) {
        if let Some(expiry) = task.tag(tags::EXPIRES_AT) {
            assert!(DateTime::parse_from_rfc3339(expiry).is_ok(), "{expiry}");
        }
    }
}

#[test]
fn steady_instances_are_running_mine_and_far_from_expiry() {
    let (cloud, _) = demo(1.0);
    let cloud = cloud.with_steady_instances(OWNER, 50);
    let mine = group(block_on(cloud.list_tasks(&Scope::StartedBy(owner_key(OWNER)))).unwrap());
    let steady: Vec<_> = mine
        .iter()
        .filter(|i| i.name.starts_with("steady-"))
        .collect();
    assert_eq!(steady.len(), 50);
    assert!(steady.iter().any(|i| i.name == "steady-0001"));
    assert!(steady.iter().any(|i| i.name == "steady-0050"));
    for instance in steady {
        assert_eq!(instance.owner, OWNER);
        assert_eq!(instance.state, InstanceState::Lifecycle(TaskState::Running));
        assert!(instance.expires_at.unwrap() > start() + Duration::minutes(60));
    }
}

#[test]
fn the_owner_alice_gets_bob_as_the_other_person() {
    let clock = Arc::new(ManualClock::new(start()));
    let cloud = DemoCloud::with_clock("alice", 1.0, clock);
    let owners: std::collections::BTreeSet<_> = block_on(cloud.list_tasks(&Scope::AllOwners))
        .unwrap()
        .into_iter()
        .filter_map(|t| t.tag(tags::OWNER).map(str::to_string))
        .collect();
    assert_eq!(owners, ["alice".to_string(), "bob".to_string()].into());
}

#[test]
fn stopped_tasks_vanish_after_an_hour() {
    let (cloud, clock) = demo(1.0);
    let task = run(&cloud, "web-stack");
    clock.advance(Duration::seconds(60));
    block_on(cloud.stop_task(&task.task_arn, "bye")).unwrap();
    clock.advance(Duration::seconds(30));
    let stopped_at = find(&cloud, &task.task_arn)
        .unwrap()
        .times
        .stopped_at
        .unwrap();
    clock.advance(stopped_at + Duration::minutes(59) - clock.now());
    assert!(find(&cloud, &task.task_arn).is_some());
    clock.advance(Duration::minutes(2));
    assert!(find(&cloud, &task.task_arn).is_none());
    assert!(
        block_on(cloud.tag_task(&task.task_arn, &BTreeMap::new()))
            .unwrap_err()
            .is_not_found()
    );
}

#[test]
fn tasks_are_described_by_arn_stopped_ones_too_until_ecs_forgets_them() {
    let (cloud, clock) = demo(1.0);
    let first = run(&cloud, "web-stack");
    let second = run(&cloud, "web-stack");
    let described = |arns: &[String]| -> Vec<(String, TaskState)> {
        block_on(cloud.describe_tasks(arns))
            .unwrap()
            .into_iter()
            .map(|task| (task.task_arn, task.last_status))
            .collect()
    };
    let asked = vec![first.task_arn.clone(), "arn:aws:ecs:nope".to_string()];
    assert_eq!(
        described(&asked),
        vec![(first.task_arn.clone(), first.last_status.clone())]
    );
    block_on(cloud.stop_task(&first.task_arn, "bye")).unwrap();
    clock.advance(Duration::minutes(5));
    assert_eq!(
        described(&asked),
        vec![(first.task_arn.clone(), TaskState::Stopped)]
    );
    clock.advance(Duration::hours(2));
    assert!(described(&asked).is_empty(), "forgotten after an hour");
    assert_eq!(described(std::slice::from_ref(&second.task_arn)).len(), 1);
}

#[test]
fn tags_merge() {
    let (cloud, _) = demo(1.0);
    let task = run(&cloud, "web-stack");
    let update = BTreeMap::from([
        (
            tags::EXPIRES_AT.to_string(),
            "2026-11-23T20:00:00Z".to_string(),
        ),
        (tags::INSTANCE.to_string(), "renamed".to_string()),
    ]);
    block_on(cloud.tag_task(&task.task_arn, &update)).unwrap();
    let tagged = find(&cloud, &task.task_arn).unwrap();
    assert_eq!(tagged.tag(tags::OWNER), Some(OWNER));
    assert_eq!(tagged.tag(tags::INSTANCE), Some("renamed"));
    assert_eq!(tagged.tag(tags::EXPIRES_AT), Some("2026-11-23T20:00:00Z"));
}

#[test]
fn task_definitions_resolve_by_family_revision_and_arn() {
    let (cloud, _) = demo(1.0);
    let by_family = block_on(cloud.describe_task_definition("web-stack")).unwrap();
    let by_revision = block_on(cloud.describe_task_definition("web-stack:7")).unwrap();
    let by_arn = block_on(cloud.describe_task_definition(&by_family.arn)).unwrap();
    assert_eq!(by_family, by_revision);
    assert_eq!(by_family, by_arn);
    assert!(
        block_on(cloud.describe_task_definition("web-stack:8"))
            .unwrap_err()
            .is_not_found()
    );
    let ports: Vec<_> = by_family
        .containers
        .iter()
        .map(|c| (c.name.as_str(), c.container_ports.clone()))
        .collect();
    assert_eq!(
        ports,
        [("web", vec![8080]), ("api", vec![3000]), ("db", vec![5432])]
    );
    let log = by_family.containers[0].log.as_ref().unwrap();
    assert_eq!(log.driver, "awslogs");
    assert_eq!(log.group.as_deref(), Some("/ecs/demo/web-stack"));
    assert_eq!(log.region.as_deref(), Some("us-east-1"));
    assert_eq!(log.stream_prefix.as_deref(), Some("ecs"));

    let worker = block_on(cloud.describe_task_definition("pair-worker")).unwrap();
    let firelens = worker.containers[0].log.as_ref().unwrap();
    assert_eq!(firelens.driver, "awsfirelens");
    assert_eq!(firelens.group, None);
}

#[test]
fn every_demo_template_runs_on_the_demo_cloud() {
    let (cloud, _) = demo(1.0);
    let config = demo_config(OWNER);
    let profile = config.profile(None).unwrap();
    assert_eq!(profile.owner, OWNER);
    assert_eq!(profile.cluster, "demo");
    assert_eq!(profile.subnets, ["subnet-0demo1", "subnet-0demo2"]);
    let names: Vec<_> = profile.templates.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "api-pair",
            "broken-image",
            "crash-loop",
            "data-pipeline",
            "web-stack"
        ]
    );
    assert_eq!(profile.templates["api-pair"].task_definitions.len(), 2);
    for template in profile.templates.values() {
        for name in &template.task_definitions {
            block_on(cloud.describe_task_definition(name)).unwrap();
        }
        for container in template.env.keys() {
            let known = template.task_definitions.iter().any(|name| {
                block_on(cloud.describe_task_definition(name))
                    .unwrap()
                    .containers
                    .iter()
                    .any(|c| &c.name == container)
            });
            assert!(known, "{} overrides unknown {container}", template.name);
        }
    }
}

// ---- logs ----

fn stream_of(task: &Task, container: &str) -> LogStreamRef {
    let family = task.task_definition().split(':').next().unwrap();
    LogStreamRef {
        group: format!("/ecs/demo/{family}"),
        stream: format!("ecs/{container}/{}", task.task_id()),
    }
}

fn query(stream: &LogStreamRef, token: Option<String>, from_head: bool, limit: i32) -> LogQuery {
    LogQuery {
        stream: stream.clone(),
        start_time: None,
        next_token: token,
        start_from_head: from_head,
        limit: Some(limit),
    }
}

/// Every line of the stream now, by pages of the largest size.
fn read_all(cloud: &DemoCloud, stream: &LogStreamRef) -> Vec<RawLogEvent> {
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let page =
            block_on(cloud.get_log_events(&query(stream, token.clone(), true, 1000))).unwrap();
        if page.events.is_empty() {
            return all;
        }
        all.extend(page.events);
        token = page.next_forward_token;
    }
}

fn initial_task(cloud: &DemoCloud, instance: &str) -> Task {
    block_on(cloud.list_tasks(&Scope::AllOwners))
        .unwrap()
        .into_iter()
        .find(|t| t.tag(tags::INSTANCE) == Some(instance))
        .unwrap()
}

#[test]
fn a_log_stream_exists_only_once_its_container_runs() {
    let (cloud, clock) = demo(1.0);
    let task = run(&cloud, "web-stack");
    let web = stream_of(&task, "web");
    let mut was_missing_while_pending = false;
    for _ in 0..40 {
        let view = find(&cloud, &task.task_arn).unwrap();
        let result = block_on(cloud.get_log_events(&query(&web, None, true, 100)));
        if view.containers[0].last_status == "RUNNING" {
            result.unwrap();
        } else {
            assert!(result.unwrap_err().is_not_found());
            was_missing_while_pending = true;
        }
        clock.advance(Duration::seconds(1));
    }
    assert!(was_missing_while_pending);
    assert_eq!(
        find(&cloud, &task.task_arn).unwrap().last_status,
        TaskState::Running
    );

    let missing_group = LogStreamRef {
        group: "/ecs/demo/nope".into(),
        stream: web.stream.clone(),
    };
    let err = block_on(cloud.get_log_events(&query(&missing_group, None, true, 10))).unwrap_err();
    assert!(err.is_not_found());
}

#[test]
fn a_firelens_container_has_no_awslogs_stream() {
    let (cloud, clock) = demo(1.0);
    let worker = run(&cloud, "pair-worker");
    clock.advance(Duration::seconds(60));
    assert_eq!(
        find(&cloud, &worker.task_arn).unwrap().last_status,
        TaskState::Running
    );
    let firelens = stream_of(&worker, "worker");
    assert!(
        block_on(cloud.get_log_events(&query(&firelens, None, true, 10)))
            .unwrap_err()
            .is_not_found()
    );
    block_on(cloud.get_log_events(&query(&stream_of(&worker, "log-router"), None, true, 10)))
        .unwrap();
}

#[test]
fn paging_with_tokens_never_repeats_or_skips_a_line() {
    let (cloud, clock) = demo(1.0);
    let task = run(&cloud, "web-stack");
    clock.advance(Duration::seconds(40));
    let api = stream_of(&task, "api");

    // Read small pages while lines keep arriving, as a tailing client does.
    let mut paged = Vec::new();
    let mut token = None;
    let mut caught_up = 0;
    for _ in 0..40 {
        clock.advance(Duration::seconds(15));
        let page = block_on(cloud.get_log_events(&query(&api, token.clone(), true, 37))).unwrap();
        if page.events.len() < 37 {
            caught_up += 1;
        }
        paged.extend(page.events);
        token = page.next_forward_token;
    }
    loop {
        let page = block_on(cloud.get_log_events(&query(&api, token.clone(), true, 37))).unwrap();
        if page.events.is_empty() {
            assert_eq!(page.next_forward_token, token, "no news keeps the token");
            break;
        }
        paged.extend(page.events);
        token = page.next_forward_token;
    }
    assert!(caught_up > 10);

    let all = read_all(&cloud, &api);
    assert_eq!(paged, all);
    assert!(all.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
    // About a line a second over the ten minutes.
    assert!((300..1500).contains(&all.len()), "{}", all.len());
    assert!(all.iter().all(|e| e.ingestion_time > e.timestamp));
}

#[test]
fn start_time_and_tail_reads() {
    let (cloud, clock) = demo(1.0);
    let task = run(&cloud, "web-stack");
    clock.advance(Duration::minutes(10));
    let web = stream_of(&task, "web");
    let all = read_all(&cloud, &web);

    let middle = all[all.len() / 2].timestamp;
    let since = block_on(cloud.get_log_events(&LogQuery {
        start_time: Some(middle),
        ..query(&web, None, true, 1000)
    }))
    .unwrap();
    let expected: Vec<_> = all
        .iter()
        .filter(|e| e.timestamp >= middle)
        .cloned()
        .collect();
    assert_eq!(since.events, expected);

    let tail = block_on(cloud.get_log_events(&query(&web, None, false, 20))).unwrap();
    assert_eq!(tail.events, all[all.len() - 20..]);

    clock.advance(Duration::seconds(30));
    let newer =
        block_on(cloud.get_log_events(&query(&web, tail.next_forward_token, true, 1000))).unwrap();
    let everything = read_all(&cloud, &web);
    assert!(!newer.events.is_empty());
    assert_eq!(newer.events, everything[all.len()..]);
}

#[test]
fn lines_mix_formats_levels_and_bursts_at_about_one_a_second() {
    let (cloud, _) = demo(1.0);
    let task = initial_task(&cloud, "checkout-fix");
    let api = read_all(&cloud, &stream_of(&task, "api"));
    let running_secs = (start() - task.times.started_at.unwrap()).num_seconds() as f64;
    let rate = api.len() as f64 / running_secs;
    assert!((0.8..1.5).contains(&rate), "{rate} lines/s");

    let json: Vec<serde_json::Value> = api
        .iter()
        .filter_map(|e| serde_json::from_str(&e.message).ok())
        .collect();
    assert!(
        json.iter()
            .any(|v| v["level"] == "info" && v["latency_ms"].is_number())
    );
    assert!(
        json.iter()
            .any(|v| v["level"] == "error" && v["msg"].is_string())
    );
    assert!(
        api.iter()
            .any(|e| e.message.contains("\x1b[33m WARN\x1b[0m"))
    );
    for level in ["DEBUG", "INFO ", "WARN ", "ERROR"] {
        assert!(
            api.iter()
                .any(|e| !e.message.contains('\x1b') && e.message.contains(level)),
            "{level}"
        );
    }
    assert!(
        api.windows(50)
            .any(|burst| burst[49].timestamp - burst[0].timestamp < 1000),
        "a burst of fifty lines within a second"
    );

    let web = read_all(&cloud, &stream_of(&task, "web"));
    assert!(
        web.iter()
            .any(|e| e.message.contains("\" 200 ") && e.message.contains("HTTP/1.1"))
    );
    let db = read_all(&cloud, &stream_of(&task, "db"));
    assert!(db.iter().any(|e| e.message.contains("checkpoint complete")));
    assert!(
        api.iter()
            .chain(&web)
            .chain(&db)
            .all(|e| !is_hostile(&e.message))
    );
}

#[test]
fn last_lines_tell_how_the_container_ended() {
    let (cloud, _) = demo(1.0);
    let last = |instance: &str, container: &str| {
        let task = initial_task(&cloud, instance);
        let page =
            block_on(cloud.get_log_events(&query(&stream_of(&task, container), None, false, 1)))
                .unwrap();
        page.events[0].message.clone()
    };
    assert!(last("flaky-worker", "worker").ends_with("exit status 1"));
    assert!(last("nightly-etl", "ingest").ends_with("shutdown complete"));
    assert!(last("nightly-etl", "loader").contains("SIGTERM received while a batch is in flight"));
}

#[test]
fn startup_lines_show_the_environment_overrides() {
    let (cloud, clock) = demo(1.0);
    let mut with_env = request("web-stack", "");
    with_env.env.insert(
        "api".into(),
        BTreeMap::from([("LOG_LEVEL".into(), "debug".into())]),
    );
    let task = block_on(cloud.run_task(&with_env)).unwrap().tasks.remove(0);
    clock.advance(Duration::seconds(45));
    let first =
        block_on(cloud.get_log_events(&query(&stream_of(&task, "api"), None, true, 10))).unwrap();
    assert!(first.events[0].message.ends_with("> api@2.14.0 start"));
    assert!(
        first
            .events
            .iter()
            .any(|e| e.message.ends_with("config: LOG_LEVEL=debug"))
    );
}

/// Escape sequences other than SGR colours: what a sanitizer must remove.
fn is_hostile(message: &str) -> bool {
    if message.contains("\x1b]") || message.contains("\x1bP") || message.contains('\u{9b}') {
        return true;
    }
    message.split("\x1b[").skip(1).any(|rest| {
        rest.chars()
            .find(|c| ('\u{40}'..='\u{7e}').contains(c))
            .is_some_and(|end| end != 'm')
    })
}

#[test]
fn hostile_lines_appear_only_when_asked_for() {
    let clock = Arc::new(ManualClock::new(start()));
    let plain = DemoCloud::with_clock(OWNER, 1.0, clock.clone());
    let hostile = DemoCloud::with_clock(OWNER, 1.0, clock).with_hostile_lines(true);
    let stream = stream_of(&initial_task(&plain, "checkout-fix"), "api");
    let latest = |cloud: &DemoCloud| {
        block_on(cloud.get_log_events(&query(&stream, None, false, 1000)))
            .unwrap()
            .events
    };
    let clean = latest(&plain);
    let dirty = latest(&hostile);
    assert_eq!(clean.len(), dirty.len());
    assert_eq!(clean.iter().filter(|e| is_hostile(&e.message)).count(), 0);
    let bad = dirty.iter().filter(|e| is_hostile(&e.message)).count();
    assert!(bad > 10, "{bad}");
    for marker in ["\x1b]52;", "\x1b]0;", "\x1b[2J", "\x1bP", "\u{9b}"] {
        assert!(
            dirty.iter().any(|e| e.message.contains(marker)),
            "{marker:?}"
        );
    }
}

// ---- live tail ----

/// A clock that follows tokio's (paused) time from `start()`.
fn tokio_clock() -> Arc<dyn Clock> {
    let origin = tokio::time::Instant::now();
    Arc::new(move || start() + Duration::from_std(origin.elapsed()).unwrap())
}

#[tokio::test(start_paused = true)]
async fn live_tail_pushes_the_new_events_every_second() {
    let clock = tokio_clock();
    let cloud = DemoCloud::with_clock(OWNER, 1.0, clock.clone());
    let stream = stream_of(&initial_task(&cloud, "checkout-fix"), "api");
    let opened = clock.now();
    let mut tail = cloud
        .start_live_tail(&stream.group, std::slice::from_ref(&stream.stream))
        .await
        .unwrap();
    let mut tailed = Vec::new();
    for _ in 0..30 {
        let update = tail.next().await.unwrap().unwrap();
        assert!(!update.sampled);
        for (name, event) in update.events {
            assert_eq!(name, stream.stream);
            tailed.push(event);
        }
    }
    assert_eq!(clock.now() - opened, Duration::seconds(30));
    assert!(tailed.len() > 10, "{}", tailed.len());

    let window = cloud
        .get_log_events(&LogQuery {
            start_time: Some(opened.timestamp_millis() + 1),
            ..query(&stream, None, true, 1000)
        })
        .await
        .unwrap();
    assert_eq!(tailed, window.events);
}

#[tokio::test(start_paused = true)]
async fn live_tail_follows_a_stream_that_appears_later() {
    let clock = tokio_clock();
    let cloud = DemoCloud::with_clock(OWNER, 20.0, clock);
    let task = cloud
        .run_task(&request("web-stack", ""))
        .await
        .unwrap()
        .tasks
        .remove(0);
    let web = stream_of(&task, "web");
    let mut tail = cloud
        .start_live_tail(&web.group, std::slice::from_ref(&web.stream))
        .await
        .unwrap();
    let first = tail.next().await.unwrap().unwrap();
    assert!(first.events.is_empty(), "nothing runs yet");
    let mut tailed = Vec::new();
    for _ in 0..60 {
        let update = tail.next().await.unwrap().unwrap();
        tailed.extend(update.events.into_iter().map(|(_, e)| e));
    }
    assert!(tailed[0].message.ends_with("ready for start up"));
    assert_eq!(tailed, read_all_async(&cloud, &web).await);
}

async fn read_all_async(cloud: &DemoCloud, stream: &LogStreamRef) -> Vec<RawLogEvent> {
    cloud
        .get_log_events(&query(stream, None, true, 1000))
        .await
        .unwrap()
        .events
}

#[tokio::test]
async fn live_tail_rejects_unknown_groups() {
    let (cloud, _) = demo(1.0);
    let err = cloud
        .start_live_tail("/ecs/demo/nope", &[])
        .await
        .err()
        .unwrap();
    assert!(err.is_not_found());
}
