//! A profile's container and compose templates as the task definitions ondeck registers: the
//! one place that knows how a template's source, the profile's roles and log settings become
//! an `ondeck_templates::Converted`. Launch, `ondeck templates`, doctor and `config check`
//! all go through [`template_task_definition`].

use std::path::Path;

use ondeck_core::config::{Config, Profile, Template, TemplateSource};
use ondeck_templates::Converted;
use ondeck_templates::compose::{self, Variables};
use ondeck_templates::model::TemplateContext;
use ondeck_templates::problem::{Problem, Severity};
use ondeck_templates::toml_template;

/// The task definition a container or compose template registers, with its warnings; every
/// problem found, located in the config or compose file, when it cannot be registered.
/// Compose files interpolate from the environment ondeck runs in and the `.env` beside them.
/// A `task_definitions` template registers nothing: callers match on [`Template::source`]
/// first, and get an error saying so if they do not.
pub fn template_task_definition(
    config: &Config,
    profile: &Profile,
    template: &Template,
) -> Result<Converted, Vec<Problem>> {
    template_task_definition_with(config, profile, template, std::env::vars().collect())
}

/// [`template_task_definition`] with the environment given rather than read from the process.
pub fn template_task_definition_with(
    config: &Config,
    profile: &Profile,
    template: &Template,
    environment: Variables,
) -> Result<Converted, Vec<Problem>> {
    let context = TemplateContext::new(profile, template);
    match &template.source {
        TemplateSource::TaskDefinitions(_) => Err(vec![Problem {
            severity: Severity::Error,
            file: config.path.clone(),
            at: None,
            noun: "container",
            container: None,
            key: Some(format!(
                "profiles.{}.templates.{}.task_definitions",
                profile.name, template.name
            )),
            message: "names task definitions registered elsewhere; ondeck registers none for it"
                .into(),
        }]),
        TemplateSource::Containers => {
            let text = read(&config.path, "the config file")?;
            toml_template::read_template(&config.path, &text, &context)
        }
        TemplateSource::Compose { path, profiles } => {
            let variables = compose::project_variables(path, environment)?;
            compose::load(path, &variables, profiles, &context, template.size)
        }
    }
}

fn read(path: &Path, what: &str) -> Result<String, Vec<Problem>> {
    std::fs::read_to_string(path).map_err(|error| {
        vec![Problem {
            severity: Severity::Error,
            file: path.to_path_buf(),
            at: None,
            noun: "container",
            container: None,
            key: None,
            message: format!("cannot read {what}: {error}"),
        }]
    })
}

#[cfg(test)]
mod tests;
