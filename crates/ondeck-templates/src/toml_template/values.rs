//! The structured values of a container table: `ports`, string tables (`env`, `secrets`),
//! `depends_on`, `health` and `capabilities`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use toml::de::DeValue;

use super::{HealthKey, Node, Reader};
use crate::model::{DependencyCondition, HealthCheck, PortMapping, Protocol, capability_name};
use ondeck_core::config::table_keys::TableKeys;

impl Reader<'_> {
    pub(super) fn ports(&mut self, container: &str, node: &Node) -> Vec<PortMapping> {
        let DeValue::Array(items) = node.value else {
            self.wrong_type(
                Some(container),
                node,
                "an array of ports, e.g. [8080, \"5353/udp\"]",
            );
            return Vec::new();
        };
        let mut ports = Vec::new();
        for item in items.iter() {
            let item_node = Node::item(item, &node.path);
            let (number, protocol): (Cow<str>, Protocol) = match item.get_ref() {
                DeValue::Integer(integer) => (Cow::Borrowed(integer.as_str()), Protocol::Tcp),
                DeValue::String(text) => match text.split_once('/') {
                    Some((number, "tcp")) => (Cow::Owned(number.to_string()), Protocol::Tcp),
                    Some((number, "udp")) => (Cow::Owned(number.to_string()), Protocol::Udp),
                    Some(_) => {
                        self.error(
                            Some(container),
                            &item_node,
                            format!("`{text}`: the protocol is tcp or udp"),
                        );
                        continue;
                    }
                    None => (Cow::Owned(text.to_string()), Protocol::Tcp),
                },
                _ => {
                    self.wrong_type(
                        Some(container),
                        &item_node,
                        "a port number or \"<port>/udp\"",
                    );
                    continue;
                }
            };
            match number.parse::<u16>() {
                Ok(container_port) if container_port > 0 => ports.push(PortMapping {
                    container_port,
                    protocol,
                }),
                _ => self.error(
                    Some(container),
                    &item_node,
                    format!("`{number}` is not a port number (1–65535)"),
                ),
            }
        }
        ports
    }

    pub(super) fn string_table(
        &mut self,
        container: &str,
        node: &Node,
        what: &str,
    ) -> BTreeMap<String, String> {
        let DeValue::Table(table) = node.value else {
            self.wrong_type(
                Some(container),
                node,
                &format!("a table of {what}, e.g. {{ NAME = \"value\" }}"),
            );
            return BTreeMap::new();
        };
        let mut values = BTreeMap::new();
        for (key, value) in table.iter() {
            let entry = Node::entry(key, value, &node.path);
            let name: &str = key.get_ref();
            self.record(container, &format!("{what}.{name}"), &entry);
            if let Some(text) = self.string(container, &entry) {
                values.insert(name.to_string(), text);
            }
        }
        values
    }

    pub(super) fn depends_on(
        &mut self,
        container: &str,
        node: &Node,
    ) -> BTreeMap<String, DependencyCondition> {
        let DeValue::Table(table) = node.value else {
            self.wrong_type(
                Some(container),
                node,
                "a table of container = condition, e.g. { api = \"HEALTHY\" }",
            );
            return BTreeMap::new();
        };
        let mut depends_on = BTreeMap::new();
        for (key, value) in table.iter() {
            let entry = Node::entry(key, value, &node.path);
            let target: &str = key.get_ref();
            self.record(container, &format!("depends_on.{target}"), &entry);
            let Some(text) = self.string(container, &entry) else {
                continue;
            };
            match DependencyCondition::from_name(&text) {
                Some(condition) => {
                    depends_on.insert(target.to_string(), condition);
                }
                None => self.error(
                    Some(container),
                    &entry,
                    format!(
                        "`{text}` is not a condition; use one of {}",
                        DependencyCondition::NAMES.join(", ")
                    ),
                ),
            }
        }
        depends_on
    }

    pub(super) fn health(&mut self, container: &str, node: &Node) -> Option<HealthCheck> {
        let DeValue::Table(table) = node.value else {
            self.wrong_type(
                Some(container),
                node,
                "a table, e.g. { command = \"curl -f http://localhost/\" }",
            );
            return None;
        };
        let mut health = None;
        let mut timings = Vec::new();
        for (key, value) in table.iter() {
            let entry = Node::entry(key, value, &node.path);
            let written: &str = key.get_ref();
            self.record(container, &format!("health.{written}"), &entry);
            let Some(key) = HealthKey::from_name(written) else {
                self.unknown_key(Some(container), &entry, written, HealthKey::names());
                continue;
            };
            match key {
                HealthKey::Command => {
                    health = match entry.value {
                        DeValue::String(line) => Some(HealthCheck::shell(line)),
                        _ => self.words(container, &entry).map(HealthCheck::exec),
                    }
                }
                HealthKey::Interval | HealthKey::Timeout | HealthKey::StartPeriod => {
                    if let Some(seconds) = self.seconds(container, &entry) {
                        timings.push((key, seconds));
                    }
                }
                HealthKey::Retries => {
                    if let Some(retries) = self.number(Some(container), &entry) {
                        timings.push((key, retries));
                    }
                }
            }
        }
        let Some(mut health) = health else {
            self.error(
                Some(container),
                node,
                "has no `command`; give the shell line that checks health".into(),
            );
            return None;
        };
        for (key, value) in timings {
            match key {
                HealthKey::Interval => health.interval = value,
                HealthKey::Timeout => health.timeout = value,
                HealthKey::Retries => health.retries = value,
                HealthKey::StartPeriod => health.start_period = value,
                // Read into `health` above; timings only hold the others.
                HealthKey::Command => {}
            }
        }
        Some(health)
    }

    pub(super) fn capabilities(&mut self, container: &str, node: &Node) -> Vec<String> {
        let DeValue::Array(items) = node.value else {
            self.wrong_type(Some(container), node, "an array of capability names");
            return Vec::new();
        };
        let mut names = Vec::new();
        for item in items.iter() {
            if let Some(name) = self.string(container, &Node::item(item, &node.path)) {
                names.push(capability_name(&name));
            }
        }
        names
    }
}
