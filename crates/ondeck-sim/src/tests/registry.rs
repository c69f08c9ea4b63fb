use ondeck_templates::model::{Container, LogConfiguration, TaskDefinition};
use ondeck_templates::registry::Registry;
use ondeck_templates::size::TaskSize;

use super::*;

fn shop(image: &str) -> TaskDefinition {
    let log = LogConfiguration {
        awslogs_group: "/ondeck/demo".into(),
        awslogs_region: "us-east-1".into(),
        awslogs_stream_prefix: "ondeck".into(),
    };
    TaskDefinition {
        family: "ondeck-demo-shop".into(),
        size: TaskSize {
            cpu: 512,
            memory: 1024,
        },
        cpu_architecture: None,
        execution_role_arn: None,
        task_role_arn: None,
        containers: vec![
            Container::new("api", "acme/api:2", log.clone()),
            Container::new("web", image, log),
        ],
    }
}

#[test]
fn a_registered_revision_runs_with_its_containers() {
    let (cloud, clock) = demo(1.0);
    assert_eq!(
        block_on(cloud.registered("ondeck-demo-shop")).unwrap(),
        None
    );
    let first = block_on(cloud.register(&shop("acme/web:1"), "sha256:one")).unwrap();
    let second = block_on(cloud.register(&shop("acme/web:2"), "sha256:two")).unwrap();
    assert_eq!((first.revision, second.revision), (1, 2));
    let newest = block_on(cloud.registered("ondeck-demo-shop"))
        .unwrap()
        .unwrap();
    assert_eq!(newest.content_hash.as_deref(), Some("sha256:two"));

    let task = run(&cloud, &second.arn);
    assert_eq!(task.task_definition_arn, second.arn);
    let names: Vec<&str> = task.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["api", "web"]);
    clock.advance(Duration::minutes(2));
    assert_eq!(
        find(&cloud, &task.task_arn).unwrap().last_status,
        TaskState::Running
    );
    let described = block_on(cloud.describe_task_definition(&second.arn)).unwrap();
    assert_eq!(described.revision, 2);
}
