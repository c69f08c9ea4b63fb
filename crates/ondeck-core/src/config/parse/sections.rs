//! The file's sections, key by key: which keys each table has, their defaults, and the
//! checks that make each value what ondeck can use.

use std::collections::BTreeMap;
use std::ops::Range;

use super::rules::{check_role_arn, endpoint_problem, is_plain_name};
use super::schema::{PriceKey, ProfileKey, TopKey};
use super::{Checker, Fields, Node, suggest};
use crate::config::commands::taken_defaults;
use crate::config::table_keys::TableKeys;
use crate::config::{Command, Config, Context, ExecClient, KeySpec, PriceOverride, Profile};
use crate::instances::{is_valid_owner, owner_from_login};

const DEFAULT_REFRESH_BUSY_SECS: u64 = 2;
const DEFAULT_REFRESH_STEADY_SECS: u64 = 30;
const DEFAULT_LOG_BUFFER_LINES: usize = 50_000;
const DEFAULT_LOG_STREAM_PREFIX: &str = "ondeck";
const LOG_BUFFER_LINES: std::ops::RangeInclusive<i64> = 1_000..=1_000_000;

impl Checker<'_> {
    pub(super) fn config(&mut self, root: &Node) -> Option<Config> {
        let fields = self.fields::<TopKey>(root)?;
        let default_profile = fields.get(TopKey::DefaultProfile);
        let default_name = default_profile
            .as_ref()
            .and_then(|node| self.non_empty_string(node, "the name of a profile"));
        let keymap = match fields.get(TopKey::Keymap) {
            Some(node) => self.keymap(&node),
            None => Some(BTreeMap::new()),
        };
        let exec_client = match fields.get(TopKey::ExecClient) {
            Some(node) => self.exec_client(&node),
            None => Some(ExecClient::default()),
        };
        let profiles = match fields.get(TopKey::Profiles) {
            Some(node) => self.profiles(&node, exec_client?),
            None => {
                self.report(
                    &fields.span,
                    TopKey::Profiles.name(),
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
    pub(super) fn check_name(
        &mut self,
        name: &str,
        span: &Range<usize>,
        path: &str,
        what: &str,
    ) -> bool {
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
        let fields = self.fields::<ProfileKey>(node)?;
        let aws_profile = fields
            .get(ProfileKey::AwsProfile)
            .map(|node| self.non_empty_string(&node, "the name of a profile in ~/.aws/config"));
        let region = self
            .required(&fields, ProfileKey::Region, "\"us-east-1\"")
            .and_then(|node| self.region(&node));
        let endpoint_url = fields
            .get(ProfileKey::EndpointUrl)
            .map(|node| self.endpoint_url(&node));
        let cluster = self
            .required(&fields, ProfileKey::Cluster, "\"my-cluster\"")
            .and_then(|node| self.non_empty_string(&node, "the ECS cluster name or ARN"));
        let owner = self.owner(&fields);
        let subnets = self
            .required(&fields, ProfileKey::Subnets, "[\"subnet-0abc1234\"]")
            .and_then(|node| self.ids(&node, "subnet-", "subnet"));
        let security_groups = self
            .required(&fields, ProfileKey::SecurityGroups, "[\"sg-0abc1234\"]")
            .and_then(|node| self.ids(&node, "sg-", "security group"));
        let assign_public_ip = match fields.get(ProfileKey::AssignPublicIp) {
            Some(node) => self.bool(&node),
            None => Some(false),
        };
        let (refresh_busy_secs, refresh_steady_secs) = self.refresh(&fields);
        let log_buffer_lines = match fields.get(ProfileKey::LogBufferLines) {
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
        let prices = fields
            .get(ProfileKey::Prices)
            .map(|node| self.prices(&node));
        let exec_client = match fields.get(ProfileKey::ExecClient) {
            Some(node) => self.exec_client(&node),
            None => Some(exec_client),
        };
        let execution_role_arn = fields
            .get(ProfileKey::ExecutionRoleArn)
            .map(|node| self.role_arn(&node));
        let task_role_arn = fields
            .get(ProfileKey::TaskRoleArn)
            .map(|node| self.role_arn(&node));
        let log_group = match fields.get(ProfileKey::LogGroup) {
            Some(node) => self.log_group(&node),
            None => Some(format!("/ondeck/{name}")),
        };
        let log_stream_prefix = match fields.get(ProfileKey::LogStreamPrefix) {
            Some(node) => self.non_empty_string(&node, "an awslogs stream prefix, e.g. \"ondeck\""),
            None => Some(DEFAULT_LOG_STREAM_PREFIX.to_string()),
        };
        let templates = match fields.get(ProfileKey::Templates) {
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
            execution_role_arn: if_present(execution_role_arn)?,
            task_role_arn: if_present(task_role_arn)?,
            log_group: log_group?,
            log_stream_prefix: log_stream_prefix?,
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

    /// An IAM role ARN, as RegisterTaskDefinition takes it.
    fn role_arn(&mut self, node: &Node) -> Option<String> {
        let arn = self.string(node)?;
        if let Err(problem) = check_role_arn(&arn) {
            self.report(
                &node.span,
                &node.path,
                format!(
                    "`{arn}` {problem}; write arn:aws:iam::ACCOUNT:role/NAME, e.g. \
                     \"arn:aws:iam::123456789012:role/ecsTaskExecutionRole\""
                ),
            );
            return None;
        }
        Some(arn)
    }

    /// A CloudWatch Logs group name: letters, digits and `. _ - / #`, at most 512.
    fn log_group(&mut self, node: &Node) -> Option<String> {
        let group = self.non_empty_string(node, "a CloudWatch Logs group, e.g. \"/ondeck/dev\"")?;
        if !crate::config::is_log_group_name(&group) {
            self.report(
                &node.span,
                &node.path,
                format!(
                    "`{group}` is not a CloudWatch Logs group name; use letters, digits and \
                     . _ - / # (at most 512), e.g. \"/ondeck/dev\""
                ),
            );
            return None;
        }
        Some(group)
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

    fn owner(&mut self, fields: &Fields<ProfileKey>) -> Option<String> {
        if let Some(node) = fields.get(ProfileKey::Owner) {
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
                    &fields.child_path(ProfileKey::Owner.name()),
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

    fn refresh(&mut self, fields: &Fields<ProfileKey>) -> (Option<u64>, Option<u64>) {
        let busy_node = fields.get(ProfileKey::RefreshBusySecs);
        let steady_node = fields.get(ProfileKey::RefreshSteadySecs);
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
        let fields = self.fields::<PriceKey>(node)?;
        let vcpu_hour = self
            .required(&fields, PriceKey::VcpuHour, "0.04048")
            .and_then(|node| self.positive_number(&node));
        let gb_hour = self
            .required(&fields, PriceKey::GbHour, "0.004445")
            .and_then(|node| self.positive_number(&node));
        Some(PriceOverride {
            vcpu_hour: vcpu_hour?,
            gb_hour: gb_hour?,
        })
    }
}

/// An optional key read as (absent → fine, no value; present → valid or not).
pub(super) fn if_present<T>(checked: Option<Option<T>>) -> Option<Option<T>> {
    match checked {
        None => Some(None),
        Some(valid) => valid.map(Some),
    }
}
