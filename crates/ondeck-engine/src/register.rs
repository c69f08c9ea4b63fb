//! Container and compose templates: their task definition is registered by ondeck itself, and
//! only when its content changed (the content hash in the `ondeck:content-hash` tag).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ondeck_core::CloudError;
use ondeck_core::model::{self as core, ContainerDefinition, LogConfig};
use ondeck_templates::hash::content_hash;
use ondeck_templates::model::{CpuArchitecture, TaskDefinition};
use ondeck_templates::registry::{Registered, Registry};

use crate::ops::{OpsContext, OpsError};

/// What a launch would do with the template's task definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// The family has no active revision yet: the first launch registers revision 1.
    NotRegistered,
    /// The newest revision carries this content hash: a launch uses it.
    UpToDate { revision: i32 },
    /// The content changed (or the revision came from other tools): a launch registers `next`.
    Changed { revision: i32, next: i32 },
}

impl Registration {
    /// The revision a launch would run.
    pub fn revision_to_run(&self) -> i32 {
        match self {
            Registration::NotRegistered => 1,
            Registration::UpToDate { revision } => *revision,
            Registration::Changed { next, .. } => *next,
        }
    }
}

/// The registered revision of `wanted`'s family and how it compares with `wanted`.
pub async fn registration(
    registry: &dyn Registry,
    wanted: &TaskDefinition,
) -> Result<(Registration, Option<Registered>), CloudError> {
    let current = registry.registered(&wanted.family).await?;
    let hash = content_hash(wanted);
    let registration = match &current {
        None => Registration::NotRegistered,
        Some(found) if found.content_hash.as_deref() == Some(hash.as_str()) => {
            Registration::UpToDate {
                revision: found.revision,
            }
        }
        Some(found) => Registration::Changed {
            revision: found.revision,
            next: found.revision + 1,
        },
    };
    Ok((registration, current))
}

/// The revision a launch runs, and whether this call registered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ensured {
    pub registered: Registered,
    pub newly_registered: bool,
}

/// Creates the containers' log groups (awslogs does not, and a task without its group fails
/// to start), then registers `wanted` unless the newest revision has its content hash.
/// `progress` hears "registering ondeck-dev-shop revision 3…" before a registration.
pub async fn ensure_registered(
    registry: &dyn Registry,
    wanted: &TaskDefinition,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<Ensured, CloudError> {
    let groups: BTreeSet<&str> = wanted
        .containers
        .iter()
        .map(|container| container.log_configuration.awslogs_group.as_str())
        .collect();
    for group in groups {
        registry.ensure_log_group(group).await?;
    }
    let (registration, current) = registration(registry, wanted).await?;
    if let (Registration::UpToDate { .. }, Some(registered)) = (&registration, current) {
        return Ok(Ensured {
            registered,
            newly_registered: false,
        });
    }
    progress(format!(
        "registering {} revision {}…",
        wanted.family,
        registration.revision_to_run()
    ));
    let registered = registry.register(wanted, &content_hash(wanted)).await?;
    Ok(Ensured {
        registered,
        newly_registered: true,
    })
}

/// What the launch path needs for container and compose templates.
#[derive(Default)]
pub(crate) struct Registrations {
    pub(crate) registry: Option<Arc<dyn Registry>>,
    /// Template name → its task definition, or the problems that keep it from being built.
    pub(crate) built: BTreeMap<String, Result<TaskDefinition, String>>,
    pub(crate) progress: Option<Arc<dyn Fn(String) + Send + Sync>>,
}

/// The revision a launch of `template` runs, registered first when its content changed;
/// `None` for a template that names task definitions registered elsewhere.
pub(crate) async fn launch_definition(
    ctx: &OpsContext,
    template: &str,
) -> Option<Result<core::TaskDefinition, OpsError>> {
    let registrations = &ctx.registrations;
    let built = registrations.built.get(template)?;
    Some(
        async {
            let wanted = built
                .as_ref()
                .map_err(|problems| unbuildable(template, problems))?;
            let registry = registrations
                .registry
                .as_ref()
                .ok_or_else(|| no_registry(template))?;
            let silent = |_: String| {};
            let progress: &(dyn Fn(String) + Send + Sync) = match &registrations.progress {
                Some(progress) => progress.as_ref(),
                None => &silent,
            };
            let ensured = ensure_registered(registry.as_ref(), wanted, progress).await?;
            let definition = as_launchable(&ensured.registered);
            ctx.definitions.insert(&definition.arn, &definition);
            Ok(definition)
        }
        .await,
    )
}

/// A container or compose template as `ondeck templates` shows it.
pub struct TemplateRegistration<'a> {
    pub wanted: &'a TaskDefinition,
    pub registration: Registration,
    pub current: Option<Registered>,
}

impl OpsContext {
    /// The task definition ondeck builds for `template`, or why it cannot; `None` for a
    /// template that names task definitions registered elsewhere.
    pub fn built_definition(&self, template: &str) -> Option<&Result<TaskDefinition, String>> {
        self.registrations.built.get(template)
    }

    /// How `template`'s task definition compares with its registered revision; `None` for a
    /// template that names task definitions registered elsewhere.
    pub async fn template_registration(
        &self,
        template: &str,
    ) -> Option<Result<TemplateRegistration<'_>, OpsError>> {
        let built = self.registrations.built.get(template)?;
        Some(
            async {
                let wanted = built
                    .as_ref()
                    .map_err(|problems| unbuildable(template, problems))?;
                let registry = self
                    .registrations
                    .registry
                    .as_ref()
                    .ok_or_else(|| no_registry(template))?;
                let (registration, current) = registration(registry.as_ref(), wanted).await?;
                Ok(TemplateRegistration {
                    wanted,
                    registration,
                    current,
                })
            }
            .await,
        )
    }
}

fn unbuildable(template: &str, problems: &str) -> OpsError {
    OpsError::Cloud(CloudError::Refused(format!(
        "template `{template}` cannot be launched: {problems}; run `ondeck config check` for \
         the file and line"
    )))
}

fn no_registry(template: &str) -> OpsError {
    OpsError::Cloud(CloudError::Refused(format!(
        "this backend cannot register task definitions, so template `{template}` cannot be \
         launched here"
    )))
}

/// The registered revision as the launch path reads task definitions.
pub(crate) fn as_launchable(registered: &Registered) -> core::TaskDefinition {
    let definition = &registered.task_definition;
    core::TaskDefinition {
        arn: registered.arn.clone(),
        family: definition.family.clone(),
        revision: registered.revision,
        cpu: Some(definition.size.cpu.to_string()),
        memory: Some(definition.size.memory.to_string()),
        cpu_architecture: definition.cpu_architecture.map(|arch| {
            match arch {
                CpuArchitecture::X86_64 => "X86_64",
                CpuArchitecture::Arm64 => "ARM64",
            }
            .to_string()
        }),
        task_role_arn: definition.task_role_arn.clone(),
        containers: definition
            .containers
            .iter()
            .map(|container| ContainerDefinition {
                name: container.name.clone(),
                essential: container.essential,
                container_ports: container
                    .port_mappings
                    .iter()
                    .map(|port| port.container_port)
                    .collect(),
                cpu: container.cpu,
                memory: container.reserved_memory(),
                log: Some(LogConfig {
                    driver: "awslogs".into(),
                    group: Some(container.log_configuration.awslogs_group.clone()),
                    region: Some(container.log_configuration.awslogs_region.clone()),
                    stream_prefix: Some(container.log_configuration.awslogs_stream_prefix.clone()),
                    create_group: false,
                }),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
