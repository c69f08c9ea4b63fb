//! `ondeck config check`: the file parses, and every container and compose template of every
//! profile converts into a task definition Fargate accepts.

use std::fmt::Write as _;

use super::Failure;
use super::profiles::describe_profile;
use ondeck_core::config::{Config, Profile, TemplateSource};
use ondeck_core::logs::sanitize::printable;
use ondeck_engine::templates::template_task_definition;
use ondeck_templates::Converted;
use ondeck_templates::problem::{Problem, Severity};
use ondeck_templates::size::vcpu;

/// The report for `chosen`, after warnings about any template went to stderr; every error of
/// every template (exit 2) when one cannot be registered.
pub(super) fn config_check(config: &Config, chosen: &Profile) -> Result<String, Failure> {
    let mut problems: Vec<Problem> = Vec::new();
    let mut registers = String::new();
    for profile in config.profiles.values() {
        for template in profile.templates.values() {
            if matches!(template.source, TemplateSource::TaskDefinitions(_)) {
                continue;
            }
            match template_task_definition(config, profile, template) {
                Ok(converted) => {
                    problems.extend(converted.warnings.iter().cloned());
                    if profile.name == chosen.name {
                        describe_converted(&mut registers, &template.name, &converted);
                    }
                }
                Err(found) => problems.extend(found),
            }
        }
    }
    let lines: Vec<String> = problems.iter().map(Problem::to_string).collect();
    if problems
        .iter()
        .any(|problem| problem.severity == Severity::Error)
    {
        return Err(Failure::Usage(lines.join("\n")));
    }
    for line in &lines {
        eprintln!("{}", printable(line));
    }
    Ok(format!(
        "{}: ok\n{}{registers}",
        config.path.display(),
        describe_profile(chosen)
    ))
}

/// `  registers ondeck-dev-shop: api, web (1 vCPU, 2048 MiB)`.
fn describe_converted(out: &mut String, template: &str, converted: &Converted) {
    let task = &converted.task_definition;
    let containers: Vec<&str> = task.containers.iter().map(|c| c.name.as_str()).collect();
    let _ = writeln!(
        out,
        "  template {template} registers {}: {} ({} vCPU, {} MiB)",
        task.family,
        containers.join(", "),
        vcpu(task.size.cpu),
        task.size.memory
    );
}
