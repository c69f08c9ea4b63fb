//! A profile's templates: their one source of containers (task definitions, container
//! tables or a compose file), their size, and what launching them sets.

use std::collections::BTreeMap;
use std::path::Path;

use super::rules::check_task_definition;
use super::schema::TemplateKey;
use super::sections::if_present;
use super::{Checker, Fields, Node, suggest};
use crate::config::table_keys::TableKeys;
use crate::config::{Template, TemplateKind, TemplateSource};
use crate::instances::expiry::parse_ttl;

/// The keys that say where a template's containers come from: exactly one per template.
const SOURCE_KEYS: [TemplateKey; 3] = [
    TemplateKey::TaskDefinitions,
    TemplateKey::Containers,
    TemplateKey::Compose,
];

impl Checker<'_> {
    pub(super) fn templates(&mut self, node: &Node) -> Option<BTreeMap<String, Template>> {
        let mut templates = BTreeMap::new();
        let mut complete = node.value.is_table();
        for (name, key_span, value) in self.entries(node) {
            let valid_name = self.check_name(&name, &key_span, &value.path, "template");
            match self.template(&name, &value) {
                Some(template) if valid_name => {
                    templates.insert(name, template);
                }
                _ => complete = false,
            }
        }
        complete.then_some(templates)
    }

    fn template(&mut self, name: &str, node: &Node) -> Option<Template> {
        let fields = self.fields::<TemplateKey>(node)?;
        let source = self.source(&fields);
        let size = self.size(&fields, source.as_ref());
        let description = fields
            .get(TemplateKey::Description)
            .map(|node| self.string(&node));
        let ttl = fields.get(TemplateKey::Ttl).map(|node| {
            let text = self.string(&node)?;
            match parse_ttl(&text) {
                Ok(ttl) => Some(ttl),
                Err(message) => {
                    self.report(&node.span, &node.path, message);
                    None
                }
            }
        });
        let spot = match fields.get(TemplateKey::Spot) {
            Some(node) => self.bool(&node),
            None => Some(false),
        };
        let env = match fields.get(TemplateKey::Env) {
            Some(node) => self.env(&node),
            None => Some(BTreeMap::new()),
        };
        let exec = fields.get(TemplateKey::Exec).map(|node| self.bool(&node));
        let shell = fields.get(TemplateKey::Shell).map(|node| {
            self.non_empty_string(&node, "the command a shell runs, e.g. \"/bin/bash\"")
        });
        let exec_container = fields
            .get(TemplateKey::ExecContainer)
            .map(|node| self.non_empty_string(&node, "a container name of the template"));
        let links = match fields.get(TemplateKey::Links) {
            Some(node) => self.links(&node),
            None => Some(BTreeMap::new()),
        };
        let kind = match fields.get(TemplateKey::Kind) {
            Some(node) => self.kind(&node),
            None => Some(TemplateKind::Task),
        };
        if kind == Some(TemplateKind::Service)
            && let Some(node) = fields.get(TemplateKey::Env)
        {
            // CreateService takes no container overrides: env would be silently dropped.
            self.report(
                &node.span,
                &node.path,
                "a service-backed template (kind = \"service\") cannot set env: ECS services \
                 take no per-launch overrides; put the variables in the containers' \
                 environment (or the task definition), or use kind = \"task\""
                    .into(),
            );
        }
        Some(Template {
            exec: if_present(exec)?,
            shell: if_present(shell)?,
            exec_container: if_present(exec_container)?,
            links: links?,
            name: name.to_string(),
            description: if_present(description)?,
            source: source??,
            size: size?,
            env: env?,
            ttl: if_present(ttl)?,
            spot: spot?,
            kind: kind?,
        })
    }

    fn kind(&mut self, node: &Node) -> Option<TemplateKind> {
        match self.string(node)?.as_str() {
            "task" => Some(TemplateKind::Task),
            "service" => Some(TemplateKind::Service),
            other => {
                self.report(
                    &node.span,
                    &node.path,
                    format!(
                        "`{other}` is not a template kind; use \"task\" (runs once, ends when a \
                         container exits) or \"service\" (restarted by ECS, can be paused)"
                    ),
                );
                None
            }
        }
    }

    /// Exactly one of `task_definitions`, `containers` and `compose`. `None`: none or several
    /// (reported); `Some(None)`: the one source is written wrongly (reported).
    fn source(&mut self, fields: &Fields<TemplateKey>) -> Option<Option<TemplateSource>> {
        let mut written: Vec<(TemplateKey, Node)> = SOURCE_KEYS
            .iter()
            .filter_map(|key| fields.get(*key).map(|node| (*key, node)))
            .collect();
        written.sort_by_key(|(_, node)| node.span.start);
        let compose_profiles = fields.get(TemplateKey::ComposeProfiles);
        if let Some(node) = &compose_profiles
            && !written.iter().any(|(key, _)| *key == TemplateKey::Compose)
        {
            self.report(
                &node.span,
                &node.path,
                "applies only to a compose template; add `compose = \"docker-compose.yml\"` \
                 or remove it"
                    .into(),
            );
        }
        match written.as_slice() {
            [] => {
                // A misspelt source key is already reported, with the fix; say it once.
                if !self.misspells_any(fields, &SOURCE_KEYS) {
                    self.report(
                        &fields.span,
                        &fields.path,
                        format!(
                            "the template has no containers; add `task_definitions = \
                             [\"family:revision\"]`, [{}.containers.NAME] tables or \
                             `compose = \"docker-compose.yml\"`",
                            fields.path
                        ),
                    );
                }
                None
            }
            [(key, node)] => Some(match key {
                TemplateKey::TaskDefinitions => self
                    .task_definitions(node)
                    .map(TemplateSource::TaskDefinitions),
                TemplateKey::Containers => self.containers(node),
                _ => self.compose(node, compose_profiles.as_ref()),
            }),
            [(first, _), rest @ ..] => {
                for (key, node) in rest {
                    self.report(
                        &node.span,
                        &node.path,
                        format!(
                            "the template already takes its containers from `{}`; a \
                             template has one source: keep `task_definitions`, `containers` or \
                             `compose` and remove `{}`",
                            first.name(),
                            key.name()
                        ),
                    );
                }
                None
            }
        }
    }

    fn misspells_any(&self, fields: &Fields<TemplateKey>, keys: &[TemplateKey]) -> bool {
        fields.unknown_keys().any(|other| {
            suggest(other, TemplateKey::names())
                .and_then(TemplateKey::from_name)
                .is_some_and(|near| keys.contains(&near))
        })
    }

    /// `[<template>.containers.NAME]` tables; their keys are read where they become a task
    /// definition (ondeck-templates), here only their shape.
    fn containers(&mut self, node: &Node) -> Option<TemplateSource> {
        let entries = self.entries(node);
        if !node.value.is_table() {
            return None;
        }
        if entries.is_empty() {
            self.report(
                &node.span,
                &node.path,
                format!(
                    "defines no containers; add a [{}.NAME] table with an `image`",
                    node.path
                ),
            );
            return None;
        }
        let mut complete = true;
        for (name, key_span, value) in entries {
            complete &= self.check_name(&name, &key_span, &value.path, "container");
            if !value.value.is_table() {
                self.wrong_type(&value, "a table");
                complete = false;
            }
        }
        complete.then_some(TemplateSource::Containers)
    }

    fn compose(&mut self, node: &Node, profiles: Option<&Node>) -> Option<TemplateSource> {
        let written = self.non_empty_string(node, "the path of a compose file")?;
        let path = self
            .path
            .parent()
            .unwrap_or_else(|| Path::new(""))
            .join(&written);
        let profiles = match profiles {
            Some(node) => self
                .string_list(node, "[\"debug\"]")
                .map(|items| items.into_iter().map(|(name, _)| name).collect()),
            None => Some(Vec::new()),
        };
        if !path.is_file() {
            self.report(
                &node.span,
                &node.path,
                format!(
                    "there is no compose file `{written}` (paths are relative to the config \
                     file's folder); fix the path or create the file"
                ),
            );
            return None;
        }
        Some(TemplateSource::Compose {
            path,
            profiles: profiles?,
        })
    }

    /// `cpu` and `memory`, both or neither, for a container or compose template. `None`:
    /// reported.
    fn size(
        &mut self,
        fields: &Fields<TemplateKey>,
        source: Option<&Option<TemplateSource>>,
    ) -> Option<Option<(u32, u32)>> {
        let cpu_node = fields.get(TemplateKey::Cpu);
        let memory_node = fields.get(TemplateKey::Memory);
        if let (Some(Some(TemplateSource::TaskDefinitions(_))), Some(node)) =
            (source, cpu_node.as_ref().or(memory_node.as_ref()))
        {
            self.report(
                &node.span,
                &node.path,
                "sizes a container or compose template; a task definition has its own size: \
                 remove it"
                    .into(),
            );
            return None;
        }
        let mut units = |node: &Option<Node>| {
            node.as_ref().map(|node| {
                let value = self.integer(node)?;
                match u32::try_from(value) {
                    Ok(value) if value > 0 => Some(value),
                    _ => {
                        self.report(
                            &node.span,
                            &node.path,
                            format!("{value} is not a task size; use a Fargate size such as 1024"),
                        );
                        None
                    }
                }
            })
        };
        let cpu = units(&cpu_node);
        let memory = units(&memory_node);
        match (cpu, memory) {
            (None, None) => Some(None),
            (Some(cpu), Some(memory)) => Some(Some((cpu?, memory?))),
            (Some(_), None) => {
                self.report(
                    &fields.span,
                    &fields.child_path(TemplateKey::Memory.name()),
                    "cpu is set without memory; add `memory = 2048` (MiB) or remove cpu to use \
                     the smallest size that holds the containers"
                        .into(),
                );
                None
            }
            (None, Some(_)) => {
                self.report(
                    &fields.span,
                    &fields.child_path(TemplateKey::Cpu.name()),
                    "memory is set without cpu; add `cpu = 1024` (1 vCPU) or remove memory to \
                     use the smallest size that holds the containers"
                        .into(),
                );
                None
            }
        }
    }

    fn task_definitions(&mut self, node: &Node) -> Option<Vec<String>> {
        let items = self.string_list(node, "[\"web:3\"]")?;
        let mut definitions = Vec::new();
        for (reference, span) in items {
            if let Err(problem) = check_task_definition(&reference) {
                self.report(
                    &span,
                    &node.path,
                    format!(
                        "`{reference}` {problem}; write `family`, `family:revision` or \
                         arn:aws:ecs:REGION:ACCOUNT:task-definition/family:revision"
                    ),
                );
                return None;
            }
            definitions.push(reference);
        }
        Some(definitions)
    }

    /// `links = { web = "http://{endpoint:web:8080}/" }`: every placeholder names a container
    /// and a port.
    fn links(&mut self, node: &Node) -> Option<BTreeMap<String, String>> {
        let mut links = BTreeMap::new();
        let mut complete = node.value.is_table();
        for (name, _, value) in self.entries(node) {
            let Some(text) = self.string(&value) else {
                complete = false;
                continue;
            };
            if let Err(problem) = crate::links::check(&text) {
                self.report(
                    &value.span,
                    &value.path,
                    format!("{problem}; write {{endpoint:CONTAINER:PORT}}, e.g. \"http://{{endpoint:web:8080}}/\""),
                );
                complete = false;
                continue;
            }
            links.insert(name, text);
        }
        complete.then_some(links)
    }

    fn env(&mut self, node: &Node) -> Option<BTreeMap<String, BTreeMap<String, String>>> {
        let mut env = BTreeMap::new();
        let mut complete = node.value.is_table();
        for (container, _, variables) in self.entries(node) {
            let mut values = BTreeMap::new();
            let entries = self.entries(&variables);
            complete &= variables.value.is_table();
            for (variable, _, value) in entries {
                match self.string(&value) {
                    Some(text) => {
                        values.insert(variable, text);
                    }
                    None => complete = false,
                }
            }
            env.insert(container, values);
        }
        complete.then_some(env)
    }
}
