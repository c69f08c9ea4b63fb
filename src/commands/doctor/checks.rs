//! Each check of `ondeck doctor`: what it asks AWS (or the machine) and the line it gives.

use std::collections::BTreeSet;
use std::future::Future;
use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use ondeck_aws::{CallerIdentity, Inspect};
use ondeck_core::CloudError;
use ondeck_core::config::Profile;

use super::Check;

/// No check waits longer than this, whatever the SDK's own retries do.
const CHECK_LIMIT: Duration = Duration::from_secs(60);
/// The smallest terminal the dashboard is laid out for.
const MIN_COLUMNS: u16 = 50;
const MIN_ROWS: u16 = 15;

/// `call`, or a timeout error once [`CHECK_LIMIT`] has passed.
pub(super) async fn bounded<T>(
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
