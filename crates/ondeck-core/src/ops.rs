//! What the operations on instances take and give — requests, answers, errors — and the rules
//! they share: which instance a name means, the winner of two launches of one name, RunTask's
//! limits, env overrides, endpoints. The operations themselves, which talk to AWS, are in
//! `ondeck-engine`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Duration, Utc};

use crate::error::CloudError;
use crate::instances::Instance;
use crate::instances::identity::{InstanceId, InstanceRef};
use crate::model::{RunFailure, RunRequest, Service, Task, TaskDefinition, TaskState, limits};

pub mod connect;
mod env;
pub use env::parse_env;

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
    /// Not something this instance or template can do: what, why, and what to do instead.
    Refused(String),
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
                    write!(
                        f,
                        " — stopped the {} that did start",
                        crate::format::count(*rolled_back, "task")
                    )?;
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
                 first; this one stopped its {} — `ondeck list` shows the one that stays",
                crate::format::count(*rolled_back, "task")
            ),
            OpsError::LaunchUnconfirmed { name, detail } => write!(
                f,
                "started `{name}` but could not check that no other launch of that name came \
                 first ({detail}); run the same launch again to finish it — no second instance \
                 will start"
            ),
            OpsError::TooLarge(detail) | OpsError::Refused(detail) => f.write_str(detail),
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

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LaunchRequest {
    pub template: String,
    pub name: Option<String>,
    /// container → variable → value; added to (and overriding) the template's env.
    pub env: BTreeMap<String, BTreeMap<String, String>>,
    /// Overrides the template's ttl.
    pub ttl: Option<Duration>,
    /// Overrides the template's `spot`.
    pub spot: Option<bool>,
}

/// What a destroy asked of ECS (both 0: it was already on its way down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Destroyed {
    pub tasks_stopped: usize,
    pub services_deleted: usize,
}

impl Destroyed {
    pub fn is_nothing(&self) -> bool {
        self.tasks_stopped == 0 && self.services_deleted == 0
    }

    /// "deleted 1 service", "asked 2 tasks to stop", or both.
    pub fn summary(&self) -> String {
        use crate::format::count;
        let services = (self.services_deleted > 0)
            .then(|| format!("deleted {}", count(self.services_deleted, "service")));
        let tasks = (self.tasks_stopped > 0)
            .then(|| format!("asked {} to stop", count(self.tasks_stopped, "task")));
        match (services, tasks) {
            (Some(services), Some(tasks)) => format!("{services} and {tasks}"),
            (Some(one), None) | (None, Some(one)) => one,
            (None, None) => "nothing left to stop".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Launched {
    pub id: InstanceId,
    pub tasks: Vec<Task>,
    /// The services of a service-backed launch (their tasks come later).
    pub services: Vec<Service>,
    /// Failures RunTask reported (verbatim) for a launch that still started every task after a retry.
    pub failures: Vec<RunFailure>,
    /// The launch resumed an interrupted earlier attempt instead of starting anew.
    pub recovered: bool,
    /// Why shells and forwards will not work in it, found before RunTask.
    pub exec_warnings: Vec<connect::ExecWarning>,
}

/// Why `me` may not relaunch `instance`: a relaunch launches as `me`, so another owner's
/// instance would come back as mine under their name.
pub fn relaunch_refused(instance: &Instance, me: &str) -> Option<OpsError> {
    let owner = &instance.owner;
    (!instance.is_owned_by(me)).then(|| {
        OpsError::Refused(format!(
            "{} is {owner}'s: a relaunch launches as you ({me}), so it would come back as yours; \
             ask {owner} to relaunch it, or destroy it with --all-owners and launch your own",
            instance.name
        ))
    })
}

/// Why env overrides cannot go with a service-backed template, and what to do instead.
pub fn no_env_for_services(template: &str) -> OpsError {
    OpsError::Refused(format!(
        "template `{template}` runs as ECS services (kind = \"service\"), which take no \
         per-launch environment overrides; launch it without env, or put the variables in its \
         containers' environment"
    ))
}

pub fn generated_name(template: &str) -> String {
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

/// Of several live launches of one name, the one that stays: the one ECS created first, then
/// the smaller token. A launch that looked and saw no other was created before any it missed,
/// so every launch that looks reaches the same verdict. Unknown times count as last.
pub fn first_launch<'a>(
    launches: impl Iterator<Item = (Option<DateTime<Utc>>, &'a str)>,
) -> &'a str {
    launches
        .min_by_key(|(created_at, token)| (created_at.unwrap_or(DateTime::<Utc>::MAX_UTC), *token))
        .map(|(_, token)| token)
        .unwrap_or_default()
}

/// RunTask's own limits, checked before the first call so that nothing starts half-way. Each
/// call starts one task, well within its ten.
pub fn check_run_limits(request: &RunRequest, definition: &str) -> Result<(), OpsError> {
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

/// Every container `env` names is one of the template's `containers`, else the error that
/// names it and the ones there are.
pub fn check_env_containers(
    template: &str,
    env: &BTreeMap<String, BTreeMap<String, String>>,
    containers: &[String],
) -> Result<(), OpsError> {
    match env.keys().find(|container| !containers.contains(container)) {
        Some(container) => Err(OpsError::UnknownContainer {
            container: container.clone(),
            template: template.to_string(),
            known: containers.to_vec(),
        }),
        None => Ok(()),
    }
}

pub fn merged_env(
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
mod tests;
