use std::collections::BTreeMap;

use ondeck_aws::{ContainerLogging, DefinitionInfo};
use ondeck_core::config::{Template, TemplateSource};

use super::*;

fn awslogs(container: &str, options: &[(&str, &str)]) -> ContainerLogging {
    ContainerLogging {
        container: container.into(),
        log_driver: Some("awslogs".into()),
        options: options
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect(),
    }
}

fn definition(containers: Vec<ContainerLogging>) -> DefinitionInfo {
    DefinitionInfo {
        name: "web:3".into(),
        requires_compatibilities: vec!["FARGATE".into()],
        compatibilities: vec!["EC2".into(), "FARGATE".into()],
        network_mode: Some("awsvpc".into()),
        task_role_arn: None,
        containers,
    }
}

fn template(exec: Option<bool>) -> Template {
    Template {
        name: "web".into(),
        description: None,
        source: TemplateSource::TaskDefinitions(vec!["web".into()]),
        size: None,
        env: BTreeMap::new(),
        ttl: None,
        spot: false,
        kind: Default::default(),
        exec,
        shell: None,
        exec_container: None,
        links: BTreeMap::new(),
    }
}

const GOOD: [(&str, &str); 2] = [
    ("awslogs-group", "/ecs/web"),
    ("awslogs-stream-prefix", "ecs"),
];

#[test]
fn a_fargate_awsvpc_awslogs_definition_passes() {
    let check = definition_check("t".into(), &definition(vec![awslogs("api", &GOOD)]));
    assert!(check.ok, "{check:?}");
    assert!(check.detail.contains("1 container(s)"), "{check:?}");
}

#[test]
fn every_problem_of_a_definition_is_named_with_its_fix() {
    let mut bad = definition(vec![
        awslogs("api", &[("awslogs-group", "/ecs/web")]),
        ContainerLogging {
            container: "sidecar".into(),
            log_driver: Some("splunk".into()),
            options: BTreeMap::new(),
        },
    ]);
    bad.requires_compatibilities = vec!["EC2".into()];
    bad.compatibilities = vec!["EC2".into()];
    bad.network_mode = Some("bridge".into());
    let check = definition_check("t".into(), &bad);
    assert!(!check.ok);
    for problem in [
        "not Fargate-compatible",
        "network mode is bridge",
        "container api logs with awslogs without awslogs-stream-prefix",
        "container sidecar logs with splunk",
    ] {
        assert!(check.detail.contains(problem), "{problem}: {check:?}");
    }
    let fix = check.fix.unwrap();
    assert!(fix.contains("requiresCompatibilities") && fix.contains("networkMode awsvpc"));
    assert!(fix.contains("set awslogs-stream-prefix in container api's logConfiguration"));
}

#[test]
fn exec_needs_a_task_role_only_when_asked_for() {
    let without_role = [definition(vec![])];
    let mut with_role = definition(vec![]);
    with_role.task_role_arn = Some("arn:aws:iam::1:role/web-task".into());

    let check = exec_check(&template(Some(true)), &without_role);
    assert!(!check.ok);
    assert!(
        check
            .fix
            .unwrap()
            .contains("ssmmessages:CreateControlChannel")
    );

    let check = exec_check(&template(None), &without_role);
    assert!(
        check.ok && check.detail.starts_with("off: web:3 has no task role"),
        "{check:?}"
    );

    let check = exec_check(&template(None), std::slice::from_ref(&with_role));
    assert!(
        check.ok && check.detail.contains("role/web-task"),
        "{check:?}"
    );
    assert!(check.detail.contains("assets/task-role-policy.json"));

    assert!(exec_check(&template(Some(false)), &without_role).ok);
}
