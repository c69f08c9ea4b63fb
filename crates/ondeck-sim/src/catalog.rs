//! What the simulated account holds: task definitions, and the templates of `demo_config`
//! that launch them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::Duration;
use ondeck_core::config::{Config, Profile, Template, TemplateKind, TemplateSource};
use ondeck_core::model::{ContainerDefinition, LogConfig, TaskDefinition};

pub(super) const REGION: &str = "us-east-1";
pub(super) const ACCOUNT: &str = "123456789012";
pub(super) const CLUSTER: &str = "demo";
pub(super) const STREAM_PREFIX: &str = "ecs";

/// The image of `broken-image`'s app container, which no registry has.
pub(super) const CANNOT_PULL: &str = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/acme/missing:latest: not found";

/// What a container logs like; picks the generator in `logs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Web,
    Api,
    Db,
    Cache,
    Worker,
    Pipeline,
    LogRouter,
    Metrics,
}

/// How a container behaves in its life, beyond starting and stopping when asked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Behaviour {
    Normal,
    /// Its image does not exist: the task never starts.
    ImageMissing,
    /// Exits with code 1 about this many seconds after the task is RUNNING.
    CrashesAfter(f64),
    /// Ignores SIGTERM, so a stop ends it with SIGKILL (exit 137).
    IgnoresSigterm,
    /// Killed for running out of memory (exit 137, OutOfMemoryError) about this many seconds
    /// after the task is RUNNING.
    RunsOutOfMemoryAfter(f64),
}

/// What ECS says of a container the kernel killed for its memory.
pub(super) const OUT_OF_MEMORY: &str = "OutOfMemoryError: Container killed due to memory usage";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LogDriver {
    Awslogs,
    Firelens,
}

#[derive(Debug)]
pub(super) struct ContainerSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub ports: &'static [u16],
    pub cpu: u32,
    pub memory: u32,
    pub essential: bool,
    pub health_check: bool,
    pub log: LogDriver,
    pub behaviour: Behaviour,
}

#[derive(Debug)]
pub(super) struct FamilySpec {
    pub family: &'static str,
    pub revision: i32,
    pub cpu: &'static str,
    pub memory: &'static str,
    pub architecture: &'static str,
    pub containers: &'static [ContainerSpec],
}

impl FamilySpec {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{}:{}",
            self.family, self.revision
        )
    }

    pub fn log_group(&self) -> String {
        log_group(self.family)
    }

    pub fn to_task_definition(&self) -> TaskDefinition {
        TaskDefinition {
            task_role_arn: Some(format!("arn:aws:iam::{ACCOUNT}:role/{}-task", self.family)),
            arn: self.arn(),
            family: self.family.to_string(),
            revision: self.revision,
            cpu: Some(self.cpu.to_string()),
            memory: Some(self.memory.to_string()),
            cpu_architecture: Some(self.architecture.to_string()),
            containers: self
                .containers
                .iter()
                .map(|spec| ContainerDefinition {
                    name: spec.name.to_string(),
                    essential: spec.essential,
                    container_ports: spec.ports.to_vec(),
                    cpu: Some(spec.cpu),
                    memory: Some(spec.memory),
                    log: Some(match spec.log {
                        LogDriver::Awslogs => LogConfig {
                            driver: "awslogs".into(),
                            group: Some(self.log_group()),
                            region: Some(REGION.into()),
                            stream_prefix: Some(STREAM_PREFIX.into()),
                            create_group: false,
                        },
                        LogDriver::Firelens => LogConfig {
                            driver: "awsfirelens".into(),
                            group: None,
                            region: None,
                            stream_prefix: None,
                            create_group: false,
                        },
                    }),
                })
                .collect(),
        }
    }
}

pub(super) fn log_group(family: &str) -> String {
    format!("/ecs/{CLUSTER}/{family}")
}

const fn container(
    name: &'static str,
    kind: Kind,
    ports: &'static [u16],
    cpu: u32,
    memory: u32,
) -> ContainerSpec {
    ContainerSpec {
        name,
        kind,
        ports,
        cpu,
        memory,
        essential: true,
        health_check: false,
        log: LogDriver::Awslogs,
        behaviour: Behaviour::Normal,
    }
}

const fn checked(spec: ContainerSpec) -> ContainerSpec {
    ContainerSpec {
        health_check: true,
        ..spec
    }
}

const fn sidecar(spec: ContainerSpec) -> ContainerSpec {
    ContainerSpec {
        essential: false,
        ..spec
    }
}

const fn behaving(spec: ContainerSpec, behaviour: Behaviour) -> ContainerSpec {
    ContainerSpec { behaviour, ..spec }
}

pub(super) const FAMILIES: &[FamilySpec] = &[
    FamilySpec {
        family: "web-stack",
        revision: 7,
        cpu: "1024",
        memory: "2048",
        architecture: "X86_64",
        containers: &[
            checked(container("web", Kind::Web, &[8080], 256, 512)),
            checked(container("api", Kind::Api, &[3000], 512, 1024)),
            checked(container("db", Kind::Db, &[5432], 256, 512)),
        ],
    },
    FamilySpec {
        family: "pair-api",
        revision: 3,
        cpu: "512",
        memory: "1024",
        architecture: "X86_64",
        containers: &[
            checked(container("api", Kind::Api, &[3000], 384, 768)),
            checked(sidecar(container("cache", Kind::Cache, &[6379], 128, 256))),
        ],
    },
    FamilySpec {
        family: "pair-worker",
        revision: 5,
        cpu: "512",
        memory: "1024",
        architecture: "X86_64",
        containers: &[
            ContainerSpec {
                log: LogDriver::Firelens,
                ..container("worker", Kind::Worker, &[], 384, 768)
            },
            container("log-router", Kind::LogRouter, &[2020], 128, 256),
        ],
    },
    FamilySpec {
        family: "data-pipeline",
        revision: 12,
        cpu: "2048",
        memory: "4096",
        architecture: "ARM64",
        containers: &[
            checked(container("ingest", Kind::Pipeline, &[8081], 512, 1024)),
            container("transform", Kind::Pipeline, &[], 768, 1536),
            behaving(
                container("loader", Kind::Pipeline, &[], 512, 1024),
                Behaviour::IgnoresSigterm,
            ),
            sidecar(container("metrics", Kind::Metrics, &[9090], 256, 512)),
        ],
    },
    FamilySpec {
        family: "broken-image",
        revision: 1,
        cpu: "512",
        memory: "1024",
        architecture: "X86_64",
        containers: &[
            behaving(
                container("app", Kind::Api, &[8080], 384, 768),
                Behaviour::ImageMissing,
            ),
            sidecar(container("proxy", Kind::Web, &[80], 128, 256)),
        ],
    },
    FamilySpec {
        family: "crash-loop",
        revision: 2,
        cpu: "512",
        memory: "1024",
        architecture: "X86_64",
        containers: &[
            behaving(
                container("worker", Kind::Worker, &[], 384, 768),
                Behaviour::CrashesAfter(20.0),
            ),
            checked(sidecar(container("cache", Kind::Cache, &[6379], 128, 256))),
        ],
    },
    FamilySpec {
        family: "queue-worker",
        revision: 4,
        cpu: "512",
        memory: "1024",
        architecture: "X86_64",
        containers: &[
            behaving(
                container("worker", Kind::Worker, &[], 384, 768),
                Behaviour::RunsOutOfMemoryAfter(240.0),
            ),
            checked(sidecar(container("cache", Kind::Cache, &[6379], 128, 256))),
        ],
    },
];

/// A task definition by family, `family:revision` or ARN, as DescribeTaskDefinition resolves it.
pub(super) fn find_family(name: &str) -> Option<&'static FamilySpec> {
    let short = name
        .rsplit_once(":task-definition/")
        .map_or(name, |(_, rest)| rest);
    let (family, revision) = match short.split_once(':') {
        Some((family, revision)) => (family, Some(revision.parse::<i32>().ok()?)),
        None => (short, None),
    };
    FAMILIES
        .iter()
        .find(|spec| spec.family == family && revision.is_none_or(|wanted| wanted == spec.revision))
}

/// The family whose awslogs group this is.
pub(super) fn family_of_group(group: &str) -> Option<&'static FamilySpec> {
    FAMILIES.iter().find(|spec| spec.log_group() == group)
}

/// The configuration `ondeck --demo` runs with: one profile whose templates the demo cluster
/// knows how to run.
pub fn demo_config(owner: &str) -> Config {
    let template = |name: &str,
                    description: &str,
                    task_definitions: &[&str],
                    ttl_hours: Option<i64>,
                    spot: bool| Template {
        exec: None,
        shell: None,
        exec_container: None,
        links: Default::default(),
        name: name.to_string(),
        description: Some(description.to_string()),
        source: TemplateSource::TaskDefinitions(
            task_definitions.iter().map(|s| s.to_string()).collect(),
        ),
        size: None,
        env: BTreeMap::new(),
        ttl: ttl_hours.map(Duration::hours),
        spot,
        kind: TemplateKind::Task,
    };
    let mut web_stack = template(
        "web-stack",
        "Web front end, API and Postgres in one task",
        &["web-stack"],
        Some(8),
        false,
    );
    web_stack.env.insert(
        "api".into(),
        BTreeMap::from([
            ("LOG_LEVEL".to_string(), "debug".to_string()),
            ("FEATURE_FLAGS".to_string(), "new-checkout".to_string()),
        ]),
    );
    let templates = [
        web_stack,
        template(
            "api-pair",
            "API with Redis, plus a queue worker that logs through FireLens",
            &["pair-api:3", "pair-worker"],
            Some(4),
            false,
        ),
        template(
            "data-pipeline",
            "Ingest, transform and load with a metrics sidecar (ARM64 on Spot)",
            &["data-pipeline"],
            None,
            true,
        ),
        template(
            "broken-image",
            "An image that does not exist: the task fails to start",
            &["broken-image"],
            Some(1),
            false,
        ),
        template(
            "crash-loop",
            "A worker that exits with code 1 shortly after it starts",
            &["crash-loop"],
            Some(2),
            false,
        ),
        Template {
            kind: TemplateKind::Service,
            ..template(
                "workers",
                "Queue workers kept running by an ECS service: pause them overnight",
                &["queue-worker"],
                Some(72),
                false,
            )
        },
        Template {
            source: TemplateSource::Containers,
            size: Some((512, 1024)),
            ..template(
                "workshop",
                "Web and API defined as containers: registered at the first launch",
                &[],
                Some(8),
                false,
            )
        },
    ];
    let profile = Profile {
        name: "demo".into(),
        aws_profile: None,
        region: REGION.into(),
        endpoint_url: None,
        cluster: CLUSTER.into(),
        owner: owner.to_string(),
        subnets: vec!["subnet-0demo1".into(), "subnet-0demo2".into()],
        security_groups: vec!["sg-0demo".into()],
        assign_public_ip: false,
        templates: templates
            .into_iter()
            .map(|template| (template.name.clone(), template))
            .collect(),
        refresh_busy_secs: 2,
        refresh_steady_secs: 15,
        log_buffer_lines: 10_000,
        exec_client: Default::default(),
        execution_role_arn: None,
        task_role_arn: None,
        log_group: "/ondeck/demo".into(),
        log_stream_prefix: "ondeck".into(),
        prices: None,
    };
    Config {
        path: PathBuf::from("demo"),
        default_profile: Some("demo".into()),
        profiles: BTreeMap::from([("demo".to_string(), profile)]),
        keymap: Default::default(),
    }
}
