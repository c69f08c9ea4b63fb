//! The rules a whole task definition must follow, checked once for TOML templates and compose
//! files alike: task size, dependencies, essential containers, ports, limits.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{
    Container, CpuArchitecture, DependencyCondition, HealthCheck, TaskDefinition, TemplateContext,
};
use crate::problem::{Origins, Problem, Severity, has_errors, sorted};
use crate::size::{SizeError, TaskSize, vcpu};

/// ECS allows at most 10 containers in one task definition.
pub const MAX_CONTAINERS: usize = 10;
/// Fargate waits at most 120 s between SIGTERM and SIGKILL.
pub const MAX_STOP_TIMEOUT: u32 = 120;
/// ECS refuses a container memory limit below 6 MiB.
pub const MIN_CONTAINER_MEMORY: u32 = 6;
/// The only capability Fargate lets a container add.
pub const ADDABLE_CAPABILITIES: &[&str] = &["SYS_PTRACE"];

/// What a reader made of its source, before the task-level rules.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// The task size the source asked for; `None`: the smallest that holds the containers.
    pub size: Option<(u32, u32)>,
    pub cpu_architecture: Option<CpuArchitecture>,
    pub containers: Vec<Container>,
    /// Containers whose `essential` the source set explicitly.
    pub explicit_essential: BTreeSet<String>,
}

/// A task definition ready to register, and what the source said that has no effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    pub task_definition: TaskDefinition,
    pub warnings: Vec<Problem>,
}

/// Checks `draft` against ECS's and Fargate's rules. `problems` are the reader's own findings;
/// any error among them or here makes the result an `Err` holding every finding in file order.
pub fn assemble(
    mut draft: Draft,
    context: &TemplateContext,
    origins: &Origins,
    mut problems: Vec<Problem>,
) -> Result<Converted, Vec<Problem>> {
    let mut rules = Rules {
        origins,
        problems: Vec::new(),
    };
    rules.family(&context.family());
    rules.log_group(&context.log_group);
    rules.container_count(draft.containers.len());
    draft.containers.sort_by(|a, b| a.name.cmp(&b.name));
    rules.default_essential(&mut draft.containers, &draft.explicit_essential);
    for container in &draft.containers {
        rules.container(container);
    }
    rules.dependencies(&draft.containers);
    rules.ports(&draft.containers);
    let size = rules.size(draft.size, &draft.containers);
    problems.append(&mut rules.problems);
    let problems = sorted(&origins.file, problems);
    if has_errors(&problems) {
        return Err(problems);
    }
    let Some(size) = size else {
        return Err(problems);
    };
    Ok(Converted {
        task_definition: TaskDefinition {
            family: context.family(),
            size,
            cpu_architecture: draft.cpu_architecture,
            execution_role_arn: context.execution_role_arn.clone(),
            task_role_arn: context.task_role_arn.clone(),
            containers: draft.containers,
        }
        .normalized(),
        warnings: problems,
    })
}

struct Rules<'a> {
    origins: &'a Origins,
    problems: Vec<Problem>,
}

impl Rules<'_> {
    fn error(&mut self, container: Option<&str>, field: &str, message: String) {
        let problem = self
            .origins
            .problem(Severity::Error, container, field, message);
        self.problems.push(problem);
    }

    fn family(&mut self, family: &str) {
        if family.len() > 255 || !family.chars().all(is_name_char) {
            self.error(
                None,
                "",
                format!(
                    "the task definition family `{family}` would not be valid; profile and \
                     template names may use letters, digits, `-` and `_`, up to 255 in all"
                ),
            );
        }
    }

    fn log_group(&mut self, group: &str) {
        if !ondeck_core::config::is_log_group_name(group) {
            self.error(
                None,
                "",
                format!(
                    "the log group `{group}` is not a valid CloudWatch Logs name (letters, \
                     digits and . _ - / #, at most 512)"
                ),
            );
        }
    }

    fn container_count(&mut self, count: usize) {
        if count == 0 {
            self.error(None, "", "defines no containers; add at least one".into());
        } else if count > MAX_CONTAINERS {
            self.error(
                None,
                "",
                format!("defines {count} containers; one ECS task holds at most {MAX_CONTAINERS}"),
            );
        }
    }

    /// ECS runs every container as essential unless told otherwise, but refuses COMPLETE and
    /// SUCCESS dependencies on essential containers: those default to non-essential.
    fn default_essential(&mut self, containers: &mut [Container], explicit: &BTreeSet<String>) {
        let must_exit: BTreeMap<String, String> = containers
            .iter()
            .flat_map(|container| {
                container
                    .depends_on
                    .iter()
                    .filter(|(_, condition)| condition.needs_non_essential_target())
                    .map(|(target, _)| (target.clone(), container.name.clone()))
            })
            .collect();
        for container in containers.iter_mut() {
            let Some(waiter) = must_exit.get(&container.name) else {
                continue;
            };
            if !explicit.contains(&container.name) {
                container.essential = false;
            } else if container.essential {
                let name = container.name.clone();
                self.error(
                    Some(&name),
                    "essential",
                    format!(
                        "is essential, but `{waiter}` waits for it to exit (COMPLETE / SUCCESS), \
                         and ECS stops the task when an essential container exits; remove \
                         `essential` or set it to false"
                    ),
                );
            }
        }
        if !containers.is_empty() && containers.iter().all(|container| !container.essential) {
            self.error(
                None,
                "",
                "no container is essential; ECS needs at least one whose exit ends the task".into(),
            );
        }
    }

    fn container(&mut self, container: &Container) {
        let name = container.name.as_str();
        if name.is_empty() || name.len() > 255 || !name.chars().all(is_name_char) {
            self.error(
                Some(name),
                "",
                format!(
                    "`{name}` is not a valid ECS container name; use letters, digits, `-` and \
                     `_` (at most 255)"
                ),
            );
        }
        if !is_image_reference(&container.image) {
            self.error(
                Some(name),
                "image",
                format!(
                    "`{}` is not an image reference (repository, repository:tag or \
                     repository@digest)",
                    container.image
                ),
            );
        }
        if let Some(memory) = container.memory {
            if memory < MIN_CONTAINER_MEMORY {
                self.error(
                    Some(name),
                    "memory",
                    format!(
                        "{memory} MiB is below ECS's minimum of {MIN_CONTAINER_MEMORY} MiB for a \
                         container"
                    ),
                );
            }
            if let Some(reservation) = container.memory_reservation
                && reservation > memory
            {
                self.error(
                    Some(name),
                    "memory_reservation",
                    format!(
                        "reserves {reservation} MiB, more than its limit of {memory} MiB; lower \
                         the reservation or raise the limit"
                    ),
                );
            }
        }
        if let Some(timeout) = container.stop_timeout
            && timeout > MAX_STOP_TIMEOUT
        {
            self.error(
                Some(name),
                "stop_timeout",
                format!("{timeout}s is longer than Fargate's limit of {MAX_STOP_TIMEOUT}s"),
            );
        }
        if let Some(health) = &container.health_check {
            self.health(name, health);
        }
        for capability in &container.capabilities_add {
            if !ADDABLE_CAPABILITIES.contains(&capability.as_str()) {
                self.error(
                    Some(name),
                    "capabilities_add",
                    format!(
                        "Fargate cannot add the capability {capability}; the only one it allows \
                         is {}",
                        ADDABLE_CAPABILITIES.join(", ")
                    ),
                );
            }
        }
        for variable in container.secrets.keys() {
            if container.environment.contains_key(variable) {
                self.error(
                    Some(name),
                    &format!("secrets.{variable}"),
                    format!("`{variable}` is both a plain variable and a secret; keep one of them"),
                );
            }
        }
    }

    fn health(&mut self, container: &str, health: &HealthCheck) {
        let checks = [
            ("interval", health.interval, HealthCheck::INTERVAL_RANGE),
            ("timeout", health.timeout, HealthCheck::TIMEOUT_RANGE),
            ("retries", health.retries, HealthCheck::RETRIES_RANGE),
            (
                "start_period",
                health.start_period,
                HealthCheck::START_PERIOD_RANGE,
            ),
        ];
        for (field, value, range) in checks {
            if !range.contains(&value) {
                let unit = if field == "retries" { "" } else { "s" };
                self.error(
                    Some(container),
                    &format!("health.{field}"),
                    format!(
                        "health-check {field} {value}{unit} is outside what ECS accepts \
                         ({}{unit}–{}{unit})",
                        range.start(),
                        range.end()
                    ),
                );
            }
        }
    }

    fn dependencies(&mut self, containers: &[Container]) {
        let by_name: BTreeMap<&str, &Container> = containers
            .iter()
            .map(|container| (container.name.as_str(), container))
            .collect();
        for container in containers {
            for (target, condition) in &container.depends_on {
                let field = format!("depends_on.{target}");
                match by_name.get(target.as_str()) {
                    None => {
                        let known: Vec<&str> = by_name.keys().copied().collect();
                        self.error(
                            Some(&container.name),
                            &field,
                            format!(
                                "depends on `{target}`, which is not defined here; defined: {}",
                                known.join(", ")
                            ),
                        );
                    }
                    Some(_) if target == &container.name => {
                        self.error(Some(&container.name), &field, "depends on itself".into())
                    }
                    Some(dependency)
                        if *condition == DependencyCondition::Healthy
                            && dependency.health_check.is_none() =>
                    {
                        self.error(
                            Some(&container.name),
                            &field,
                            format!(
                                "waits for `{target}` to be healthy, but `{target}` has no health \
                                 check; give it one or wait for it to start"
                            ),
                        );
                    }
                    Some(_) => {}
                }
            }
        }
        if let Some(cycle) = dependency_cycle(containers) {
            let first = cycle[0].clone();
            let next = cycle.get(1).cloned().unwrap_or_default();
            self.error(
                Some(&first),
                &format!("depends_on.{next}"),
                format!(
                    "dependencies go round in a circle ({}); no container could start",
                    cycle.join(" → ")
                ),
            );
        }
    }

    fn ports(&mut self, containers: &[Container]) {
        let mut owners: BTreeMap<_, &str> = BTreeMap::new();
        for container in containers {
            for mapping in &container.port_mappings {
                if let Some(owner) = owners.insert(*mapping, &container.name) {
                    self.error(
                        Some(&container.name),
                        "ports",
                        format!(
                            "port {} is also used by `{owner}`; the containers of one task \
                             share one network interface, so each port can be used once",
                            mapping.container_port
                        ),
                    );
                }
            }
        }
    }

    /// The requested size checked against the table, or the smallest one that holds the
    /// containers; then the containers checked to fit in it.
    fn size(
        &mut self,
        requested: Option<(u32, u32)>,
        containers: &[Container],
    ) -> Option<TaskSize> {
        let cpu_sum: u32 = containers
            .iter()
            .filter_map(|container| container.cpu)
            .sum();
        let memory_sum: u32 = containers
            .iter()
            .filter_map(Container::reserved_memory)
            .sum();
        // A container's hard limit must fit in the task even when its reservation is lower.
        let largest_limit = containers
            .iter()
            .filter_map(|container| container.memory)
            .max();
        let memory_needed = memory_sum.max(largest_limit.unwrap_or(0));
        let size = match requested {
            Some((cpu, memory)) => match TaskSize::new(cpu, memory) {
                Ok(size) => size,
                Err(error) => {
                    self.size_error(&error);
                    return None;
                }
            },
            None => match TaskSize::smallest_fitting(cpu_sum, memory_needed) {
                Some(size) => size,
                None => {
                    self.error(
                        None,
                        "",
                        format!(
                            "the containers ask for {} vCPU and {memory_needed} MiB together, \
                             more than the largest Fargate task (16 vCPU, 122880 MiB)",
                            vcpu(cpu_sum)
                        ),
                    );
                    return None;
                }
            },
        };
        if cpu_sum > size.cpu {
            self.error(
                None,
                "cpu",
                format!(
                    "the containers reserve {cpu_sum} CPU units together, more than the task's \
                     {}; raise the task cpu or lower the containers' cpu",
                    size.cpu
                ),
            );
        }
        if memory_sum > size.memory {
            self.error(
                None,
                "memory",
                format!(
                    "the containers reserve {memory_sum} MiB together, more than the task's {} \
                     MiB; raise the task memory or lower the containers' memory",
                    size.memory
                ),
            );
        }
        // Said once: a limit above the task's memory already makes the sum too large.
        let sum_reported = memory_sum > size.memory;
        for container in containers.iter().filter(|_| !sum_reported) {
            if let Some(limit) = container.memory.filter(|limit| *limit > size.memory) {
                self.error(
                    Some(&container.name),
                    "memory",
                    format!(
                        "its memory limit of {limit} MiB is more than the task's {} MiB; raise \
                         the task memory or lower the limit",
                        size.memory
                    ),
                );
            }
        }
        Some(size)
    }

    fn size_error(&mut self, error: &SizeError) {
        self.error(None, "size", error.to_string());
    }
}

/// A loose check that catches what an unset variable or a typo leaves behind (`app:`, `:1`,
/// spaces); the registry has the last word on the rest.
fn is_image_reference(image: &str) -> bool {
    let bad_end = |c: char| c == ':' || c == '@' || c == '/';
    !image.is_empty()
        && !image.contains(char::is_whitespace)
        && !image.starts_with(bad_end)
        && !image.ends_with(bad_end)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// A dependency cycle as container names, first repeated at the end; `None` if there is none.
fn dependency_cycle(containers: &[Container]) -> Option<Vec<String>> {
    let edges: BTreeMap<&str, Vec<&str>> = containers
        .iter()
        .map(|container| {
            (
                container.name.as_str(),
                container.depends_on.keys().map(String::as_str).collect(),
            )
        })
        .collect();
    let mut finished: BTreeSet<&str> = BTreeSet::new();
    for start in edges.keys() {
        let mut path: Vec<&str> = Vec::new();
        if let Some(cycle) = visit(start, &edges, &mut path, &mut finished) {
            return Some(cycle);
        }
    }
    None
}

fn visit<'a>(
    node: &'a str,
    edges: &BTreeMap<&'a str, Vec<&'a str>>,
    path: &mut Vec<&'a str>,
    finished: &mut BTreeSet<&'a str>,
) -> Option<Vec<String>> {
    if let Some(position) = path.iter().position(|seen| *seen == node) {
        let mut cycle: Vec<String> = path[position..]
            .iter()
            .map(|name| name.to_string())
            .collect();
        cycle.push(node.to_string());
        return Some(cycle);
    }
    if finished.contains(node) {
        return None;
    }
    path.push(node);
    for next in edges.get(node).into_iter().flatten() {
        // A container naming itself is reported on its own.
        if edges.contains_key(next)
            && *next != node
            && let Some(cycle) = visit(next, edges, path, finished)
        {
            return Some(cycle);
        }
    }
    path.pop();
    finished.insert(node);
    None
}
