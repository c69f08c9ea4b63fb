use super::service::names_host;
use super::*;

#[test]
fn hosts_named_in_values() {
    assert!(names_host("db", "db"));
    assert!(names_host("postgres://app:secret@db:5432/app", "db"));
    assert!(names_host("http://api:3000", "api"));
    assert!(names_host("api:3000", "api"));
    assert!(!names_host("redis://localhost:6379", "redis"));
    assert!(!names_host("mydb:5432", "db"));
    assert!(!names_host("http://api.example.com", "api"));
    assert!(!names_host("dbname", "db"));
}

fn warnings_of(text: &str) -> Vec<String> {
    let context = TemplateContext {
        profile: "dev".into(),
        template: "t".into(),
        region: "eu-west-1".into(),
        log_group: "/ondeck/dev".into(),
        stream_prefix: "ondeck".into(),
        execution_role_arn: None,
        task_role_arn: None,
    };
    let read_file =
        |_: &Path| -> std::io::Result<String> { Err(std::io::ErrorKind::NotFound.into()) };
    let source = ComposeSource {
        path: Path::new("c.yml"),
        text,
        variables: &Variables::new(),
        active_profiles: &[],
        read_file: &read_file,
    };
    let converted = convert(&source, &context, None).expect("accepted");
    converted
        .warnings
        .iter()
        .map(|problem| problem.message.clone())
        .collect()
}

#[test]
fn values_that_change_nothing_pass_without_a_word() {
    let text = "services:\n  web:\n    image: nginx\n    restart: no\n    privileged: false\n    scale: 1\n    deploy: {replicas: 1, mode: replicated}\n    x-notes: anything\n";
    assert_eq!(warnings_of(text), Vec::<String>::new());
}

#[test]
fn restart_policies_other_than_no_are_said_to_have_no_effect() {
    let text = "services:\n  web:\n    image: nginx\n    restart: on-failure:3\n";
    let warnings = warnings_of(text);
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].starts_with("`restart: on-failure:3` has no effect"),
        "{warnings:?}"
    );
}

#[test]
fn health_check_forms() {
    let text = "services:
  exec:
    image: a
    healthcheck: {test: [CMD, curl, -f, 'http://localhost/'], interval: 1m30s}
  shell:
    image: b
    healthcheck: {test: [CMD-SHELL, 'pg_isready || exit 1']}
  none:
    image: c
    healthcheck: {test: [NONE]}
  disabled:
    image: d
    healthcheck: {test: 'true', disable: true}
";
    let context = TemplateContext {
        profile: "dev".into(),
        template: "t".into(),
        region: "eu-west-1".into(),
        log_group: "/ondeck/dev".into(),
        stream_prefix: "ondeck".into(),
        execution_role_arn: None,
        task_role_arn: None,
    };
    let read_file =
        |_: &Path| -> std::io::Result<String> { Err(std::io::ErrorKind::NotFound.into()) };
    let source = ComposeSource {
        path: Path::new("c.yml"),
        text,
        variables: &Variables::new(),
        active_profiles: &[],
        read_file: &read_file,
    };
    let task = convert(&source, &context, None)
        .expect("accepted")
        .task_definition;
    let health = |name: &str| task.container(name).unwrap().health_check.clone();
    let exec = health("exec").unwrap();
    assert_eq!(exec.command, ["CMD", "curl", "-f", "http://localhost/"]);
    assert_eq!(exec.interval, 90);
    assert_eq!(
        health("shell").unwrap().command,
        ["CMD-SHELL", "pg_isready || exit 1"]
    );
    assert_eq!(health("none"), None);
    assert_eq!(health("disabled"), None);
}
