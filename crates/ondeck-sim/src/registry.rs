//! The demo registers container and compose templates as ECS would: one revision per content
//! change, each runnable by its ARN like the catalog's families.

use std::collections::BTreeMap;
use std::path::Path;

use async_trait::async_trait;
use ondeck_core::CloudError;
use ondeck_core::config::{Profile, TemplateSource};
use ondeck_templates::model::{TaskDefinition, TemplateContext};
use ondeck_templates::registry::{Registered, Registry};
use ondeck_templates::toml_template::read_template;

use super::catalog::{self, Behaviour, ContainerSpec, FamilySpec, Kind, LogDriver};
use super::{DemoCloud, World};

/// A registered revision and the spec the simulation runs it with.
pub(super) struct Revision {
    registered: Registered,
    spec: &'static FamilySpec,
}

impl World {
    /// A task definition by `family`, `family:revision` or ARN: the catalog's, or one
    /// registered in this process.
    pub(super) fn family(&self, name: &str) -> Option<&'static FamilySpec> {
        catalog::find_family(name).or_else(|| {
            self.registered
                .iter()
                .rev()
                .find(|revision| {
                    let registered = &revision.registered;
                    name == registered.arn
                        || name == registered.task_definition.family
                        || name
                            == format!(
                                "{}:{}",
                                registered.task_definition.family, registered.revision
                            )
                })
                .map(|revision| revision.spec)
        })
    }
}

#[async_trait]
impl Registry for DemoCloud {
    async fn registered(&self, family: &str) -> Result<Option<Registered>, CloudError> {
        let world = self.shared.world();
        Ok(world
            .registered
            .iter()
            .rev()
            .find(|revision| revision.registered.task_definition.family == family)
            .map(|revision| revision.registered.clone()))
    }

    async fn register(
        &self,
        task_definition: &TaskDefinition,
        content_hash: &str,
    ) -> Result<Registered, CloudError> {
        let mut world = self.shared.world();
        let family = &task_definition.family;
        let revision = world
            .registered
            .iter()
            .filter(|revision| &revision.registered.task_definition.family == family)
            .count() as i32
            + 1;
        let spec = runnable(task_definition, revision);
        let registered = Registered {
            arn: spec.arn(),
            revision,
            content_hash: Some(content_hash.to_string()),
            task_definition: task_definition.clone(),
        };
        world.registered.push(Revision {
            registered: registered.clone(),
            spec,
        });
        Ok(registered)
    }

    async fn ensure_log_group(&self, _name: &str) -> Result<(), CloudError> {
        Ok(())
    }
}

/// The simulation's spec of a registered revision. Specs live as long as the process, like
/// the catalog's; a demo registers one per content change it is shown.
fn runnable(task_definition: &TaskDefinition, revision: i32) -> &'static FamilySpec {
    let text = |value: String| -> &'static str { Box::leak(value.into_boxed_str()) };
    let containers: Vec<ContainerSpec> = task_definition
        .containers
        .iter()
        .map(|container| ContainerSpec {
            name: text(container.name.clone()),
            kind: kind_of(&container.image),
            ports: Box::leak(
                container
                    .port_mappings
                    .iter()
                    .map(|port| port.container_port)
                    .collect::<Vec<_>>()
                    .into_boxed_slice(),
            ),
            cpu: container.cpu.unwrap_or(0),
            memory: container.reserved_memory().unwrap_or(0),
            essential: container.essential,
            health_check: container.health_check.is_some(),
            log: LogDriver::Awslogs,
            behaviour: Behaviour::Normal,
        })
        .collect();
    Box::leak(Box::new(FamilySpec {
        family: text(task_definition.family.clone()),
        revision,
        cpu: text(task_definition.size.cpu.to_string()),
        memory: text(task_definition.size.memory.to_string()),
        architecture: "X86_64",
        containers: Box::leak(containers.into_boxed_slice()),
    }))
}

/// What the container's logs look like, from its image's name.
fn kind_of(image: &str) -> Kind {
    let image = image.to_ascii_lowercase();
    [
        ("postgres", Kind::Db),
        ("mysql", Kind::Db),
        ("redis", Kind::Cache),
        ("worker", Kind::Worker),
        ("api", Kind::Api),
    ]
    .into_iter()
    .find(|(word, _)| image.contains(word))
    .map_or(Kind::Web, |(_, kind)| kind)
}

/// The containers of the demo's container templates, as a config file would hold them.
const DEMO_CONTAINERS: &str = r#"
[profiles.demo.templates.workshop]
cpu = 512
memory = 1024
[profiles.demo.templates.workshop.containers.web]
image = "ghcr.io/acme/web:1.4"
ports = [8080]
env = { API_URL = "http://localhost:3000" }
depends_on = { api = "START" }
[profiles.demo.templates.workshop.containers.api]
image = "ghcr.io/acme/api:2.0"
ports = [3000]
"#;

/// The task definitions of `demo_config`'s container templates, read as ondeck reads a
/// config file's.
pub fn demo_task_definitions(profile: &Profile) -> BTreeMap<String, TaskDefinition> {
    profile
        .templates
        .values()
        .filter(|template| template.source == TemplateSource::Containers)
        .map(|template| {
            let context = TemplateContext::new(profile, template);
            let converted = read_template(Path::new("demo"), DEMO_CONTAINERS, &context)
                .expect("the demo's containers are valid");
            (template.name.clone(), converted.task_definition)
        })
        .collect()
}
