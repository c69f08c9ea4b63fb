//! A compose file as a tree of YAML nodes, each with the line and column it was written at.
//!
//! serde-saphyr parses (anchors, aliases and `<<` merge keys resolved, duplicate keys refused,
//! size budgets enforced); this module only keeps its locations. Keys keep theirs too, so that
//! a refused or unknown key is reported on its own line.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::problem::Location;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    /// Where the node is written (for an alias or merged entry: where its content is defined).
    pub at: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// Numbers keep the text they were written as: `1.10` stays `1.10` when used as a string.
    Number(String),
    String(String),
    Sequence(Vec<Node>),
    /// In file order.
    Mapping(Vec<(Node, Node)>),
}

impl Value {
    /// "a string", "a list", … for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "true/false",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Sequence(_) => "a list",
            Value::Mapping(_) => "a mapping",
        }
    }
}

impl Node {
    /// The text of a scalar (string, number, boolean) as compose reads it into a string field.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::String(text) | Value::Number(text) => Some(text.clone()),
            Value::Bool(flag) => Some(flag.to_string()),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn entries(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Mapping(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn items(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Sequence(items) => Some(items),
            _ => None,
        }
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|(name, _)| name.as_str() == Some(key))
            .map(|(_, value)| value)
    }
}

/// A YAML syntax error, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub at: Option<Location>,
    pub message: String,
}

/// Parses `text` (one YAML document) into located nodes.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    // A file holding only comments is an empty document, not an error.
    if text
        .lines()
        .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'))
    {
        return Ok(Node {
            value: Value::Null,
            at: Location { line: 1, column: 1 },
        });
    }
    // Compose reads YAML 1.2: `no`, `yes`, `on`, `off` are words (`restart: no`), not booleans.
    let options = serde_saphyr::options! { strict_booleans: true };
    match serde_saphyr::from_str_with_options::<Spanned<Raw>>(text, options) {
        Ok(root) => Ok(located(root, text)),
        Err(error) => Err(SyntaxError {
            at: error.location().map(|location| Location {
                line: location.line() as usize,
                column: location.column() as usize,
            }),
            message: syntax_message(&error),
        }),
    }
}

/// The parser's message without its own location prefix (ours is in front already).
fn syntax_message(error: &serde_saphyr::Error) -> String {
    if let serde_saphyr::Error::DuplicateMappingKey { key, .. } = error.without_snippet() {
        return match key {
            Some(key) => format!("`{key}` is given twice in the same mapping; keep one"),
            None => "a key is given twice in the same mapping; keep one".into(),
        };
    }
    let text = error.to_string();
    let first = text.lines().next().unwrap_or_default().trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let without_location = first
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
        .filter(|(position, _)| position.contains("column"))
        .map_or(first, |(_, message)| message);
    without_location.to_string()
}

/// What serde-saphyr hands over before locations are attached.
enum Raw {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Sequence(Vec<Spanned<Raw>>),
    Mapping(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

fn located(node: Spanned<Raw>, text: &str) -> Node {
    let at = Location {
        line: node.defined.line() as usize,
        column: node.defined.column() as usize,
    };
    let value = match node.value {
        Raw::Null => Value::Null,
        Raw::Bool(flag) => Value::Bool(flag),
        // The number as written, when the source text is at hand.
        Raw::Number(formatted) => Value::Number(
            source_text(&node.defined, text)
                .filter(|written| written.parse::<f64>().is_ok() || is_integer(written))
                .unwrap_or(formatted),
        ),
        Raw::String(text) => Value::String(text),
        Raw::Sequence(items) => {
            Value::Sequence(items.into_iter().map(|item| located(item, text)).collect())
        }
        Raw::Mapping(entries) => Value::Mapping(
            entries
                .into_iter()
                .map(|(key, value)| (located(key, text), located(value, text)))
                .collect(),
        ),
    };
    Node { value, at }
}

fn is_integer(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let digits = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0o"))
        .unwrap_or(digits);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_hexdigit() || c == '_')
}

fn source_text(location: &serde_saphyr::Location, text: &str) -> Option<String> {
    let span = location.span();
    let start = usize::try_from(span.byte_offset()?).ok()?;
    let length = usize::try_from(span.byte_len()?).ok()?;
    let written = text.get(start..start.checked_add(length)?)?.trim();
    (!written.is_empty()).then(|| written.to_string())
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Raw, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Raw, D::Error> {
        Raw::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Raw, E> {
        Ok(Raw::Number(value.to_string()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Raw, E> {
        Ok(Raw::Number(value.to_string()))
    }

    fn visit_i128<E: de::Error>(self, value: i128) -> Result<Raw, E> {
        Ok(Raw::Number(value.to_string()))
    }

    fn visit_u128<E: de::Error>(self, value: u128) -> Result<Raw, E> {
        Ok(Raw::Number(value.to_string()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Raw, E> {
        Ok(Raw::Number(value.to_string()))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Raw, E> {
        Ok(Raw::String(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Raw, E> {
        Ok(Raw::String(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Raw>>()? {
            items.push(item);
        }
        Ok(Raw::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Raw>>()? {
            let value = map.next_value::<Spanned<Raw>>()?;
            entries.push((key, value));
        }
        Ok(Raw::Mapping(entries))
    }
}

#[cfg(test)]
mod tests;
