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
use crate::model::{RunFailure, RunRequest, Task, TaskDefinition, TaskState, limits};

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
mod tests {
    use super::*;
    use crate::fixtures::{instance, task};
    use crate::instances::identity::is_valid_name;
    use crate::instances::owner_key;
    use crate::model::{NetworkConfig, tags};

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
        let at = |minute| Some(crate::fixtures::at(10, minute));
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
