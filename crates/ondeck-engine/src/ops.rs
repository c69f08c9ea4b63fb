//! What a user does to instances — list, launch, destroy, extend — written once over the
//! `Cloud` trait and shared by the CLI and the dashboard.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use crate::register::Registrations;
use ondeck_core::config::{Profile, TemplateKind};
use ondeck_core::instances::identity::{InstanceId, InstanceRef, short_launch};
use ondeck_core::instances::{Instance, group, owner_key};
use ondeck_core::model::{Scope, Service, TaskDefinition, TaskState, tags};
pub use ondeck_core::ops::*;
use ondeck_core::{Cloud, CloudError};
pub use ondeck_templates::model::TaskDefinition as BuiltDefinition;
use ondeck_templates::registry::Registry;

mod launch;
pub use launch::launch;

/// Everything an operation needs for one profile.
pub struct OpsContext {
    pub cloud: Arc<dyn Cloud>,
    pub profile: Profile,
    pub state_dir: PathBuf,
    pub read_only: bool,
    pub(crate) definitions: DefinitionCache,
    pub(crate) registrations: Registrations,
    /// Whether this process has listed services yet, and found any of the owner's.
    services_looked: AtomicBool,
    services_found: AtomicBool,
}

impl OpsContext {
    pub fn new(
        cloud: Arc<dyn Cloud>,
        profile: Profile,
        state_dir: PathBuf,
        read_only: bool,
    ) -> Self {
        OpsContext {
            cloud,
            profile,
            state_dir,
            read_only,
            definitions: DefinitionCache::default(),
            registrations: Registrations::default(),
            services_looked: AtomicBool::new(false),
            services_found: AtomicBool::new(false),
        }
    }

    /// Services are listed (ListServices, one more request a refresh) when they can matter:
    /// the profile has a service-backed template, some were found, everyone's are shown, or
    /// this is the first look of the process — so that an instance launched from a template
    /// since removed is still found, and paid for by nobody unnoticed.
    fn lists_services(&self, all_owners: bool) -> bool {
        all_owners
            || !self.services_looked.load(Ordering::Relaxed)
            || self.services_found.load(Ordering::Relaxed)
            || self
                .profile
                .templates
                .values()
                .any(|template| template.kind == TemplateKind::Service)
    }

    /// Container and compose templates: the task definition ondeck builds for each (or why it
    /// cannot be built), registered through `registry` before their launch.
    pub fn with_registry(
        mut self,
        registry: Arc<dyn Registry>,
        built: BTreeMap<String, Result<BuiltDefinition, String>>,
    ) -> Self {
        self.registrations.registry = Some(registry);
        self.registrations.built = built;
        self
    }

    /// Where a launch says what it is doing while it registers ("registering … revision 3…").
    pub fn with_progress(mut self, progress: Arc<dyn Fn(String) + Send + Sync>) -> Self {
        self.registrations.progress = Some(progress);
        self
    }

    fn scope(&self, all_owners: bool) -> Scope {
        if all_owners {
            Scope::AllOwners
        } else {
            Scope::StartedBy(owner_key(&self.profile.owner))
        }
    }

    fn refuse_if_read_only(&self, what: &str) -> Result<(), OpsError> {
        if self.read_only {
            Err(OpsError::ReadOnly(what.to_string()))
        } else {
            Ok(())
        }
    }
}

/// Task definitions never change once registered, so each is described once per process.
#[derive(Default)]
pub(crate) struct DefinitionCache {
    by_name: Mutex<BTreeMap<String, TaskDefinition>>,
}

impl DefinitionCache {
    async fn get(&self, cloud: &dyn Cloud, name: &str) -> Result<TaskDefinition, CloudError> {
        if let Some(found) = self.by_name.lock().expect("cache lock").get(name) {
            return Ok(found.clone());
        }
        let definition = cloud.describe_task_definition(name).await?;
        self.insert(name, &definition);
        Ok(definition)
    }

    pub(crate) fn insert(&self, name: &str, definition: &TaskDefinition) {
        let mut cache = self.by_name.lock().expect("cache lock");
        cache.insert(name.to_string(), definition.clone());
        cache.insert(definition.arn.clone(), definition.clone());
    }
}

/// One ListTasks/DescribeTasks round, grouped into instances, with their task definitions.
/// Without `all_owners`, only instances that are surely mine (see [`Instance::is_owned_by`]).
pub async fn refresh(ctx: &OpsContext, all_owners: bool) -> Result<Snapshot, OpsError> {
    let scope = ctx.scope(all_owners);
    let mut tasks = ctx.cloud.list_tasks(&scope).await?;
    let services = if ctx.lists_services(all_owners) {
        let services = ctx.cloud.list_services(&scope).await?;
        ctx.services_looked.store(true, Ordering::Relaxed);
        let owner = ctx.profile.owner.as_str();
        let mine = services
            .iter()
            .any(|service| service.tag(tags::OWNER) == Some(owner));
        ctx.services_found.store(mine, Ordering::Relaxed);
        services
    } else {
        Vec::new()
    };
    // A service's tasks are started by the service, not under the owner's key: listed per
    // service — paused and draining ones too, whose tasks may still be stopping (ECS stops
    // counting a task as running once it leaves RUNNING) — but not once it is INACTIVE.
    let mut seen: BTreeSet<String> = tasks.iter().map(|task| task.task_arn.clone()).collect();
    for service in services
        .iter()
        .filter(|service| service.status != "INACTIVE")
    {
        let scope = Scope::Service(service.name.clone());
        // Only those the service started, and each task once: the all-owners listing has
        // them already, and a server that ignores the filter (moto does) answers with all.
        let started = ctx.cloud.list_tasks(&scope).await?;
        tasks.extend(started.into_iter().filter(|task| {
            task.service() == Some(service.name.as_str()) && seen.insert(task.task_arn.clone())
        }));
    }
    let mut instances = group(tasks, services);
    if !all_owners {
        instances.retain(|instance| instance.is_owned_by(&ctx.profile.owner));
    }
    let mut definitions = BTreeMap::new();
    let arns: BTreeSet<&str> = instances
        .iter()
        .flat_map(|instance| &instance.tasks)
        .map(|task| task.task_definition_arn.as_str())
        .collect();
    for arn in arns {
        // A definition that cannot be described only costs endpoints and cost figures.
        if let Ok(definition) = ctx.definitions.get(ctx.cloud.as_ref(), arn).await {
            definitions.insert(arn.to_string(), definition);
        }
    }
    Ok(Snapshot {
        instances,
        definitions,
    })
}

/// The instance `wanted` names (see [`pick`]), from a fresh look, and that look. Without
/// `all_owners` a miss looks at everyone's to say whose the name is.
pub async fn resolve(
    ctx: &OpsContext,
    wanted: &InstanceRef,
    all_owners: bool,
) -> Result<(Instance, Snapshot), OpsError> {
    let me = &ctx.profile.owner;
    let snapshot = refresh(ctx, all_owners).await?;
    match pick(&snapshot.instances, wanted, me, all_owners) {
        Ok(instance) => Ok((instance.clone(), snapshot)),
        Err(OpsError::NoSuchInstance { .. }) if !all_owners && wanted.owner.is_none() => {
            let everyone = refresh(ctx, true).await?;
            let missing = pick(&everyone.instances, wanted, me, false)
                .expect_err("not among mine, so not mine among everyone's");
            Err(missing)
        }
        Err(err) => Err(err),
    }
}

/// The instance with this identity, from a fresh look; another owner's only with `all_owners`.
async fn find_exact(
    ctx: &OpsContext,
    id: &InstanceId,
    all_owners: bool,
) -> Result<Instance, OpsError> {
    let snapshot = refresh(ctx, all_owners).await?;
    match snapshot.find(id) {
        Some(instance) if all_owners || instance.is_owned_by(&ctx.profile.owner) => {
            Ok(instance.clone())
        }
        Some(instance) => Err(OpsError::NotYours {
            name: instance.name.clone(),
            owners: vec![instance.owner.clone()],
        }),
        None => Err(OpsError::NoSuchInstance {
            name: if id.launch.is_empty() {
                id.name.clone()
            } else {
                format!("{}@{}", id.name, short_launch(&id.launch))
            },
            owner: id.owner.clone(),
        }),
    }
}

/// Delete every service of the instance (scaled to 0 first, so that none starts a task while
/// going), then StopTask on every task not already on its way down.
pub async fn destroy(
    ctx: &OpsContext,
    id: &InstanceId,
    all_owners: bool,
) -> Result<Destroyed, OpsError> {
    ctx.refuse_if_read_only("destroy an instance")?;
    let instance = find_exact(ctx, id, all_owners).await?;
    destroy_found(ctx, &instance).await
}

async fn destroy_found(ctx: &OpsContext, instance: &Instance) -> Result<Destroyed, OpsError> {
    let reason = format!("ondeck: destroyed by {}", ctx.profile.owner);
    let mut destroyed = Destroyed::default();
    for service in instance.services.iter().filter(|s| s.is_active()) {
        if service.desired_count > 0 {
            ctx.cloud.scale_service(&service.name, 0).await?;
        }
        ctx.cloud.delete_service(&service.name).await?;
        destroyed.services_deleted += 1;
    }
    for task in &instance.tasks {
        // A deleted service stops its own tasks.
        if task.desired_status == "STOPPED"
            || task.last_status == TaskState::Stopped
            || task.service().is_some()
        {
            continue;
        }
        ctx.cloud.stop_task(&task.task_arn, &reason).await?;
        destroyed.tasks_stopped += 1;
    }
    Ok(destroyed)
}

/// Scale every service of the instance to zero: it keeps its name, template and expiry and
/// costs nothing until resumed. Returns how many services were scaled (0: already paused).
pub async fn pause(ctx: &OpsContext, id: &InstanceId, all_owners: bool) -> Result<usize, OpsError> {
    ctx.refuse_if_read_only("pause an instance")?;
    let instance = find_exact(ctx, id, all_owners).await?;
    let services = scalable(&instance, "paused")?;
    let paused_at = BTreeMap::from([(
        tags::PAUSED_AT.to_string(),
        Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )]);
    let mut scaled = 0;
    for service in services.iter().filter(|service| service.desired_count > 0) {
        ctx.cloud.scale_service(&service.name, 0).await?;
        ctx.cloud.tag_resource(&service.arn, &paused_at).await?;
        scaled += 1;
    }
    Ok(scaled)
}

/// Scale every service of the instance back to one task. Returns how many were scaled (0: it
/// was not paused).
pub async fn resume(
    ctx: &OpsContext,
    id: &InstanceId,
    all_owners: bool,
) -> Result<usize, OpsError> {
    ctx.refuse_if_read_only("resume an instance")?;
    let instance = find_exact(ctx, id, all_owners).await?;
    let services = scalable(&instance, "resumed")?;
    let mut scaled = 0;
    for service in services.iter().filter(|service| service.desired_count == 0) {
        ctx.cloud.scale_service(&service.name, 1).await?;
        scaled += 1;
    }
    Ok(scaled)
}

/// The services a pause or resume scales; a task-backed or destroyed instance is refused
/// with the reason.
fn scalable<'a>(instance: &'a Instance, verb: &str) -> Result<Vec<&'a Service>, OpsError> {
    if !instance.is_service_backed() {
        return Err(OpsError::Refused(format!(
            "{} runs as ECS tasks, which cannot be {verb}, only destroyed; launch it from a \
             template with kind = \"service\" to pause it overnight and resume it",
            instance.name
        )));
    }
    let active: Vec<&Service> = instance.services.iter().filter(|s| s.is_active()).collect();
    if active.is_empty() {
        return Err(OpsError::NotLive {
            name: instance.name.clone(),
            state: instance.state.to_string(),
        });
    }
    Ok(active)
}

/// What a relaunch does: destroys what is left of `id` and launches its template again
/// under the same name, with the same env overrides and time to live.
#[derive(Debug, Clone, PartialEq)]
pub struct RelaunchPlan {
    pub instance: Instance,
    pub request: LaunchRequest,
}

/// The launch that brings `id` back: its template, name, the env overrides its tasks were
/// started with and the ttl it was given.
pub async fn relaunch_plan(
    ctx: &OpsContext,
    id: &InstanceId,
    all_owners: bool,
) -> Result<RelaunchPlan, OpsError> {
    let instance = find_exact(ctx, id, all_owners).await?;
    if let Some(refused) = relaunch_refused(&instance, &ctx.profile.owner) {
        return Err(refused);
    }
    if !ctx.profile.templates.contains_key(&instance.template) {
        return Err(OpsError::UnknownTemplate {
            template: instance.template.clone(),
            profile: ctx.profile.name.clone(),
            known: ctx.profile.templates.keys().cloned().collect(),
        });
    }
    let mut env: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for task in instance
        .tasks
        .iter()
        .filter(|task| task.service().is_none())
    {
        for (container, vars) in &task.env_overrides {
            env.entry(container.clone())
                .or_default()
                .extend(vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    let ttl = instance
        .services
        .iter()
        .find_map(|service| service.tag(tags::TTL))
        .or_else(|| instance.tasks.iter().find_map(|task| task.tag(tags::TTL)))
        .and_then(|text| ondeck_core::instances::expiry::parse_ttl(text).ok());
    let request = LaunchRequest {
        template: instance.template.clone(),
        name: Some(instance.name.clone()),
        env,
        ttl,
        spot: None,
    };
    Ok(RelaunchPlan { instance, request })
}

/// How long a relaunch waits for the old instance to be gone before launching.
const RELAUNCH_WAIT: std::time::Duration = std::time::Duration::from_secs(15 * 60);
const RELAUNCH_POLL: std::time::Duration = std::time::Duration::from_secs(3);

/// Destroy what is left of the plan's instance, wait until nothing of it is wanted any more
/// (a service's name is free only once it is deleted), then launch it again.
/// `progress` hears what it is waiting for.
pub async fn relaunch(
    ctx: &OpsContext,
    plan: &RelaunchPlan,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<Launched, OpsError> {
    ctx.refuse_if_read_only("relaunch an instance")?;
    let id = plan.instance.id();
    let all_owners = false;
    let current = find_exact(ctx, &id, all_owners).await?;
    destroy_found(ctx, &current).await?;
    let deadline = tokio::time::Instant::now() + RELAUNCH_WAIT;
    loop {
        let snapshot = refresh(ctx, all_owners).await?;
        let gone = snapshot.find(&id).is_none_or(|instance| {
            !instance.is_wanted()
                && instance
                    .services
                    .iter()
                    .all(|service| service.status == "INACTIVE")
        });
        if gone {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            return Err(OpsError::Refused(format!(
                "{} is still stopping after 15 minutes; relaunch it again once `ondeck list` \
                 shows it STOPPED",
                id.name
            )));
        }
        progress(format!("waiting for {} to stop…", id.name));
        tokio::time::sleep(RELAUNCH_POLL).await;
    }
    progress(format!("launching {} again…", id.name));
    launch(ctx, &plan.request).await
}

/// Push the expiry out by `by` (default: the template's ttl), from now or from the current
/// expiry, whichever is later. Returns the new expiry. An instance nothing of which is meant
/// to run any more is refused: its tags would only mislead.
pub async fn extend(
    ctx: &OpsContext,
    id: &InstanceId,
    by: Option<Duration>,
    all_owners: bool,
) -> Result<DateTime<Utc>, OpsError> {
    ctx.refuse_if_read_only("extend an instance")?;
    let instance = find_exact(ctx, id, all_owners).await?;
    if !instance.is_wanted() {
        return Err(OpsError::NotLive {
            name: instance.name.clone(),
            state: instance.state.to_string(),
        });
    }
    let by = match by {
        Some(by) => by,
        None => ctx
            .profile
            .templates
            .get(&instance.template)
            .and_then(|template| template.ttl)
            .ok_or_else(|| OpsError::NoTtl(instance.template.clone()))?,
    };
    let now = Utc::now();
    let from = instance.expires_at.filter(|at| *at > now).unwrap_or(now);
    // Extending an extension never goes past the longest time to live from now.
    let expires_at =
        (from + by).min(now + Duration::days(ondeck_core::instances::expiry::MAX_TTL_DAYS));
    let tags = BTreeMap::from([(
        tags::EXPIRES_AT.to_string(),
        expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )]);
    // A service's tags are where its expiry lives: its tasks took a copy when they started.
    for service in instance.services.iter().filter(|s| s.is_active()) {
        ctx.cloud.tag_resource(&service.arn, &tags).await?;
    }
    for task in instance
        .tasks
        .iter()
        .filter(|task| task.last_status != TaskState::Stopped)
    {
        ctx.cloud.tag_resource(&task.task_arn, &tags).await?;
    }
    Ok(expires_at)
}
