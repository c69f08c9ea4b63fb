//! What a user does to instances — list, launch, destroy, extend — written once over the
//! `Cloud` trait and shared by the CLI and the dashboard.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use super::identity::{InstanceId, InstanceRef, is_valid_name, short_launch};
use super::intent::{IntentStore, LaunchIntent, LaunchLock};
use super::{Instance, group, owner_key};
use crate::aws::model::{
    NetworkConfig, RunFailure, RunRequest, Scope, Task, TaskDefinition, TaskState, limits, tags,
};
use crate::aws::{Cloud, CloudError};
use crate::config::Profile;

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

/// A failure of an operation, phrased for the person who asked for it.
#[derive(Debug, Clone, PartialEq)]
pub enum OpsError {
    Cloud(CloudError),
    ReadOnly(String),
    UnknownTemplate {
        template: String,
        profile: String,
        known: Vec<String>,
    },
    NoSuchInstance {
        name: String,
        owner: String,
    },
    /// Only other owners have an instance of this name (or it was named as another owner's
    /// without `--all-owners`).
    NotYours {
        name: String,
        owners: Vec<String>,
    },
    /// Tagged as `owner`'s but started under another key: nobody's to touch by a bare name.
    Disputed {
        name: String,
        owner: String,
        started_by: String,
    },
    /// One name, several live launches: the user must say which.
    Ambiguous {
        name: String,
        candidates: Vec<String>,
    },
    /// Nothing of the instance runs any more.
    NotLive {
        name: String,
        state: String,
    },
    NameTaken(String),
    InvalidName(String),
    UnknownContainer {
        container: String,
        template: String,
        known: Vec<String>,
    },
    /// RunTask reported failures; tasks that did start were stopped again.
    LaunchFailed {
        name: String,
        failures: Vec<RunFailure>,
        rolled_back: usize,
    },
    NoTtl(String),
    State(String),
    /// Another process on this machine is launching this name right now.
    LaunchUnderWay(String),
    /// Another launch of the name came first; this one stopped its own tasks.
    LostLaunch {
        name: String,
        winner: String,
        rolled_back: usize,
    },
    /// The tasks started, but whether another launch of the name came first is unknown.
    LaunchUnconfirmed {
        name: String,
        detail: String,
    },
    /// A RunTask limit would be exceeded; nothing was started.
    TooLarge(String),
}

impl From<CloudError> for OpsError {
    fn from(err: CloudError) -> Self {
        OpsError::Cloud(err)
    }
}

impl fmt::Display for OpsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpsError::Cloud(err) => err.fmt(f),
            OpsError::ReadOnly(what) => write!(
                f,
                "read-only mode: refusing to {what}; run without --read-only to make changes"
            ),
            OpsError::UnknownTemplate {
                template,
                profile,
                known,
            } => write!(
                f,
                "template `{template}` is not in profile {profile}; known templates: {}",
                known.join(", ")
            ),
            OpsError::NoSuchInstance { name, owner } => write!(
                f,
                "no instance named `{name}` owned by {owner}; `ondeck list` shows yours"
            ),
            OpsError::NotYours { name, owners } => {
                let qualified: Vec<String> = owners
                    .iter()
                    .map(|owner| format!("{owner}/{name}"))
                    .collect();
                write!(
                    f,
                    "instance `{name}` belongs to {}, not to you; to act on another owner's \
                     instance name it as {} and pass --all-owners",
                    owners.join(" and "),
                    qualified.join(" or ")
                )
            }
            OpsError::Disputed {
                name,
                owner,
                started_by,
            } => write!(
                f,
                "instance `{name}` is tagged as {owner}'s but was started by {started_by}, so \
                 ondeck treats it as nobody's; name it as {owner}/{name} and pass --all-owners \
                 to act on it"
            ),
            OpsError::Ambiguous { name, candidates } => write!(
                f,
                "`{name}` names {} live instances: {}; name one of them as shown",
                candidates.len(),
                candidates.join(", ")
            ),
            OpsError::NotLive { name, state } => write!(
                f,
                "instance `{name}` is {state}: nothing of it runs any more; launch a new one"
            ),
            OpsError::NameTaken(name) => write!(
                f,
                "an instance named `{name}` is already live; pick another --name or destroy it first"
            ),
            OpsError::InvalidName(name) => write!(
                f,
                "instance name `{name}` is invalid; use 1–48 lowercase letters, digits and -"
            ),
            OpsError::UnknownContainer {
                container,
                template,
                known,
            } => write!(
                f,
                "template `{template}` has no container `{container}`; containers: {}",
                known.join(", ")
            ),
            OpsError::LaunchFailed {
                name,
                failures,
                rolled_back,
            } => {
                write!(f, "launch of `{name}` failed: ")?;
                for (i, failure) in failures.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{failure}")?;
                }
                if *rolled_back > 0 {
                    write!(f, " — stopped the {rolled_back} task(s) that did start")?;
                }
                Ok(())
            }
            OpsError::NoTtl(template) => write!(
                f,
                "template `{template}` has no ttl; pass --by DURATION (e.g. 2h)"
            ),
            OpsError::State(detail) => write!(
                f,
                "cannot write ondeck's state ({detail}); check permissions of the state directory"
            ),
            OpsError::LaunchUnderWay(name) => write!(
                f,
                "another launch of `{name}` is under way on this machine; this one stops here \
                 — `ondeck list` shows the instance once it is up"
            ),
            OpsError::LostLaunch {
                name,
                winner,
                rolled_back,
            } => write!(
                f,
                "another launch of `{name}` (launch {winner}) started at the same time and came \
                 first; this one stopped its {rolled_back} task(s) — `ondeck list` shows the one \
                 that stays"
            ),
            OpsError::LaunchUnconfirmed { name, detail } => write!(
                f,
                "started `{name}` but could not check that no other launch of that name came \
                 first ({detail}); run the same launch again to finish it — no second instance \
                 will start"
            ),
            OpsError::TooLarge(detail) => f.write_str(detail),
        }
    }
}

impl std::error::Error for OpsError {}

/// The instances in scope and the task definitions they run (by ARN).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub instances: Vec<Instance>,
    pub definitions: BTreeMap<String, TaskDefinition>,
}

impl Snapshot {
    pub fn find(&self, id: &InstanceId) -> Option<&Instance> {
        self.instances.iter().find(|instance| instance.is(id))
    }
}

/// The instance a person means by `wanted`, among `instances`. A bare name is one of `me`'s
/// own; another owner's must be named `owner/name`, and then only with `all_owners`. Of
/// several launches under one name the one still wanted counts (a destroyed one is history);
/// two wanted ones are refused with both named. With none wanted, the newest is meant.
pub fn pick<'a>(
    instances: impl IntoIterator<Item = &'a Instance>,
    wanted: &InstanceRef,
    me: &str,
    all_owners: bool,
) -> Result<&'a Instance, OpsError> {
    let owner = wanted.owner.as_deref().unwrap_or(me);
    if owner != me && !all_owners {
        return Err(OpsError::NotYours {
            name: wanted.name.clone(),
            owners: vec![owner.to_string()],
        });
    }
    let same_name: Vec<&Instance> = instances
        .into_iter()
        .filter(|instance| instance.name == wanted.name && wanted.matches_launch(&instance.launch))
        .collect();
    let is_meant = |instance: &Instance| match &wanted.owner {
        None => instance.is_owned_by(me),
        Some(_) => instance.owner == owner && (all_owners || instance.is_owned_by(me)),
    };
    let candidates: Vec<&Instance> = same_name
        .iter()
        .copied()
        .filter(|instance| is_meant(instance))
        .collect();
    if candidates.is_empty() {
        if wanted.owner.is_none() {
            if let Some(disputed) = same_name.iter().find(|instance| instance.owner == me) {
                return Err(OpsError::Disputed {
                    name: wanted.name.clone(),
                    owner: me.to_string(),
                    started_by: disputed.disputed_by().unwrap_or_default().to_string(),
                });
            }
            let owners: BTreeSet<String> = same_name.iter().map(|i| i.owner.clone()).collect();
            if !owners.is_empty() {
                return Err(OpsError::NotYours {
                    name: wanted.name.clone(),
                    owners: owners.into_iter().collect(),
                });
            }
        }
        return Err(OpsError::NoSuchInstance {
            name: wanted.to_string(),
            owner: owner.to_string(),
        });
    }
    let live: Vec<&Instance> = candidates
        .iter()
        .copied()
        .filter(|instance| instance.is_wanted())
        .collect();
    match live.as_slice() {
        [one] => Ok(one),
        [] => Ok(candidates
            .into_iter()
            .max_by(|a, b| {
                a.created_at
                    .cmp(&b.created_at)
                    .then_with(|| a.launch.cmp(&b.launch))
            })
            .expect("candidates is not empty")),
        several => Err(OpsError::Ambiguous {
            name: wanted.to_string(),
            candidates: several
                .iter()
                .map(|instance| format!("{} ({})", instance.id().qualified(), instance.state))
                .collect(),
        }),
    }
}

/// One ListTasks/DescribeTasks round, grouped into instances, with their task definitions.
/// Without `all_owners`, only instances that are surely mine (see [`Instance::is_owned_by`]).
pub async fn refresh(ctx: &OpsContext, all_owners: bool) -> Result<Snapshot, OpsError> {
    let tasks = ctx.cloud.list_tasks(&ctx.scope(all_owners)).await?;
    let mut instances = group(tasks);
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

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LaunchRequest {
    pub template: String,
    pub name: Option<String>,
    /// container → variable → value; added to (and overriding) the template's env.
    pub env: BTreeMap<String, BTreeMap<String, String>>,
    /// Overrides the template's ttl.
    pub ttl: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Launched {
    pub id: InstanceId,
    pub tasks: Vec<Task>,
    /// Failures RunTask reported (verbatim) for a launch that still started every task after a retry.
    pub failures: Vec<RunFailure>,
    /// The launch resumed an interrupted earlier attempt instead of starting anew.
    pub recovered: bool,
}

fn generated_name(template: &str) -> String {
    let stem: String = template
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    let suffix: String = (0..4)
        .map(|_| {
            let alphabet = b"abcdefghjkmnpqrstuvwxyz23456789";
            alphabet[fastrand::usize(..alphabet.len())] as char
        })
        .collect();
    format!("{stem}-{suffix}")
}

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

    let ttl = req.ttl.or(template_ttl(template));
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
    }
    let requests: Vec<RunRequest> = definitions
        .iter()
        .enumerate()
        .map(|(index, definition)| {
            let mut tags = base_tags.clone();
            tags.insert(tags::LAUNCH_TOKEN.to_string(), intent.task_token(index));
            RunRequest {
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
            }
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
    let mut failures = Vec::new();
    let mut rejected = None;
    for (index, request) in requests.iter().enumerate() {
        if started.contains_key(&index) {
            continue;
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
        let rolled_back = stop_all(ctx, started.values(), &reason).await;
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
        .or_else(|| started.values().filter_map(|t| t.times.created_at).min());
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
        let rolled_back = stop_all(ctx, started.values(), &reason).await;
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
        failures,
        recovered,
    })
}

fn state_error(err: std::io::Error) -> OpsError {
    OpsError::State(err.to_string())
}

/// Of several live launches of one name, the one that stays: the one ECS created first, then
/// the smaller token. A launch that looked and saw no other was created before any it missed,
/// so every launch that looks reaches the same verdict. Unknown times count as last.
fn first_launch<'a>(launches: impl Iterator<Item = (Option<DateTime<Utc>>, &'a str)>) -> &'a str {
    launches
        .min_by_key(|(created_at, token)| (created_at.unwrap_or(DateTime::<Utc>::MAX_UTC), *token))
        .map(|(_, token)| token)
        .unwrap_or_default()
}

/// StopTask on each; returns how many were asked to stop.
async fn stop_all<'a>(
    ctx: &OpsContext,
    tasks: impl Iterator<Item = &'a Task>,
    reason: &str,
) -> usize {
    let mut stopped = 0;
    for task in tasks {
        if ctx.cloud.stop_task(&task.task_arn, reason).await.is_ok() {
            stopped += 1;
        }
    }
    stopped
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
    if found.values().all(|task| task.desired_status != "STOPPED") {
        return Ok(Some(intent));
    }
    let reason = format!(
        "ondeck: rolled back the rest of an ended launch of {}",
        intent.name
    );
    let live = found
        .values()
        .filter(|task| task.desired_status != "STOPPED");
    stop_all(ctx, live, &reason).await;
    store.remove(&intent.token).map_err(state_error)?;
    Ok(None)
}

/// RunTask's own limits, checked before the first call so that nothing starts half-way. Each
/// call starts one task, well within its ten.
fn check_run_limits(request: &RunRequest, definition: &str) -> Result<(), OpsError> {
    let overrides = request.overrides_chars();
    if overrides > limits::OVERRIDES_CHARS {
        return Err(OpsError::TooLarge(format!(
            "the environment overrides for {definition} come to {overrides} characters as ECS \
             counts them (names, values and JSON); RunTask takes at most {} — shorten the \
             values or set them in the task definition",
            limits::OVERRIDES_CHARS
        )));
    }
    if request.tags.len() > limits::TAGS_PER_TASK {
        return Err(OpsError::TooLarge(format!(
            "{} tags for {definition}; ECS allows {} on a task",
            request.tags.len(),
            limits::TAGS_PER_TASK
        )));
    }
    for (key, value) in &request.tags {
        let (key_chars, value_chars) = (key.chars().count(), value.chars().count());
        if key_chars > limits::TAG_KEY_CHARS || value_chars > limits::TAG_VALUE_CHARS {
            return Err(OpsError::TooLarge(format!(
                "tag {key} would be {value_chars} characters long; ECS allows keys of {} and \
                 values of {} characters — shorten the template or owner name in the config",
                limits::TAG_KEY_CHARS,
                limits::TAG_VALUE_CHARS
            )));
        }
    }
    Ok(())
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
                tokio::time::sleep(StdDuration::from_millis(500 * u64::from(attempt))).await;
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

fn merged_env(
    template: &BTreeMap<String, BTreeMap<String, String>>,
    request: &BTreeMap<String, BTreeMap<String, String>>,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut env = template.clone();
    for (container, vars) in request {
        env.entry(container.clone())
            .or_default()
            .extend(vars.clone());
    }
    env
}

/// The time to live a template asks for, when it names a valid one.
pub fn template_ttl(template: &crate::config::Template) -> Option<Duration> {
    template
        .ttl
        .as_deref()
        .and_then(|ttl| super::expiry::parse_ttl(ttl).ok())
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

/// StopTask on every task of the instance that is not already on its way down.
/// Returns how many tasks were asked to stop (0: it was already stopping).
pub async fn destroy(
    ctx: &OpsContext,
    id: &InstanceId,
    all_owners: bool,
) -> Result<usize, OpsError> {
    ctx.refuse_if_read_only("destroy an instance")?;
    let instance = find_exact(ctx, id, all_owners).await?;
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
            .and_then(template_ttl)
            .ok_or_else(|| OpsError::NoTtl(instance.template.clone()))?,
    };
    let now = Utc::now();
    let from = instance.expires_at.filter(|at| *at > now).unwrap_or(now);
    // Extending an extension never goes past the longest time to live from now.
    let expires_at = (from + by).min(now + Duration::days(super::expiry::MAX_TTL_DAYS));
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

/// Where to reach a container: the task's private IP and a container port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub ip: String,
    pub port: u16,
    pub container: String,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} ({})", self.ip, self.port, self.container)
    }
}

/// Endpoints of the instance's live tasks, from their private IPs and the definitions' ports.
pub fn endpoints(
    instance: &Instance,
    definitions: &BTreeMap<String, TaskDefinition>,
) -> Vec<Endpoint> {
    let mut found = Vec::new();
    for task in &instance.tasks {
        if task.last_status == TaskState::Stopped {
            continue;
        }
        let (Some(ip), Some(definition)) =
            (&task.private_ip, definitions.get(&task.task_definition_arn))
        else {
            continue;
        };
        for container in &definition.containers {
            for port in &container.container_ports {
                found.push(Endpoint {
                    ip: ip.clone(),
                    port: *port,
                    container: container.name.clone(),
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fixtures::{instance, task};

    /// `owner`'s instance `name` of launch `launch`, RUNNING or destroyed.
    fn of(owner: &str, name: &str, launch: &str, live: bool) -> Instance {
        let state = if live {
            TaskState::Running
        } else {
            TaskState::Stopped
        };
        let mut task = task(name, &format!("{owner}-{launch}"), state);
        task.started_by = Some(owner_key(owner));
        let mut found = instance(name, vec![task]);
        found.owner = owner.into();
        found.launch = launch.into();
        found
    }

    fn named(text: &str) -> InstanceRef {
        InstanceRef::parse(text).unwrap()
    }

    #[test]
    fn a_bare_name_is_mine_even_with_all_owners() {
        let everyone = [of("alice", "one", "a1", true), of("bob", "one", "b1", true)];
        for all_owners in [false, true] {
            let found = pick(&everyone, &named("one"), "bob", all_owners).unwrap();
            assert_eq!(found.owner, "bob", "all_owners {all_owners}");
        }
        let err = pick(&everyone[..1], &named("one"), "bob", true).unwrap_err();
        assert_eq!(
            err,
            OpsError::NotYours {
                name: "one".into(),
                owners: vec!["alice".into()]
            }
        );
        assert!(err.to_string().contains("alice/one"), "{err}");
    }

    #[test]
    fn another_owners_instance_is_named_as_theirs_and_needs_all_owners() {
        let everyone = [of("alice", "one", "a1", true), of("bob", "one", "b1", true)];
        let err = pick(&everyone, &named("alice/one"), "bob", false).unwrap_err();
        assert!(err.to_string().contains("--all-owners"), "{err}");
        let found = pick(&everyone, &named("alice/one"), "bob", true).unwrap();
        assert_eq!(found.id().to_string(), "alice/one");
        assert!(matches!(
            pick(&everyone, &named("carol/one"), "bob", true),
            Err(OpsError::NoSuchInstance { .. })
        ));
    }

    #[test]
    fn of_one_name_the_live_launch_counts_and_two_live_ones_are_refused() {
        let reused = [
            of("ana", "one", "old1", false),
            of("ana", "one", "new2", true),
        ];
        assert_eq!(
            pick(&reused, &named("one"), "ana", false).unwrap().launch,
            "new2"
        );
        let gone = [of("ana", "one", "old1", false)];
        assert_eq!(
            pick(&gone, &named("one"), "ana", false).unwrap().launch,
            "old1"
        );

        let twice = [
            of("ana", "one", "aaaa1111", true),
            of("ana", "one", "bbbb2222", true),
        ];
        let err = pick(&twice, &named("one"), "ana", false).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("ana/one@aaaa1111 (RUNNING)")
                && message.contains("ana/one@bbbb2222 (RUNNING)"),
            "{message}"
        );
        assert_eq!(
            pick(&twice, &named("one@bbbb"), "ana", false)
                .unwrap()
                .launch,
            "bbbb2222"
        );
    }

    #[test]
    fn a_task_whose_owner_tag_and_started_by_disagree_is_nobodys_by_a_bare_name() {
        // Started by ondeck/alice, tagged as bob's.
        let mut odd = of("alice", "one", "x1", true);
        odd.owner = "bob".into();
        for me in ["alice", "bob"] {
            assert!(pick([&odd], &named("one"), me, true).is_err(), "{me}");
        }
        let err = pick([&odd], &named("one"), "bob", true).unwrap_err();
        assert!(
            matches!(&err, OpsError::Disputed { started_by, .. } if started_by == "ondeck/alice"),
            "{err:?}"
        );
        assert!(pick([&odd], &named("bob/one"), "bob", false).is_err());
        assert!(pick([&odd], &named("bob/one"), "alice", true).is_ok());
    }

    #[test]
    fn of_two_launches_the_one_created_first_stays_then_the_smaller_token() {
        let at = |minute| Some(crate::state::fixtures::at(10, minute));
        let first = |launches: Vec<(Option<DateTime<Utc>>, &'static str)>| {
            first_launch(launches.into_iter())
        };
        assert_eq!(first(vec![(at(1), "aaaa"), (at(0), "ffff")]), "ffff");
        assert_eq!(first(vec![(at(0), "bbbb"), (at(0), "aaaa")]), "aaaa");
        // A launch ECS has not timed yet comes after any it has.
        assert_eq!(first(vec![(None, "0000"), (at(5), "ffff")]), "ffff");
        assert_eq!(first(vec![(None, "ffff"), (None, "0000")]), "0000");
    }

    fn run_request(env: &[(&str, &str)], template: &str) -> RunRequest {
        RunRequest {
            task_definition: "web:3".into(),
            network: NetworkConfig {
                subnets: vec!["subnet-1".into()],
                security_groups: vec![],
                assign_public_ip: false,
            },
            started_by: "ondeck/ana".into(),
            tags: BTreeMap::from([(tags::TEMPLATE.to_string(), template.to_string())]),
            env: BTreeMap::from([(
                "api".to_string(),
                env.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )]),
            client_token: "t-0".into(),
            spot: false,
        }
    }

    #[test]
    fn overrides_count_as_their_json_and_over_8192_are_refused() {
        let small = run_request(&[("A", "1")], "web");
        assert_eq!(
            small.overrides_chars(),
            r#"{"containerOverrides":[{"environment":[{"name":"A","value":"1"}],"name":"api"}]}"#
                .len()
        );
        assert!(check_run_limits(&small, "web:3").is_ok());
        // Quotes and backslashes count as ECS sees them: escaped.
        let quoted = run_request(&[("A", "\"\"")], "web");
        assert_eq!(quoted.overrides_chars(), small.overrides_chars() + 3);

        // "1" becomes a value one character longer than the room left.
        let value = "x".repeat(8_192 - small.overrides_chars() + 2);
        let just_over = run_request(&[("A", &value)], "web");
        let err = check_run_limits(&just_over, "web:3").unwrap_err();
        assert!(matches!(err, OpsError::TooLarge(_)));
        assert!(
            err.to_string().contains("web:3") && err.to_string().contains("8192"),
            "{err}"
        );
        let value = "x".repeat(8_192 - small.overrides_chars() + 1);
        assert!(check_run_limits(&run_request(&[("A", &value)], "web"), "web:3").is_ok());
    }

    #[test]
    fn tags_past_their_sizes_are_refused_before_the_call() {
        let long = "t".repeat(257);
        let err = check_run_limits(&run_request(&[], &long), "web:3").unwrap_err();
        assert!(err.to_string().contains("ondeck:template"), "{err}");
        assert!(check_run_limits(&run_request(&[], &"t".repeat(256)), "web:3").is_ok());
    }

    #[test]
    fn generated_names_are_valid_and_start_with_the_template() {
        let name = generated_name("Web_Stack");
        assert!(name.starts_with("web-stack-"), "{name}");
        assert!(is_valid_name(&name), "{name}");
        assert!(!is_valid_name("Bad Name"));
        assert!(!is_valid_name("-x"));
        assert!(!is_valid_name(""));
    }

    #[test]
    fn request_env_overrides_template_env() {
        let template = BTreeMap::from([(
            "api".to_string(),
            BTreeMap::from([("A".to_string(), "1".to_string()), ("B".into(), "2".into())]),
        )]);
        let request = BTreeMap::from([(
            "api".to_string(),
            BTreeMap::from([("B".to_string(), "3".to_string())]),
        )]);
        let merged = merged_env(&template, &request);
        assert_eq!(merged["api"]["A"], "1");
        assert_eq!(merged["api"]["B"], "3");
    }
}
