//! `launch`: one RunTask (or, for `kind = "service"`, one CreateService) per task definition
//! of the template, exactly once.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use chrono::Utc;

use super::{OpsContext, refresh};
use crate::intent::{IntentStore, LaunchIntent, LaunchLock};
use crate::register::launch_definition;
use ondeck_core::config::TemplateKind;
use ondeck_core::instances::expiry::format_ttl;
use ondeck_core::instances::identity::{InstanceId, is_valid_name, short_launch};
use ondeck_core::instances::{owner_key, service_name};
use ondeck_core::model::{
    NetworkConfig, RunFailure, RunRequest, Service, ServiceRequest, Task, tags,
};
use ondeck_core::ops::{
    LaunchRequest, Launched, OpsError, Snapshot, check_env_containers, check_run_limits, connect,
    first_launch, generated_name, merged_env, no_env_for_services,
};
use ondeck_core::{Backoff, CloudError};

/// RunTask attempts per task definition; between attempts the launch reconciles by tag.
const RUN_ATTEMPTS: u32 = 3;
/// The wait before RunTask's next attempt: 500 ms, then 1 s.
const RUN_RETRY_BACKOFF: Backoff =
    Backoff::new(StdDuration::from_millis(500), StdDuration::from_secs(1));

/// Launch an instance from a template: one RunTask per task definition, tagged so the tasks group
/// into one instance. Exactly once, even across lost answers, crashes, user retries and a second
/// launch of the same name:
/// - the intent is persisted first, and before every (re)try the tasks already carrying its
///   token are counted; it is kept only while the outcome is unknown;
/// - on this machine a lock per name lets one launch of it run at a time;
/// - after RunTask, another live launch of the name (from another machine) is looked for, and
///   of the two the one created first stays: the other rolls its own tasks back.
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
    let as_services = template.kind == TemplateKind::Service;
    if as_services && !req.env.is_empty() {
        return Err(no_env_for_services(&template.name));
    }

    // Registering or describing first turns a typo into "task definition X not found" before
    // anything runs, and before the launch intent is written.
    let mut definitions = Vec::new();
    if let Some(registered) = launch_definition(ctx, &template.name).await {
        definitions.push(registered.map_err(|err| match err {
            OpsError::Cloud(err) => OpsError::Cloud(in_profile(err, &profile.name)),
            other => other,
        })?);
    }
    for name in template.task_definitions() {
        definitions.push(
            ctx.definitions
                .get(ctx.cloud.as_ref(), name)
                .await
                .map_err(|err| in_profile(err, &profile.name))?,
        );
    }
    let exec_warnings = connect::check_exec_at_launch(template, &definitions);
    let env = merged_env(&template.env, &req.env);
    let containers: Vec<String> = definitions
        .iter()
        .flat_map(|def| def.containers.iter().map(|c| c.name.clone()))
        .collect();
    check_env_containers(&template.name, &env, &containers)?;

    let store = IntentStore::new(&ctx.state_dir);
    let now = Utc::now();
    let pending_intent = || {
        store.pending(
            &profile.name,
            &profile.cluster,
            &template.name,
            req.name.as_deref(),
            now,
        )
    };
    let pending = pending_intent();
    let name = pending
        .as_ref()
        .map(|intent| intent.name.clone())
        .or_else(|| req.name.clone())
        .unwrap_or_else(|| generated_name(&template.name));
    let _lock = LaunchLock::acquire(&ctx.state_dir, &profile.cluster, &name)
        .map_err(state_error)?
        .ok_or_else(|| OpsError::LaunchUnderWay(name.clone()))?;
    // An intent that came or went before the lock was taken is another launch's doing.
    if pending_intent().map(|intent| intent.token) != pending.as_ref().map(|i| i.token.clone()) {
        return Err(OpsError::LaunchUnderWay(name));
    }

    let mine = refresh(ctx, false).await?;
    let had_pending = pending.is_some();
    let resumed = match pending {
        Some(intent) => resumable(ctx, &store, &mine, intent).await?,
        None => None,
    };
    let recovered = resumed.is_some();
    let intent = match resumed {
        Some(intent) => intent,
        None => {
            // A name generated for a launch that ended went with its instance.
            let name = match &req.name {
                None if had_pending => generated_name(&template.name),
                _ => name,
            };
            if mine
                .instances
                .iter()
                .any(|instance| instance.name == name && instance.is_wanted())
            {
                return Err(OpsError::NameTaken(name));
            }
            LaunchIntent::new(&profile.name, &profile.cluster, &template.name, &name, now)
        }
    };

    let ttl = req.ttl.or(template.ttl);
    let mut base_tags = BTreeMap::from([
        (tags::OWNER.to_string(), profile.owner.clone()),
        (tags::INSTANCE.to_string(), intent.name.clone()),
        (tags::TEMPLATE.to_string(), template.name.clone()),
    ]);
    if let Some(ttl) = ttl {
        // Never from a time still to come: the expiry stays within the longest ttl from now.
        let from = intent.created_at.min(now);
        base_tags.insert(
            tags::EXPIRES_AT.to_string(),
            (from + ttl).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
        base_tags.insert(tags::TTL.to_string(), format_ttl(ttl));
    }
    let network = NetworkConfig {
        subnets: profile.subnets.clone(),
        security_groups: profile.security_groups.clone(),
        assign_public_ip: profile.assign_public_ip,
    };
    let spot = req.spot.unwrap_or(template.spot);
    let requests: Vec<RunRequest> = definitions
        .iter()
        .enumerate()
        .map(|(index, definition)| {
            let mut tags = base_tags.clone();
            tags.insert(tags::LAUNCH_TOKEN.to_string(), intent.task_token(index));
            RunRequest {
                enable_exec: connect::launches_with_exec(template, definition),
                task_definition: definition.arn.clone(),
                network: network.clone(),
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
                spot,
            }
        })
        .collect();
    // A service's tasks carry its tags (propagateTags), so they group with it.
    let service_requests: Vec<ServiceRequest> = requests
        .iter()
        .zip(&definitions)
        .map(|(request, definition)| ServiceRequest {
            name: service_name(&profile.owner, &intent.name, &definition.family),
            task_definition: request.task_definition.clone(),
            network: network.clone(),
            tags: request.tags.clone(),
            client_token: request.client_token.clone(),
            spot,
            enable_exec: request.enable_exec,
        })
        .collect();
    for (request, definition) in requests.iter().zip(&definitions) {
        check_run_limits(
            request,
            &format!("{}:{}", definition.family, definition.revision),
        )?;
    }
    if !recovered {
        store.save(&intent).map_err(state_error)?;
    }

    let mut started: BTreeMap<usize, Task> = already_started(&mine, &intent);
    let mut created: BTreeMap<usize, Service> = already_created(&mine, &intent);
    let mut failures = Vec::new();
    let mut rejected = None;
    for (index, request) in requests.iter().enumerate() {
        if started.contains_key(&index) || created.contains_key(&index) {
            continue;
        }
        if as_services {
            match create_once(ctx, &intent, index, &service_requests[index]).await {
                Ok(service) => {
                    created.insert(index, service);
                    continue;
                }
                Err(RunError::Refused(err)) => {
                    let err = name_clash(err, &service_requests[index].name);
                    rejected = Some(in_profile(err, &profile.name));
                    break;
                }
                Err(RunError::Unknown(err)) => return Err(in_profile(err, &profile.name).into()),
            }
        }
        match run_once(ctx, &intent, index, request).await {
            Ok(RunResult::Started(task)) => {
                started.insert(index, *task);
            }
            Ok(RunResult::Failed(reported)) => {
                failures = reported;
                break;
            }
            Err(RunError::Refused(err)) => {
                rejected = Some(in_profile(err, &profile.name));
                break;
            }
            // The outcome of the last attempt is unknown: keep the intent so a retry reconciles.
            Err(RunError::Unknown(err)) => return Err(in_profile(err, &profile.name).into()),
        }
    }

    if !failures.is_empty() || rejected.is_some() {
        // Nothing of this launch will run: what did start is stopped, and the intent goes.
        let reason = format!("ondeck: rolled back partial launch of {}", intent.name);
        let rolled_back = roll_back(ctx, started.values(), created.values(), &reason).await;
        store.remove(&intent.token).map_err(state_error)?;
        return Err(match rejected {
            Some(err) if rolled_back == 0 => OpsError::Cloud(err),
            Some(err) => OpsError::LaunchFailed {
                name: intent.name,
                failures: vec![RunFailure {
                    arn: None,
                    reason: Some(err.to_string()),
                    detail: None,
                }],
                rolled_back,
            },
            None => OpsError::LaunchFailed {
                name: intent.name,
                failures,
                rolled_back,
            },
        });
    }

    // Another machine may have launched the same name at the same moment: the first one
    // created stays, the other rolls itself back. Both sides see the same ECS facts.
    let after = refresh(ctx, false)
        .await
        .map_err(|err| OpsError::LaunchUnconfirmed {
            name: intent.name.clone(),
            detail: err.to_string(),
        })?;
    let id = InstanceId {
        owner: profile.owner.clone(),
        name: intent.name.clone(),
        launch: intent.token.clone(),
    };
    let created_at = after
        .find(&id)
        .and_then(|instance| instance.created_at)
        .or_else(|| started.values().filter_map(|t| t.times.created_at).min())
        .or_else(|| created.values().filter_map(|s| s.created_at).min());
    let launches = after
        .instances
        .iter()
        .filter(|i| i.name == id.name && i.launch != id.launch && i.is_wanted())
        .map(|i| (i.created_at, i.launch.as_str()))
        .chain([(created_at, id.launch.as_str())]);
    let first = first_launch(launches).to_string();
    if first != id.launch {
        let reason = format!(
            "ondeck: rolled back; another launch of {} came first",
            id.name
        );
        let rolled_back = roll_back(ctx, started.values(), created.values(), &reason).await;
        store.remove(&intent.token).map_err(state_error)?;
        return Err(OpsError::LostLaunch {
            name: id.name,
            winner: short_launch(&first).to_string(),
            rolled_back,
        });
    }
    store.remove(&intent.token).map_err(state_error)?;
    Ok(Launched {
        id,
        tasks: started.into_values().collect(),
        services: created.into_values().collect(),
        failures,
        recovered,
        exec_warnings,
    })
}

fn state_error(err: std::io::Error) -> OpsError {
    OpsError::State(err.to_string())
}

/// StopTask on each task, DeleteService on each service; returns how many were undone.
async fn roll_back<'a>(
    ctx: &OpsContext,
    tasks: impl Iterator<Item = &'a Task>,
    services: impl Iterator<Item = &'a Service>,
    reason: &str,
) -> usize {
    let mut undone = 0;
    for task in tasks {
        if ctx.cloud.stop_task(&task.task_arn, reason).await.is_ok() {
            undone += 1;
        }
    }
    for service in services {
        if ctx.cloud.delete_service(&service.name).await.is_ok() {
            undone += 1;
        }
    }
    undone
}

/// The pending intent, if it can still become its instance: none of its tasks was stopped.
/// One whose tasks are (partly) stopped is over — its instance was destroyed or crashed — so
/// its live tasks are stopped and it is removed; resuming it would report a launch that
/// never happened.
async fn resumable(
    ctx: &OpsContext,
    store: &IntentStore,
    mine: &Snapshot,
    intent: LaunchIntent,
) -> Result<Option<LaunchIntent>, OpsError> {
    let found = already_started(mine, &intent);
    let services = already_created(mine, &intent);
    let kept = |service: &&Service| service.is_active();
    if found.values().all(|task| task.desired_status != "STOPPED")
        && services.values().all(|service| kept(&service))
    {
        return Ok(Some(intent));
    }
    let reason = format!(
        "ondeck: rolled back the rest of an ended launch of {}",
        intent.name
    );
    let live = found
        .values()
        .filter(|task| task.desired_status != "STOPPED");
    roll_back(ctx, live, services.values().filter(kept), &reason).await;
    store.remove(&intent.token).map_err(state_error)?;
    Ok(None)
}

enum RunResult {
    Started(Box<Task>),
    Failed(Vec<RunFailure>),
}

/// Why RunTask did not start the task.
enum RunError {
    /// AWS refused every attempt that reached it: nothing started.
    Refused(CloudError),
    /// Some attempt's outcome is unknown: the task may exist.
    Unknown(CloudError),
}

/// RunTask for one task definition, retried on transient errors — but only after checking that
/// the previous attempt did not in fact start the task (its answer may have been lost).
async fn run_once(
    ctx: &OpsContext,
    intent: &LaunchIntent,
    index: usize,
    request: &RunRequest,
) -> Result<RunResult, RunError> {
    let mut attempt = 0;
    let mut unknown_before = false;
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
                unknown_before |= !err.is_refusal();
                tokio::time::sleep(RUN_RETRY_BACKOFF.delay(attempt - 1)).await;
                // Without a successful look we cannot know; retrying blind could launch twice.
                let Ok(mine) = refresh(ctx, false).await else {
                    return Err(RunError::Unknown(err));
                };
                if let Some(task) = already_started(&mine, intent).remove(&index) {
                    return Ok(RunResult::Started(Box::new(task)));
                }
            }
            Err(err) if err.is_refusal() && !unknown_before => return Err(RunError::Refused(err)),
            Err(err) => return Err(RunError::Unknown(err)),
        }
    }
}

/// The task definition index a launch-token tag gives, when it is this intent's.
fn index_in(intent: &LaunchIntent, launch_token: Option<&str>) -> Option<usize> {
    launch_token?
        .strip_prefix(&intent.token)?
        .strip_prefix('-')?
        .parse()
        .ok()
}

/// Tasks RunTask started for this intent, by task definition index (a service's tasks carry
/// the token too, but they are the service's).
fn already_started(snapshot: &Snapshot, intent: &LaunchIntent) -> BTreeMap<usize, Task> {
    snapshot
        .instances
        .iter()
        .flat_map(|instance| &instance.tasks)
        .filter(|task| task.service().is_none())
        .filter_map(|task| {
            Some((
                index_in(intent, task.tag(tags::LAUNCH_TOKEN))?,
                task.clone(),
            ))
        })
        .collect()
}

/// Services of this intent that exist already, by task definition index.
fn already_created(snapshot: &Snapshot, intent: &LaunchIntent) -> BTreeMap<usize, Service> {
    snapshot
        .instances
        .iter()
        .flat_map(|instance| &instance.services)
        .filter_map(|service| {
            let index = index_in(intent, service.tag(tags::LAUNCH_TOKEN))?;
            Some((index, service.clone()))
        })
        .collect()
}

/// CreateService for one task definition, retried on transient errors — but only after looking
/// for the service by name: a lost answer may hide a service that was created, and a second
/// one would be a second instance.
async fn create_once(
    ctx: &OpsContext,
    intent: &LaunchIntent,
    index: usize,
    request: &ServiceRequest,
) -> Result<Service, RunError> {
    let mut attempt = 0;
    let mut unknown_before = false;
    loop {
        attempt += 1;
        match ctx.cloud.create_service(request).await {
            Ok(service) => return Ok(service),
            Err(err) if err.is_transient() && attempt < RUN_ATTEMPTS => {
                tracing::warn!(%err, attempt, "CreateService failed; looking before retrying");
                unknown_before |= !err.is_refusal();
                tokio::time::sleep(RUN_RETRY_BACKOFF.delay(attempt - 1)).await;
                let scope = ondeck_core::model::Scope::Service(request.name.clone());
                let Ok(found) = ctx.cloud.list_services(&scope).await else {
                    return Err(RunError::Unknown(err));
                };
                if let Some(service) = found.into_iter().find(|service| {
                    service.is_active()
                        && index_in(intent, service.tag(tags::LAUNCH_TOKEN)) == Some(index)
                }) {
                    return Ok(service);
                }
            }
            Err(err) if err.is_refusal() && !unknown_before => return Err(RunError::Refused(err)),
            Err(err) => return Err(RunError::Unknown(err)),
        }
    }
}

/// ECS's "Creation of service was not idempotent": a service of that name exists and is not
/// this launch's (`ana` + `b-jobs` and `ana-b` + `jobs` meet in one name), said so.
fn name_clash(err: CloudError, name: &str) -> CloudError {
    if err.to_string().contains("not idempotent") {
        CloudError::Refused(format!(
            "ECS already has a service named {name} that is not this launch's (owner and \
             instance names with hyphens can meet in one service name); launch under another \
             instance name"
        ))
    } else {
        err
    }
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
