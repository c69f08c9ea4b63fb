//! A compose document and its services: which keys become the container, which are warned
//! about, refused or unknown, and the checks across services (platforms, service names used as
//! hosts).

use std::collections::{BTreeMap, BTreeSet};

use ondeck_core::config::suggest;

use super::resources::{LimitKind, Limits};
use super::yaml::{Node, Value};
use super::{Key, Reader, keys};
use crate::assemble::Draft;
use crate::model::{Container, CpuArchitecture};
use crate::problem::{Location, Severity};

impl Reader<'_> {
    pub(super) fn document(&mut self, root: &Node, size: Option<(u32, u32)>) -> Draft {
        let mut draft = Draft {
            size,
            ..Draft::default()
        };
        let top = Key {
            service: "",
            name: "",
            at: root.at,
            path: String::new(),
        };
        let Some(entries) = root.entries() else {
            let message = format!(
                "expected a mapping with `services:`, found {}",
                root.value.kind()
            );
            self.report(Severity::Error, None, None, root.at, message);
            return draft;
        };
        let mut services = None;
        for (key, value) in entries {
            let Some(name) = key.as_str() else {
                self.report(
                    Severity::Error,
                    None,
                    None,
                    key.at,
                    "keys must be words".into(),
                );
                continue;
            };
            match name {
                "services" => services = Some((key.at, value)),
                "version" | "name" => {}
                "networks" | "volumes" | "secrets" | "configs" => {
                    if value.entries().is_some_and(|entries| !entries.is_empty()) {
                        self.report(
                            Severity::Warning,
                            None,
                            Some(name),
                            key.at,
                            format!(
                                "top-level `{name}` are not used on Fargate; a service that \
                                 uses one is refused where it does"
                            ),
                        );
                    }
                }
                "include" => self.report(
                    Severity::Error,
                    None,
                    Some(name),
                    key.at,
                    "`include` is not supported; put the services in this file".into(),
                ),
                extension if extension.starts_with("x-") => {}
                unknown => {
                    let allowed = [
                        "services", "version", "name", "networks", "volumes", "secrets", "configs",
                        "include",
                    ];
                    let message = match suggest(unknown, &allowed) {
                        Some(near) => {
                            format!("unknown top-level key `{unknown}`; did you mean `{near}`?")
                        }
                        None => format!(
                            "unknown top-level key `{unknown}`; compose files have `services:`"
                        ),
                    };
                    self.report(Severity::Error, None, Some(unknown), key.at, message);
                }
            }
        }
        let Some((services_at, services)) = services else {
            self.report(
                Severity::Error,
                None,
                None,
                top.at,
                "has no `services:`; list the containers under it".into(),
            );
            return draft;
        };
        self.origins.record("", "", "services", services_at);
        let Some(services) = services.entries() else {
            self.wrong_type(
                &Key {
                    path: "services".into(),
                    ..top
                },
                services,
                "a mapping of services",
            );
            return draft;
        };
        let mut platforms: Vec<(CpuArchitecture, String, Location)> = Vec::new();
        for (name_node, service) in services {
            let Some(name) = name_node.scalar_text() else {
                self.report(
                    Severity::Error,
                    None,
                    None,
                    name_node.at,
                    "service names must be words".into(),
                );
                continue;
            };
            self.origins
                .record(&name, "", &format!("services.{name}"), name_node.at);
            if let Some(profiles) = self.inactive_profiles(service) {
                self.report(
                    Severity::Warning,
                    Some(&name),
                    Some(&format!("services.{name}.profiles")),
                    name_node.at,
                    format!(
                        "is left out: it belongs to the compose profiles {profiles}, none of \
                         which is active"
                    ),
                );
                continue;
            }
            if let Some(read) = self.service(&name, name_node.at, service) {
                if let Some(platform) = read.platform {
                    platforms.push(platform);
                }
                if read.explicit_essential {
                    draft.explicit_essential.insert(name.clone());
                }
                draft.containers.push(read.container);
            }
        }
        draft.cpu_architecture = self.one_platform(&platforms);
        self.service_names_as_hosts(&draft.containers);
        draft
    }

    /// `Some("[debug, tools]")` when the service has profiles and none is active.
    pub(super) fn inactive_profiles(&self, service: &Node) -> Option<String> {
        let profiles: Vec<String> = service
            .get("profiles")?
            .items()?
            .iter()
            .filter_map(Node::scalar_text)
            .collect();
        let active = profiles
            .iter()
            .any(|profile| self.source.active_profiles.contains(profile));
        (!profiles.is_empty() && !active).then(|| format!("[{}]", profiles.join(", ")))
    }

    pub(super) fn one_platform(
        &mut self,
        platforms: &[(CpuArchitecture, String, Location)],
    ) -> Option<CpuArchitecture> {
        let (first, first_service, _) = platforms.first()?;
        for (other, service, at) in &platforms[1..] {
            if other != first {
                self.report(
                    Severity::Error,
                    Some(service),
                    Some(&format!("services.{service}.platform")),
                    *at,
                    format!(
                        "asks for another CPU architecture than `{first_service}`; all the \
                         containers of one Fargate task run on the same one"
                    ),
                );
            }
        }
        Some(*first)
    }

    /// Compose services reach each other by name; the containers of one task share localhost.
    pub(super) fn service_names_as_hosts(&mut self, containers: &[Container]) {
        let names: BTreeSet<&str> = containers
            .iter()
            .map(|container| container.name.as_str())
            .collect();
        for container in containers {
            for (variable, value) in &container.environment {
                let Some(host) = names.iter().find(|name| names_host(value, name)) else {
                    continue;
                };
                let field = format!("environment.{variable}");
                let problem = self.origins.problem(
                    Severity::Warning,
                    Some(&container.name),
                    &field,
                    format!(
                        "`{variable}` names the service `{host}` as a host; the containers of \
                         one Fargate task reach each other on localhost, so write `localhost` \
                         instead"
                    ),
                );
                self.problems.push(problem);
            }
        }
    }

    pub(super) fn service(
        &mut self,
        name: &str,
        at: Location,
        service: &Node,
    ) -> Option<ServiceRead> {
        let Some(entries) = service.entries() else {
            let key = Key {
                service: name,
                name: "",
                at,
                path: format!("services.{name}"),
            };
            self.wrong_type(&key, service, "a mapping of service keys");
            return None;
        };
        let mut read = ServiceRead {
            container: Container::new(name, "", self.log.clone()),
            platform: None,
            explicit_essential: false,
        };
        let mut image = None;
        let mut build = None;
        let mut environment = BTreeMap::new();
        let mut env_files: Vec<(String, Location)> = Vec::new();
        let mut limits = Limits::default();
        for (key_node, value) in entries {
            let Some(key_name) = key_node.as_str() else {
                let key = Key {
                    service: name,
                    name: "",
                    at: key_node.at,
                    path: format!("services.{name}"),
                };
                self.error(&key, key_node.at, "keys must be words".into());
                continue;
            };
            let key = Key {
                service: name,
                name: key_name,
                at: key_node.at,
                path: format!("services.{name}.{key_name}"),
            };
            let container = &mut read.container;
            match key_name {
                "image" => image = Some((self.text(&key, value), key.at)),
                "build" => build = Some(key.at),
                "ports" => {
                    self.record(&key, "ports");
                    let ports = self.ports(&key, value, true);
                    read.container.port_mappings.extend(ports);
                }
                "expose" => {
                    self.record(&key, "ports");
                    let ports = self.ports(&key, value, false);
                    read.container.port_mappings.extend(ports);
                }
                "environment" => self.environment(&key, value, &mut environment),
                "env_file" => env_files = self.env_file_list(&key, value),
                "command" => container.command = self.words(&key, value),
                "entrypoint" => container.entry_point = self.words(&key, value),
                "depends_on" => {
                    let depends_on = self.depends_on(&key, value);
                    read.container.depends_on = depends_on;
                }
                "healthcheck" => {
                    let health = self.healthcheck(&key, value);
                    read.container.health_check = health;
                }
                "deploy" => self.deploy(&key, value, &mut limits),
                "mem_limit" => limits.set(self, &key, value, LimitKind::Memory),
                "mem_reservation" => limits.set(self, &key, value, LimitKind::MemoryReservation),
                "cpus" => limits.set(self, &key, value, LimitKind::Cpu),
                "user" => container.user = self.text(&key, value),
                "working_dir" => container.working_directory = self.text(&key, value),
                "stop_grace_period" => {
                    self.record(&key, "stop_timeout");
                    let seconds = self.seconds(&key, value);
                    read.container.stop_timeout = seconds;
                }
                "read_only" => container.readonly_root_filesystem = self.flag(&key, value),
                "init" => container.init_process_enabled = self.flag(&key, value),
                "tty" => container.pseudo_terminal = self.flag(&key, value),
                "stdin_open" => container.interactive = self.flag(&key, value),
                "cap_add" => {
                    self.record(&key, "capabilities_add");
                    let capabilities = self.capabilities(&key, value);
                    read.container.capabilities_add = capabilities;
                }
                "cap_drop" => {
                    let capabilities = self.capabilities(&key, value);
                    read.container.capabilities_drop = capabilities;
                }
                "platform" => read.platform = self.platform(&key, value),
                "profiles" => {}
                "privileged" => self.refuse_if_true(&key, value, keys::PRIVILEGED),
                "restart" => self.restart(&key, value),
                "scale" => self.scale(&key, value),
                "x-ondeck" => self.extension(&key, value, &mut read),
                extension if extension.starts_with("x-") => {}
                other => self.other_key(&key, other, value),
            }
        }
        let mut merged = self.env_files(name, &env_files);
        merged.append(&mut environment);
        read.container.environment = merged;
        limits.apply(self, name, &mut read.container);
        let service_key = |key_name: &str, at: Location| Key {
            service: name,
            name: "",
            at,
            path: format!("services.{name}.{key_name}"),
        };
        match (image, build) {
            (Some((Some(image), image_at)), build) => {
                read.container.image = image;
                self.origins
                    .record(name, "image", &format!("services.{name}.image"), image_at);
                if let Some(build_at) = build {
                    self.warn(
                        &service_key("build", build_at),
                        build_at,
                        "is not used: ondeck runs `image` as it is in the registry; build and \
                         push it before launching"
                            .into(),
                    );
                }
            }
            // Written but unusable: already reported where it is.
            (Some((None, _)), _) => return None,
            (None, Some(build_at)) => {
                self.error(
                    &service_key("build", build_at),
                    build_at,
                    "Fargate cannot build images; build and push it to a registry, then set \
                     `image:` to it"
                        .into(),
                );
                return None;
            }
            (None, None) => {
                // A misspelt `image` is reported with its fix already; say it once.
                if !entries
                    .iter()
                    .any(|(key, _)| key.as_str().is_some_and(misspells_image))
                {
                    let key = Key {
                        service: name,
                        name: "",
                        at,
                        path: format!("services.{name}"),
                    };
                    self.error(&key, at, "has no `image:`; name the image to run".into());
                }
                return None;
            }
        }
        read.container.port_mappings.sort();
        read.container.port_mappings.dedup();
        Some(read)
    }

    pub(super) fn refuse_if_true(&mut self, key: &Key, node: &Node, message: &str) {
        if self.flag(key, node) {
            self.error(key, key.at, message.to_string());
        }
    }

    pub(super) fn restart(&mut self, key: &Key, node: &Node) {
        let policy = self.text(key, node).unwrap_or_default();
        if policy != "no" {
            self.warn(
                key,
                key.at,
                format!(
                    "`restart: {policy}` has no effect: ECS does not restart one container of a \
                     task; an essential container's exit stops the task (launch it again to \
                     start a new one)"
                ),
            );
        }
    }

    pub(super) fn scale(&mut self, key: &Key, node: &Node) {
        if self.count(key, node).is_some_and(|scale| scale != 1) {
            self.error(
                key,
                node.at,
                "an instance runs one copy of each service; set 1 or remove it".into(),
            );
        }
    }

    /// `x-ondeck:` — what compose has no word for: ECS secrets and `essential`.
    pub(super) fn extension(&mut self, key: &Key, node: &Node, read: &mut ServiceRead) {
        let Some(entries) = node.entries() else {
            self.wrong_type(key, node, "a mapping with secrets / essential");
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
                "essential" => {
                    self.record(&field_key, "essential");
                    if let Value::Bool(essential) = value.value {
                        read.container.essential = essential;
                        read.explicit_essential = true;
                    } else {
                        self.wrong_type(&field_key, value, "true or false");
                    }
                }
                "secrets" => {
                    for (variable_node, arn) in value.entries().unwrap_or_default() {
                        let Some(variable) = variable_node.scalar_text() else {
                            continue;
                        };
                        let field = format!("secrets.{variable}");
                        self.origins.record(
                            key.service,
                            &field,
                            &format!("{}.{variable}", field_key.path),
                            variable_node.at,
                        );
                        if let Some(arn) = self.text(&field_key, arn) {
                            read.container.secrets.insert(variable, arn);
                        }
                    }
                }
                other => self.error(
                    &field_key,
                    name_node.at,
                    format!("unknown x-ondeck key `{other}`; use secrets or essential"),
                ),
            }
        }
    }

    pub(super) fn other_key(&mut self, key: &Key, name: &str, value: &Node) {
        if let Some((_, message)) = keys::REFUSED_SERVICE_KEYS
            .iter()
            .find(|(refused, _)| *refused == name)
        {
            // `network_mode: host` and the like: every value but the absent one is refused.
            self.error(key, key.at, (*message).to_string());
            return;
        }
        if let Some((_, message)) = keys::IGNORED_SERVICE_KEYS
            .iter()
            .find(|(ignored, _)| *ignored == name)
        {
            if value.value != Value::Null {
                self.warn(key, key.at, (*message).to_string());
            }
            return;
        }
        let known: Vec<&str> = keys::SUPPORTED_SERVICE_KEYS
            .iter()
            .copied()
            .chain(keys::REFUSED_SERVICE_KEYS.iter().map(|(name, _)| *name))
            .chain(keys::IGNORED_SERVICE_KEYS.iter().map(|(name, _)| *name))
            .collect();
        let message = match suggest(name, &known) {
            Some(near) => format!("unknown key `{name}`; did you mean `{near}`?"),
            None => format!("unknown key `{name}`; it is not a compose service key ondeck knows"),
        };
        self.error(key, key.at, message);
    }
}

pub(super) fn misspells_image(key: &str) -> bool {
    let known = keys::SUPPORTED_SERVICE_KEYS.contains(&key)
        || keys::REFUSED_SERVICE_KEYS
            .iter()
            .any(|(name, _)| *name == key)
        || keys::IGNORED_SERVICE_KEYS
            .iter()
            .any(|(name, _)| *name == key);
    !known && suggest(key, &["image"]).is_some()
}

/// What one service adds to the draft besides its container.
pub(super) struct ServiceRead {
    container: Container,
    platform: Option<(CpuArchitecture, String, Location)>,
    explicit_essential: bool,
}

/// Does `value` use `host` as a host name: alone, after `//` or `@`, or before `:<port>`?
pub(super) fn names_host(value: &str, host: &str) -> bool {
    if value == host {
        return true;
    }
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
    value.match_indices(host).any(|(start, _)| {
        let before = &value[..start];
        let after = &value[start + host.len()..];
        let whole_word = !before.ends_with(is_name_char) && !after.starts_with(is_name_char);
        let after_prefix = before.ends_with("//") || before.ends_with('@');
        let before_port = after
            .strip_prefix(':')
            .is_some_and(|port| port.starts_with(|c: char| c.is_ascii_digit()));
        whole_word && (after_prefix || before_port)
    })
}
