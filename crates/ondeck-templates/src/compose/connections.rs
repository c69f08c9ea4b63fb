//! How a service reaches and waits on others: `ports`/`expose` and `depends_on`.

use std::collections::BTreeMap;

use super::ports::{PortRange, ShortPort, parse_range, parse_short_port};
use super::yaml::{Node, Value};
use super::{Key, MAX_PORTS_PER_CONTAINER, Reader};
use crate::model::{DependencyCondition, PortMapping, Protocol};
use crate::problem::Location;

impl Reader<'_> {
    pub(super) fn ports(
        &mut self,
        key: &Key,
        node: &Node,
        published_allowed: bool,
    ) -> Vec<PortMapping> {
        let Some(items) = node.items() else {
            self.wrong_type(key, node, "a list of ports");
            return Vec::new();
        };
        let mut mappings = Vec::new();
        for item in items {
            let parsed = match &item.value {
                Value::Mapping(_) if published_allowed => self.long_port(key, item),
                Value::String(_) | Value::Number(_) => {
                    let text = self.text(key, item).unwrap_or_default();
                    match parse_short_port(&text) {
                        Ok(port) => Some(port),
                        Err(message) => {
                            self.error(key, item.at, message);
                            None
                        }
                    }
                }
                _ => {
                    self.wrong_type(key, item, "a port such as \"8080:80\"");
                    None
                }
            };
            let Some(port) = parsed else { continue };
            if port.host_ip.is_some() {
                self.warn(
                    key,
                    item.at,
                    "the host address is not used: a Fargate task's ports are on its own \
                     network interface"
                        .into(),
                );
            }
            if let Some(published) = port
                .published
                .filter(|published| *published != port.targets)
            {
                self.warn(
                    key,
                    item.at,
                    format!(
                        "published port {published} is not used: the container is reached on its \
                         own port {} (`ondeck` forwards it to your machine)",
                        port.targets
                    ),
                );
            }
            if port.targets.len() > MAX_PORTS_PER_CONTAINER {
                self.error(
                    key,
                    item.at,
                    format!(
                        "the range {} holds more than the {MAX_PORTS_PER_CONTAINER} ports ECS \
                         maps for one container",
                        port.targets
                    ),
                );
                continue;
            }
            mappings.extend(port.targets.ports().map(|container_port| PortMapping {
                container_port,
                protocol: port.protocol,
            }));
        }
        if mappings.len() > MAX_PORTS_PER_CONTAINER {
            self.error(
                key,
                key.at,
                format!("maps more than the {MAX_PORTS_PER_CONTAINER} ports ECS allows for one container"),
            );
        }
        mappings
    }

    pub(super) fn long_port(&mut self, key: &Key, node: &Node) -> Option<ShortPort> {
        let mut target = None;
        let mut published = None;
        let mut protocol = Protocol::Tcp;
        let mut host_ip = None;
        for (name_node, value) in node.entries().unwrap_or_default() {
            let name = name_node.as_str().unwrap_or_default();
            match name {
                "target" => {
                    target = self
                        .text(key, value)
                        .and_then(|text| self.port_number(key, value.at, &text))
                }
                "published" => {
                    let text = self.text(key, value).unwrap_or_default();
                    published = parse_range(&text).ok();
                }
                "protocol" => match self.text(key, value).as_deref() {
                    Some("tcp") => protocol = Protocol::Tcp,
                    Some("udp") => protocol = Protocol::Udp,
                    Some(other) => self.error(
                        key,
                        value.at,
                        format!("protocol `{other}` is not tcp or udp"),
                    ),
                    None => {}
                },
                "host_ip" => host_ip = self.text(key, value),
                "mode" | "app_protocol" | "name" => self.warn(
                    key,
                    name_node.at,
                    format!("`{name}` is not used by ondeck's task definitions"),
                ),
                other => self.error(
                    key,
                    name_node.at,
                    format!("unknown port key `{other}`; use target, published, protocol, host_ip"),
                ),
            }
        }
        let Some(target) = target else {
            self.error(
                key,
                node.at,
                "a long-form port needs `target:`, the container's port".into(),
            );
            return None;
        };
        Some(ShortPort {
            host_ip,
            published,
            targets: PortRange {
                first: target,
                last: target,
            },
            protocol,
        })
    }

    pub(super) fn port_number(&mut self, key: &Key, at: Location, text: &str) -> Option<u16> {
        match text.parse::<u16>() {
            Ok(port) if port > 0 => Some(port),
            _ => {
                self.error(key, at, format!("`{text}` is not a port number (1–65535)"));
                None
            }
        }
    }

    pub(super) fn depends_on(
        &mut self,
        key: &Key,
        node: &Node,
    ) -> BTreeMap<String, DependencyCondition> {
        let mut depends_on = BTreeMap::new();
        match &node.value {
            Value::Sequence(items) => {
                for item in items {
                    if let Some(target) = self.text(key, item) {
                        self.origins.record(
                            key.service,
                            &format!("depends_on.{target}"),
                            &format!("{}.{target}", key.path),
                            item.at,
                        );
                        depends_on.insert(target, DependencyCondition::Start);
                    }
                }
            }
            Value::Mapping(entries) => {
                for (target_node, options) in entries {
                    let Some(target) = target_node.scalar_text() else {
                        continue;
                    };
                    let path = format!("{}.{target}", key.path);
                    self.origins.record(
                        key.service,
                        &format!("depends_on.{target}"),
                        &path,
                        target_node.at,
                    );
                    let option_key = Key {
                        service: key.service,
                        name: key.name,
                        at: target_node.at,
                        path,
                    };
                    let condition = self.dependency_options(&option_key, options);
                    depends_on.insert(target, condition);
                }
            }
            _ => self.wrong_type(
                key,
                node,
                "a list of services or a mapping of service → condition",
            ),
        }
        depends_on
    }

    pub(super) fn dependency_options(&mut self, key: &Key, options: &Node) -> DependencyCondition {
        let mut condition = DependencyCondition::Start;
        let Some(entries) = options.entries() else {
            if options.value != Value::Null {
                self.wrong_type(key, options, "a mapping with `condition:`");
            }
            return condition;
        };
        for (name_node, value) in entries {
            match name_node.as_str().unwrap_or_default() {
                "condition" => match self.text(key, value).as_deref() {
                    Some("service_started") => condition = DependencyCondition::Start,
                    Some("service_healthy") => condition = DependencyCondition::Healthy,
                    Some("service_completed_successfully") => {
                        condition = DependencyCondition::Success
                    }
                    Some(other) => self.error(
                        key,
                        value.at,
                        format!(
                            "condition `{other}` is not one of service_started, service_healthy, \
                             service_completed_successfully"
                        ),
                    ),
                    None => {}
                },
                "required" => {
                    if !self.flag(key, value) {
                        self.warn(
                            key,
                            name_node.at,
                            "`required: false` has no effect: every service of the file runs in \
                             the same task"
                                .into(),
                        );
                    }
                }
                "restart" => {
                    if self.flag(key, value) {
                        self.warn(
                            key,
                            name_node.at,
                            "`restart: true` has no effect: ECS does not restart one container \
                             when another restarts"
                                .into(),
                        );
                    }
                }
                other => self.error(
                    key,
                    name_node.at,
                    format!("unknown depends_on key `{other}`; use condition, required or restart"),
                ),
            }
        }
        condition
    }
}
