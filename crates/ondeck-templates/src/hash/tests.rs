use super::*;
use crate::model::{
    Container, DependencyCondition, HealthCheck, LogConfiguration, PortMapping, Protocol,
};
use crate::size::TaskSize;

fn log() -> LogConfiguration {
    LogConfiguration {
        awslogs_group: "/ondeck/dev".into(),
        awslogs_region: "eu-west-1".into(),
        awslogs_stream_prefix: "ondeck".into(),
    }
}

fn sample() -> TaskDefinition {
    let mut web = Container::new("web", "ghcr.io/acme/web:1.4", log());
    web.port_mappings = vec![PortMapping {
        container_port: 8080,
        protocol: Protocol::Tcp,
    }];
    web.environment
        .insert("API_URL".into(), "http://localhost:3000".into());
    web.depends_on
        .insert("api".into(), DependencyCondition::Healthy);
    let mut api = Container::new("api", "acme/api:2.0", log());
    api.health_check = Some(HealthCheck::shell("curl -f http://localhost:3000/health"));
    TaskDefinition {
        family: "ondeck-dev-shop".into(),
        size: TaskSize {
            cpu: 1024,
            memory: 2048,
        },
        cpu_architecture: None,
        execution_role_arn: Some("arn:aws:iam::123456789012:role/exec".into()),
        task_role_arn: None,
        containers: vec![api, web],
    }
}

#[test]
fn the_hash_is_a_tag_value_and_stable() {
    let hash = content_hash(&sample());
    assert_eq!(hash.len(), 71);
    assert!(hash.starts_with("sha256:"));
    assert_eq!(hash, content_hash(&sample()));
}

#[test]
fn container_and_list_order_do_not_change_it() {
    let mut shuffled = sample();
    shuffled.containers.reverse();
    shuffled.containers[0].port_mappings.push(PortMapping {
        container_port: 8080,
        protocol: Protocol::Tcp,
    });
    assert_eq!(content_hash(&shuffled), content_hash(&sample()));
}

/// Every field of the model reaches the hash: changing any one of them changes it.
#[test]
fn every_field_changes_it() {
    type Edit = fn(&mut TaskDefinition);
    let edits: &[(&str, Edit)] = &[
        ("family", |t| t.family.push('x')),
        ("cpu", |t| {
            t.size = TaskSize {
                cpu: 2048,
                memory: 4096,
            }
        }),
        ("memory", |t| t.size.memory = 3072),
        ("architecture", |t| {
            t.cpu_architecture = Some(crate::model::CpuArchitecture::Arm64)
        }),
        ("execution role", |t| t.execution_role_arn = None),
        ("task role", |t| {
            t.task_role_arn = Some("arn:aws:iam::1:role/t".into())
        }),
        ("image", |t| {
            t.containers[1].image = "ghcr.io/acme/web:1.5".into()
        }),
        ("essential", |t| t.containers[0].essential = false),
        ("container cpu", |t| t.containers[0].cpu = Some(256)),
        ("container memory", |t| t.containers[0].memory = Some(512)),
        ("reservation", |t| {
            t.containers[0].memory_reservation = Some(256)
        }),
        ("port", |t| {
            t.containers[1].port_mappings[0].container_port = 8081
        }),
        ("protocol", |t| {
            t.containers[1].port_mappings[0].protocol = Protocol::Udp
        }),
        ("environment value", |t| {
            t.containers[1]
                .environment
                .insert("API_URL".into(), "x".into());
        }),
        ("secret", |t| {
            t.containers[0]
                .secrets
                .insert("PW".into(), "arn:aws:ssm:x".into());
        }),
        ("entry point", |t| {
            t.containers[0].entry_point = Some(vec!["/bin/sh".into()])
        }),
        ("command", |t| {
            t.containers[0].command = Some(vec!["serve".into()])
        }),
        ("dependency condition", |t| {
            t.containers[1]
                .depends_on
                .insert("api".into(), DependencyCondition::Start);
        }),
        ("health interval", |t| {
            t.containers[0].health_check.as_mut().unwrap().interval = 10
        }),
        ("health command", |t| {
            t.containers[0].health_check.as_mut().unwrap().command[1].push('x')
        }),
        ("user", |t| t.containers[0].user = Some("1000".into())),
        ("working directory", |t| {
            t.containers[0].working_directory = Some("/app".into())
        }),
        ("stop timeout", |t| t.containers[0].stop_timeout = Some(10)),
        ("read-only", |t| {
            t.containers[0].readonly_root_filesystem = true
        }),
        ("init", |t| t.containers[0].init_process_enabled = true),
        ("tty", |t| t.containers[0].pseudo_terminal = true),
        ("stdin", |t| t.containers[0].interactive = true),
        ("cap add", |t| {
            t.containers[0].capabilities_add = vec!["SYS_PTRACE".into()]
        }),
        ("cap drop", |t| {
            t.containers[0].capabilities_drop = vec!["NET_RAW".into()]
        }),
        ("log group", |t| {
            t.containers[0].log_configuration.awslogs_group.push('x')
        }),
        ("log region", |t| {
            t.containers[0].log_configuration.awslogs_region = "us-east-1".into()
        }),
        ("stream prefix", |t| {
            t.containers[0]
                .log_configuration
                .awslogs_stream_prefix
                .push('x')
        }),
        ("container name", |t| {
            t.containers[0].name = "backend".into()
        }),
    ];
    let original = content_hash(&sample());
    for (what, edit) in edits {
        let mut changed = sample();
        edit(&mut changed);
        assert_ne!(
            content_hash(&changed),
            original,
            "changing the {what} kept the hash"
        );
    }
}

/// Written without `..` so that a new model field fails to compile here until it is set,
/// and then fails the count until it reaches the serialized form the hash is taken of.
#[test]
fn every_container_field_is_serialized_when_set() {
    let container = Container {
        name: "web".into(),
        image: "web:1".into(),
        essential: false,
        cpu: Some(256),
        memory: Some(512),
        memory_reservation: Some(256),
        port_mappings: vec![PortMapping {
            container_port: 80,
            protocol: Protocol::Tcp,
        }],
        environment: [("A".to_string(), "1".to_string())].into(),
        secrets: [("S".to_string(), "arn:aws:ssm:x".to_string())].into(),
        entry_point: Some(vec!["/bin/sh".into()]),
        command: Some(vec!["serve".into()]),
        depends_on: [("db".to_string(), DependencyCondition::Start)].into(),
        health_check: Some(HealthCheck::shell("true")),
        user: Some("1000".into()),
        working_directory: Some("/app".into()),
        stop_timeout: Some(10),
        readonly_root_filesystem: true,
        init_process_enabled: true,
        pseudo_terminal: true,
        interactive: true,
        capabilities_add: vec!["SYS_PTRACE".into()],
        capabilities_drop: vec!["NET_RAW".into()],
        log_configuration: log(),
    };
    let json = serde_json::to_value(&container).unwrap();
    assert_eq!(json.as_object().unwrap().len(), 23, "{json}");
}
