//! CPU and memory limits (`deploy.resources` and the older top-level keys), capabilities and
//! platform.

use super::yaml::Node;
use super::{Key, Reader};
use crate::model::{Container, CpuArchitecture, capability_name};
use crate::problem::Location;
use crate::units::{parse_cpus, parse_memory_mib};

impl Reader<'_> {
    pub(super) fn deploy(&mut self, key: &Key, node: &Node, limits: &mut Limits) {
        let Some(entries) = node.entries() else {
            self.wrong_type(key, node, "a mapping");
            return;
        };
        for (name_node, value) in entries {
            let name = name_node.as_str().unwrap_or_default();
            let field_key = Key {
                service: key.service,
                name: key.name,
                at: name_node.at,
                path: format!("{}.{name}", key.path),
            };
            match name {
                "resources" => self.resources(&field_key, value, limits),
                "replicas" => {
                    if self.count(&field_key, value).is_some_and(|replicas| replicas != 1) {
                        self.error(
                            &field_key,
                            value.at,
                            "an instance runs one copy of each service; set 1 or remove it".into(),
                        );
                    }
                }
                "mode" => {
                    let mode = self.text(&field_key, value).unwrap_or_default();
                    if mode != "replicated" {
                        self.error(
                            &field_key,
                            value.at,
                            format!("mode `{mode}` is not supported; an instance runs one copy of each service"),
                        );
                    }
                }
                "restart_policy" | "placement" | "update_config" | "rollback_config" | "labels" | "endpoint_mode" => self.warn(
                    &field_key,
                    name_node.at,
                    format!("`deploy.{name}` is a Swarm setting and has no effect on Fargate"),
                ),
                other => self.error(
                    &field_key,
                    name_node.at,
                    format!("unknown deploy key `{other}`; ondeck reads deploy.resources and deploy.replicas"),
                ),
            }
        }
    }

    pub(super) fn resources(&mut self, key: &Key, node: &Node, limits: &mut Limits) {
        let Some(entries) = node.entries() else {
            self.wrong_type(key, node, "a mapping with limits / reservations");
            return;
        };
        for (group_node, group) in entries {
            let group_name = group_node.as_str().unwrap_or_default();
            let group_key = Key {
                service: key.service,
                name: key.name,
                at: group_node.at,
                path: format!("{}.{group_name}", key.path),
            };
            if group_name != "limits" && group_name != "reservations" {
                self.error(
                    &group_key,
                    group_node.at,
                    format!("unknown resources key `{group_name}`; use limits or reservations"),
                );
                continue;
            }
            for (name_node, value) in group.entries().unwrap_or_default() {
                let name = name_node.as_str().unwrap_or_default();
                let field_key = Key {
                    service: key.service,
                    name: key.name,
                    at: name_node.at,
                    path: format!("{}.{name}", group_key.path),
                };
                match (group_name, name) {
                    ("limits", "cpus") => limits.set(self, &field_key, value, LimitKind::Cpu),
                    ("limits", "memory") => limits.set(self, &field_key, value, LimitKind::Memory),
                    ("reservations", "memory") => {
                        limits.set(self, &field_key, value, LimitKind::MemoryReservation)
                    }
                    ("reservations", "cpus") => {
                        limits.set(self, &field_key, value, LimitKind::CpuReservation)
                    }
                    (_, "pids") => self.error(
                        &field_key,
                        name_node.at,
                        "Fargate cannot limit the number of processes".into(),
                    ),
                    (_, "devices" | "generic_resources") => self.error(
                        &field_key,
                        name_node.at,
                        "Fargate has no devices or GPUs to reserve".into(),
                    ),
                    (_, other) => self.error(
                        &field_key,
                        name_node.at,
                        format!("unknown key `{other}`; use cpus or memory"),
                    ),
                }
            }
        }
    }

    pub(super) fn capabilities(&mut self, key: &Key, node: &Node) -> Vec<String> {
        let Some(items) = node.items() else {
            self.wrong_type(key, node, "a list of capabilities");
            return Vec::new();
        };
        let mut capabilities: Vec<String> = items
            .iter()
            .filter_map(|item| self.text(key, item))
            .map(|name| capability_name(&name))
            .collect();
        capabilities.sort();
        capabilities.dedup();
        capabilities
    }

    pub(super) fn platform(
        &mut self,
        key: &Key,
        node: &Node,
    ) -> Option<(CpuArchitecture, String, Location)> {
        let text = self.text(key, node)?;
        let architecture = match text.as_str() {
            "linux/amd64" | "linux/x86_64" => CpuArchitecture::X86_64,
            "linux/arm64" | "linux/arm64/v8" | "linux/aarch64" => CpuArchitecture::Arm64,
            other => {
                self.error(
                    key,
                    node.at,
                    format!(
                        "platform `{other}` is not one Fargate runs; use linux/amd64 or linux/arm64"
                    ),
                );
                return None;
            }
        };
        Some((architecture, key.service.to_string(), key.at))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum LimitKind {
    Cpu,
    CpuReservation,
    Memory,
    MemoryReservation,
}

/// Resource limits of one service, from `deploy.resources` or the older top-level keys; the
/// same limit given twice is refused rather than one of them picked.
#[derive(Default)]
pub(super) struct Limits {
    values: Vec<(LimitKind, u32, String, Location)>,
}

impl Limits {
    pub(super) fn set(&mut self, reader: &mut Reader, key: &Key, node: &Node, kind: LimitKind) {
        let Some(text) = reader.text(key, node) else {
            return;
        };
        let parsed = match kind {
            LimitKind::Cpu | LimitKind::CpuReservation => parse_cpus(&text),
            LimitKind::Memory | LimitKind::MemoryReservation => parse_memory_mib(&text),
        };
        let value = match parsed {
            Ok(value) => value,
            Err(message) => {
                reader.error(key, node.at, message);
                return;
            }
        };
        if let Some((_, _, first, _)) = self.values.iter().find(|(other, ..)| *other == kind) {
            let message = format!("is given twice, here and as `{first}`; keep one");
            reader.error(key, key.at, message);
            return;
        }
        self.values.push((kind, value, key.path.clone(), key.at));
    }

    pub(super) fn apply(self, reader: &mut Reader, service: &str, container: &mut Container) {
        let cpu_limit = self
            .values
            .iter()
            .find(|(kind, ..)| *kind == LimitKind::Cpu);
        for (kind, value, path, at) in &self.values {
            let field = match kind {
                LimitKind::Cpu => {
                    container.cpu = Some(*value);
                    "cpu"
                }
                LimitKind::CpuReservation if cpu_limit.is_none() => {
                    container.cpu = Some(*value);
                    "cpu"
                }
                LimitKind::CpuReservation => {
                    let key = Key {
                        service,
                        name: "",
                        at: *at,
                        path: path.clone(),
                    };
                    reader.warn(
                        &key,
                        *at,
                        "is not used: ECS reserves one CPU figure per container, and the limit \
                         is taken"
                            .into(),
                    );
                    continue;
                }
                LimitKind::Memory => {
                    container.memory = Some(*value);
                    "memory"
                }
                LimitKind::MemoryReservation => {
                    container.memory_reservation = Some(*value);
                    "memory_reservation"
                }
            };
            reader.origins.record(service, field, path, *at);
        }
    }
}
