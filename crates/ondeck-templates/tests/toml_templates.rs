//! Containers defined in the config file's template table, in the shape of issue 14.

use std::path::Path;

use ondeck_templates::compose::{self, ComposeSource, Variables};
use ondeck_templates::hash::content_hash;
use ondeck_templates::model::{DependencyCondition, PortMapping, Protocol, TemplateContext};
use ondeck_templates::problem::Problem;
use ondeck_templates::size::TaskSize;
use ondeck_templates::toml_template::read_template;

fn context() -> TemplateContext {
    TemplateContext {
        profile: "dev".into(),
        template: "shop".into(),
        region: "eu-west-1".into(),
        log_group: "/ondeck/dev".into(),
        stream_prefix: "ondeck".into(),
        execution_role_arn: Some("arn:aws:iam::123456789012:role/ondeck-exec".into()),
        task_role_arn: Some("arn:aws:iam::123456789012:role/ondeck-task".into()),
    }
}

fn lines(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|problem| format!("{problem}\n"))
        .collect()
}

fn errors(text: &str) -> String {
    match read_template(Path::new("config.toml"), text, &context()) {
        Ok(converted) => panic!("accepted: {:?}", converted.task_definition),
        Err(problems) => lines(&problems),
    }
}

const SHOP: &str = r#"
[profiles.dev]
region = "eu-west-1"

[profiles.dev.templates.shop]
cpu = 1024            # task size
memory = 2048
ttl = "8h"
[profiles.dev.templates.shop.containers.web]
image = "ghcr.io/acme/web:1.4"
ports = [8080]
env = { API_URL = "http://localhost:3000" }
depends_on = { api = "HEALTHY" }
[profiles.dev.templates.shop.containers.api]
image = "acme/api:2.0"
ports = [3000, "5353/udp"]
health = { command = "curl -f http://localhost:3000/health", interval = "10s" }
command = "serve --port 3000"
[profiles.dev.templates.shop.containers.db]
image = "postgres:16"
essential = true
secrets = { POSTGRES_PASSWORD = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db" }
"#;

#[test]
fn the_issue_example_becomes_a_fargate_task_definition() {
    let converted = read_template(Path::new("config.toml"), SHOP, &context()).expect("valid");
    assert!(
        converted.warnings.is_empty(),
        "{}",
        lines(&converted.warnings)
    );
    let task = converted.task_definition;
    assert_eq!(task.family, "ondeck-dev-shop");
    assert_eq!(
        task.size,
        TaskSize {
            cpu: 1024,
            memory: 2048
        }
    );
    assert_eq!(
        task.task_role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/ondeck-task")
    );
    let web = task.container("web").unwrap();
    assert_eq!(
        web.port_mappings,
        [PortMapping {
            container_port: 8080,
            protocol: Protocol::Tcp
        }]
    );
    assert_eq!(
        web.depends_on.get("api"),
        Some(&DependencyCondition::Healthy)
    );
    assert_eq!(
        web.environment.get("API_URL").map(String::as_str),
        Some("http://localhost:3000")
    );
    assert!(web.essential, "ECS's default");
    let api = task.container("api").unwrap();
    let health = api.health_check.as_ref().unwrap();
    assert_eq!(
        health.command,
        ["CMD-SHELL", "curl -f http://localhost:3000/health"]
    );
    assert_eq!(
        (
            health.interval,
            health.timeout,
            health.retries,
            health.start_period
        ),
        (10, 5, 3, 0)
    );
    assert_eq!(
        api.command.as_deref(),
        Some(&["serve".to_string(), "--port".into(), "3000".into()][..])
    );
    assert_eq!(
        api.port_mappings[1],
        PortMapping {
            container_port: 5353,
            protocol: Protocol::Udp
        }
    );
    let db = task.container("db").unwrap();
    assert_eq!(
        db.secrets.get("POSTGRES_PASSWORD").map(String::as_str),
        Some("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db")
    );
    assert_eq!(db.log_configuration.awslogs_group, "/ondeck/dev");
}

#[test]
fn a_size_off_the_table_names_the_nearest_valid_sizes_on_its_line() {
    let text = SHOP.replace("memory = 2048", "memory = 5000");
    assert_eq!(
        errors(&text),
        "config.toml:7:1: key `profiles.dev.templates.shop.memory`: cpu = 1024, memory = 5000 is not a \
         Fargate task size (cpu 1024 takes 2048–8192 MiB in steps of 1024); nearest valid: cpu = \
         1024, memory = 4096 or cpu = 1024, memory = 5120\n"
    );
}

/// Unknown keys are reported at the key, wrong values at the value; a misspelt `image` is
/// reported once, with its fix, not again as missing.
#[test]
fn container_keys_are_checked_with_their_lines() {
    let text = r#"
[profiles.dev.templates.shop.containers.web]
imag = "nginx"
ports = ["http"]
env = { PORT = 8080 }
depends_on = { api = "READY", db = "START" }
health = { command = "true", interval = "1s", retires = 3 }
[profiles.dev.templates.shop.containers.api]
image = "acme/api:1"
essential = "yes"
"#;
    assert_eq!(
        errors(text),
        "config.toml:3:1: container `web`: key `profiles.dev.templates.shop.containers.web.imag`: unknown key `imag`; did you mean `image`?\n\
         config.toml:4:10: container `web`: key `profiles.dev.templates.shop.containers.web.ports`: `http` is not a port number (1–65535)\n\
         config.toml:5:16: container `web`: key `profiles.dev.templates.shop.containers.web.env.PORT`: expected a string, found integer; put the value in double quotes\n\
         config.toml:6:22: container `web`: key `profiles.dev.templates.shop.containers.web.depends_on.api`: `READY` is not a condition; use one of START, COMPLETE, SUCCESS, HEALTHY\n\
         config.toml:7:47: container `web`: key `profiles.dev.templates.shop.containers.web.health.retires`: unknown key `retires`; did you mean `retries`?\n\
         config.toml:10:13: container `api`: key `profiles.dev.templates.shop.containers.api.essential`: expected true or false, found string; write it without quotes\n"
    );
}

#[test]
fn cross_container_rules_point_at_the_key_that_breaks_them() {
    let text = r#"
[profiles.dev.templates.shop]
cpu = 256
memory = 512
[profiles.dev.templates.shop.containers.web]
image = "acme/web:1"
memory = 1024
depends_on = { migrate = "SUCCESS", cache = "START" }
cap_add = ["NET_ADMIN"]
[profiles.dev.templates.shop.containers.migrate]
image = "acme/web:1"
essential = true
"#;
    assert_eq!(
        errors(text),
        "config.toml:4:1: key `profiles.dev.templates.shop.memory`: the containers reserve 1024 MiB together, more than the task's 512 MiB; raise the task memory or lower the containers' memory\n\
         config.toml:8:37: container `web`: key `profiles.dev.templates.shop.containers.web.depends_on.cache`: depends on `cache`, which is not defined here; defined: migrate, web\n\
         config.toml:9:1: container `web`: key `profiles.dev.templates.shop.containers.web.cap_add`: Fargate cannot add the capability NET_ADMIN; the only one it allows is SYS_PTRACE\n\
         config.toml:12:1: container `migrate`: key `profiles.dev.templates.shop.containers.migrate.essential`: is essential, but `web` waits for it to exit (COMPLETE / SUCCESS), and ECS stops the task when an essential container exits; remove `essential` or set it to false\n"
    );
}

#[test]
fn key_order_in_the_file_does_not_change_the_hash() {
    let reordered = r#"
[profiles.dev.templates.shop.containers.db]
secrets = { POSTGRES_PASSWORD = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db" }
essential = true
image = "postgres:16"
[profiles.dev.templates.shop.containers.api]
command = ["serve", "--port", "3000"]
health = { interval = "10s", command = "curl -f http://localhost:3000/health" }
ports = ["5353/udp", 3000]
image = "acme/api:2.0"
[profiles.dev.templates.shop.containers.web]
depends_on = { api = "healthy" }
env = { API_URL = "http://localhost:3000" }
ports = [8080]
image = "ghcr.io/acme/web:1.4"
[profiles.dev.templates.shop]
memory = 2048
cpu = 1024
"#;
    let first = read_template(Path::new("a.toml"), SHOP, &context())
        .unwrap()
        .task_definition;
    let second = read_template(Path::new("b.toml"), reordered, &context())
        .unwrap()
        .task_definition;
    assert_eq!(first, second);
    assert_eq!(content_hash(&first), content_hash(&second));
    let changed = SHOP.replace("ghcr.io/acme/web:1.4", "ghcr.io/acme/web:1.5");
    let third = read_template(Path::new("a.toml"), &changed, &context())
        .unwrap()
        .task_definition;
    assert_ne!(
        content_hash(&first),
        content_hash(&third),
        "a changed image registers a new revision"
    );
}

#[test]
fn a_template_and_a_compose_file_saying_the_same_are_the_same_registration() {
    let toml = r#"
[profiles.dev.templates.shop.containers.web]
image = "ghcr.io/acme/web:1.4"
ports = [8080]
env = { API_URL = "http://localhost:3000" }
depends_on = { api = "HEALTHY" }
memory = 512
[profiles.dev.templates.shop.containers.api]
image = "acme/api:2.0"
health = { command = "curl -f http://localhost:3000/health", interval = "10s" }
"#;
    let compose_text = "services:
  web:
    image: ghcr.io/acme/web:1.4
    ports: [\"8080\"]
    environment: [API_URL=http://localhost:3000]
    depends_on: {api: {condition: service_healthy}}
    mem_limit: 512m
  api:
    image: acme/api:2.0
    healthcheck:
      test: curl -f http://localhost:3000/health
      interval: 10s
";
    let from_toml = read_template(Path::new("config.toml"), toml, &context())
        .unwrap()
        .task_definition;
    let read_file = |_: &Path| -> std::io::Result<String> { unreachable!("no env_file") };
    let source = ComposeSource {
        path: Path::new("compose.yml"),
        text: compose_text,
        variables: &Variables::new(),
        active_profiles: &[],
        read_file: &read_file,
    };
    let from_compose = compose::convert(&source, &context(), None)
        .unwrap()
        .task_definition;
    assert_eq!(from_toml, from_compose);
    assert_eq!(
        from_toml.size,
        TaskSize {
            cpu: 256,
            memory: 512
        }
    );
    assert_eq!(content_hash(&from_toml), content_hash(&from_compose));
}

#[test]
fn task_definitions_and_containers_together_are_refused() {
    let text = r#"
[profiles.dev.templates.shop]
task_definitions = ["api:3"]
[profiles.dev.templates.shop.containers.web]
image = "nginx"
"#;
    assert_eq!(
        errors(text),
        "config.toml:3:1: key `profiles.dev.templates.shop.task_definitions`: a template either names task definitions or defines containers; remove one\n"
    );
}

#[test]
fn a_container_limit_above_the_task_memory_is_refused_even_with_a_low_reservation() {
    let text = r#"
[profiles.dev.templates.shop]
cpu = 256
memory = 512
[profiles.dev.templates.shop.containers.web]
image = "acme/web:1"
memory = 1024
memory_reservation = 256
"#;
    assert_eq!(
        errors(text),
        "config.toml:7:1: container `web`: key `profiles.dev.templates.shop.containers.web.memory`: its memory limit of 1024 MiB is more than the task's 512 MiB; raise the task memory or lower the limit\n"
    );
    let derived = text.replace("cpu = 256\nmemory = 512\n", "");
    let task = read_template(Path::new("config.toml"), &derived, &context())
        .unwrap()
        .task_definition;
    assert_eq!(
        task.size,
        TaskSize {
            cpu: 256,
            memory: 1024
        },
        "sized to hold the limit"
    );
}
