//! What is wrong (or only noteworthy) in a template or compose file, and where.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// 1-based line and column (in characters) in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The location of a byte offset in `text`.
    pub fn of_offset(text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        Location {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The template cannot be registered as written: `config check` fails, launch refuses.
    Error,
    /// Registered, but something in the file has no effect on Fargate; said so it is not a
    /// surprise.
    Warning,
}

/// One finding, located: `file:line:column: service `web`: key `privileged`: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub file: PathBuf,
    pub at: Option<Location>,
    /// "service" (compose) or "container" (TOML template).
    pub noun: &'static str,
    pub container: Option<String>,
    /// Dotted path of the key in the source file.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(at) = self.at {
            write!(f, ":{}:{}", at.line, at.column)?;
        }
        f.write_str(": ")?;
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        if let Some(container) = &self.container {
            write!(f, "{} `{container}`: ", self.noun)?;
        }
        if let Some(key) = &self.key {
            write!(f, "key `{key}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Where each part of a model came from, so that rules checked on the assembled task
/// definition can point into the file that said it.
#[derive(Debug, Clone)]
pub(crate) struct Origins {
    pub file: PathBuf,
    pub noun: &'static str,
    /// Per container: field name (`image`, `depends_on.api`, …) → (key path, location).
    /// The field "" is the container itself; the container "" is the template (task-level
    /// fields such as `cpu`, and "" for the whole template).
    containers: BTreeMap<String, BTreeMap<String, (String, Location)>>,
}

impl Origins {
    pub(crate) fn new(file: &Path, noun: &'static str) -> Origins {
        Origins {
            file: file.to_path_buf(),
            noun,
            containers: BTreeMap::new(),
        }
    }

    pub(crate) fn record(&mut self, container: &str, field: &str, key: &str, at: Location) {
        self.containers
            .entry(container.to_string())
            .or_default()
            .insert(field.to_string(), (key.to_string(), at));
    }

    /// The key and location of `field` of `container`, else of the container, else of the
    /// template's `field`, else of the template.
    fn find(&self, container: Option<&str>, field: &str) -> Option<(String, Location)> {
        let lookup = |name: &str| {
            let fields = self.containers.get(name)?;
            fields.get(field).or_else(|| fields.get(""))
        };
        container.and_then(lookup).or_else(|| lookup("")).cloned()
    }

    pub(crate) fn problem(
        &self,
        severity: Severity,
        container: Option<&str>,
        field: &str,
        message: String,
    ) -> Problem {
        let found = self.find(container, field);
        Problem {
            severity,
            file: self.file.clone(),
            at: found.as_ref().map(|(_, at)| *at),
            noun: self.noun,
            container: container.map(str::to_string),
            key: found.map(|(key, _)| key).filter(|key| !key.is_empty()),
            message,
        }
    }
}

/// Findings of `main` in source order (errors before warnings on the same spot), then those
/// of the files it names (env files), each in source order.
pub(crate) fn sorted(main: &Path, mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort_by(|a, b| {
        let order = |p: &Problem| (p.file != main, p.file.clone(), p.at, p.severity);
        order(a).cmp(&order(b))
    });
    problems.dedup();
    problems
}

pub(crate) fn has_errors(problems: &[Problem]) -> bool {
    problems
        .iter()
        .any(|problem| problem.severity == Severity::Error)
}

#[cfg(test)]
mod tests;
