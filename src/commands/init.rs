//! `ondeck init`: a commented starter config where ondeck reads it, never over an existing
//! file. On a terminal it asks for what the flags leave out, offering what the account has:
//! clusters, the networking of something already running there, task definition families.

mod prompt;
mod starter;

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use ondeck_aws::{Inspect, NetworkSample, SdkInspector, default_region};
use ondeck_core::CloudError;
use ondeck_core::config::{self, login_name};
use ondeck_core::instances::owner_from_login;
use ondeck_core::logs::sanitize::printable;

use super::Failure;
use super::output::emit;
use crate::cli::{GlobalArgs, InitArgs};
use prompt::{Cancelled, Prompter};
use starter::{Answers, TemplateSource, starter_config};

/// The profile's name when --profile gives none.
const DEFAULT_PROFILE: &str = "dev";
/// A question that lists what the account has never waits longer than this for it.
const LOOKUP_LIMIT: Duration = Duration::from_secs(30);

pub(super) async fn init(global: &GlobalArgs, args: &InitArgs) -> Result<(), Failure> {
    let path = config::resolve_path(global.config.as_deref());
    if path.exists() {
        return Err(Failure::Usage(format!(
            "{} already exists and ondeck init never overwrites a file; edit it (`ondeck doctor` \
             checks it), move it away, or write elsewhere with --config PATH",
            path.display()
        )));
    }
    let profile = global
        .profile
        .clone()
        .unwrap_or_else(|| DEFAULT_PROFILE.to_string());
    let complete =
        args.cluster.is_some() && !args.subnets.is_empty() && !args.security_groups.is_empty();
    let interactive =
        !complete && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let answers = if interactive {
        let stdin = std::io::stdin().lock();
        let mut prompter = Prompter::new(stdin, std::io::stdout());
        ask(&mut prompter, &path, profile, args)
            .await
            .map_err(|Cancelled| Failure::Usage("init cancelled; nothing written".into()))?
    } else {
        from_flags(profile, args).await?
    };
    let text = starter_config(&answers);
    // What `config check` reads, checked before anything is written.
    config::parse(&path, &text)?;
    write_new(&path, &text)?;
    let config_flag = if global.config.is_some() {
        format!(" --config {}", path.display())
    } else {
        String::new()
    };
    let launch = answers
        .template
        .as_ref()
        .map(|source| {
            format!(
                ", then `ondeck{config_flag} launch {}`",
                source.template_name()
            )
        })
        .unwrap_or_default();
    emit(&format!(
        "wrote {}\nnext: `ondeck{config_flag} doctor`{launch}\n",
        path.display()
    ));
    Ok(())
}

/// Create `path` (and its directory); an existing file is never replaced, even one that
/// appeared since the check above.
fn write_new(path: &Path, text: &str) -> Result<(), Failure> {
    let failed = |err: std::io::Error| {
        Failure::Failed(format!(
            "cannot write {} ({err}); choose another place with --config PATH",
            path.display()
        ))
    };
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(failed)?;
    file.write_all(text.as_bytes()).map_err(failed)
}

fn default_owner() -> String {
    owner_from_login(&login_name().unwrap_or_else(|| "me".into()))
}

async fn region_or_default(args: &InitArgs) -> Option<String> {
    match &args.region {
        Some(region) => Some(region.clone()),
        None => default_region(args.aws_profile.as_deref()).await,
    }
}

/// Everything from the flags: a script's `ondeck init`.
async fn from_flags(profile: String, args: &InitArgs) -> Result<Answers, Failure> {
    let region = region_or_default(args).await;
    let mut missing = Vec::new();
    if region.is_none() {
        missing.push("--region (no AWS_REGION or profile region is set)");
    }
    if args.cluster.is_none() {
        missing.push("--cluster");
    }
    if args.subnets.is_empty() {
        missing.push("--subnet");
    }
    if args.security_groups.is_empty() {
        missing.push("--security-group");
    }
    if !missing.is_empty() {
        return Err(Failure::Usage(format!(
            "ondeck init without a terminal needs {}; or run it in a terminal to be asked",
            missing.join(", ")
        )));
    }
    Ok(Answers {
        profile,
        aws_profile: args.aws_profile.clone(),
        region: region.expect("checked above"),
        endpoint_url: args.endpoint_url.clone(),
        cluster: args.cluster.clone().expect("checked above"),
        owner: args.owner.clone().unwrap_or_else(default_owner),
        subnets: args.subnets.clone(),
        security_groups: args.security_groups.clone(),
        assign_public_ip: false,
        template: args.template_from.as_deref().map(TemplateSource::parse),
    })
}

/// A lookup for a question, bounded; a failure is said and the question asked without it.
async fn lookup<T, R, W>(
    prompter: &mut Prompter<R, W>,
    what: &str,
    call: impl Future<Output = Result<T, CloudError>>,
) -> Result<Option<T>, Cancelled>
where
    R: std::io::BufRead,
    W: Write,
{
    let outcome = tokio::time::timeout(LOOKUP_LIMIT, call)
        .await
        .unwrap_or_else(|_elapsed| {
            Err(CloudError::Timeout {
                action: what.to_string(),
            })
        });
    match outcome {
        Ok(found) => Ok(Some(found)),
        Err(err) => {
            prompter.say(&printable(&format!("(could not list {what}: {err})")))?;
            Ok(None)
        }
    }
}

async fn ask<R: std::io::BufRead, W: Write>(
    prompter: &mut Prompter<R, W>,
    path: &Path,
    profile: String,
    args: &InitArgs,
) -> Result<Answers, Cancelled> {
    prompter.say(&format!(
        "A starter config for {} (profile {profile}). Enter takes the answer in brackets.",
        path.display()
    ))?;
    let region = match &args.region {
        Some(region) => region.clone(),
        None => {
            let default = default_region(args.aws_profile.as_deref()).await;
            prompter.ask("AWS region", default.as_deref())?
        }
    };
    let inspector = SdkInspector::connect(
        &region,
        args.aws_profile.as_deref(),
        args.endpoint_url.as_deref(),
    )
    .await;
    let cluster = match &args.cluster {
        Some(cluster) => cluster.clone(),
        None => ask_cluster(prompter, &inspector, &region).await?,
    };
    let sample = lookup(
        prompter,
        "the cluster's services and tasks",
        inspector.cluster_network(&cluster),
    )
    .await?
    .flatten();
    if let Some(NetworkSample {
        source,
        subnets,
        security_groups,
        ..
    }) = &sample
    {
        prompter.say(&printable(&format!(
            "{source} runs in {} with {}",
            subnets.join(", "),
            security_groups.join(", ")
        )))?;
    }
    let subnets = if args.subnets.is_empty() {
        let default = sample
            .as_ref()
            .map(|s| s.subnets.clone())
            .unwrap_or_default();
        prompter.ask_list("Subnets (comma-separated)", &default)?
    } else {
        args.subnets.clone()
    };
    let security_groups = if args.security_groups.is_empty() {
        let default = sample
            .as_ref()
            .map(|s| s.security_groups.clone())
            .unwrap_or_default();
        prompter.ask_list("Security groups (comma-separated)", &default)?
    } else {
        args.security_groups.clone()
    };
    let assign_public_ip = prompter.confirm(
        "Give each task a public IP (public subnets without a NAT gateway)?",
        sample.as_ref().is_some_and(|s| s.assign_public_ip),
    )?;
    let owner = match &args.owner {
        Some(owner) => owner.clone(),
        None => prompter.ask("Owner of your instances", Some(&default_owner()))?,
    };
    let template = match &args.template_from {
        Some(source) => Some(TemplateSource::parse(source)),
        None => ask_template(prompter, &inspector).await?,
    };
    Ok(Answers {
        profile,
        aws_profile: args.aws_profile.clone(),
        region,
        endpoint_url: args.endpoint_url.clone(),
        cluster,
        owner,
        subnets,
        security_groups,
        assign_public_ip,
        template,
    })
}

async fn ask_cluster<R: std::io::BufRead, W: Write>(
    prompter: &mut Prompter<R, W>,
    inspector: &SdkInspector,
    region: &str,
) -> Result<String, Cancelled> {
    let arns = lookup(prompter, "clusters", inspector.list_clusters())
        .await?
        .unwrap_or_default();
    let mut names: Vec<String> = arns
        .iter()
        .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_string())
        .collect();
    names.sort();
    if names.is_empty() {
        prompter.say(&format!(
            "No cluster in {region} yet; create one with `aws ecs create-cluster --cluster-name \
             NAME --capacity-providers FARGATE FARGATE_SPOT --region {region}`."
        ))?;
        return prompter.ask("Cluster name", None);
    }
    prompter.say(&format!("Clusters in {region}:"))?;
    prompter.choose("Cluster (number or name)", &names)
}

async fn ask_template<R: std::io::BufRead, W: Write>(
    prompter: &mut Prompter<R, W>,
    inspector: &SdkInspector,
) -> Result<Option<TemplateSource>, Cancelled> {
    let families = lookup(
        prompter,
        "task definition families",
        inspector.task_definition_families(),
    )
    .await?
    .unwrap_or_default();
    prompter.say(
        "The first template: a task definition family, or the path of a compose file \
         (- for none).",
    )?;
    let answer = if families.is_empty() {
        prompter.ask("Template", Some("-"))?
    } else {
        prompter.choose("Template (number, family or compose file)", &families)?
    };
    Ok((answer != "-").then(|| TemplateSource::parse(&answer)))
}

#[cfg(test)]
mod tests;
