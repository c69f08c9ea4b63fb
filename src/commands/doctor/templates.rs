//! The template checks of `ondeck doctor` and `config check --online`: task definitions that
//! resolve, run on Fargate and log where ondeck finds them; container and compose templates
//! that convert; their log groups; what ECS Exec needs.

use std::collections::{BTreeMap, BTreeSet};

use ondeck_aws::{DefinitionInfo, Inspect};
use ondeck_core::config::{Config, Profile, Template, TemplateSource};
use ondeck_engine::templates::template_task_definition;

use super::Check;
use super::checks::bounded;

const TASK_ROLE_NEEDS: &str = "ssmmessages:CreateControlChannel, CreateDataChannel, \
                               OpenControlChannel and OpenDataChannel \
                               (assets/task-role-policy.json)";

/// A log group the templates' containers write to, and whether ECS may create it.
#[derive(Default)]
struct LogGroupUse {
    created_by_ecs: bool,
    /// A group of ondeck's own task definitions: ondeck creates it before it launches.
    created_by_ondeck: bool,
    templates: BTreeSet<String>,
}

/// Per template: its task definitions resolve, run on Fargate and log where ondeck can find
/// them (or, for container and compose templates, convert into one ondeck registers); then
/// each log group they name; then what shells and forwards need.
pub(super) async fn templates(
    inspector: &dyn Inspect,
    config: &Config,
    profile: &Profile,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut groups: BTreeMap<String, LogGroupUse> = BTreeMap::new();
    let mut exec_checks = Vec::new();
    for template in profile.templates.values() {
        if !matches!(template.source, TemplateSource::TaskDefinitions(_)) {
            checks.push(registered_check(config, profile, template));
            // ondeck's own task definitions log to the profile's group, created at launch.
            let entry = groups.entry(profile.log_group.clone()).or_default();
            entry.templates.insert(template.name.clone());
            entry.created_by_ondeck = true;
            exec_checks.push(profile_role_exec_check(profile, template));
            continue;
        }
        let mut described = Vec::new();
        for name in template.task_definitions() {
            let check_name = format!("template {}: task definition {name}", template.name);
            match bounded(
                "ecs:DescribeTaskDefinition",
                inspector.task_definition(name),
            )
            .await
            {
                Ok(definition) => {
                    checks.push(definition_check(check_name, &definition));
                    for container in &definition.containers {
                        if let Some(group) = container.options.get("awslogs-group") {
                            let entry = groups.entry(group.clone()).or_default();
                            entry.templates.insert(template.name.clone());
                            entry.created_by_ecs |= container
                                .options
                                .get("awslogs-create-group")
                                .is_some_and(|flag| flag.eq_ignore_ascii_case("true"));
                        }
                    }
                    described.push(definition);
                }
                Err(err) => checks.push(Check::fail(
                    check_name,
                    err.to_string(),
                    format!(
                        "register `{name}` in {}, or fix task_definitions of template `{}`",
                        profile.region, template.name
                    ),
                )),
            }
        }
        if described.len() == template.task_definitions().len() {
            exec_checks.push(exec_check(template, &described));
        }
    }
    for (group, usage) in groups {
        checks.push(log_group_check(inspector, profile, &group, &usage).await);
    }
    checks.extend(exec_checks);
    checks
}

/// A container or compose template converts into the task definition ondeck registers.
fn registered_check(config: &Config, profile: &Profile, template: &Template) -> Check {
    let name = format!("template {}", template.name);
    match template_task_definition(config, profile, template) {
        Ok(converted) => {
            let task = &converted.task_definition;
            let containers: Vec<&str> = task.containers.iter().map(|c| c.name.as_str()).collect();
            Check::pass(
                name,
                format!(
                    "registers {} at launch: {}",
                    task.family,
                    containers.join(", ")
                ),
            )
        }
        Err(problems) => Check::fail(
            name,
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            "fix what `ondeck config check` points at".to_string(),
        ),
    }
}

/// ECS Exec for a template ondeck registers: the task role is the profile's task_role_arn.
fn profile_role_exec_check(profile: &Profile, template: &Template) -> Check {
    let name = format!("template {}: exec", template.name);
    match (template.exec, &profile.task_role_arn) {
        (Some(false), _) => Check::pass(name, "off (exec = false)".to_string()),
        (Some(true), None) => Check::fail(
            name,
            "exec = true, but the profile sets no task_role_arn, so ECS Exec cannot start"
                .to_string(),
            format!(
                "set task_role_arn of profile `{}` to a role allowing {TASK_ROLE_NEEDS}, or set \
                 exec = false",
                profile.name
            ),
        ),
        (None, None) => Check::pass(
            name,
            format!(
                "off: the profile sets no task_role_arn; shells and forwards need one allowing \
                 {TASK_ROLE_NEEDS}"
            ),
        ),
        (_, Some(role)) => Check::pass(
            name,
            format!("on: task role {role}; it must allow {TASK_ROLE_NEEDS}"),
        ),
    }
}

fn definition_check(name: String, definition: &DefinitionInfo) -> Check {
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    let fargate = |values: &[String]| values.iter().any(|value| value == "FARGATE");
    if !fargate(&definition.requires_compatibilities) && !fargate(&definition.compatibilities) {
        problems.push("it is not Fargate-compatible".to_string());
        fixes.push("register a revision with requiresCompatibilities [\"FARGATE\"]".to_string());
    }
    let network = definition.network_mode.as_deref().unwrap_or("bridge");
    if network != "awsvpc" {
        problems.push(format!("its network mode is {network}"));
        fixes.push("register a revision with networkMode awsvpc".to_string());
    }
    for container in &definition.containers {
        let who = format!("container {}", container.container);
        match container.log_driver.as_deref() {
            Some("awslogs") => {
                let missing: Vec<&str> = ["awslogs-group", "awslogs-stream-prefix"]
                    .into_iter()
                    .filter(|option| !container.options.contains_key(*option))
                    .collect();
                if !missing.is_empty() {
                    problems.push(format!(
                        "{who} logs with awslogs without {}",
                        missing.join(" and ")
                    ));
                    fixes.push(format!(
                        "set {} in {who}'s logConfiguration, so that ondeck finds its log streams",
                        missing.join(" and ")
                    ));
                }
            }
            other => {
                problems.push(format!(
                    "{who} logs with {}, not awslogs",
                    other.unwrap_or("nothing")
                ));
                fixes.push(format!(
                    "give {who} a logConfiguration with logDriver awslogs, awslogs-group, \
                     awslogs-region and awslogs-stream-prefix"
                ));
            }
        }
    }
    if problems.is_empty() {
        Check::pass(
            name,
            format!(
                "{}: FARGATE, awsvpc, {} container(s) logging to awslogs",
                definition.name,
                definition.containers.len()
            ),
        )
    } else {
        Check::fail(
            name,
            format!("{}: {}", definition.name, problems.join("; ")),
            fixes.join("; "),
        )
    }
}

async fn log_group_check(
    inspector: &dyn Inspect,
    profile: &Profile,
    group: &str,
    usage: &LogGroupUse,
) -> Check {
    let name = format!("log group {group}");
    let users = usage
        .templates
        .iter()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    match bounded("logs:DescribeLogGroups", inspector.log_group_exists(group)).await {
        Ok(true) => Check::pass(name, format!("exists (templates {users})")),
        Ok(false) if usage.created_by_ondeck => Check::pass(
            name,
            "does not exist yet; ondeck creates it at the first launch, which needs \
             logs:CreateLogGroup"
                .to_string(),
        ),
        Ok(false) if usage.created_by_ecs => Check::pass(
            name,
            "does not exist yet; ECS creates it at the first start (awslogs-create-group), \
             which needs logs:CreateLogGroup on the execution role"
                .to_string(),
        ),
        Ok(false) => Check::fail(
            name,
            format!("does not exist in {} (templates {users})", profile.region),
            format!(
                "`aws logs create-log-group --log-group-name {group} --region {}`, or set \
                 awslogs-create-group to \"true\" in the task definition",
                profile.region
            ),
        ),
        Err(err) => Check::fail(
            name,
            err.to_string(),
            "ask for logs:DescribeLogGroups, or check the region".to_string(),
        ),
    }
}

fn exec_check(template: &Template, definitions: &[DefinitionInfo]) -> Check {
    let name = format!("template {}: exec", template.name);
    let without_role: Vec<&str> = definitions
        .iter()
        .filter(|definition| definition.task_role_arn.is_none())
        .map(|definition| definition.name.as_str())
        .collect();
    match template.exec {
        Some(false) => Check::pass(name, "off (exec = false)".to_string()),
        Some(true) if !without_role.is_empty() => Check::fail(
            name,
            format!(
                "exec = true, but {} has no task role, so ECS Exec cannot start",
                without_role.join(", ")
            ),
            format!(
                "give {} a task role allowing {TASK_ROLE_NEEDS}, or set exec = false",
                without_role.join(", ")
            ),
        ),
        None if !without_role.is_empty() => Check::pass(
            name,
            format!(
                "off: {} has no task role; shells and forwards need one allowing {TASK_ROLE_NEEDS}",
                without_role.join(", ")
            ),
        ),
        _ => {
            let roles: BTreeSet<&str> = definitions
                .iter()
                .filter_map(|definition| definition.task_role_arn.as_deref())
                .collect();
            Check::pass(
                name,
                format!(
                    "on: task role {}; it must allow {TASK_ROLE_NEEDS}",
                    roles.into_iter().collect::<Vec<_>>().join(", ")
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests;
