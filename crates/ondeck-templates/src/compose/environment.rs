//! A service's environment: `environment` entries and `env_file` files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::yaml::{Node, Value};
use super::{Key, Reader, env_file};
use crate::problem::{Location, Problem, Severity};

impl Reader<'_> {
    /// `environment` as a mapping or a `NAME=value` list; a name without a value takes it from
    /// the variables ondeck runs with, as compose does.
    pub(super) fn environment(
        &mut self,
        key: &Key,
        node: &Node,
        environment: &mut BTreeMap<String, String>,
    ) {
        let mut entries: Vec<(String, Option<String>, Location)> = Vec::new();
        match &node.value {
            Value::Mapping(pairs) => {
                for (name, value) in pairs {
                    let Some(variable) = name.scalar_text() else {
                        continue;
                    };
                    let text = match value.value {
                        Value::Null => None,
                        _ => match self.text(key, value) {
                            Some(text) => Some(text),
                            None => continue,
                        },
                    };
                    entries.push((variable, text, name.at));
                }
            }
            Value::Sequence(items) => {
                for item in items {
                    let Some(text) = item.scalar_text() else {
                        self.wrong_type(key, item, "`NAME=value`");
                        continue;
                    };
                    let (variable, value) = match text.split_once('=') {
                        Some((variable, value)) => {
                            let Some(value) = self.interpolated(key, item.at, value) else {
                                continue;
                            };
                            (variable.to_string(), Some(value))
                        }
                        None => (text, None),
                    };
                    entries.push((variable, value, item.at));
                }
            }
            _ => {
                self.wrong_type(key, node, "a mapping or a list of `NAME=value`");
                return;
            }
        }
        for (variable, value, name_at) in entries {
            let field = format!("environment.{variable}");
            let path = format!("{}.{variable}", key.path);
            self.origins.record(key.service, &field, &path, name_at);
            match value.or_else(|| self.source.variables.get(&variable).cloned()) {
                Some(value) => {
                    environment.insert(variable, value);
                }
                None => self.report(
                    Severity::Warning,
                    Some(key.service),
                    Some(&path),
                    name_at,
                    format!(
                        "`{variable}` has no value here and is not set where ondeck runs, so it \
                         is not passed (as compose does); give it a value"
                    ),
                ),
            }
        }
    }

    pub(super) fn env_file_list(&mut self, key: &Key, node: &Node) -> Vec<(String, Location)> {
        let items: Vec<&Node> = match &node.value {
            Value::Sequence(items) => items.iter().collect(),
            _ => vec![node],
        };
        let mut files = Vec::new();
        for item in items {
            match &item.value {
                Value::Mapping(_) => {
                    let required = item
                        .get("required")
                        .is_none_or(|node| node.value == Value::Bool(true));
                    if let Some(format) = item.get("format").and_then(Node::scalar_text) {
                        self.error(
                            key,
                            item.at,
                            format!(
                                "env_file format `{format}` is not supported; use KEY=value lines"
                            ),
                        );
                        continue;
                    }
                    let Some(path) = item.get("path").and_then(|path| self.text(key, path)) else {
                        self.error(key, item.at, "a long-form env_file needs `path:`".into());
                        continue;
                    };
                    if required || self.resolve(&path).exists() {
                        files.push((path, item.at));
                    }
                }
                _ => {
                    if let Some(path) = self.text(key, item) {
                        files.push((path, item.at));
                    }
                }
            }
        }
        files
    }

    pub(super) fn resolve(&self, relative: &str) -> PathBuf {
        self.source
            .path
            .parent()
            .unwrap_or(Path::new(""))
            .join(relative)
    }

    /// The variables of the env files, later files winning.
    pub(super) fn env_files(
        &mut self,
        service: &str,
        files: &[(String, Location)],
    ) -> BTreeMap<String, String> {
        let mut environment = BTreeMap::new();
        for (relative, at) in files {
            let path = self.resolve(relative);
            let key = Key {
                service,
                name: "env_file",
                at: *at,
                path: format!("services.{service}.env_file"),
            };
            let text = match (self.source.read_file)(&path) {
                Ok(text) => text,
                Err(error) => {
                    let message = if error.kind() == std::io::ErrorKind::NotFound {
                        format!(
                            "`{}` does not exist; create it, or list it as `{{ path: {relative}, \
                             required: false }}`",
                            path.display()
                        )
                    } else {
                        format!("cannot read `{}`: {error}", path.display())
                    };
                    self.error(&key, *at, message);
                    continue;
                }
            };
            let lines = match env_file::parse(&text, self.source.variables) {
                Ok(lines) => lines,
                Err(error) => {
                    self.problems.push(Problem {
                        severity: Severity::Error,
                        file: path.clone(),
                        at: Some(Location {
                            line: error.line,
                            column: 1,
                        }),
                        noun: "service",
                        container: Some(service.to_string()),
                        key: None,
                        message: error.message,
                    });
                    continue;
                }
            };
            for line in lines {
                let value = line
                    .value
                    .or_else(|| self.source.variables.get(&line.name).cloned());
                match value {
                    Some(value) => {
                        let field = format!("environment.{}", line.name);
                        self.origins.record(service, &field, &key.path, *at);
                        environment.insert(line.name, value);
                    }
                    None => self.problems.push(Problem {
                        severity: Severity::Warning,
                        file: path.clone(),
                        at: Some(Location {
                            line: line.line,
                            column: 1,
                        }),
                        noun: "service",
                        container: Some(service.to_string()),
                        key: None,
                        message: format!(
                            "`{}` has no value here and is not set where ondeck runs, so it is \
                             not passed (as compose does)",
                            line.name
                        ),
                    }),
                }
            }
        }
        environment
    }
}
