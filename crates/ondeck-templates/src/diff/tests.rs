use super::*;
use crate::model::{LogConfiguration, TaskDefinition};
use crate::size::TaskSize;

fn task(containers: Vec<Container>) -> TaskDefinition {
    TaskDefinition {
        family: "ondeck-dev-shop".into(),
        size: TaskSize {
            cpu: 512,
            memory: 1024,
        },
        cpu_architecture: None,
        execution_role_arn: None,
        task_role_arn: None,
        containers,
    }
}

fn container(name: &str, image: &str) -> Container {
    let log = LogConfiguration {
        awslogs_group: "/ondeck/dev".into(),
        awslogs_region: "eu-west-1".into(),
        awslogs_stream_prefix: "ondeck".into(),
    };
    Container::new(name, image, log)
}

#[test]
fn equal_models_have_no_changes() {
    let model = task(vec![container("web", "web:1")]);
    assert!(diff(&model, &model).is_empty());
    assert_eq!(
        render(&[]),
        "no changes: a launch uses the registered revision"
    );
}

#[test]
fn changes_read_line_by_line() {
    let registered = task(vec![container("web", "web:1"), container("old", "old:1")]);
    let mut web = container("web", "web:2");
    web.environment.insert("DEBUG".into(), "1".into());
    web.command = Some(vec!["serve".into(), "--port=80".into()]);
    let mut wanted = task(vec![web, container("worker", "worker:1")]);
    wanted.size = TaskSize {
        cpu: 1024,
        memory: 2048,
    };
    assert_eq!(
        render(&diff(&registered, &wanted)),
        "~ cpu: 512 → 1024\n\
             ~ memory: 1024 → 2048\n\
             - container old\n\
             ~ web.command: (not set) → [\"serve\",\"--port=80\"]\n\
             ~ web.environment.DEBUG: (not set) → \"1\"\n\
             ~ web.image: \"web:1\" → \"web:2\"\n\
             + container worker (worker:1)\n"
    );
}
