//! `ondeck templates`: each template of the profile with its source, containers, size, $/h,
//! ttl and registered revision; `ondeck templates diff NAME`: what a launch would register.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Failure;
use super::output::{emit, emit_json, render_table};
use ondeck_core::config::{Config, Profile, Template, TemplateSource};
use ondeck_core::format;
use ondeck_core::instances::cost::{Arch, Rates, fargate_rates};
use ondeck_core::instances::expiry::format_remaining;
use ondeck_core::logs::sanitize::printable;
use ondeck_engine::ops::{BuiltDefinition, OpsContext, OpsError};
use ondeck_engine::register::Registration;
use ondeck_engine::templates::template_task_definition;
use ondeck_templates::diff::{diff, render};
use ondeck_templates::model::CpuArchitecture;

/// The task definitions of the profile's container and compose templates, or their problems.
pub(super) fn built_definitions(
    config: &Config,
    profile: &Profile,
) -> BTreeMap<String, Result<BuiltDefinition, String>> {
    profile
        .templates
        .values()
        .filter(|template| !matches!(template.source, TemplateSource::TaskDefinitions(_)))
        .map(|template| {
            let built = template_task_definition(config, profile, template)
                .map(|converted| converted.task_definition)
                .map_err(|problems| {
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                });
            (template.name.clone(), built)
        })
        .collect()
}

/// One template, for the table and `--json`.
#[derive(Debug, Serialize)]
struct TemplateRow {
    name: String,
    /// `task definitions`, `containers` or `compose file`.
    source: String,
    /// `task` or `service`: what each task definition runs as.
    kind: &'static str,
    containers: Vec<String>,
    vcpu: Option<f64>,
    memory_gb: Option<f64>,
    cost_per_hour: Option<f64>,
    ttl: Option<String>,
    /// The registered revision of ondeck's own task definition (none for `task definitions`).
    revision: Option<i32>,
    /// `up to date`, `changed`, `not registered`, or why it cannot be told.
    registration: String,
    /// The revision the next launch registers, when it registers one.
    next_revision: Option<i32>,
}

pub(super) async fn templates(ctx: &OpsContext, json: bool) -> Result<(), Failure> {
    let mut rows = Vec::new();
    for template in ctx.profile.templates.values() {
        rows.push(row(ctx, template).await);
    }
    if json {
        emit_json(serde_json::to_string_pretty(&rows).expect("templates serialize"));
        return Ok(());
    }
    let mut table = vec![
        [
            "TEMPLATE",
            "KIND",
            "SOURCE",
            "CONTAINERS",
            "SIZE",
            "$/H",
            "TTL",
            "REGISTERED",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for row in &rows {
        table.push(vec![
            row.name.clone(),
            row.kind.to_string(),
            row.source.clone(),
            row.containers.join(", "),
            match (row.vcpu, row.memory_gb) {
                (Some(vcpu), Some(gb)) => format!("{vcpu} vCPU, {gb} GB"),
                _ => "?".into(),
            },
            row.cost_per_hour.map_or("?".into(), format::rate),
            row.ttl.clone().unwrap_or_else(|| "-".into()),
            registered_text(row),
        ]);
    }
    emit(&printable_lines(&render_table(&table)));
    Ok(())
}

fn registered_text(row: &TemplateRow) -> String {
    match (row.revision, row.next_revision) {
        (Some(revision), None) => format!("revision {revision}, {}", row.registration),
        (Some(revision), Some(next)) => {
            format!("revision {revision}, changed: next launch registers revision {next}")
        }
        (None, Some(_)) => "not registered".into(),
        (None, None) => row.registration.clone(),
    }
}

async fn row(ctx: &OpsContext, template: &Template) -> TemplateRow {
    let mut row = TemplateRow {
        name: template.name.clone(),
        source: match template.source {
            TemplateSource::TaskDefinitions(_) => "task definitions".into(),
            TemplateSource::Containers => "containers".into(),
            TemplateSource::Compose { .. } => "compose file".into(),
        },
        kind: template.kind.as_str(),
        containers: Vec::new(),
        vcpu: None,
        memory_gb: None,
        cost_per_hour: None,
        ttl: template.ttl.map(format_remaining),
        revision: None,
        registration: "-".into(),
        next_revision: None,
    };
    let Some(found) = ctx.template_registration(&template.name).await else {
        described_elsewhere(ctx, template, &mut row).await;
        return row;
    };
    if let Some(Ok(built)) = ctx.built_definition(&template.name) {
        if template.source == TemplateSource::Containers {
            row.source = format!("{} containers", built.containers.len());
        }
        row.containers = built.containers.iter().map(|c| c.name.clone()).collect();
        let arch = match built.cpu_architecture {
            Some(CpuArchitecture::Arm64) => Arch::Arm64,
            _ => Arch::X86_64,
        };
        let (vcpu, gb) = (
            f64::from(built.size.cpu) / 1024.0,
            f64::from(built.size.memory) / 1024.0,
        );
        row.vcpu = Some(vcpu);
        row.memory_gb = Some(gb);
        row.cost_per_hour = rates(&ctx.profile, arch, template.spot).map(|r| r.per_hour(vcpu, gb));
    }
    match found {
        Ok(found) => {
            row.revision = found.current.as_ref().map(|current| current.revision);
            row.registration = match found.registration {
                Registration::NotRegistered => "not registered".into(),
                Registration::UpToDate { .. } => "up to date".into(),
                Registration::Changed { .. } => "changed".into(),
            };
            if !matches!(found.registration, Registration::UpToDate { .. }) {
                row.next_revision = Some(found.registration.revision_to_run());
            }
        }
        Err(err) => row.registration = err.to_string(),
    }
    row
}

/// A template of task definitions registered elsewhere: their containers and summed size.
async fn described_elsewhere(ctx: &OpsContext, template: &Template, row: &mut TemplateRow) {
    let (mut cpu, mut memory) = (0.0, 0.0);
    let mut arch = Arch::X86_64;
    for name in template.task_definitions() {
        let Ok(definition) = ctx.cloud.describe_task_definition(name).await else {
            row.registration = format!("task definition `{name}` cannot be described");
            return;
        };
        row.containers
            .extend(definition.containers.iter().map(|c| c.name.clone()));
        let number = |text: &Option<String>| {
            text.as_deref()
                .and_then(|t| t.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        cpu += number(&definition.cpu) / 1024.0;
        memory += number(&definition.memory) / 1024.0;
        arch = Arch::of(Some(&definition));
    }
    row.vcpu = Some(cpu);
    row.memory_gb = Some(memory);
    row.cost_per_hour = rates(&ctx.profile, arch, template.spot).map(|r| r.per_hour(cpu, memory));
}

fn rates(profile: &Profile, arch: Arch, spot: bool) -> Option<Rates> {
    profile
        .prices
        .map(Rates::from)
        .or_else(|| fargate_rates(&profile.region, arch, spot))
}

pub(super) async fn templates_diff(ctx: &OpsContext, name: &str) -> Result<(), Failure> {
    let profile = &ctx.profile;
    if !profile.templates.contains_key(name) {
        return Err(OpsError::UnknownTemplate {
            template: name.to_string(),
            profile: profile.name.clone(),
            known: profile.templates.keys().cloned().collect(),
        }
        .into());
    }
    let Some(found) = ctx.template_registration(name).await else {
        return Err(Failure::Usage(format!(
            "template `{name}` names task definitions registered elsewhere; ondeck registers \
             nothing for it, so there is nothing to diff"
        )));
    };
    let found = found?;
    let text = match (&found.registration, &found.current) {
        (Registration::UpToDate { revision }, _) => {
            format!("no change: revision {revision} is current\n")
        }
        (_, Some(current)) => format!(
            "{} revision {} → revision {}:\n{}",
            found.wanted.family,
            current.revision,
            found.registration.revision_to_run(),
            render(&diff(&current.task_definition, found.wanted))
        ),
        (_, None) => format!(
            "{} is not registered; a launch registers revision 1 with {} containers:\n{}",
            found.wanted.family,
            found.wanted.containers.len(),
            found
                .wanted
                .containers
                .iter()
                .map(|container| format!("+ container {} ({})\n", container.name, container.image))
                .collect::<String>()
        ),
    };
    emit(&printable_lines(&text));
    Ok(())
}

/// Each line made safe for a terminal (images, names and values come from the config, compose
/// file and AWS), the line breaks kept.
fn printable_lines(text: &str) -> String {
    text.lines()
        .map(|line| format!("{}\n", printable(line)))
        .collect()
}
