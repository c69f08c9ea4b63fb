//! `ondeck profiles` and `ondeck config check`: what the config file holds.

use std::fmt::Write as _;

use super::output::render_table;
use ondeck_core::config::{Config, Profile, TemplateSource};

pub(super) fn profiles_table(config: &Config) -> String {
    let mut rows = vec![
        ["PROFILE", "REGION", "CLUSTER", "OWNER", "TEMPLATES"]
            .map(String::from)
            .to_vec(),
    ];
    for (name, profile) in &config.profiles {
        let marker = if config.default_profile.as_deref() == Some(name) {
            "*"
        } else {
            ""
        };
        rows.push(vec![
            format!("{name}{marker}"),
            profile.region.clone(),
            profile.cluster.clone(),
            profile.owner.clone(),
            profile
                .templates
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(","),
        ]);
    }
    render_table(&rows)
}

pub(super) fn describe_profile(profile: &Profile) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "profile {}", profile.name);
    let _ = writeln!(
        out,
        "  aws_profile       {}",
        profile
            .aws_profile
            .as_deref()
            .unwrap_or("(default credentials)")
    );
    let _ = writeln!(out, "  region            {}", profile.region);
    if let Some(url) = &profile.endpoint_url {
        let _ = writeln!(out, "  endpoint_url      {url}");
    }
    let _ = writeln!(out, "  cluster           {}", profile.cluster);
    let _ = writeln!(
        out,
        "  owner             {} (startedBy {})",
        profile.owner,
        ondeck_core::instances::owner_key(&profile.owner)
    );
    let _ = writeln!(out, "  subnets           {}", profile.subnets.join(", "));
    let _ = writeln!(
        out,
        "  security_groups   {}",
        profile.security_groups.join(", ")
    );
    let _ = writeln!(out, "  assign_public_ip  {}", profile.assign_public_ip);
    let _ = writeln!(
        out,
        "  refresh           {}s busy, {}s steady",
        profile.refresh_busy_secs, profile.refresh_steady_secs
    );
    let _ = writeln!(out, "  log_buffer_lines  {}", profile.log_buffer_lines);
    let _ = writeln!(
        out,
        "  logs              {} (streams {}/…)",
        profile.log_group, profile.log_stream_prefix
    );
    for (key, role) in [
        ("execution_role", &profile.execution_role_arn),
        ("task_role", &profile.task_role_arn),
    ] {
        if let Some(arn) = role {
            let _ = writeln!(out, "  {key:<18}{arn}");
        }
    }
    for template in profile.templates.values() {
        let _ = writeln!(
            out,
            "  template {}: {}{}{}",
            template.name,
            match &template.source {
                TemplateSource::TaskDefinitions(names) => names.join(" + "),
                TemplateSource::Containers => "containers in this file".to_string(),
                TemplateSource::Compose { path, .. } => format!("compose {}", path.display()),
            },
            template
                .ttl
                .map(|ttl| format!(", ttl {}", ondeck_core::instances::expiry::format_ttl(ttl)))
                .unwrap_or_default(),
            if template.spot { ", spot" } else { "" }
        );
    }
    out
}
