//! What the operations on instances take and give — requests, answers, errors — and the rules
//! they share (instance names, env overrides, endpoints). The operations themselves, which talk
//! to AWS, are in `ondeck-engine`.

use std::collections::BTreeMap;
use std::fmt;

use chrono::Duration;

use crate::error::CloudError;
use crate::instances::Instance;
use crate::model::{RunFailure, Task, TaskDefinition, TaskState};

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
    NotYours {
        name: String,
        owner: String,
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
            OpsError::NotYours { name, owner } => write!(
                f,
                "instance `{name}` belongs to {owner}; ondeck refuses to touch it unless you pass --all-owners"
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
    pub fn find(&self, name: &str) -> Option<&Instance> {
        self.instances.iter().find(|instance| instance.name == name)
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
    pub name: String,
    pub tasks: Vec<Task>,
    /// Failures RunTask reported (verbatim) for a launch that still started every task after a retry.
    pub failures: Vec<RunFailure>,
    /// The launch resumed an interrupted earlier attempt instead of starting anew.
    pub recovered: bool,
}

pub fn is_valid_name(name: &str) -> bool {
    (1..=48).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
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

/// The time to live a template asks for, when it names a valid one.
pub fn template_ttl(template: &crate::config::Template) -> Option<Duration> {
    template
        .ttl
        .as_deref()
        .and_then(|ttl| crate::instances::expiry::parse_ttl(ttl).ok())
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
