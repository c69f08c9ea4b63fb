//! The world the demo starts with, scoping, describing, tags and task definitions.

use super::*;

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
    let instances = group(
        block_on(cloud.list_tasks(&Scope::AllOwners)).unwrap(),
        vec![],
    );
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
    let mine = group(
        block_on(cloud.list_tasks(&Scope::StartedBy(owner_key(OWNER)))).unwrap(),
        vec![],
    );
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
        block_on(cloud.tag_resource(&task.task_arn, &BTreeMap::new()))
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
    block_on(cloud.tag_resource(&task.task_arn, &update)).unwrap();
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
            "web-stack",
            "workers",
            "workshop"
        ]
    );
    assert_eq!(profile.templates["api-pair"].task_definitions().len(), 2);
    for template in profile.templates.values() {
        for name in template.task_definitions() {
            block_on(cloud.describe_task_definition(name)).unwrap();
        }
        for container in template.env.keys() {
            let known = template.task_definitions().iter().any(|name| {
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
