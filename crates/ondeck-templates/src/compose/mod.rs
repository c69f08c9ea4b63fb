//! A compose file as a template: its services become the containers of one Fargate task.
//!
//! Every key of a service is either turned into the task definition, reported as having no
//! effect on Fargate (a warning), or refused (an error) — each with the file, line and
//! service. Nothing is dropped without a word.

mod connections;
mod env_file;
mod environment;
mod health;
mod interpolate;
mod keys;
mod ports;
mod resources;
mod service;
mod yaml;

use std::path::Path;

use crate::assemble::{Converted, Draft, assemble};
use crate::model::{LogConfiguration, TemplateContext};
use crate::problem::{Location, Origins, Problem, Severity};
use crate::units::parse_seconds;
pub use interpolate::Variables;
pub use keys::{IGNORED_SERVICE_KEYS, REFUSED_SERVICE_KEYS, SUPPORTED_SERVICE_KEYS};
use yaml::{Node, Value};

/// ECS takes at most 100 port mappings per container; a wider compose range is refused.
const MAX_PORTS_PER_CONTAINER: usize = 100;

/// What to read and with which variables.
pub struct ComposeSource<'a> {
    /// The compose file, as named in messages; `env_file` paths are relative to its folder.
    pub path: &'a Path,
    pub text: &'a str,
    /// Variables for `${…}` interpolation and for `environment` entries without a value.
    pub variables: &'a Variables,
    /// Compose profiles to include; services with other profiles are left out (and said so).
    pub active_profiles: &'a [String],
    /// Reads an `env_file`; the file system in ondeck, a map in tests.
    pub read_file: &'a dyn Fn(&Path) -> std::io::Result<String>,
}

/// The variables compose interpolates with: the `.env` file beside the compose file, if
/// there is one, under `environment` (the environment wins, as in compose).
pub fn project_variables(
    compose_path: &Path,
    environment: Variables,
) -> Result<Variables, Vec<Problem>> {
    let dot_env = compose_path.with_file_name(".env");
    let text = match std::fs::read_to_string(&dot_env) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(environment),
        Err(error) => {
            return Err(vec![Problem {
                severity: Severity::Error,
                file: dot_env,
                at: None,
                noun: "service",
                container: None,
                key: None,
                message: format!("cannot read the project's .env file: {error}"),
            }]);
        }
    };
    let lines = env_file::parse(&text, &environment).map_err(|error| {
        vec![Problem {
            severity: Severity::Error,
            file: dot_env.clone(),
            at: Some(Location {
                line: error.line,
                column: 1,
            }),
            noun: "service",
            container: None,
            key: None,
            message: error.message,
        }]
    })?;
    let mut variables = Variables::new();
    for line in lines {
        if let Some(value) = line.value {
            variables.insert(line.name, value);
        }
    }
    variables.extend(environment);
    Ok(variables)
}

/// Reads the compose file at `path` from disk and converts it.
pub fn load(
    path: &Path,
    variables: &Variables,
    active_profiles: &[String],
    context: &TemplateContext,
    size: Option<(u32, u32)>,
) -> Result<Converted, Vec<Problem>> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        vec![Problem {
            severity: Severity::Error,
            file: path.to_path_buf(),
            at: None,
            noun: "service",
            container: None,
            key: None,
            message: format!("cannot read the compose file: {error}; check the `compose` path"),
        }]
    })?;
    let read_file = |path: &Path| std::fs::read_to_string(path);
    convert(
        &ComposeSource {
            path,
            text: &text,
            variables,
            active_profiles,
            read_file: &read_file,
        },
        context,
        size,
    )
}

/// Converts a compose file into the task definition of `context`'s template. `size` is the
/// task size the template asks for, if it does; otherwise the smallest that holds the
/// services' limits.
pub fn convert(
    source: &ComposeSource,
    context: &TemplateContext,
    size: Option<(u32, u32)>,
) -> Result<Converted, Vec<Problem>> {
    let mut reader = Reader {
        source,
        log: LogConfiguration::for_context(context),
        origins: Origins::new(source.path, "service"),
        problems: Vec::new(),
    };
    let draft = match yaml::parse(source.text) {
        Ok(root) => reader.document(&root, size),
        Err(error) => {
            reader.problems.push(Problem {
                severity: Severity::Error,
                file: source.path.to_path_buf(),
                at: error.at,
                noun: "service",
                container: None,
                key: None,
                message: format!("is not valid YAML: {}", error.message),
            });
            Draft::default()
        }
    };
    if reader
        .problems
        .iter()
        .any(|problem| problem.severity == Severity::Error)
        && draft.containers.is_empty()
    {
        return Err(crate::problem::sorted(source.path, reader.problems));
    }
    assemble(draft, context, &reader.origins, reader.problems)
}

struct Reader<'a> {
    source: &'a ComposeSource<'a>,
    log: LogConfiguration,
    origins: Origins,
    problems: Vec<Problem>,
}

/// A service key being read: its name, where it is and its dotted path.
struct Key<'n> {
    service: &'n str,
    name: &'n str,
    at: Location,
    path: String,
}

impl Reader<'_> {
    fn report(
        &mut self,
        severity: Severity,
        service: Option<&str>,
        key: Option<&str>,
        at: Location,
        message: String,
    ) {
        self.problems.push(Problem {
            severity,
            file: self.source.path.to_path_buf(),
            at: Some(at),
            noun: "service",
            container: service.map(str::to_string),
            key: key.map(str::to_string),
            message,
        });
    }

    fn error(&mut self, key: &Key, at: Location, message: String) {
        self.report(
            Severity::Error,
            Some(key.service),
            Some(&key.path),
            at,
            message,
        );
    }

    fn warn(&mut self, key: &Key, at: Location, message: String) {
        self.report(
            Severity::Warning,
            Some(key.service),
            Some(&key.path),
            at,
            message,
        );
    }

    fn wrong_type(&mut self, key: &Key, node: &Node, expected: &str) {
        let message = format!("expected {expected}, found {}", node.value.kind());
        self.error(key, node.at, message);
    }

    fn record(&mut self, key: &Key, field: &str) {
        self.origins.record(key.service, field, &key.path, key.at);
    }

    /// A scalar as text, with variables substituted.
    fn text(&mut self, key: &Key, node: &Node) -> Option<String> {
        let Some(raw) = node.scalar_text() else {
            self.wrong_type(key, node, "a string");
            return None;
        };
        self.interpolated(key, node.at, &raw)
    }

    fn interpolated(&mut self, key: &Key, at: Location, raw: &str) -> Option<String> {
        match interpolate::interpolate(raw, self.source.variables) {
            Ok(done) => {
                for variable in done.unset {
                    self.warn(
                        key,
                        at,
                        format!(
                            "the variable {variable} is not set; an empty string is used, as \
                             compose does"
                        ),
                    );
                }
                Some(done.text)
            }
            Err(message) => {
                self.error(key, at, message);
                None
            }
        }
    }

    fn flag(&mut self, key: &Key, node: &Node) -> bool {
        match node.value {
            Value::Bool(flag) => flag,
            _ => {
                self.wrong_type(key, node, "true or false");
                false
            }
        }
    }

    fn seconds(&mut self, key: &Key, node: &Node) -> Option<u32> {
        if let Value::Number(number) = &node.value {
            let message = format!("`{number}` lacks a unit; write e.g. \"{number}s\"");
            self.error(key, node.at, message);
            return None;
        }
        let text = self.text(key, node)?;
        match parse_seconds(&text) {
            Ok(seconds) => Some(seconds),
            Err(message) => {
                self.error(key, node.at, message);
                None
            }
        }
    }

    fn count(&mut self, key: &Key, node: &Node) -> Option<u32> {
        match &node.value {
            Value::Number(text) => match text.parse::<u32>() {
                Ok(count) => Some(count),
                Err(_) => {
                    self.error(key, node.at, format!("`{text}` is not a whole number"));
                    None
                }
            },
            _ => {
                self.wrong_type(key, node, "a whole number");
                None
            }
        }
    }

    /// `command` / `entrypoint`: a list, or a string split as a shell would.
    fn words(&mut self, key: &Key, node: &Node) -> Option<Vec<String>> {
        let words = match &node.value {
            Value::Sequence(items) => {
                let mut words = Vec::new();
                for item in items {
                    words.push(self.text(key, item)?);
                }
                words
            }
            Value::String(_) | Value::Number(_) => {
                let line = self.text(key, node)?;
                match shlex::split(&line) {
                    Some(words) => words,
                    None => {
                        self.error(key, node.at, "has an unclosed quote".into());
                        return None;
                    }
                }
            }
            _ => {
                self.wrong_type(key, node, "a string or a list of strings");
                return None;
            }
        };
        if words.is_empty() {
            let message = format!(
                "is empty; ECS cannot clear the image's {}, so remove the key to keep it",
                if key.name == "command" {
                    "CMD"
                } else {
                    "ENTRYPOINT"
                }
            );
            self.error(key, node.at, message);
            return None;
        }
        Some(words)
    }
}

#[cfg(test)]
mod tests;
