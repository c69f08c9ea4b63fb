//! `healthcheck` as an ECS container health check.

use std::collections::BTreeMap;

use super::yaml::{Node, Value};
use super::{Key, Reader};
use crate::model::HealthCheck;
use crate::problem::Location;

impl Reader<'_> {
    pub(super) fn healthcheck(&mut self, key: &Key, node: &Node) -> Option<HealthCheck> {
        let Some(entries) = node.entries() else {
            self.wrong_type(key, node, "a mapping with `test:`");
            return None;
        };
        self.record(key, "health");
        let mut command: Option<Option<Vec<String>>> = None;
        let mut disabled = false;
        let mut timings: BTreeMap<&str, (u32, Location)> = BTreeMap::new();
        for (name_node, value) in entries {
            let name = name_node.as_str().unwrap_or_default();
            let field_key = Key {
                service: key.service,
                name: key.name,
                at: name_node.at,
                path: format!("{}.{name}", key.path),
            };
            match name {
                "test" => command = Some(self.health_test(&field_key, value)),
                "disable" => disabled = self.flag(&field_key, value),
                "interval" | "timeout" | "start_period" => {
                    if let Some(seconds) = self.seconds(&field_key, value) {
                        timings.insert(name, (seconds, name_node.at));
                    }
                }
                "retries" => {
                    if let Some(retries) = self.count(&field_key, value) {
                        timings.insert(name, (retries, name_node.at));
                    }
                }
                "start_interval" => self.warn(
                    &field_key,
                    name_node.at,
                    "is not used: ECS checks at `interval` during the start period too".into(),
                ),
                other => self.error(
                    &field_key,
                    name_node.at,
                    format!(
                        "unknown healthcheck key `{other}`; use test, interval, timeout, retries, \
                         start_period or disable"
                    ),
                ),
            }
        }
        if disabled {
            return None;
        }
        let Some(Some(command)) = command else {
            if command.is_none() {
                self.error(
                    key,
                    key.at,
                    "has no `test:`; give the command that checks health".into(),
                );
            }
            return None;
        };
        let mut health = HealthCheck {
            command,
            ..HealthCheck::shell("")
        };
        for (name, (value, at)) in timings {
            self.origins.record(
                key.service,
                &format!("health.{name}"),
                &format!("{}.{name}", key.path),
                at,
            );
            match name {
                "interval" => health.interval = value,
                "timeout" => health.timeout = value,
                "retries" => health.retries = value,
                _ => health.start_period = value,
            }
        }
        Some(health)
    }

    /// `Some(None)` for `NONE` (no health check), `None` for an error.
    pub(super) fn health_test(&mut self, key: &Key, node: &Node) -> Option<Vec<String>> {
        match &node.value {
            Value::String(_) => {
                let line = self.text(key, node)?;
                Some(HealthCheck::shell(&line).command)
            }
            Value::Sequence(items) => {
                let mut words = Vec::new();
                for item in items {
                    words.push(self.text(key, item)?);
                }
                match words.split_first() {
                    Some((form, rest)) if form == "CMD" && !rest.is_empty() => {
                        Some(HealthCheck::exec(rest.to_vec()).command)
                    }
                    Some((form, rest)) if form == "CMD-SHELL" && !rest.is_empty() => {
                        Some(HealthCheck::shell(&rest.join(" ")).command)
                    }
                    Some((form, [])) if form == "NONE" => None,
                    _ => {
                        self.error(
                            key,
                            node.at,
                            "starts with neither CMD, CMD-SHELL nor NONE, or has nothing after it; \
                             e.g. [\"CMD-SHELL\", \"curl -f http://localhost/\"]"
                                .into(),
                        );
                        None
                    }
                }
            }
            _ => {
                self.wrong_type(key, node, "a string or a list");
                None
            }
        }
    }
}
