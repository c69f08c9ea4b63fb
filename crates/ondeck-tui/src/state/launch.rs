//! The launch dialog: pick a template (seeing what it runs, its size, price and ttl), name
//! the instance, override env vars, the ttl and Spot. Every field is checked as it is typed,
//! by the rules the launch itself applies; a dialog with a problem stays open as typed.

use std::collections::BTreeMap;

use chrono::Duration;

use super::Outcome;
use super::input::LineInput;
use super::keymap::{Key, KeyCode};
use ondeck_core::config::{Profile, Template, TemplateKind};
use ondeck_core::instances::cost::{definition_per_hour, definition_size};
use ondeck_core::instances::expiry::parse_ttl;
use ondeck_core::instances::identity::is_valid_name;
use ondeck_core::model::TaskDefinition;
use ondeck_core::ops::{
    LaunchRequest, OpsError, check_env_containers, no_env_for_services, parse_env,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LaunchField {
    Template,
    Name,
    Env,
    Ttl,
    Spot,
    Confirm,
}

impl LaunchField {
    const ORDER: [LaunchField; 6] = [
        LaunchField::Template,
        LaunchField::Name,
        LaunchField::Env,
        LaunchField::Ttl,
        LaunchField::Spot,
        LaunchField::Confirm,
    ];

    fn step(self, forward: bool) -> LaunchField {
        let at = LaunchField::ORDER
            .iter()
            .position(|field| *field == self)
            .unwrap_or(0);
        let len = LaunchField::ORDER.len();
        let next = if forward {
            (at + 1) % len
        } else {
            (at + len - 1) % len
        };
        LaunchField::ORDER[next]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TemplateChoice {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) task_definitions: Vec<String>,
    /// The containers of its task definitions, when every one of them has been seen (in a
    /// running instance); else the launch checks them.
    pub(crate) containers: Option<Vec<String>>,
    /// (vCPU, GB) of all its tasks together, when every definition's size is known.
    pub(crate) size: Option<(f64, f64)>,
    /// $/h on demand and on Spot, when every definition's size and the rates are known.
    pub(crate) per_hour: Option<f64>,
    pub(crate) per_hour_spot: Option<f64>,
    pub(crate) ttl: Option<Duration>,
    pub(crate) spot: bool,
    /// Service-backed (`kind = "service"`): no env overrides.
    pub(crate) as_services: bool,
}

impl TemplateChoice {
    fn new(
        template: &Template,
        profile: &Profile,
        definitions: &BTreeMap<String, TaskDefinition>,
    ) -> TemplateChoice {
        // Container and compose templates name no task definition until ondeck registers one.
        let seen: Option<Vec<&TaskDefinition>> = template
            .task_definitions()
            .iter()
            .map(|name| latest_definition(definitions, name))
            .collect::<Option<Vec<_>>>()
            .filter(|seen| !seen.is_empty());
        let per_hour = |spot: bool| -> Option<f64> {
            seen.as_ref()?
                .iter()
                .map(|def| definition_per_hour(def, &profile.region, profile.prices, spot))
                .sum()
        };
        TemplateChoice {
            name: template.name.clone(),
            description: template.description.clone(),
            task_definitions: template.task_definitions().to_vec(),
            containers: seen.as_ref().map(|defs| {
                defs.iter()
                    .flat_map(|def| def.containers.iter().map(|c| c.name.clone()))
                    .collect()
            }),
            size: seen.as_ref().and_then(|defs| {
                defs.iter()
                    .map(|def| definition_size(def))
                    .try_fold((0.0, 0.0), |(vcpu, gb), size| {
                        size.map(|(v, g)| (vcpu + v, gb + g))
                    })
            }),
            per_hour: per_hour(false),
            per_hour_spot: per_hour(true),
            ttl: template.ttl,
            spot: template.spot,
            as_services: template.kind == TemplateKind::Service,
        }
    }
}

/// The definition a template's `family`, `family:revision` or ARN names among those seen;
/// for a bare family, its newest revision (what RunTask would start).
fn latest_definition<'a>(
    definitions: &'a BTreeMap<String, TaskDefinition>,
    name: &str,
) -> Option<&'a TaskDefinition> {
    definitions
        .values()
        .filter(|def| {
            def.arn == name
                || def.family == name
                || format!("{}:{}", def.family, def.revision) == name
        })
        .max_by_key(|def| def.revision)
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LaunchDialog {
    pub(crate) templates: Vec<TemplateChoice>,
    pub(crate) cursor: usize,
    pub(crate) name: LineInput,
    pub(crate) env: LineInput,
    /// Empty: the template's ttl.
    pub(crate) ttl: LineInput,
    /// Set by the user; else the template's.
    pub(crate) spot: Option<bool>,
    pub(crate) focus: LaunchField,
}

impl LaunchDialog {
    pub(crate) fn new(
        profile: &Profile,
        definitions: &BTreeMap<String, TaskDefinition>,
    ) -> LaunchDialog {
        LaunchDialog {
            templates: profile
                .templates
                .values()
                .map(|template| TemplateChoice::new(template, profile, definitions))
                .collect(),
            cursor: 0,
            name: LineInput::new(),
            env: LineInput::new(),
            ttl: LineInput::new(),
            spot: None,
            focus: LaunchField::Template,
        }
    }

    pub(crate) fn template(&self) -> Option<&TemplateChoice> {
        self.templates.get(self.cursor)
    }

    /// Whether the launch runs on Spot: as set here, else as the template says.
    pub(crate) fn spot(&self) -> bool {
        self.spot
            .unwrap_or_else(|| self.template().is_some_and(|template| template.spot))
    }

    /// Tab and enter step through the fields; enter on `[ Launch ]` submits what has no
    /// problem, else goes to the first field that has one.
    pub(crate) fn key(&mut self, key: Key) -> Outcome<LaunchRequest> {
        match key.code {
            KeyCode::Esc => return Outcome::Cancelled,
            KeyCode::Tab => self.focus = self.focus.step(true),
            KeyCode::BackTab => self.focus = self.focus.step(false),
            KeyCode::Enter if self.focus == LaunchField::Confirm => {
                return match self.request() {
                    Ok(request) => Outcome::Done(request),
                    Err((field, _)) => {
                        self.focus = field;
                        Outcome::Open
                    }
                };
            }
            KeyCode::Enter => self.focus = self.focus.step(true),
            _ => self.edit(key),
        }
        Outcome::Open
    }

    /// Pasted text goes into the focused text field, on one line: it never moves the focus
    /// or submits.
    pub(crate) fn paste(&mut self, text: &str) {
        if let Some(field) = self.text_field() {
            field.paste(text);
        }
    }

    fn text_field(&mut self) -> Option<&mut LineInput> {
        match self.focus {
            LaunchField::Name => Some(&mut self.name),
            LaunchField::Env => Some(&mut self.env),
            LaunchField::Ttl => Some(&mut self.ttl),
            LaunchField::Template | LaunchField::Spot | LaunchField::Confirm => None,
        }
    }

    fn edit(&mut self, key: Key) {
        match self.focus {
            LaunchField::Template => {
                let last = self.templates.len().saturating_sub(1);
                match key.code {
                    KeyCode::Up | KeyCode::Char('k') => self.cursor = self.cursor.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => self.cursor = (self.cursor + 1).min(last),
                    _ => {}
                }
            }
            LaunchField::Spot => {
                if matches!(
                    key.code,
                    KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right
                ) {
                    self.spot = Some(!self.spot());
                }
            }
            LaunchField::Name | LaunchField::Env | LaunchField::Ttl => {
                if let Some(field) = self.text_field() {
                    field.key(key);
                }
            }
            LaunchField::Confirm => {}
        }
    }

    /// What is wrong with the field, as the launch would say it; checked on every frame, so
    /// the user sees it while typing.
    pub(crate) fn problem(&self, field: LaunchField) -> Option<String> {
        match field {
            LaunchField::Template if self.templates.is_empty() => Some(
                "this profile has no templates; add one under [profiles.NAME.templates]".into(),
            ),
            LaunchField::Name => {
                let name = self.name.text().trim();
                (!name.is_empty() && !is_valid_name(name))
                    .then(|| OpsError::InvalidName(name.to_string()).to_string())
            }
            LaunchField::Env => {
                let env = match parse_env(self.env.text().split_whitespace()) {
                    Ok(env) => env,
                    Err(why) => return Some(why),
                };
                let template = self.template()?;
                if template.as_services && !env.is_empty() {
                    return Some(no_env_for_services(&template.name).to_string());
                }
                let containers = template.containers.as_ref()?;
                check_env_containers(&template.name, &env, containers)
                    .err()
                    .map(|err| err.to_string())
            }
            LaunchField::Ttl if !self.ttl.text().trim().is_empty() => {
                parse_ttl(self.ttl.text()).err()
            }
            _ => None,
        }
    }

    /// The request, or the first field with a problem and what it is.
    fn request(&self) -> Result<LaunchRequest, (LaunchField, String)> {
        if let Some((field, why)) = LaunchField::ORDER
            .iter()
            .find_map(|field| Some((*field, self.problem(*field)?)))
        {
            return Err((field, why));
        }
        let template = self
            .template()
            .ok_or((LaunchField::Template, String::new()))?;
        let name = self.name.text().trim();
        let ttl = self.ttl.text().trim();
        let problem = |field| move |why| (field, why);
        Ok(LaunchRequest {
            template: template.name.clone(),
            name: (!name.is_empty()).then(|| name.to_string()),
            // Items separated by spaces: `api:LOG_LEVEL=debug worker:THREADS=4`.
            env: parse_env(self.env.text().split_whitespace())
                .map_err(problem(LaunchField::Env))?,
            ttl: if ttl.is_empty() {
                None
            } else {
                Some(parse_ttl(ttl).map_err(problem(LaunchField::Ttl))?)
            },
            spot: (self.spot() != template.spot).then_some(self.spot()),
        })
    }
}

#[cfg(test)]
mod tests;
