//! TOML profiles: the file format, where it lives, and validation with located messages.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::Duration;
use serde::Deserialize;

mod commands;
mod keys;
mod parse;
pub mod table_keys;

pub use commands::{Command, Context};
pub use keys::{KEY_SPEC_HELP, KeyCode, KeySpec};
pub use parse::{load, parse, parse_with_login, suggest};

/// The whole config file, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub path: PathBuf,
    pub default_profile: Option<String>,
    pub profiles: BTreeMap<String, Profile>,
    /// Key overrides from `[keymap]`: command → key.
    pub keymap: BTreeMap<Command, KeySpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: String,
    pub aws_profile: Option<String>,
    pub region: String,
    pub endpoint_url: Option<String>,
    pub cluster: String,
    /// Resolved: the configured owner or the login name.
    pub owner: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: bool,
    pub templates: BTreeMap<String, Template>,
    /// Seconds between refreshes while something is changing / while all is steady.
    pub refresh_busy_secs: u64,
    pub refresh_steady_secs: u64,
    /// Lines kept per instance in the log pane.
    pub log_buffer_lines: usize,
    /// Fargate price overrides (per vCPU-hour, per GB-hour).
    pub prices: Option<PriceOverride>,
    /// What speaks the Session Manager protocol for shells: the profile's `exec_client`, else
    /// the file's top-level one, else the built-in client.
    pub exec_client: ExecClient,
    /// The roles of the task definitions ondeck registers for container and compose templates.
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
    /// The awslogs group those task definitions log to (created if missing);
    /// `/ondeck/<profile>` unless set.
    pub log_group: String,
    /// awslogs streams are `<prefix>/<container>/<task-id>`; `ondeck` unless set.
    pub log_stream_prefix: String,
}

/// `exec_client = "native" | "plugin"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExecClient {
    /// ondeck's own client, in-process.
    #[default]
    Native,
    /// AWS's `session-manager-plugin`, found on PATH and started directly.
    Plugin,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub name: String,
    pub description: Option<String>,
    /// Where the template's containers come from.
    pub source: TemplateSource,
    /// The task size `(cpu units, memory MiB)` of a container or compose template; `None`:
    /// the smallest Fargate size that holds its containers.
    pub size: Option<(u32, u32)>,
    /// container name → (variable → value)
    pub env: BTreeMap<String, BTreeMap<String, String>>,
    /// Time to live, written as `ttl = "8h"`; becomes an expiry tag at launch.
    pub ttl: Option<Duration>,
    /// Run on FARGATE_SPOT.
    pub spot: bool,
    /// `kind = "task" | "service"`: what each task definition runs as.
    pub kind: TemplateKind,
    /// Launch with ECS Exec (shells and port forwards); absent: on when the task definition
    /// has a task role, which ECS Exec needs.
    pub exec: Option<bool>,
    /// The command a shell runs; `/bin/sh` when absent.
    pub shell: Option<String>,
    /// The container a shell or forward opens in when the instance has several.
    pub exec_container: Option<String>,
    /// Named links shown with the instance's addresses: `{endpoint:CONTAINER:PORT}` becomes
    /// that container's address (or the local end of a forward to it).
    pub links: BTreeMap<String, String>,
}

/// What a launch makes of each task definition of a template.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TemplateKind {
    /// One task (RunTask): when it stops, the instance is over.
    #[default]
    Task,
    /// One ECS service at one task: a task that stops is replaced, and the instance can be
    /// paused (scaled to zero) and resumed.
    Service,
}

impl TemplateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateKind::Task => "task",
            TemplateKind::Service => "service",
        }
    }
}

/// A template's one source of containers.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateSource {
    /// `task_definitions = [...]`: task definitions registered elsewhere, one task each.
    TaskDefinitions(Vec<String>),
    /// `[...containers.NAME]` tables: read from the config file ([`Config::path`]) by
    /// ondeck-templates, which registers them as one task definition.
    Containers,
    /// `compose = "..."`: a compose file's services as one task definition.
    Compose {
        /// Resolved against the config file's folder.
        path: PathBuf,
        /// `compose_profiles`: the compose profiles whose services are included.
        profiles: Vec<String>,
    },
}

impl Template {
    /// The task definitions a `task_definitions` template names; none for the others, whose
    /// task definition ondeck registers itself.
    pub fn task_definitions(&self) -> &[String] {
        match &self.source {
            TemplateSource::TaskDefinitions(names) => names,
            TemplateSource::Containers | TemplateSource::Compose { .. } => &[],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceOverride {
    pub vcpu_hour: f64,
    pub gb_hour: f64,
}

/// A config problem, located in the file, with the fix. Exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(key) = &self.key {
            write!(f, "key `{key}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The config file to read: `--config`, else `ONDECK_CONFIG`, else the platform default
/// (`~/.config/ondeck/config.toml` on Linux).
pub fn resolve_path(cli: Option<&Path>) -> PathBuf {
    if let Some(path) = cli {
        return path.to_path_buf();
    }
    if let Some(path) = std::env::var_os("ONDECK_CONFIG").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    default_path()
}

pub fn default_path() -> PathBuf {
    directories::ProjectDirs::from("", "", "ondeck")
        .map(|dirs| dirs.config_dir().join("config.toml"))
        .unwrap_or_else(|| PathBuf::from("ondeck.toml"))
}

/// A CloudWatch Logs group name: 1 to 512 letters, digits and `. _ - / #`.
pub fn is_log_group_name(name: &str) -> bool {
    let valid_char = |c: char| c.is_ascii_alphanumeric() || "._-/#".contains(c);
    (1..=512).contains(&name.len()) && name.chars().all(valid_char)
}

/// The login name, from `$USER` else `$LOGNAME`: who owns instances when a profile names
/// no `owner`, and in the demo.
pub fn login_name() -> Option<String> {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|login| !login.trim().is_empty())
}

/// Where ondeck keeps its own state (launch intents, timeline journal, its log file).
pub fn state_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ONDECK_STATE_DIR").filter(|p| !p.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("", "", "ondeck")
        .map(|dirs| {
            dirs.state_dir()
                .unwrap_or_else(|| dirs.data_local_dir())
                .to_path_buf()
        })
        .unwrap_or_else(|| std::env::temp_dir().join("ondeck"))
}

impl Config {
    /// The profile named on the command line / `ONDECK_PROFILE`, else `default_profile`,
    /// else the only profile.
    pub fn profile(&self, name: Option<&str>) -> Result<&Profile, ConfigError> {
        let wanted = name
            .map(str::to_string)
            .or_else(|| self.default_profile.clone());
        match wanted {
            Some(name) => self.profiles.get(&name).ok_or_else(|| ConfigError {
                path: self.path.clone(),
                line: None,
                column: None,
                key: Some("profiles".into()),
                message: format!(
                    "profile `{name}` does not exist; known profiles: {}",
                    self.profile_names().join(", ")
                ),
            }),
            None if self.profiles.len() == 1 => Ok(self.profiles.values().next().expect("one")),
            None => Err(ConfigError {
                path: self.path.clone(),
                line: None,
                column: None,
                key: Some("default_profile".into()),
                message: format!(
                    "no profile chosen; pass --profile NAME or set default_profile to one of: {}",
                    self.profile_names().join(", ")
                ),
            }),
        }
    }

    pub fn profile_names(&self) -> Vec<String> {
        self.profiles.keys().cloned().collect()
    }
}
