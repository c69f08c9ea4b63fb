use std::fs;

use super::*;
use ondeck_core::config::parse_with_login;

const PROFILE: &str = r#"
[profiles.dev]
region = "eu-west-1"
cluster = "dev"
subnets = ["subnet-0abc1234"]
security_groups = ["sg-0abc1234"]
execution_role_arn = "arn:aws:iam::123456789012:role/exec"
task_role_arn = "arn:aws:iam::123456789012:role/task"
log_group = "/teams/shop"
"#;

fn config_in(dir: &Path, templates: &str) -> Config {
    let path = dir.join("config.toml");
    let text = format!("{PROFILE}{templates}");
    fs::write(&path, &text).unwrap();
    parse_with_login(&path, &text, Some("tester")).unwrap_or_else(|error| panic!("{error}"))
}

fn convert(
    config: &Config,
    template: &str,
    environment: &[(&str, &str)],
) -> Result<Converted, Vec<Problem>> {
    let profile = &config.profiles["dev"];
    let environment = environment
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    template_task_definition_with(config, profile, &profile.templates[template], environment)
}

#[test]
fn a_containers_template_registers_with_the_profiles_roles_and_logs() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(
        dir.path(),
        r#"
[profiles.dev.templates.shop]
cpu = 512
memory = 1024
[profiles.dev.templates.shop.containers.web]
image = "nginx:1.27"
ports = [80]
"#,
    );
    let task = convert(&config, "shop", &[]).unwrap().task_definition;
    assert_eq!(task.family, "ondeck-dev-shop");
    assert_eq!((task.size.cpu, task.size.memory), (512, 1024));
    assert_eq!(
        task.execution_role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/exec")
    );
    assert_eq!(
        task.task_role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/task")
    );
    let log = &task.containers[0].log_configuration;
    assert_eq!(log.awslogs_group, "/teams/shop");
    assert_eq!(log.awslogs_region, "eu-west-1");
    assert_eq!(log.awslogs_stream_prefix, "ondeck");
}

#[test]
fn a_compose_template_reads_its_file_beside_the_config_with_the_dot_env_under_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("deploy")).unwrap();
    fs::write(
        dir.path().join("deploy/compose.yml"),
        "services:\n  web:\n    image: \"nginx:${TAG}\"\n    environment:\n      MODE: ${MODE}\n  \
         debug:\n    image: busybox\n    profiles: [debug]\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("deploy/.env"),
        "TAG=1.27\nMODE=from-dot-env\n",
    )
    .unwrap();
    let config = config_in(
        dir.path(),
        r#"
[profiles.dev.templates.site]
compose = "deploy/compose.yml"
compose_profiles = ["debug"]
cpu = 256
memory = 512
"#,
    );
    let task = convert(&config, "site", &[("MODE", "from-environment")])
        .unwrap_or_else(|problems| panic!("{problems:?}"))
        .task_definition;
    assert_eq!(task.family, "ondeck-dev-site");
    assert_eq!((task.size.cpu, task.size.memory), (256, 512));
    let names: Vec<&str> = task.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["debug", "web"]);
    let web = task.container("web").unwrap();
    assert_eq!(web.image, "nginx:1.27");
    assert_eq!(web.environment["MODE"], "from-environment");
}

#[test]
fn a_task_definitions_template_has_nothing_to_register() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(
        dir.path(),
        "[profiles.dev.templates.web]\ntask_definitions = [\"web:3\"]\n",
    );
    let problems = convert(&config, "web", &[]).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].to_string().contains("registers none for it"),
        "{}",
        problems[0]
    );
}
