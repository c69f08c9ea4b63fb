//! Containers defined in the config file's template table:
//!
//! ```toml
//! [profiles.dev.templates.shop]
//! cpu = 1024
//! memory = 2048
//! [profiles.dev.templates.shop.containers.web]
//! image = "ghcr.io/acme/web:1.4"
//! ports = [8080]
//! env = { API_URL = "http://localhost:3000" }
//! depends_on = { api = "HEALTHY" }
//! ```
//!
//! The config file is walked through toml's spanned tree so that every finding names its line
//! and key. Only the keys about containers are read here (`cpu`, `memory`, `containers`); the
//! rest of the template table belongs to the config file's own checker.

use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::assemble::{Converted, Draft, assemble};
use crate::model::{Container, LogConfiguration, TemplateContext};
use crate::problem::{Location, Origins, Problem, Severity};
use crate::units::parse_seconds;

mod values;
use ondeck_core::config::suggest;

/// The keys of a `[...containers.NAME]` table.
pub const CONTAINER_KEYS: &[&str] = &[
    "image",
    "essential",
    "ports",
    "env",
    "secrets",
    "command",
    "entrypoint",
    "depends_on",
    "health",
    "cpu",
    "memory",
    "memory_reservation",
    "user",
    "working_dir",
    "stop_timeout",
    "read_only",
    "init",
    "cap_add",
    "cap_drop",
];

/// The keys of a container's `health` table.
pub const HEALTH_KEYS: &[&str] = &["command", "interval", "timeout", "retries", "start_period"];

/// Reads the containers of `[profiles.<profile>.templates.<template>]` from the config text.
pub fn read_template(
    file: &Path,
    text: &str,
    context: &TemplateContext,
) -> Result<Converted, Vec<Problem>> {
    let mut reader = Reader {
        file,
        text,
        log: LogConfiguration::for_context(context),
        origins: Origins::new(file, "container"),
        problems: Vec::new(),
    };
    let document = match DeTable::parse(text) {
        Ok(document) => document,
        Err(error) => {
            let at = error
                .span()
                .map(|span| Location::of_offset(text, span.start));
            let message = format!("invalid TOML: {}", error.message().trim());
            return Err(vec![reader.problem_at(at, None, None, message)]);
        }
    };
    let path = [
        "profiles",
        context.profile.as_str(),
        "templates",
        context.template.as_str(),
    ];
    let Some(template) = find(document.get_ref(), &path) else {
        let message = format!("has no [{}] table", path.join("."));
        return Err(vec![reader.problem_at(None, None, None, message)]);
    };
    let template_path = path.join(".");
    let draft = reader.template(&template_path, template);
    // Containers that could not be read are reported; "defines no containers" would only
    // repeat it.
    if draft.containers.is_empty() && crate::problem::has_errors(&reader.problems) {
        return Err(crate::problem::sorted(file, reader.problems));
    }
    assemble(draft, context, &reader.origins, reader.problems)
}

fn find<'t, 'i>(table: &'t DeTable<'i>, path: &[&str]) -> Option<&'t Spanned<DeValue<'i>>> {
    let (first, rest) = path.split_first()?;
    let value = table.get(*first)?;
    match (rest.is_empty(), value.get_ref()) {
        (true, _) => Some(value),
        (false, DeValue::Table(child)) => find(child, rest),
        _ => None,
    }
}

struct Reader<'a> {
    file: &'a Path,
    text: &'a str,
    log: LogConfiguration,
    origins: Origins,
    problems: Vec<Problem>,
}

/// A value with where it is, where its key is, and its dotted key.
struct Node<'t, 'i> {
    value: &'t DeValue<'i>,
    span: Range<usize>,
    key_span: Range<usize>,
    path: String,
}

impl<'t, 'i> Node<'t, 'i> {
    fn entry(
        key: &Spanned<Cow<'i, str>>,
        value: &'t Spanned<DeValue<'i>>,
        parent: &str,
    ) -> Node<'t, 'i> {
        let name: &str = key.get_ref();
        Node {
            value: value.get_ref(),
            span: value.span(),
            key_span: key.span(),
            path: if parent.is_empty() {
                name.to_string()
            } else {
                format!("{parent}.{name}")
            },
        }
    }

    /// An element of an array: located at itself.
    fn item(value: &'t Spanned<DeValue<'i>>, path: &str) -> Node<'t, 'i> {
        Node {
            value: value.get_ref(),
            span: value.span(),
            key_span: value.span(),
            path: path.to_string(),
        }
    }
}

impl Reader<'_> {
    fn locate(&self, span: &Range<usize>) -> Location {
        Location::of_offset(self.text, span.start)
    }

    fn problem_at(
        &self,
        at: Option<Location>,
        container: Option<&str>,
        key: Option<&str>,
        message: String,
    ) -> Problem {
        Problem {
            severity: Severity::Error,
            file: self.file.to_path_buf(),
            at,
            noun: "container",
            container: container.map(str::to_string),
            key: key.map(str::to_string),
            message,
        }
    }

    /// A problem with the value: located at the value.
    fn error(&mut self, container: Option<&str>, node: &Node, message: String) {
        let at = self.locate(&node.span);
        let problem = self.problem_at(Some(at), container, Some(&node.path), message);
        self.problems.push(problem);
    }

    /// A problem with the key itself (unknown, misplaced): located at the key.
    fn key_error(&mut self, container: Option<&str>, node: &Node, message: String) {
        let at = self.locate(&node.key_span);
        let problem = self.problem_at(Some(at), container, Some(&node.path), message);
        self.problems.push(problem);
    }

    /// Where a rule about this entry points later: at its key.
    fn record(&mut self, container: &str, field: &str, node: &Node) {
        let at = self.locate(&node.key_span);
        self.origins.record(container, field, &node.path, at);
    }

    fn wrong_type(&mut self, container: Option<&str>, node: &Node, expected: &str) {
        let found = node.value.type_str();
        let hint = match node.value {
            DeValue::Integer(_) | DeValue::Boolean(_) | DeValue::Float(_)
                if expected.contains("string") =>
            {
                "; put the value in double quotes"
            }
            DeValue::String(_) if expected == "a whole number" || expected == "true or false" => {
                "; write it without quotes"
            }
            _ => "",
        };
        self.error(
            container,
            node,
            format!("expected {expected}, found {found}{hint}"),
        );
    }

    fn template(&mut self, path: &str, template: &Spanned<DeValue>) -> Draft {
        let mut draft = Draft::default();
        let DeValue::Table(table) = template.get_ref() else {
            return draft;
        };
        let whole = Node::item(template, path);
        self.record("", "", &whole);
        let cpu = self.template_number(table, path, "cpu");
        let memory = self.template_number(table, path, "memory");
        match (cpu, memory) {
            (Some(cpu), Some(memory)) => draft.size = Some((cpu, memory)),
            (None, None) => {}
            _ => self.error(
                None,
                &whole,
                "give both `cpu` and `memory` for the task size, or neither to use the smallest \
                 that holds the containers"
                    .into(),
            ),
        }
        if let Some((key, value)) = table.get_key_value("task_definitions")
            && table.contains_key("containers")
        {
            let node = Node::entry(key, value, path);
            self.key_error(
                None,
                &node,
                "a template either names task definitions or defines containers; remove one".into(),
            );
        }
        let Some((key, containers)) = table.get_key_value("containers") else {
            self.error(
                None,
                &whole,
                "has no containers; add [<template>.containers.<name>] tables".into(),
            );
            return draft;
        };
        let containers_node = Node::entry(key, containers, path);
        let DeValue::Table(containers) = containers.get_ref() else {
            self.wrong_type(None, &containers_node, "a table of containers");
            return draft;
        };
        for (key, value) in containers.iter() {
            let name: &str = key.get_ref();
            let node = Node::entry(key, value, &containers_node.path);
            if let Some((container, explicit_essential)) = self.container(name, &node) {
                if explicit_essential {
                    draft.explicit_essential.insert(name.to_string());
                }
                draft.containers.push(container);
            }
        }
        draft
    }

    fn template_number(&mut self, table: &DeTable, path: &str, key: &str) -> Option<u32> {
        let (key_node, value) = table.get_key_value(key)?;
        let node = Node::entry(key_node, value, path);
        self.record("", key, &node);
        self.record("", "size", &node);
        self.number(None, &node)
    }

    fn container(&mut self, name: &str, node: &Node) -> Option<(Container, bool)> {
        let DeValue::Table(table) = node.value else {
            self.wrong_type(Some(name), node, "a table");
            return None;
        };
        self.record(name, "", node);
        let mut container = Container::new(name, "", self.log.clone());
        let mut explicit_essential = false;
        let mut image = None;
        for (key, value) in table.iter() {
            let field = Node::entry(key, value, &node.path);
            let key: &str = key.get_ref();
            let field_name = match key {
                "env" => "environment",
                "entrypoint" => "entry_point",
                "cap_add" => "capabilities_add",
                other => other,
            };
            self.record(name, field_name, &field);
            match key {
                "image" => image = Some(self.string(name, &field)),
                "essential" => {
                    explicit_essential = true;
                    if let Some(essential) = self.flag(name, &field) {
                        container.essential = essential;
                    }
                }
                "ports" => container.port_mappings = self.ports(name, &field),
                "env" => container.environment = self.string_table(name, &field, "environment"),
                "secrets" => container.secrets = self.string_table(name, &field, "secrets"),
                "command" => container.command = self.words(name, &field),
                "entrypoint" => container.entry_point = self.words(name, &field),
                "depends_on" => container.depends_on = self.depends_on(name, &field),
                "health" => container.health_check = self.health(name, &field),
                "cpu" => container.cpu = self.number(Some(name), &field),
                "memory" => container.memory = self.number(Some(name), &field),
                "memory_reservation" => {
                    container.memory_reservation = self.number(Some(name), &field)
                }
                "user" => container.user = self.string(name, &field),
                "working_dir" => container.working_directory = self.string(name, &field),
                "stop_timeout" => container.stop_timeout = self.seconds(name, &field),
                "read_only" => {
                    container.readonly_root_filesystem = self.flag(name, &field).unwrap_or(false)
                }
                "init" => container.init_process_enabled = self.flag(name, &field).unwrap_or(false),
                "cap_add" => container.capabilities_add = self.capabilities(name, &field),
                "cap_drop" => container.capabilities_drop = self.capabilities(name, &field),
                unknown => self.unknown_key(Some(name), &field, unknown, CONTAINER_KEYS),
            }
        }
        match image {
            Some(Some(image)) => container.image = image,
            // Written but not a string: reported where it is.
            Some(None) => return None,
            None => {
                // A misspelt `image` is reported with its fix already; say it once.
                let misspelt = table.keys().any(|key| {
                    let key: &str = key.get_ref();
                    !CONTAINER_KEYS.contains(&key) && suggest(key, CONTAINER_KEYS) == Some("image")
                });
                if !misspelt {
                    self.key_error(
                        Some(name),
                        node,
                        "required key `image` is missing; add `image = \"repository/name:tag\"`"
                            .into(),
                    );
                }
                return None;
            }
        }
        Some((container, explicit_essential))
    }

    fn unknown_key(
        &mut self,
        container: Option<&str>,
        node: &Node,
        unknown: &str,
        allowed: &[&str],
    ) {
        let message = match suggest(unknown, allowed) {
            Some(near) => format!("unknown key `{unknown}`; did you mean `{near}`?"),
            None => format!(
                "unknown key `{unknown}`; allowed keys here: {}",
                allowed.join(", ")
            ),
        };
        self.key_error(container, node, message);
    }

    fn string(&mut self, container: &str, node: &Node) -> Option<String> {
        match node.value {
            DeValue::String(text) => Some(text.to_string()),
            _ => {
                self.wrong_type(Some(container), node, "a string");
                None
            }
        }
    }

    fn flag(&mut self, container: &str, node: &Node) -> Option<bool> {
        match node.value {
            DeValue::Boolean(flag) => Some(*flag),
            _ => {
                self.wrong_type(Some(container), node, "true or false");
                None
            }
        }
    }

    fn number(&mut self, container: Option<&str>, node: &Node) -> Option<u32> {
        let DeValue::Integer(integer) = node.value else {
            self.wrong_type(container, node, "a whole number");
            return None;
        };
        match u32::from_str_radix(integer.as_str(), integer.radix()) {
            Ok(value) => Some(value),
            Err(_) => {
                self.error(
                    container,
                    node,
                    "must be a whole number from 0 to 4294967295".into(),
                );
                None
            }
        }
    }

    fn seconds(&mut self, container: &str, node: &Node) -> Option<u32> {
        let text = self.string(container, node)?;
        match parse_seconds(&text) {
            Ok(seconds) => Some(seconds),
            Err(message) => {
                self.error(Some(container), node, message);
                None
            }
        }
    }

    /// `command = ["serve", "--port", "80"]`, or a string split as a shell would.
    fn words(&mut self, container: &str, node: &Node) -> Option<Vec<String>> {
        let words = match node.value {
            DeValue::String(line) => match shlex::split(line) {
                Some(words) => words,
                None => {
                    self.error(Some(container), node, "has an unclosed quote".into());
                    return None;
                }
            },
            DeValue::Array(items) => {
                let mut words = Vec::new();
                for item in items.iter() {
                    words.push(self.string(container, &Node::item(item, &node.path))?);
                }
                words
            }
            _ => {
                self.wrong_type(Some(container), node, "a string or an array of strings");
                return None;
            }
        };
        if words.is_empty() {
            self.error(
                Some(container),
                node,
                "is empty; remove it to keep the image's own".into(),
            );
            return None;
        }
        Some(words)
    }
}
