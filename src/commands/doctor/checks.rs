//! Each check of `ondeck doctor`: what it asks AWS (or the machine) and the line it gives.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use ondeck_aws::{CallerIdentity, DefinitionInfo, Inspect};
use ondeck_core::CloudError;
use ondeck_core::config::{Config, Profile, Template, TemplateSource};
use ondeck_engine::templates::template_task_definition;

use super::Check;

/// No check waits longer than this, whatever the SDK's own retries do.
const CHECK_LIMIT: Duration = Duration::from_secs(60);
/// The smallest terminal the dashboard is laid out for.
const MIN_COLUMNS: u16 = 50;
const MIN_ROWS: u16 = 15;
const TASK_ROLE_NEEDS: &str = "ssmmessages:CreateControlChannel, CreateDataChannel, \
                               OpenControlChannel and OpenDataChannel \
                               (assets/task-role-policy.json)";

/// `call`, or a timeout error once [`CHECK_LIMIT`] has passed.
async fn bounded<T>(
    action: &str,
    call: impl Future<Output = Result<T, CloudError>>,
) -> Result<T, CloudError> {
    tokio::time::timeout(CHECK_LIMIT, call)
        .await
        .unwrap_or_else(|_elapsed| {
            Err(CloudError::Timeout {
                action: action.to_string(),
            })
        })
}

pub(super) async fn credentials(
    inspector: &dyn Inspect,
    profile: &Profile,
) -> (Check, Result<CallerIdentity, CloudError>) {
    let answer = bounded("sts:GetCallerIdentity", inspector.caller_identity()).await;
    let check = match &answer {
        Ok(identity) => Check::pass(
            "credentials",
            format!("{} (account {})", identity.arn, identity.account),
        ),
        Err(err) => Check::fail(
            "credentials",
            err.to_string(),
            match &profile.aws_profile {
                Some(name) => format!(
                    "refresh the credentials of AWS profile `{name}` (`aws sso login --profile {name}`)"
                ),
                None => "give ondeck credentials: AWS_PROFILE, `aws sso login`, environment \
                         keys or an instance role"
                    .into(),
            },
        ),
    };
    (check, answer)
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-5`.
fn region_shaped(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|last| last.chars().all(|c| c.is_ascii_digit()))
}

pub(super) fn region(profile: &Profile, identity: &Result<CallerIdentity, CloudError>) -> Check {
    let fix = format!(
        "set `region` of profile `{}` to the cluster's region, e.g. us-east-1",
        profile.name
    );
    if !region_shaped(&profile.region) {
        return Check::fail(
            "region",
            format!("`{}` is not an AWS region name", profile.region),
            fix,
        );
    }
    match identity {
        Err(CloudError::Unreachable { .. }) => Check::fail(
            "region",
            format!("no AWS endpoint answered in {}", profile.region),
            fix,
        ),
        _ => {
            let via = profile
                .endpoint_url
                .as_deref()
                .map(|url| format!(" via {url}"))
                .unwrap_or_default();
            Check::pass("region", format!("{}{via}", profile.region))
        }
    }
}

pub(super) async fn cluster(inspector: &dyn Inspect, profile: &Profile) -> Check {
    let name = &profile.cluster;
    let region = &profile.region;
    let found = match bounded("ecs:DescribeClusters", inspector.describe_cluster(name)).await {
        Ok(found) => found,
        Err(err) => {
            return Check::fail(
                "cluster",
                err.to_string(),
                format!("check `cluster` of profile `{}`", profile.name),
            );
        }
    };
    let Some(cluster) = found.filter(|cluster| cluster.status != "INACTIVE") else {
        return Check::fail(
            "cluster",
            format!("cluster `{name}` not found in {region}"),
            format!(
                "create it (`aws ecs create-cluster --cluster-name {name} --capacity-providers \
                 FARGATE FARGATE_SPOT --region {region}`) or fix `cluster` of profile `{}`",
                profile.name
            ),
        );
    };
    if cluster.status != "ACTIVE" {
        return Check::fail(
            "cluster",
            format!("cluster `{name}` is {}, not ACTIVE", cluster.status),
            "wait until it is ACTIVE, or use another cluster".to_string(),
        );
    }
    let providers = &cluster.capacity_providers;
    let spot: Vec<&str> = profile
        .templates
        .values()
        .filter(|template| template.spot)
        .map(|template| template.name.as_str())
        .collect();
    if !spot.is_empty() && !providers.iter().any(|p| p == "FARGATE_SPOT") {
        return Check::fail(
            "cluster",
            format!(
                "cluster `{name}` has no FARGATE_SPOT capacity provider, which spot templates \
                 ({}) launch on",
                spot.join(", ")
            ),
            format!(
                "`aws ecs put-cluster-capacity-providers --cluster {name} --capacity-providers \
                 FARGATE FARGATE_SPOT --default-capacity-provider-strategy \
                 capacityProvider=FARGATE,weight=1 --region {region}`"
            ),
        );
    }
    let capacity = if providers.is_empty() {
        "no capacity providers; launches use the FARGATE launch type".to_string()
    } else {
        format!("capacity providers {}", providers.join(", "))
    };
    Check::pass("cluster", format!("{name} ACTIVE, {capacity}"))
}

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

/// The profile's subnets, then its security groups, which must share the subnets' VPC.
pub(super) async fn network(inspector: &dyn Inspect, profile: &Profile) -> Vec<Check> {
    let fix_key = |key: &str| {
        format!(
            "fix `{key}` of profile `{}` (`aws ec2 describe-{} --region {}` lists them)",
            profile.name,
            key.replace('_', "-"),
            profile.region
        )
    };
    let mut vpcs = BTreeSet::new();
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for id in &profile.subnets {
        match bounded("ec2:DescribeSubnets", inspector.subnet(id)).await {
            Ok(Some(subnet)) => {
                vpcs.insert(subnet.vpc_id.clone());
                found.push(format!(
                    "{} ({}, {})",
                    subnet.id, subnet.availability_zone, subnet.vpc_id
                ));
            }
            Ok(None) => missing.push(id.clone()),
            Err(err) => {
                return vec![Check::fail("subnets", err.to_string(), fix_key("subnets"))];
            }
        }
    }
    let subnets = if missing.is_empty() {
        Check::pass("subnets", found.join(", "))
    } else {
        Check::fail(
            "subnets",
            format!("{} not found in {}", missing.join(", "), profile.region),
            fix_key("subnets"),
        )
    };
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for id in &profile.security_groups {
        match bounded("ec2:DescribeSecurityGroups", inspector.security_group(id)).await {
            Ok(Some(group)) if !vpcs.is_empty() && !vpcs.contains(&group.vpc_id) => {
                problems.push(format!("{id} is in {}, the subnets are not", group.vpc_id))
            }
            Ok(Some(group)) => {
                found.push(format!("{} ({}, {})", group.id, group.name, group.vpc_id))
            }
            Ok(None) => problems.push(format!("{id} not found in {}", profile.region)),
            Err(err) => {
                return vec![
                    subnets,
                    Check::fail(
                        "security groups",
                        err.to_string(),
                        fix_key("security_groups"),
                    ),
                ];
            }
        }
    }
    let groups = if problems.is_empty() {
        Check::pass("security groups", found.join(", "))
    } else {
        Check::fail(
            "security groups",
            problems.join("; "),
            fix_key("security_groups"),
        )
    };
    vec![subnets, groups]
}

pub(super) fn state_dir(dir: &Path) -> Check {
    let probe = dir.join(".doctor-probe");
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b"ondeck"))
        .and_then(|()| std::fs::remove_file(&probe));
    match written {
        Ok(()) => Check::pass("state directory", format!("{} is writable", dir.display())),
        Err(err) => Check::fail(
            "state directory",
            format!("cannot write in {} ({err})", dir.display()),
            "make it writable by you (it may be left over from `sudo ondeck`), or point \
             ONDECK_STATE_DIR elsewhere"
                .to_string(),
        ),
    }
}

/// Colours and size, when stdout is a terminal (a script's pipe has neither).
pub(super) fn terminal() -> Option<Check> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let term = std::env::var("TERM").unwrap_or_default();
    if term.is_empty() || term == "dumb" {
        return Some(Check::fail(
            "terminal",
            format!("TERM is `{term}`: the dashboard cannot draw"),
            "set TERM to your terminal's type, e.g. xterm-256color".to_string(),
        ));
    }
    let colours = if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        "no colours (NO_COLOR)"
    } else if std::env::var("COLORTERM").is_ok_and(|value| value == "truecolor" || value == "24bit")
    {
        "24-bit colour"
    } else if term.contains("256color") {
        "256 colours"
    } else {
        "basic colours"
    };
    Some(match crossterm::terminal::size() {
        Ok((columns, rows)) if columns < MIN_COLUMNS || rows < MIN_ROWS => Check::fail(
            "terminal",
            format!(
                "{term}, {colours}, {columns}x{rows}: smaller than the dashboard's {MIN_COLUMNS}x{MIN_ROWS}"
            ),
            "enlarge the window".to_string(),
        ),
        Ok((columns, rows)) => {
            Check::pass("terminal", format!("{term}, {colours}, {columns}x{rows}"))
        }
        Err(err) => Check::fail(
            "terminal",
            format!("{term}, {colours}, size unknown ({err})"),
            "run ondeck in a terminal emulator".to_string(),
        ),
    })
}

#[cfg(test)]
mod tests;
