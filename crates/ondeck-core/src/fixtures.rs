//! Builders for tests: one owner, two templates, fixed times, tasks and instances made of them.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};

use crate::config::{Profile, Template, TemplateSource};
use crate::instances::{Instance, instance_state};
use crate::model::{
    Container, ContainerDefinition, LogConfig, Task, TaskDefinition, TaskState, TaskTimes, tags,
};
use crate::ops::Snapshot;

pub const DEFINITION_ARN: &str = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:3";

/// 2026-11-23 at hour:minute UTC.
pub fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, hour, minute, 0)
        .single()
        .expect("valid time")
}

pub fn task(instance: &str, id: &str, state: TaskState) -> Task {
    let stopped = state == TaskState::Stopped;
    Task {
        exec_enabled: false,
        group: None,
        env_overrides: Default::default(),
        task_arn: format!("arn:aws:ecs:eu-west-1:123456789012:task/dev/{id}"),
        task_definition_arn: DEFINITION_ARN.into(),
        desired_status: if stopped { "STOPPED" } else { "RUNNING" }.into(),
        stop_code: None,
        stopped_reason: None,
        started_by: Some("ondeck/ana".into()),
        containers: vec![
            Container {
                exec_agent: None,
                runtime_id: None,
                name: "api".into(),
                last_status: state.as_str().into(),
                exit_code: None,
                health: (state == TaskState::Running).then(|| "HEALTHY".to_string()),
                reason: None,
            },
            Container {
                exec_agent: None,
                runtime_id: None,
                name: "redis".into(),
                last_status: state.as_str().into(),
                exit_code: None,
                health: None,
                reason: None,
            },
        ],
        tags: BTreeMap::from([
            (tags::INSTANCE.to_string(), instance.to_string()),
            (tags::OWNER.to_string(), "ana".to_string()),
            (tags::TEMPLATE.to_string(), "web".to_string()),
        ]),
        cpu: Some("512".into()),
        memory: Some("1024".into()),
        private_ip: (!stopped).then(|| "10.0.1.23".to_string()),
        capacity_provider: Some("FARGATE".into()),
        last_status: state,
        times: TaskTimes {
            created_at: Some(at(9, 0)),
            ..TaskTimes::default()
        },
    }
}

pub fn instance(name: &str, tasks: Vec<Task>) -> Instance {
    Instance {
        name: name.into(),
        owner: "ana".into(),
        launch: String::new(),
        template: "web".into(),
        state: instance_state(&tasks, &[]),
        created_at: tasks.iter().filter_map(|t| t.times.created_at).min(),
        expires_at: None,
        private_ips: tasks.iter().filter_map(|t| t.private_ip.clone()).collect(),
        tasks,
        services: Vec::new(),
    }
}

/// `owner`'s running instance `name`, started under that owner's key.
pub fn owned_by(owner: &str, name: &str) -> Instance {
    let mut task = task(name, &format!("{owner}-{name}"), TaskState::Running);
    task.started_by = Some(crate::instances::owner_key(owner));
    task.tags.insert(tags::OWNER.into(), owner.into());
    let mut found = instance(name, vec![task]);
    found.owner = owner.into();
    found
}

pub fn definitions() -> BTreeMap<String, TaskDefinition> {
    BTreeMap::from([(
        DEFINITION_ARN.to_string(),
        TaskDefinition {
            task_role_arn: None,
            arn: DEFINITION_ARN.into(),
            family: "web".into(),
            revision: 3,
            cpu: Some("512".into()),
            memory: Some("1024".into()),
            cpu_architecture: None,
            containers: vec![
                ContainerDefinition {
                    name: "api".into(),
                    essential: true,
                    container_ports: vec![8080],
                    cpu: None,
                    memory: None,
                    log: None,
                },
                ContainerDefinition {
                    name: "redis".into(),
                    essential: false,
                    container_ports: vec![6379],
                    cpu: None,
                    memory: None,
                    log: None,
                },
            ],
        },
    )])
}

/// [`definitions`] with `api` on awslogs (group `/ecs/web`, prefix `ecs`) and `redis` on
/// `redis_driver` (configured the same way when that is awslogs).
pub fn logging_definitions(redis_driver: &str) -> BTreeMap<String, TaskDefinition> {
    let mut found = definitions();
    for definition in found.values_mut() {
        for container in &mut definition.containers {
            let driver = if container.name == "redis" {
                redis_driver
            } else {
                "awslogs"
            };
            let awslogs = driver == "awslogs";
            container.log = Some(LogConfig {
                driver: driver.into(),
                group: awslogs.then(|| "/ecs/web".to_string()),
                region: None,
                stream_prefix: awslogs.then(|| "ecs".to_string()),
                create_group: false,
            });
        }
    }
    found
}

pub fn snapshot(instances: Vec<Instance>) -> Snapshot {
    Snapshot {
        instances,
        definitions: definitions(),
    }
}

fn template(name: &str, description: &str) -> Template {
    Template {
        exec: None,
        shell: None,
        exec_container: None,
        links: Default::default(),
        name: name.into(),
        description: Some(description.into()),
        source: TemplateSource::TaskDefinitions(vec![format!("{name}:3")]),
        size: None,
        env: BTreeMap::new(),
        ttl: Some(chrono::Duration::hours(8)),
        spot: false,
        kind: Default::default(),
    }
}

pub fn profile(name: &str) -> Profile {
    Profile {
        name: name.into(),
        aws_profile: None,
        region: "eu-west-1".into(),
        endpoint_url: None,
        cluster: "dev".into(),
        owner: "ana".into(),
        subnets: vec!["subnet-1".into()],
        security_groups: vec!["sg-1".into()],
        assign_public_ip: false,
        templates: BTreeMap::from([
            (
                "web".to_string(),
                template("web", "Web frontend with api and redis"),
            ),
            (
                "worker".to_string(),
                template("worker", "Background job runner"),
            ),
        ]),
        refresh_busy_secs: 3,
        refresh_steady_secs: 30,
        log_buffer_lines: 1000,
        exec_client: Default::default(),
        execution_role_arn: None,
        task_role_arn: None,
        log_group: format!("/ondeck/{name}"),
        log_stream_prefix: "ondeck".into(),
        prices: None,
    }
}

pub fn config() -> crate::config::Config {
    crate::config::Config {
        path: std::path::PathBuf::from("/tmp/ondeck.toml"),
        default_profile: Some("dev".into()),
        profiles: BTreeMap::from([
            ("dev".to_string(), profile("dev")),
            ("prod".to_string(), profile("prod")),
        ]),
        keymap: BTreeMap::new(),
    }
}
