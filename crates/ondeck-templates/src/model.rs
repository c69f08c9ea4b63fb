//! The task definition ondeck registers for a template, as plain data.
//!
//! Everything that reaches RegisterTaskDefinition is a field here, and nothing else is: the
//! content hash and the diff are computed from this value, so a field missing here would be a
//! change that registers nothing, and an extra one a change that registers for no reason.
//! Collections are ordered (containers by name, maps by key, ports sorted) so that two
//! templates that say the same thing in a different order are equal.

use std::collections::BTreeMap;

use ondeck_core::config::{Profile, Template};
use serde::Serialize;

use crate::size::TaskSize;

/// Fargate tasks only run with their own network interface.
pub const NETWORK_MODE: &str = "awsvpc";
/// The launch type every ondeck task definition is registered for.
pub const REQUIRES_COMPATIBILITIES: &str = "FARGATE";

/// Where a template's task definition is registered and how its containers log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateContext {
    pub profile: String,
    pub template: String,
    pub region: String,
    /// The awslogs group ondeck names and creates if missing.
    pub log_group: String,
    /// awslogs streams are `<prefix>/<container>/<task-id>`.
    pub stream_prefix: String,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
}

impl TemplateContext {
    /// `template` of `profile`: registered under the profile's name, with its roles and logs.
    pub fn new(profile: &Profile, template: &Template) -> TemplateContext {
        TemplateContext {
            profile: profile.name.clone(),
            template: template.name.clone(),
            region: profile.region.clone(),
            log_group: profile.log_group.clone(),
            stream_prefix: profile.log_stream_prefix.clone(),
            execution_role_arn: profile.execution_role_arn.clone(),
            task_role_arn: profile.task_role_arn.clone(),
        }
    }

    /// `ondeck-<profile>-<template>`.
    pub fn family(&self) -> String {
        format!("ondeck-{}-{}", self.profile, self.template)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinition {
    pub family: String,
    #[serde(flatten)]
    pub size: TaskSize,
    /// `None`: Fargate's default, X86_64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_architecture: Option<CpuArchitecture>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_role_arn: Option<String>,
    /// Sorted by name; names are unique.
    pub containers: Vec<Container>,
}

impl TaskDefinition {
    pub fn container(&self, name: &str) -> Option<&Container> {
        self.containers
            .iter()
            .find(|container| container.name == name)
    }

    /// The same content with its lists in their one order: containers by name, ports and
    /// capabilities sorted without duplicates. Lists whose order means something (command,
    /// entry point, health-check command) are left as they are.
    pub fn normalized(mut self) -> TaskDefinition {
        self.containers.sort_by(|a, b| a.name.cmp(&b.name));
        for container in &mut self.containers {
            for list in [
                &mut container.capabilities_add,
                &mut container.capabilities_drop,
            ] {
                list.sort();
                list.dedup();
            }
            container.port_mappings.sort();
            container.port_mappings.dedup();
        }
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CpuArchitecture {
    X86_64,
    Arm64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    pub name: String,
    pub image: String,
    pub essential: bool,
    /// CPU units reserved for this container; `None`: it shares the task's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    /// Hard limit, MiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<u32>,
    /// Soft limit, MiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_reservation: Option<u32>,
    /// Sorted, no duplicates. On awsvpc the host port is the container port.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub port_mappings: Vec<PortMapping>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    /// Variable name → `valueFrom` (a Secrets Manager or SSM Parameter Store ARN or name).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Container name → the state it must reach before this one starts.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub depends_on: BTreeMap<String, DependencyCondition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<String>,
    /// Seconds between SIGTERM and SIGKILL (Fargate: at most 120).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<u32>,
    #[serde(skip_serializing_if = "is_false")]
    pub readonly_root_filesystem: bool,
    /// Runs an init process as PID 1 (compose `init: true`).
    #[serde(skip_serializing_if = "is_false")]
    pub init_process_enabled: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub pseudo_terminal: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub interactive: bool,
    /// Linux capabilities to add (Fargate allows only SYS_PTRACE) and drop; sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capabilities_add: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capabilities_drop: Vec<String>,
    pub log_configuration: LogConfiguration,
}

fn is_false(value: &bool) -> bool {
    !value
}

impl Container {
    /// A container with ECS's defaults: essential, nothing else set.
    pub fn new(name: &str, image: &str, log_configuration: LogConfiguration) -> Container {
        Container {
            name: name.to_string(),
            image: image.to_string(),
            essential: true,
            cpu: None,
            memory: None,
            memory_reservation: None,
            port_mappings: Vec::new(),
            environment: BTreeMap::new(),
            secrets: BTreeMap::new(),
            entry_point: None,
            command: None,
            depends_on: BTreeMap::new(),
            health_check: None,
            user: None,
            working_directory: None,
            stop_timeout: None,
            readonly_root_filesystem: false,
            init_process_enabled: false,
            pseudo_terminal: false,
            interactive: false,
            capabilities_add: Vec::new(),
            capabilities_drop: Vec::new(),
            log_configuration,
        }
    }

    /// Memory this container holds back from the task: the soft limit, else the hard one.
    pub fn reserved_memory(&self) -> Option<u32> {
        self.memory_reservation.or(self.memory)
    }
}

/// A Linux capability as ECS names it: `cap_sys_ptrace` and `SYS_PTRACE` are `SYS_PTRACE`.
pub fn capability_name(text: &str) -> String {
    let upper = text.trim().to_ascii_uppercase();
    upper
        .strip_prefix("CAP_")
        .map_or(upper.clone(), str::to_string)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortMapping {
    pub container_port: u16,
    pub protocol: Protocol,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
}

/// ECS `dependsOn` conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DependencyCondition {
    /// The dependency has started.
    Start,
    /// The dependency ran to completion (any exit code).
    Complete,
    /// The dependency exited with 0.
    Success,
    /// The dependency's health check passed.
    Healthy,
}

impl DependencyCondition {
    pub const NAMES: [&'static str; 4] = ["START", "COMPLETE", "SUCCESS", "HEALTHY"];

    pub fn from_name(name: &str) -> Option<DependencyCondition> {
        match name.to_ascii_uppercase().as_str() {
            "START" => Some(DependencyCondition::Start),
            "COMPLETE" => Some(DependencyCondition::Complete),
            "SUCCESS" => Some(DependencyCondition::Success),
            "HEALTHY" => Some(DependencyCondition::Healthy),
            _ => None,
        }
    }

    /// ECS refuses COMPLETE and SUCCESS on an essential container: it must be allowed to exit.
    pub fn needs_non_essential_target(self) -> bool {
        matches!(
            self,
            DependencyCondition::Complete | DependencyCondition::Success
        )
    }
}

/// ECS container health check. Times are whole seconds; ECS's defaults are filled in so that
/// "unset" and "set to the default" are the same registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheck {
    /// `["CMD-SHELL", "<shell line>"]` or `["CMD", "<program>", "<arg>"…]`.
    pub command: Vec<String>,
    pub interval: u32,
    pub timeout: u32,
    pub retries: u32,
    pub start_period: u32,
}

impl HealthCheck {
    pub const DEFAULT_INTERVAL: u32 = 30;
    pub const DEFAULT_TIMEOUT: u32 = 5;
    pub const DEFAULT_RETRIES: u32 = 3;
    pub const DEFAULT_START_PERIOD: u32 = 0;
    pub const INTERVAL_RANGE: std::ops::RangeInclusive<u32> = 5..=300;
    pub const TIMEOUT_RANGE: std::ops::RangeInclusive<u32> = 2..=120;
    pub const RETRIES_RANGE: std::ops::RangeInclusive<u32> = 1..=10;
    pub const START_PERIOD_RANGE: std::ops::RangeInclusive<u32> = 0..=300;

    /// A shell command line run with `/bin/sh -c`, with ECS's default timings.
    pub fn shell(line: &str) -> HealthCheck {
        HealthCheck::with_command(vec!["CMD-SHELL".to_string(), line.to_string()])
    }

    /// A program and its arguments run without a shell, with ECS's default timings.
    pub fn exec(argv: Vec<String>) -> HealthCheck {
        let mut command = vec!["CMD".to_string()];
        command.extend(argv);
        HealthCheck::with_command(command)
    }

    fn with_command(command: Vec<String>) -> HealthCheck {
        HealthCheck {
            command,
            interval: HealthCheck::DEFAULT_INTERVAL,
            timeout: HealthCheck::DEFAULT_TIMEOUT,
            retries: HealthCheck::DEFAULT_RETRIES,
            start_period: HealthCheck::DEFAULT_START_PERIOD,
        }
    }
}

/// awslogs: the only log driver ondeck registers, so that every container's logs can be found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct LogConfiguration {
    pub awslogs_group: String,
    pub awslogs_region: String,
    pub awslogs_stream_prefix: String,
}

impl LogConfiguration {
    pub fn for_context(context: &TemplateContext) -> LogConfiguration {
        LogConfiguration {
            awslogs_group: context.log_group.clone(),
            awslogs_region: context.region.clone(),
            awslogs_stream_prefix: context.stream_prefix.clone(),
        }
    }
}
