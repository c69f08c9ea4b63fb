//! The file's sections, key by key: which keys each table has, their defaults, and the
//! checks that make each value what ondeck can use.

use std::collections::BTreeMap;
use std::ops::Range;

use super::rules::{check_task_definition, endpoint_problem, is_plain_name};
use super::{Checker, Fields, Node, suggest};
use crate::config::commands::taken_defaults;
use crate::config::{
    Command, Config, Context, ExecClient, KeySpec, PriceOverride, Profile, Template,
};
use crate::instances::expiry::parse_ttl;
use crate::instances::{is_valid_owner, owner_from_login};

const TOP_KEYS: &[&str] = &["default_profile", "exec_client", "keymap", "profiles"];
pub(super) const PROFILE_KEYS: &[&str] = &[
    "aws_profile",
    "region",
    "endpoint_url",
    "cluster",
    "owner",
    "subnets",
    "security_groups",
    "assign_public_ip",
    "refresh_busy_secs",
    "refresh_steady_secs",
    "log_buffer_lines",
    "prices",
    "exec_client",
    "templates",
];
const PRICE_KEYS: &[&str] = &["vcpu_hour", "gb_hour"];
const TEMPLATE_KEYS: &[&str] = &[
    "task_definitions",
    "description",
    "ttl",
    "spot",
    "env",
    "exec",
    "shell",
    "exec_container",
    "links",
];

const DEFAULT_REFRESH_BUSY_SECS: u64 = 2;
const DEFAULT_REFRESH_STEADY_SECS: u64 = 30;
const DEFAULT_LOG_BUFFER_LINES: usize = 50_000;
const LOG_BUFFER_LINES: std::ops::RangeInclusive<i64> = 1_000..=1_000_000;

impl Checker<'_> {
    pub(super) fn config(&mut self, root: &Node) -> Option<Config> {
        let fields = self.fields(root, TOP_KEYS)?;
        let default_profile = fields.get("default_profile");
        let default_name = default_profile
            .as_ref()
            .and_then(|node| self.non_empty_string(node, "the name of a profile"));
        let keymap = match fields.get("keymap") {
            Some(node) => self.keymap(&node),
            None => Some(BTreeMap::new()),
        };
        let exec_client = match fields.get("exec_client") {
            Some(node) => self.exec_client(&node),
            None => Some(ExecClient::default()),
        };
        let profiles = match fields.get("profiles") {
            Some(node) => self.profiles(&node, exec_client?),
            None => {
                self.report(
                    &fields.span,
                    "profiles",
                    "no profiles; add a [profiles.NAME] table with region, cluster, subnets and \
                     security_groups (see config.example.toml)"
                        .into(),
                );
                None
            }
        }?;
        if let (Some(name), Some(node)) = (&default_name, &default_profile)
            && !profiles.contains_key(name)
        {
            let known: Vec<&str> = profiles.keys().map(String::as_str).collect();
            self.report(
                &node.span,
                &node.path,
                format!(
                    "there is no profile `{name}`; use one of: {}, or add [profiles.{name}]",
                    known.join(", ")
                ),
            );
        }
        Some(Config {
            path: self.path.to_path_buf(),
            default_profile: default_name,
            profiles,
            keymap: keymap?,
        })
    }

    fn keymap(&mut self, node: &Node) -> Option<BTreeMap<Command, KeySpec>> {
        let mut complete = node.value.is_table();
        let mut bindings = Vec::new();
        for (name, key_span, value) in self.entries(node) {
            let Some(command) = Command::from_name(&name) else {
                let near = suggest(&name, &Command::NAMES)
                    .map(|near| format!("did you mean `{near}`? "))
                    .unwrap_or_default();
                self.report(
                    &key_span,
                    &value.path,
                    format!(
                        "unknown command `{name}`; {near}commands: {}",
                        Command::NAMES.join(", ")
                    ),
                );
                complete = false;
                continue;
            };
            let Some(text) = self.string(&value) else {
                complete = false;
                continue;
            };
            match text.parse::<KeySpec>() {
                Ok(spec) => bindings.push((command, spec, value)),
                Err(message) => {
                    self.report(&value.span, &value.path, message);
                    complete = false;
                }
            }
        }
        // In file order, so the second binding of a key is the one reported.
        bindings.sort_by_key(|(_, _, value)| value.span.start);
        let asked: Vec<_> = bindings
            .iter()
            .map(|(command, spec, _)| (*command, *spec))
            .collect();
        for (at, message) in taken_defaults(&asked) {
            self.report(&bindings[at].2.span, &bindings[at].2.path, message);
            complete = false;
        }
        let mut keymap = BTreeMap::new();
        // Keyed by context too: a log pane key may repeat an instances-view key.
        let mut command_of: BTreeMap<(Context, KeySpec), Command> = BTreeMap::new();
        for (command, spec, value) in bindings {
            let bound_in = (command.context(), spec);
            if let Some(earlier) = command_of.get(&bound_in) {
                self.report(
                    &value.span,
                    &value.path,
                    format!(
                        "`{spec}` is already bound to `{}`; give each command its own key",
                        earlier.name()
                    ),
                );
                complete = false;
                continue;
            }
            command_of.insert(bound_in, command);
            keymap.insert(command, spec);
        }
        complete.then_some(keymap)
    }

    fn exec_client(&mut self, node: &Node) -> Option<ExecClient> {
        match self.string(node)?.as_str() {
            "native" => Some(ExecClient::Native),
            "plugin" => Some(ExecClient::Plugin),
            other => {
                self.report(
                    &node.span,
                    &node.path,
                    format!(
                        "`{other}` is not an exec client; use \"native\" (built in) or \"plugin\" \
                         (session-manager-plugin on PATH)"
                    ),
                );
                None
            }
        }
    }

    fn profiles(
        &mut self,
        node: &Node,
        exec_client: ExecClient,
    ) -> Option<BTreeMap<String, Profile>> {
        let entries = self.entries(node);
        if entries.is_empty() && node.value.is_table() {
            self.report(
                &node.span,
                &node.path,
                "no profiles; add a [profiles.NAME] table (see config.example.toml)".into(),
            );
            return None;
        }
        let mut profiles = BTreeMap::new();
        let mut complete = node.value.is_table();
        for (name, key_span, value) in entries {
            let valid_name = self.check_name(&name, &key_span, &value.path, "profile");
            match self.profile(&name, &value, exec_client) {
                Some(profile) if valid_name => {
                    profiles.insert(name, profile);
                }
                _ => complete = false,
            }
        }
        complete.then_some(profiles)
    }

    /// Profile and template names end up in tags and on screen: keep them plain.
    fn check_name(&mut self, name: &str, span: &Range<usize>, path: &str, what: &str) -> bool {
        let valid = is_plain_name(name);
        if !valid {
            self.report(
                span,
                path,
                format!("{what} name `{name}` may only use letters, digits, - and _; rename it"),
            );
        }
        valid
    }

    fn profile(&mut self, name: &str, node: &Node, exec_client: ExecClient) -> Option<Profile> {
        let fields = self.fields(node, PROFILE_KEYS)?;
        let aws_profile = fields
            .get("aws_profile")
            .map(|node| self.non_empty_string(&node, "the name of a profile in ~/.aws/config"));
        let region = self
            .required(&fields, "region", "\"us-east-1\"")
            .and_then(|node| self.region(&node));
        let endpoint_url = fields
            .get("endpoint_url")
            .map(|node| self.endpoint_url(&node));
        let cluster = self
            .required(&fields, "cluster", "\"my-cluster\"")
            .and_then(|node| self.non_empty_string(&node, "the ECS cluster name or ARN"));
        let owner = self.owner(&fields);
        let subnets = self
            .required(&fields, "subnets", "[\"subnet-0abc1234\"]")
            .and_then(|node| self.ids(&node, "subnet-", "subnet"));
        let security_groups = self
            .required(&fields, "security_groups", "[\"sg-0abc1234\"]")
            .and_then(|node| self.ids(&node, "sg-", "security group"));
        let assign_public_ip = match fields.get("assign_public_ip") {
            Some(node) => self.bool(&node),
            None => Some(false),
        };
        let (refresh_busy_secs, refresh_steady_secs) = self.refresh(&fields);
        let log_buffer_lines = match fields.get("log_buffer_lines") {
            Some(node) => self.integer(&node).and_then(|lines| {
                if LOG_BUFFER_LINES.contains(&lines) {
                    usize::try_from(lines).ok()
                } else {
                    self.report(
                        &node.span,
                        &node.path,
                        format!(
                            "{lines} is out of range; keep between {} and {} lines",
                            LOG_BUFFER_LINES.start(),
                            LOG_BUFFER_LINES.end()
                        ),
                    );
                    None
                }
            }),
            None => Some(DEFAULT_LOG_BUFFER_LINES),
        };
        let prices = fields.get("prices").map(|node| self.prices(&node));
        let exec_client = match fields.get("exec_client") {
            Some(node) => self.exec_client(&node),
            None => Some(exec_client),
        };
        let templates = match fields.get("templates") {
            Some(node) => self.templates(&node),
            None => Some(BTreeMap::new()),
        };
        Some(Profile {
            name: name.to_string(),
            aws_profile: if_present(aws_profile)?,
            region: region?,
            endpoint_url: if_present(endpoint_url)?,
            cluster: cluster?,
            owner: owner?,
            subnets: subnets?,
            security_groups: security_groups?,
            assign_public_ip: assign_public_ip?,
            templates: templates?,
            refresh_busy_secs: refresh_busy_secs?,
            refresh_steady_secs: refresh_steady_secs?,
            log_buffer_lines: log_buffer_lines?,
            prices: if_present(prices)?,
            exec_client: exec_client?,
        })
    }

    fn region(&mut self, node: &Node) -> Option<String> {
        let region = self.non_empty_string(node, "an AWS region such as \"us-east-1\"")?;
        let looks_right = region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && region.contains('-')
            && region.ends_with(|c: char| c.is_ascii_digit());
        if !looks_right {
            self.report(
                &node.span,
                &node.path,
                format!("`{region}` is not an AWS region name; write one like \"us-east-1\""),
            );
            return None;
        }
        Some(region)
    }

    fn endpoint_url(&mut self, node: &Node) -> Option<String> {
        let url = self.string(node)?;
        if let Some(problem) = endpoint_problem(&url) {
            self.report(
                &node.span,
                &node.path,
                format!(
                    "`{url}` is not an endpoint URL ({problem}); write http:// or https:// and \
                     a host, e.g. \"http://127.0.0.1:5000\""
                ),
            );
            return None;
        }
        Some(url)
    }

    fn owner(&mut self, fields: &Fields) -> Option<String> {
        if let Some(node) = fields.get("owner") {
            let owner = self.string(&node)?;
            if !is_valid_owner(&owner) {
                self.report(
                    &node.span,
                    &node.path,
                    format!(
                        "owner `{owner}` has characters ECS startedBy cannot carry; \
                         use letters, digits, - _ / (at most 120)"
                    ),
                );
                return None;
            }
            return Some(owner);
        }
        match self.login {
            Some(login) => Some(owner_from_login(login)),
            None => {
                self.report(
                    &fields.span,
                    &fields.child_path("owner"),
                    "no login name in $USER or $LOGNAME to own your instances; \
                     set `owner = \"your-name\"`"
                        .into(),
                );
                None
            }
        }
    }

    /// Subnet and security group ids: a fixed prefix and then letters and digits.
    fn ids(&mut self, node: &Node, prefix: &str, what: &str) -> Option<Vec<String>> {
        let example = format!("[\"{prefix}0abc1234\"]");
        let items = self.string_list(node, &example)?;
        let mut ids = Vec::new();
        for (id, span) in items {
            let valid = id.strip_prefix(prefix).is_some_and(|rest| {
                !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric())
            });
            if !valid {
                self.report(
                    &span,
                    &node.path,
                    format!("`{id}` is not a {what} id; {what} ids look like `{prefix}0abc1234`"),
                );
                return None;
            }
            ids.push(id);
        }
        Some(ids)
    }

    fn refresh(&mut self, fields: &Fields) -> (Option<u64>, Option<u64>) {
        let busy_node = fields.get("refresh_busy_secs");
        let steady_node = fields.get("refresh_steady_secs");
        let mut seconds = |node: &Option<Node>, default: u64| match node {
            Some(node) => self.integer(node).and_then(|secs| {
                if secs >= 1 {
                    u64::try_from(secs).ok()
                } else {
                    self.report(
                        &node.span,
                        &node.path,
                        format!("{secs} is too short; use 1 or more seconds"),
                    );
                    None
                }
            }),
            None => Some(default),
        };
        let busy = seconds(&busy_node, DEFAULT_REFRESH_BUSY_SECS);
        let steady = seconds(&steady_node, DEFAULT_REFRESH_STEADY_SECS);
        if let (Some(busy_secs), Some(steady_secs)) = (busy, steady)
            && steady_secs < busy_secs
        {
            let (node, message) = match (&steady_node, &busy_node) {
                (Some(node), _) => (
                    node,
                    format!(
                        "refresh_steady_secs ({steady_secs}) is shorter than refresh_busy_secs \
                         ({busy_secs}); set it to {busy_secs} or more"
                    ),
                ),
                (None, Some(node)) => (
                    node,
                    format!(
                        "refresh_busy_secs ({busy_secs}) is longer than the default \
                         refresh_steady_secs ({steady_secs}); lower it, or set \
                         refresh_steady_secs to {busy_secs} or more"
                    ),
                ),
                // Both defaults: already in order.
                (None, None) => return (busy, steady),
            };
            self.report(&node.span, &node.path, message);
            return (None, None);
        }
        (busy, steady)
    }

    fn prices(&mut self, node: &Node) -> Option<PriceOverride> {
        let fields = self.fields(node, PRICE_KEYS)?;
        let vcpu_hour = self
            .required(&fields, "vcpu_hour", "0.04048")
            .and_then(|node| self.positive_number(&node));
        let gb_hour = self
            .required(&fields, "gb_hour", "0.004445")
            .and_then(|node| self.positive_number(&node));
        Some(PriceOverride {
            vcpu_hour: vcpu_hour?,
            gb_hour: gb_hour?,
        })
    }

    fn templates(&mut self, node: &Node) -> Option<BTreeMap<String, Template>> {
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
        let fields = self.fields(node, TEMPLATE_KEYS)?;
        let task_definitions = self
            .required(&fields, "task_definitions", "[\"family:revision\"]")
            .and_then(|node| self.task_definitions(&node));
        let description = fields.get("description").map(|node| self.string(&node));
        let ttl = fields.get("ttl").map(|node| {
            let text = self.string(&node)?;
            match parse_ttl(&text) {
                Ok(ttl) => Some(ttl),
                Err(message) => {
                    self.report(&node.span, &node.path, message);
                    None
                }
            }
        });
        let spot = match fields.get("spot") {
            Some(node) => self.bool(&node),
            None => Some(false),
        };
        let env = match fields.get("env") {
            Some(node) => self.env(&node),
            None => Some(BTreeMap::new()),
        };
        let exec = fields.get("exec").map(|node| self.bool(&node));
        let shell = fields.get("shell").map(|node| {
            self.non_empty_string(&node, "the command a shell runs, e.g. \"/bin/bash\"")
        });
        let exec_container = fields
            .get("exec_container")
            .map(|node| self.non_empty_string(&node, "a container name of the template"));
        let links = match fields.get("links") {
            Some(node) => self.links(&node),
            None => Some(BTreeMap::new()),
        };
        Some(Template {
            exec: if_present(exec)?,
            shell: if_present(shell)?,
            exec_container: if_present(exec_container)?,
            links: links?,
            name: name.to_string(),
            description: if_present(description)?,
            task_definitions: task_definitions?,
            env: env?,
            ttl: if_present(ttl)?,
            spot: spot?,
        })
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

/// An optional key read as (absent → fine, no value; present → valid or not).
fn if_present<T>(checked: Option<Option<T>>) -> Option<Option<T>> {
    match checked {
        None => Some(None),
        Some(valid) => valid.map(Some),
    }
}
