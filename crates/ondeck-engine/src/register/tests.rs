use std::sync::Mutex;

use async_trait::async_trait;
use ondeck_templates::hash::content_hash;
use ondeck_templates::model::{Container, LogConfiguration};
use ondeck_templates::size::TaskSize;

use super::*;

/// Keeps revisions in memory and counts what was asked of it.
#[derive(Default)]
struct Revisions {
    revisions: Mutex<Vec<Registered>>,
    log_groups: Mutex<Vec<String>>,
}

#[async_trait]
impl Registry for Revisions {
    async fn registered(&self, _family: &str) -> Result<Option<Registered>, CloudError> {
        Ok(self.revisions.lock().unwrap().last().cloned())
    }

    async fn register(
        &self,
        task_definition: &TaskDefinition,
        hash: &str,
    ) -> Result<Registered, CloudError> {
        let mut revisions = self.revisions.lock().unwrap();
        let revision = revisions.len() as i32 + 1;
        let registered = Registered {
            arn: format!("arn:task-definition/{}:{revision}", task_definition.family),
            revision,
            content_hash: Some(hash.to_string()),
            task_definition: task_definition.clone(),
        };
        revisions.push(registered.clone());
        Ok(registered)
    }

    async fn ensure_log_group(&self, name: &str) -> Result<(), CloudError> {
        self.log_groups.lock().unwrap().push(name.to_string());
        Ok(())
    }
}

fn shop(image: &str) -> TaskDefinition {
    let log = LogConfiguration {
        awslogs_group: "/ondeck/dev".into(),
        awslogs_region: "us-east-1".into(),
        awslogs_stream_prefix: "shop".into(),
    };
    TaskDefinition {
        family: "ondeck-dev-shop".into(),
        size: TaskSize {
            cpu: 512,
            memory: 1024,
        },
        cpu_architecture: None,
        execution_role_arn: None,
        task_role_arn: None,
        containers: vec![
            Container::new("web", image, log.clone()),
            Container::new("api", "api:2", log),
        ],
    }
}

#[tokio::test]
async fn registers_once_per_content_and_again_when_it_changes() {
    let registry = Revisions::default();
    let heard = Mutex::new(Vec::new());
    let progress = |line: String| heard.lock().unwrap().push(line);

    let first = ensure_registered(&registry, &shop("web:1"), &progress)
        .await
        .unwrap();
    assert!(first.newly_registered);
    assert_eq!(first.registered.revision, 1);
    assert_eq!(*registry.log_groups.lock().unwrap(), ["/ondeck/dev"]);

    let again = ensure_registered(&registry, &shop("web:1"), &progress)
        .await
        .unwrap();
    assert!(!again.newly_registered);
    assert_eq!(again.registered.revision, 1);

    let changed = ensure_registered(&registry, &shop("web:2"), &progress)
        .await
        .unwrap();
    assert!(changed.newly_registered);
    assert_eq!(changed.registered.revision, 2);
    assert_eq!(
        *heard.lock().unwrap(),
        [
            "registering ondeck-dev-shop revision 1…",
            "registering ondeck-dev-shop revision 2…"
        ]
    );
}

#[tokio::test]
async fn a_revision_without_ondeck_hash_counts_as_changed() {
    let registry = Revisions::default();
    registry.revisions.lock().unwrap().push(Registered {
        arn: "arn:task-definition/ondeck-dev-shop:4".into(),
        revision: 4,
        content_hash: None,
        task_definition: shop("web:1"),
    });
    let (before, _) = registration(&registry, &shop("web:1")).await.unwrap();
    assert_eq!(
        before,
        Registration::Changed {
            revision: 4,
            next: 5
        }
    );
    registry.revisions.lock().unwrap()[0].content_hash = Some(content_hash(&shop("web:1")));
    let (after, _) = registration(&registry, &shop("web:1")).await.unwrap();
    assert_eq!(after, Registration::UpToDate { revision: 4 });
}

#[test]
fn the_launchable_form_keeps_ports_logs_and_role() {
    let mut wanted = shop("web:1");
    wanted.task_role_arn = Some("arn:aws:iam::1:role/task".into());
    wanted.containers[0].port_mappings = vec![ondeck_templates::model::PortMapping {
        container_port: 8080,
        protocol: ondeck_templates::model::Protocol::Tcp,
    }];
    let launchable = as_launchable(&Registered {
        arn: "arn:td:3".into(),
        revision: 3,
        content_hash: None,
        task_definition: wanted,
    });
    assert_eq!(launchable.revision, 3);
    assert_eq!(launchable.cpu.as_deref(), Some("512"));
    assert_eq!(
        launchable.task_role_arn.as_deref(),
        Some("arn:aws:iam::1:role/task")
    );
    assert_eq!(launchable.containers[0].container_ports, [8080]);
    let log = launchable.containers[1].log.as_ref().unwrap();
    assert_eq!(log.group.as_deref(), Some("/ondeck/dev"));
    assert_eq!(log.stream_prefix.as_deref(), Some("shop"));
}
