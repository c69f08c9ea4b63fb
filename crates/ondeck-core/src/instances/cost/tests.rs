use super::*;
use crate::instances::InstanceState;
use crate::model::{ContainerDefinition, TaskTimes};
use chrono::TimeZone;

const DEF_ARN: &str = "arn:aws:ecs:us-east-1:1:task-definition/web:1";

fn clock() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn task(cpu: &str, memory: &str, started_minutes_ago: i64) -> Task {
    Task {
        exec_enabled: false,
        group: None,
        env_overrides: Default::default(),
        task_arn: format!("arn:aws:ecs:us-east-1:1:task/c/{cpu}-{memory}"),
        task_definition_arn: DEF_ARN.into(),
        last_status: TaskState::Running,
        desired_status: "RUNNING".into(),
        stop_code: None,
        stopped_reason: None,
        started_by: None,
        containers: vec![],
        tags: BTreeMap::new(),
        cpu: Some(cpu.into()),
        memory: Some(memory.into()),
        private_ip: None,
        capacity_provider: Some("FARGATE".into()),
        times: TaskTimes {
            created_at: Some(clock() - Duration::minutes(started_minutes_ago + 1)),
            started_at: Some(clock() - Duration::minutes(started_minutes_ago)),
            ..TaskTimes::default()
        },
    }
}

fn instance(tasks: Vec<Task>) -> Instance {
    Instance {
        name: "i".into(),
        owner: "ana".into(),
        launch: String::new(),
        template: "web".into(),
        state: InstanceState::Lifecycle(TaskState::Running),
        created_at: None,
        expires_at: None,
        private_ips: vec![],
        tasks,
        services: vec![],
    }
}

fn definition(arch: Option<&str>) -> TaskDefinition {
    TaskDefinition {
        task_role_arn: None,
        arn: DEF_ARN.into(),
        family: "web".into(),
        revision: 1,
        cpu: None,
        memory: None,
        cpu_architecture: arch.map(str::to_string),
        containers: vec![],
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn us_east_1_rates_are_the_published_ones() {
    let x86 = fargate_rates("us-east-1", Arch::X86_64, false).unwrap();
    assert_eq!((x86.vcpu_hour, x86.gb_hour), (0.04048, 0.004445));
    let arm = fargate_rates("us-east-1", Arch::Arm64, false).unwrap();
    assert_eq!((arm.vcpu_hour, arm.gb_hour), (0.03238, 0.00356));
    let spot = fargate_rates("us-east-1", Arch::X86_64, true).unwrap();
    assert!(close(spot.vcpu_hour, 0.04048 * 0.3));
    assert_eq!(fargate_rates("mars-north-1", Arch::X86_64, false), None);
}

#[test]
fn every_listed_region_has_arm_cheaper_than_x86() {
    for region in [
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "eu-west-1",
        "eu-west-2",
        "eu-central-1",
        "eu-north-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-northeast-1",
        "ap-south-1",
        "ca-central-1",
        "sa-east-1",
    ] {
        let x86 = fargate_rates(region, Arch::X86_64, false).expect(region);
        let arm = fargate_rates(region, Arch::Arm64, false).expect(region);
        assert!(
            arm.vcpu_hour < x86.vcpu_hour && arm.gb_hour < x86.gb_hour,
            "{region}"
        );
        assert!(
            x86.vcpu_hour >= 0.04048,
            "{region} below the cheapest region"
        );
    }
}

#[test]
fn one_vcpu_two_gb_for_ninety_minutes() {
    let cost = instance_cost(
        &instance(vec![task("1024", "2048", 90)]),
        &BTreeMap::new(),
        "us-east-1",
        None,
        clock(),
    )
    .unwrap();
    let hourly = 0.04048 + 2.0 * 0.004445;
    assert!(close(cost.per_hour, hourly));
    assert!(close(cost.so_far, hourly * 1.5));
    assert_eq!(cost.currency, "USD");
}

#[test]
fn stopped_tasks_count_so_far_but_not_per_hour() {
    let mut stopped = task("512", "1024", 60);
    stopped.last_status = TaskState::Stopped;
    stopped.times.stopped_at = Some(clock() - Duration::minutes(30));
    let running = task("256", "512", 60);
    let cost = instance_cost(
        &instance(vec![stopped, running]),
        &BTreeMap::new(),
        "us-east-1",
        None,
        clock(),
    )
    .unwrap();
    let stopped_hourly = 0.5 * 0.04048 + 1.0 * 0.004445;
    let running_hourly = 0.25 * 0.04048 + 0.5 * 0.004445;
    assert!(close(cost.per_hour, running_hourly));
    assert!(close(cost.so_far, stopped_hourly * 0.5 + running_hourly));
}

#[test]
fn spot_and_arm_come_from_the_task_and_its_definition() {
    let mut spot = task("1024", "2048", 60);
    spot.capacity_provider = Some("FARGATE_SPOT".into());
    let definitions = BTreeMap::from([(DEF_ARN.to_string(), definition(Some("ARM64")))]);
    let cost = instance_cost(
        &instance(vec![spot]),
        &definitions,
        "us-east-1",
        None,
        clock(),
    )
    .unwrap();
    let expected = (0.03238 + 2.0 * 0.00356) * (1.0 - SPOT_DISCOUNT);
    assert!(close(cost.per_hour, expected));
    assert!(close(cost.so_far, expected));
}

#[test]
fn unknown_region_needs_overrides() {
    let tasks = instance(vec![task("1024", "2048", 120)]);
    assert_eq!(
        instance_cost(&tasks, &BTreeMap::new(), "xx-nowhere-1", None, clock()),
        None
    );
    let price = PriceOverride {
        vcpu_hour: 0.1,
        gb_hour: 0.01,
    };
    let cost = instance_cost(
        &tasks,
        &BTreeMap::new(),
        "xx-nowhere-1",
        Some(price),
        clock(),
    )
    .unwrap();
    assert!(close(cost.per_hour, 0.12));
    assert!(close(cost.so_far, 0.24));
}

#[test]
fn created_at_stands_in_for_started_at_and_one_minute_is_the_least_billed() {
    let mut pending = task("1024", "1024", 0);
    pending.times.started_at = None;
    pending.times.created_at = Some(clock() - Duration::minutes(30));
    let mut fresh = task("1024", "1024", 0);
    fresh.times.started_at = Some(clock() - Duration::seconds(10));
    let hourly = 0.04048 + 0.004445;
    let pending_cost = instance_cost(
        &instance(vec![pending]),
        &BTreeMap::new(),
        "us-east-1",
        None,
        clock(),
    );
    assert!(close(pending_cost.unwrap().so_far, hourly * 0.5));
    let fresh_cost = instance_cost(
        &instance(vec![fresh]),
        &BTreeMap::new(),
        "us-east-1",
        None,
        clock(),
    );
    assert!(close(fresh_cost.unwrap().so_far, hourly / 60.0));
}

#[test]
fn size_falls_back_from_task_to_definition_to_containers() {
    let mut bare = task("1024", "2048", 1);
    bare.cpu = None;
    bare.memory = None;
    assert_eq!(task_size(&bare, None), None);

    let mut def = definition(None);
    def.cpu = Some("2 vCPU".into());
    def.memory = Some("4GB".into());
    assert_eq!(task_size(&bare, Some(&def)), Some((2.0, 4.0)));

    def.cpu = None;
    def.memory = None;
    def.containers = [(256, 512), (512, 1024)]
        .into_iter()
        .map(|(cpu, memory)| ContainerDefinition {
            name: format!("c{cpu}"),
            essential: true,
            container_ports: vec![],
            cpu: Some(cpu),
            memory: Some(memory),
            log: None,
        })
        .collect();
    assert_eq!(task_size(&bare, Some(&def)), Some((0.75, 1.5)));

    let sized = task("4096", "8192", 1);
    assert_eq!(task_size(&sized, Some(&def)), Some((4.0, 8.0)));
}

#[test]
fn a_task_of_unknown_size_leaves_the_cost_unknown() {
    let mut bare = task("1024", "2048", 1);
    bare.cpu = Some("lots".into());
    let tasks = instance(vec![task("1024", "2048", 1), bare]);
    assert_eq!(
        instance_cost(&tasks, &BTreeMap::new(), "us-east-1", None, clock()),
        None
    );
}

fn midnight() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

fn between(tasks: Vec<Task>, from: DateTime<Utc>) -> Cost {
    instance_cost_between(
        &instance(tasks),
        &BTreeMap::new(),
        "us-east-1",
        None,
        from,
        clock(),
    )
    .unwrap()
}

/// 1 vCPU and 2 GB at the us-east-1 on-demand rates: 0.04048 + 2 × 0.004445.
const ONE_VCPU_TWO_GB_HOURLY: f64 = 0.04937;

#[test]
fn since_midnight_counts_only_the_hours_after_it() {
    // Started at 22:00 the day before; at noon it has run 14 h, 12 of them today.
    let overnight = task("1024", "2048", 14 * 60);
    let today = between(vec![overnight.clone()], midnight());
    assert!(close(today.so_far, 12.0 * ONE_VCPU_TWO_GB_HOURLY));
    assert!(close(today.so_far, 0.59244));
    assert!(close(today.per_hour, ONE_VCPU_TWO_GB_HOURLY));
    let whole = between(vec![overnight], DateTime::<Utc>::MIN_UTC);
    assert!(close(whole.so_far, 14.0 * ONE_VCPU_TWO_GB_HOURLY));
}

#[test]
fn a_task_stopped_before_the_window_costs_nothing_in_it() {
    let mut yesterday = task("1024", "2048", 16 * 60);
    yesterday.last_status = TaskState::Stopped;
    yesterday.times.stopped_at = Some(midnight() - Duration::hours(1));
    let today = between(vec![yesterday], midnight());
    assert_eq!((today.per_hour, today.so_far), (0.0, 0.0));
}

#[test]
fn a_task_across_midnight_counts_from_midnight_to_its_stop() {
    let mut crossing = task("1024", "2048", 13 * 60);
    crossing.last_status = TaskState::Stopped;
    crossing.times.stopped_at = Some(midnight() + Duration::minutes(90));
    let today = between(vec![crossing], midnight());
    assert!(close(today.so_far, 1.5 * ONE_VCPU_TWO_GB_HOURLY));
    assert_eq!(today.per_hour, 0.0);
}

#[test]
fn the_minimum_minute_of_a_fresh_task_falls_in_the_window() {
    let mut fresh = task("1024", "2048", 0);
    fresh.times.started_at = Some(clock() - Duration::seconds(20));
    let last_hour = between(vec![fresh], clock() - Duration::hours(1));
    assert!(close(last_hour.so_far, ONE_VCPU_TWO_GB_HOURLY / 60.0));
}

#[test]
fn the_whole_window_is_the_instance_cost() {
    let mut stopped = task("512", "1024", 200);
    stopped.times.stopped_at = Some(clock() - Duration::minutes(50));
    let tasks = vec![stopped, task("1024", "2048", 90)];
    let whole = between(tasks.clone(), DateTime::<Utc>::MIN_UTC);
    let cost = instance_cost(
        &instance(tasks),
        &BTreeMap::new(),
        "us-east-1",
        None,
        clock(),
    );
    assert_eq!(Some(whole), cost);
}

#[test]
fn spend_sums_instances_and_counts_the_running_ones() {
    let live = instance(vec![task("1024", "2048", 14 * 60)]);
    // Starting: billed, but not running yet.
    let mut starting = instance(vec![task("512", "1024", 0)]);
    starting.state = InstanceState::Lifecycle(TaskState::Pending);
    let with_starting = spend(
        [&live, &starting],
        &BTreeMap::new(),
        "us-east-1",
        None,
        midnight(),
        clock(),
    );
    assert_eq!(with_starting.running, 1);
    let mut gone = instance(vec![task("512", "1024", 120)]);
    gone.state = InstanceState::Lifecycle(TaskState::Stopped);
    gone.tasks[0].last_status = TaskState::Stopped;
    gone.tasks[0].times.stopped_at = Some(clock() - Duration::minutes(60));
    let total = spend(
        [&live, &gone],
        &BTreeMap::new(),
        "us-east-1",
        None,
        midnight(),
        clock(),
    );
    assert_eq!(total.running, 1);
    assert!(close(total.per_hour.unwrap(), ONE_VCPU_TWO_GB_HOURLY));
    let gone_hourly = 0.5 * 0.04048 + 0.004445;
    assert!(close(
        total.since.unwrap(),
        12.0 * ONE_VCPU_TWO_GB_HOURLY + gone_hourly
    ));

    let mut unsizable = instance(vec![task("1024", "2048", 5)]);
    unsizable.tasks[0].cpu = Some("lots".into());
    let unknown = spend(
        [&live, &unsizable],
        &BTreeMap::new(),
        "us-east-1",
        None,
        midnight(),
        clock(),
    );
    assert_eq!(
        (unknown.running, unknown.per_hour, unknown.since),
        (2, None, None)
    );
}

#[test]
fn a_paused_instance_costs_nothing_and_its_pause_is_not_billed() {
    // Ran 60 minutes, paused for the last 30: billed 30 minutes, nothing per hour.
    let mut scaled_in = task("1024", "2048", 60);
    scaled_in.last_status = TaskState::Stopped;
    scaled_in.stop_code = Some("ServiceSchedulerInitiated".into());
    scaled_in.times.stopped_at = Some(clock() - Duration::minutes(30));
    let mut paused = instance(vec![scaled_in]);
    paused.state = InstanceState::Paused;
    let cost = instance_cost(&paused, &BTreeMap::new(), "us-east-1", None, clock()).unwrap();
    let hourly = 0.04048 + 2.0 * 0.004445;
    assert_eq!(cost.per_hour, 0.0);
    assert!(close(cost.so_far, hourly * 0.5), "{}", cost.so_far);
    // Paused long enough that ECS forgot the task: no task, no cost.
    let forgotten = instance(vec![]);
    let cost = instance_cost(&forgotten, &BTreeMap::new(), "us-east-1", None, clock()).unwrap();
    assert_eq!((cost.per_hour, cost.so_far), (0.0, 0.0));
}
