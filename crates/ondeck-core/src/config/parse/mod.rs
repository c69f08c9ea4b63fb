//! Reading and validating the config file. Every problem becomes one [`ConfigError`] that
//! names the file, line, column and key, and says how to fix it.
//!
//! The file is parsed into toml's spanned document tree and walked by hand rather than
//! through serde, so that each message can point at the exact key or value and suggest the
//! fix. All problems are collected and the one nearest the top of the file is reported.

mod rules;
mod sections;
mod templates;

use std::io::{ErrorKind, Read};
use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};

use super::{Config, ConfigError};

/// A config of a hundred profiles is some 30 KiB; past this it is not a config.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Reads and validates the config file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let unread = |message: String| ConfigError {
        path: path.to_path_buf(),
        line: None,
        column: None,
        key: None,
        message,
    };
    let mut bytes = Vec::new();
    // Read one byte past the limit to know a file is larger, however large (/dev/zero).
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|error| {
            unread(match error.kind() {
                ErrorKind::NotFound => "config file not found; create it from \
                                        config.example.toml or pass --config PATH"
                    .to_string(),
                _ => format!("cannot read the config file: {error}"),
            })
        })?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(unread(format!(
            "the config file is larger than {} MiB, more than any ondeck config; is \
             --config (or ONDECK_CONFIG) the right file?",
            MAX_CONFIG_BYTES >> 20
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| unread("the config file is not UTF-8 text; save it as UTF-8".into()))?;
    parse(path, &text)
}

/// Validates config text; `path` is only used in messages and kept in [`Config::path`].
/// Profiles without an `owner` get the login name from `$USER` or `$LOGNAME`.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    parse_with_login(path, text, super::login_name().as_deref())
}

/// [`parse`] with the login name given rather than read from the environment.
pub fn parse_with_login(
    path: &Path,
    text: &str,
    login: Option<&str>,
) -> Result<Config, ConfigError> {
    let mut checker = Checker {
        path,
        text,
        login,
        errors: Vec::new(),
    };
    let document = match DeTable::parse(text) {
        Ok(document) => document,
        Err(error) => return Err(checker.syntax_error(&error)),
    };
    let span = document.span();
    let root_value = DeValue::Table(document.into_inner());
    let root = Node {
        value: &root_value,
        span,
        path: String::new(),
    };
    let config = checker.config(&root);
    let first_error = checker
        .errors
        .into_iter()
        .min_by_key(|error| (error.line, error.column));
    match (first_error, config) {
        (Some(error), _) => Err(error),
        (None, Some(config)) => Ok(config),
        // Every path that yields no config records why; this only guards that promise.
        (None, None) => Err(ConfigError {
            path: path.to_path_buf(),
            line: Some(1),
            column: Some(1),
            key: None,
            message: "the file could not be read as an ondeck config".into(),
        }),
    }
}

/// A value in the document with where it sits and its dotted key path.
struct Node<'t, 'i> {
    value: &'t DeValue<'i>,
    span: Range<usize>,
    path: String,
}

/// A table whose keys have been checked against the allowed ones.
struct Fields<'t, 'i> {
    table: &'t DeTable<'i>,
    allowed: &'static [&'static str],
    span: Range<usize>,
    path: String,
}

impl<'t, 'i> Fields<'t, 'i> {
    fn child_path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    fn get(&self, key: &str) -> Option<Node<'t, 'i>> {
        self.table.get(key).map(|value| Node {
            value: value.get_ref(),
            span: value.span(),
            path: self.child_path(key),
        })
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
    login: Option<&'a str>,
    errors: Vec<ConfigError>,
}

impl Checker<'_> {
    /// 1-based line and column (in characters) of a byte offset.
    fn locate(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    fn error_at(&self, offset: usize, key: Option<&str>, message: String) -> ConfigError {
        let (line, column) = self.locate(offset);
        ConfigError {
            path: self.path.to_path_buf(),
            line: Some(line),
            column: Some(column),
            key: key.filter(|key| !key.is_empty()).map(str::to_string),
            message,
        }
    }

    fn report(&mut self, span: &Range<usize>, key: &str, message: String) {
        let error = self.error_at(span.start, Some(key), message);
        self.errors.push(error);
    }

    fn syntax_error(&self, error: &toml::de::Error) -> ConfigError {
        let span = error.span().unwrap_or(0..0);
        let message = error.message().trim();
        if message.starts_with("duplicate key") {
            let key = self.text.get(span.clone()).map(|key| key.trim_matches('"'));
            return self.error_at(
                span.start,
                key,
                "is defined twice in the same table; remove one or merge them".into(),
            );
        }
        self.error_at(
            span.start,
            None,
            format!("invalid TOML: {message}; see config.example.toml for the syntax"),
        )
    }

    fn wrong_type(&mut self, node: &Node, expected: &str) {
        let found = node.value.type_str();
        let article = if found.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        let expects_scalar = matches!(expected, "true or false" | "a whole number" | "a number");
        let hint = match node.value {
            DeValue::Array(_) if expected == "a table" => {
                "; write [section] headers, not [[section]] or a list"
            }
            DeValue::String(_) if expects_scalar => "; write it without quotes",
            DeValue::String(_) if expected == "an array of strings" => {
                "; put it in brackets, e.g. [\"one\", \"two\"]"
            }
            DeValue::Integer(_)
            | DeValue::Float(_)
            | DeValue::Boolean(_)
            | DeValue::Datetime(_)
                if expected == "a string" =>
            {
                "; put the value in double quotes"
            }
            _ => "",
        };
        self.report(
            &node.span,
            &node.path,
            format!("expected {expected}, found {article} {found}{hint}"),
        );
    }

    /// The node as a table whose keys are all in `allowed`; reports the others.
    fn fields<'t, 'i>(
        &mut self,
        node: &Node<'t, 'i>,
        allowed: &'static [&'static str],
    ) -> Option<Fields<'t, 'i>> {
        let DeValue::Table(table) = node.value else {
            self.wrong_type(node, "a table");
            return None;
        };
        for key in table.keys() {
            let name: &str = key.get_ref();
            if allowed.contains(&name) {
                continue;
            }
            let message = match suggest(name, allowed) {
                Some(near) => format!("unknown key `{name}`; did you mean `{near}`?"),
                None => format!(
                    "unknown key `{name}`; allowed keys here: {}",
                    allowed.join(", ")
                ),
            };
            self.report(&key.span(), &join(&node.path, name), message);
        }
        Some(Fields {
            table,
            allowed,
            span: node.span.clone(),
            path: node.path.clone(),
        })
    }

    /// The entries of a table whose keys are names (profiles, templates, containers).
    fn entries<'t, 'i>(
        &mut self,
        node: &Node<'t, 'i>,
    ) -> Vec<(String, Range<usize>, Node<'t, 'i>)> {
        let DeValue::Table(table) = node.value else {
            self.wrong_type(node, "a table");
            return Vec::new();
        };
        table
            .iter()
            .map(|(key, value)| {
                let name: &str = key.get_ref();
                let child = Node {
                    value: value.get_ref(),
                    span: value.span(),
                    path: join(&node.path, name),
                };
                (name.to_string(), key.span(), child)
            })
            .collect()
    }

    fn required<'t, 'i>(
        &mut self,
        fields: &Fields<'t, 'i>,
        key: &str,
        example: &str,
    ) -> Option<Node<'t, 'i>> {
        let node = fields.get(key);
        // A misspelling of this key is already reported, with the fix; say it once.
        let misspelt = fields.table.keys().any(|other| {
            let other: &str = other.get_ref();
            !fields.allowed.contains(&other) && suggest(other, fields.allowed) == Some(key)
        });
        if node.is_none() && !misspelt {
            let table = if fields.path.is_empty() {
                "the top of the file".to_string()
            } else {
                format!("[{}]", fields.path)
            };
            self.report(
                &fields.span,
                &fields.child_path(key),
                format!("required key is missing; add `{key} = {example}` under {table}"),
            );
        }
        node
    }

    fn string(&mut self, node: &Node) -> Option<String> {
        match node.value {
            DeValue::String(text) => Some(text.to_string()),
            _ => {
                self.wrong_type(node, "a string");
                None
            }
        }
    }

    fn non_empty_string(&mut self, node: &Node, what: &str) -> Option<String> {
        let text = self.string(node)?;
        if text.trim().is_empty() {
            self.report(&node.span, &node.path, format!("is empty; give {what}"));
            return None;
        }
        Some(text)
    }

    fn bool(&mut self, node: &Node) -> Option<bool> {
        match node.value {
            DeValue::Boolean(value) => Some(*value),
            _ => {
                self.wrong_type(node, "true or false");
                None
            }
        }
    }

    fn integer(&mut self, node: &Node) -> Option<i64> {
        match node.value {
            DeValue::Integer(integer) => {
                let value = i64::from_str_radix(integer.as_str(), integer.radix()).ok();
                if value.is_none() {
                    self.report(&node.span, &node.path, "number is too large".into());
                }
                value
            }
            _ => {
                self.wrong_type(node, "a whole number");
                None
            }
        }
    }

    fn positive_number(&mut self, node: &Node) -> Option<f64> {
        let value = match node.value {
            DeValue::Integer(integer) => i64::from_str_radix(integer.as_str(), integer.radix())
                .ok()
                .map(|n| n as f64),
            DeValue::Float(float) => float.as_str().parse::<f64>().ok(),
            _ => {
                self.wrong_type(node, "a number");
                return None;
            }
        };
        match value {
            Some(value) if value.is_finite() && value > 0.0 => Some(value),
            _ => {
                self.report(
                    &node.span,
                    &node.path,
                    "must be a price above zero in US dollars, e.g. 0.04048".into(),
                );
                None
            }
        }
    }

    /// A non-empty array of strings, each with its span.
    fn string_list(&mut self, node: &Node, example: &str) -> Option<Vec<(String, Range<usize>)>> {
        let DeValue::Array(items) = node.value else {
            self.wrong_type(node, "an array of strings");
            return None;
        };
        if items.is_empty() {
            self.report(
                &node.span,
                &node.path,
                format!("is empty; list at least one, e.g. {example}"),
            );
            return None;
        }
        let mut strings = Vec::new();
        for item in items.iter() {
            let item_node = Node {
                value: item.get_ref(),
                span: item.span(),
                path: node.path.clone(),
            };
            strings.push((self.string(&item_node)?, item.span()));
        }
        Some(strings)
    }
}

/// The allowed word nearest to a misspelt one, if it is near enough to be a typo.
pub fn suggest<'a>(word: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    allowed
        .iter()
        .map(|candidate| (edit_distance(&word.to_lowercase(), candidate), *candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != *b_char);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests;
