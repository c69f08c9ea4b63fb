//! What a user does to instances — list, launch, destroy, extend — written once over the
//! `Cloud` trait and shared by the CLI and the dashboard.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use crate::intent::{IntentStore, LaunchIntent};
use ondeck_core::config::Profile;
use ondeck_core::instances::{Instance, group, owner_key};
use ondeck_core::model::{
    NetworkConfig, RunFailure, RunRequest, Scope, Task, TaskDefinition, TaskState, tags,
};
pub use ondeck_core::ops::*;
use ondeck_core::{Cloud, CloudError};

/// RunTask attempts per task definition; between attempts the launch reconciles by tag.
const RUN_ATTEMPTS: u32 = 3;

/// Everything an operation needs for one profile.
pub struct OpsContext {
    pub cloud: Arc<dyn Cloud>,
    pub profile: Profile,
    pub state_dir: PathBuf,
    pub read_only: bool,
    definitions: DefinitionCache,
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
        }
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
struct DefinitionCache {
    by_name: Mutex<BTreeMap<String, TaskDefinition>>,
}

impl DefinitionCache {
    async fn get(&self, cloud: &dyn Cloud, name: &str) -> Result<TaskDefinition, CloudError> {
        if let Some(found) = self.by_name.lock().expect("cache lock").get(name) {
            return Ok(found.clone());
        }
        let definition = cloud.describe_task_definition(name).await?;
        let mut cache = self.by_name.lock().expect("cache lock");
        cache.insert(name.to_string(), definition.clone());
        cache.insert(definition.arn.clone(), definition.clone());
        Ok(definition)
    }
}

/// One ListTasks/DescribeTasks round, grouped into instances, with their task definitions.
pub async fn refresh(ctx: &OpsContext, all_owners: bool) -> Result<Snapshot, OpsError> {
    let tasks = ctx.cloud.list_tasks(&ctx.scope(all_owners)).await?;
    let instances = group(tasks);
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

/// Launch an instance from a template: one RunTask per task definition, tagged so the tasks group
/// into one instance. Exactly once, even across lost answers, crashes and user retries: the intent
/// is persisted first, and before every (re)try the tasks already carrying its tokens are counted.
pub async fn launch(ctx: &OpsContext, req: &LaunchRequest) -> Result<Launched, OpsError> {
    ctx.refuse_if_read_only("launch an instance")?;
    let profile = &ctx.profile;
    let template =
        profile
            .templates
            .get(&req.template)
            .ok_or_else(|| OpsError::UnknownTemplate {
                template: req.template.clone(),
                profile: profile.name.clone(),
                known: profile.templates.keys().cloned().collect(),
            })?;
    if let Some(name) = &req.name
        && !is_valid_name(name)
    {
        return Err(OpsError::InvalidName(name.clone()));
    }

    // Describing first turns a typo into "task definition X not found" before anything runs.
    let mut definitions = Vec::new();
    for name in &template.task_definitions {
        definitions.push(
            ctx.definitions
                .get(ctx.cloud.as_ref(), name)
                .await
                .map_err(|err| in_profile(err, &profile.name))?,
        );
    }
    let env = merged_env(&template.env, &req.env);
    for container in env.keys() {
        let known: Vec<String> = definitions
            .iter()
            .flat_map(|def| def.containers.iter().map(|c| c.name.clone()))
            .collect();
        if !known.contains(container) {
            return Err(OpsError::UnknownContainer {
                container: container.clone(),
                template: template.name.clone(),
                known,
            });
        }
    }

    let now = Utc::now();
    let store = IntentStore::new(&ctx.state_dir);
    let pending = store.pending(
        &profile.name,
        &profile.cluster,
        &template.name,
        req.name.as_deref(),
        now,
    );
    let recovered = pending.is_some();
    let mine = refresh(ctx, false).await?;
    let intent = match pending {
        Some(intent) => intent,
        None => {
            let name = req
                .name
                .clone()
                .unwrap_or_else(|| generated_name(&template.name));
            if mine
                .find(&name)
                .is_some_and(|instance| !instance.state.is_final())
            {
                return Err(OpsError::NameTaken(name));
            }
            let intent =
                LaunchIntent::new(&profile.name, &profile.cluster, &template.name, &name, now);
            store
                .save(&intent)
                .map_err(|err| OpsError::State(err.to_string()))?;
            intent
        }
    };

    let ttl = req.ttl.or(template_ttl(template));
    let mut base_tags = BTreeMap::from([
        (tags::OWNER.to_string(), profile.owner.clone()),
        (tags::INSTANCE.to_string(), intent.name.clone()),
        (tags::TEMPLATE.to_string(), template.name.clone()),
    ]);
    if let Some(ttl) = ttl {
        base_tags.insert(
            tags::EXPIRES_AT.to_string(),
            (intent.created_at + ttl).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
    }

    let mut started: BTreeMap<usize, Task> = already_started(&mine, &intent);
    let mut failures = Vec::new();
    for (index, definition) in definitions.iter().enumerate() {
        if started.contains_key(&index) {
            continue;
        }
        let mut tags = base_tags.clone();
        tags.insert(tags::LAUNCH_TOKEN.to_string(), intent.task_token(index));
        let request = RunRequest {
            task_definition: definition.arn.clone(),
            network: NetworkConfig {
                subnets: profile.subnets.clone(),
                security_groups: profile.security_groups.clone(),
                assign_public_ip: profile.assign_public_ip,
            },
            started_by: owner_key(&profile.owner),
            tags,
            env: env
                .iter()
                .filter(|(container, _)| {
                    definition.containers.iter().any(|c| &c.name == *container)
                })
                .map(|(container, vars)| (container.clone(), vars.clone()))
                .collect(),
            client_token: intent.task_token(index),
            spot: template.spot,
        };
        match run_once(ctx, &intent, index, &request).await {
            Ok(RunResult::Started(task)) => {
                started.insert(index, *task);
            }
            Ok(RunResult::Failed(mut reported)) => failures.append(&mut reported),
            Err(err) => {
                // The outcome of the last attempt is unknown: keep the intent so a retry reconciles.
                return Err(in_profile(err, &profile.name).into());
            }
        }
    }

    if !failures.is_empty() {
        let mut rolled_back = 0;
        for task in started.values() {
            let reason = format!("ondeck: rolled back partial launch of {}", intent.name);
            if ctx.cloud.stop_task(&task.task_arn, &reason).await.is_ok() {
                rolled_back += 1;
            }
        }
        let _ = store.remove(&intent.token);
        return Err(OpsError::LaunchFailed {
            name: intent.name,
            failures,
            rolled_back,
        });
    }
    store
        .remove(&intent.token)
        .map_err(|err| OpsError::State(err.to_string()))?;
    Ok(Launched {
        name: intent.name,
        tasks: started.into_values().collect(),
        failures,
        recovered,
    })
}

enum RunResult {
    Started(Box<Task>),
    Failed(Vec<RunFailure>),
}

/// RunTask for one task definition, retried on transient errors — but only after checking that
/// the previous attempt did not in fact start the task (its answer may have been lost).
async fn run_once(
    ctx: &OpsContext,
    intent: &LaunchIntent,
    index: usize,
    request: &RunRequest,
) -> Result<RunResult, CloudError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match ctx.cloud.run_task(request).await {
            Ok(outcome) => {
                if let Some(task) = outcome.tasks.into_iter().next() {
                    return Ok(RunResult::Started(Box::new(task)));
                }
                return Ok(RunResult::Failed(outcome.failures));
            }
            Err(err) if err.is_transient() && attempt < RUN_ATTEMPTS => {
                tracing::warn!(%err, attempt, "RunTask failed; reconciling before retrying");
                tokio::time::sleep(StdDuration::from_millis(500 * u64::from(attempt))).await;
                // Without a successful look we cannot know; retrying blind could launch twice.
                let Ok(mine) = refresh(ctx, false).await else {
                    return Err(err);
                };
                if let Some(task) = already_started(&mine, intent).remove(&index) {
                    return Ok(RunResult::Started(Box::new(task)));
                }
            }
            Err(err) => return Err(err),
        }
    }
}

/// Tasks of this intent that exist already, by task definition index.
fn already_started(snapshot: &Snapshot, intent: &LaunchIntent) -> BTreeMap<usize, Task> {
    let prefix = format!("{}-", intent.token);
    snapshot
        .instances
        .iter()
        .flat_map(|instance| &instance.tasks)
        .filter_map(|task| {
            let index = task
                .tag(tags::LAUNCH_TOKEN)?
                .strip_prefix(&prefix)?
                .parse()
                .ok()?;
            Some((index, task.clone()))
        })
        .collect()
}

/// "task definition web:3 not found" → "… not found in profile dev".
fn in_profile(err: CloudError, profile: &str) -> CloudError {
    match err {
        CloudError::NotFound { what, detail } => CloudError::NotFound {
            what: format!("{what} in profile {profile}"),
            detail,
        },
        other => other,
    }
}

/// Find one of my instances (or anyone's, with `all_owners`), refusing other owners' ones.
async fn find_instance(
    ctx: &OpsContext,
    name: &str,
    all_owners: bool,
) -> Result<Instance, OpsError> {
    let snapshot = refresh(ctx, all_owners).await?;
    if let Some(instance) = snapshot.find(name) {
        return Ok(instance.clone());
    }
    if !all_owners {
        let everyone = refresh(ctx, true).await?;
        if let Some(foreign) = everyone.find(name) {
            return Err(OpsError::NotYours {
                name: name.to_string(),
                owner: foreign.owner.clone(),
            });
        }
    }
    Err(OpsError::NoSuchInstance {
        name: name.to_string(),
        owner: ctx.profile.owner.clone(),
    })
}

/// StopTask on every task of the instance that is not already on its way down.
/// Returns how many tasks were asked to stop (0: it was already stopping).
pub async fn destroy(ctx: &OpsContext, name: &str, all_owners: bool) -> Result<usize, OpsError> {
    ctx.refuse_if_read_only("destroy an instance")?;
    let instance = find_instance(ctx, name, all_owners).await?;
    let reason = format!("ondeck: destroyed by {}", ctx.profile.owner);
    let mut stopped = 0;
    for task in &instance.tasks {
        if task.desired_status == "STOPPED" || task.last_status == TaskState::Stopped {
            continue;
        }
        ctx.cloud.stop_task(&task.task_arn, &reason).await?;
        stopped += 1;
    }
    Ok(stopped)
}

/// Push the expiry out by `by` (default: the template's ttl), from now or from the current
/// expiry, whichever is later. Returns the new expiry.
pub async fn extend(
    ctx: &OpsContext,
    name: &str,
    by: Option<Duration>,
) -> Result<DateTime<Utc>, OpsError> {
    ctx.refuse_if_read_only("extend an instance")?;
    let instance = find_instance(ctx, name, false).await?;
    let by = match by {
        Some(by) => by,
        None => ctx
            .profile
            .templates
            .get(&instance.template)
            .and_then(template_ttl)
            .ok_or_else(|| OpsError::NoTtl(instance.template.clone()))?,
    };
    let now = Utc::now();
    let from = instance.expires_at.filter(|at| *at > now).unwrap_or(now);
    let expires_at = from + by;
    let tags = BTreeMap::from([(
        tags::EXPIRES_AT.to_string(),
        expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )]);
    for task in instance
        .tasks
        .iter()
        .filter(|task| task.last_status != TaskState::Stopped)
    {
        ctx.cloud.tag_task(&task.task_arn, &tags).await?;
    }
    Ok(expires_at)
}
