//! Reading and validating the config file. Every problem becomes one [`ConfigError`] that
//! names the file, line, column and key, and says how to fix it.
//!
//! The file is parsed into toml's spanned document tree and walked by hand rather than
//! through serde, so that each message can point at the exact key or value and suggest the
//! fix. All problems are collected and the one nearest the top of the file is reported.

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read};
use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};

use super::keys::{COMMANDS, KeySpec, is_log_pane_command};
use super::{Config, ConfigError, PriceOverride, Profile, Template};
use crate::instances::expiry::parse_ttl;
use crate::instances::{is_valid_owner, owner_from_login};

const TOP_KEYS: &[&str] = &["default_profile", "keymap", "profiles"];
const PROFILE_KEYS: &[&str] = &[
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
    "templates",
];
const PRICE_KEYS: &[&str] = &["vcpu_hour", "gb_hour"];
const TEMPLATE_KEYS: &[&str] = &["task_definitions", "description", "ttl", "spot", "env"];

const DEFAULT_REFRESH_BUSY_SECS: u64 = 2;
const DEFAULT_REFRESH_STEADY_SECS: u64 = 30;
const DEFAULT_LOG_BUFFER_LINES: usize = 50_000;
const LOG_BUFFER_LINES: std::ops::RangeInclusive<i64> = 1_000..=1_000_000;
const MAX_FAMILY_LEN: usize = 255;
/// A config of a hundred profiles is some 30 KiB; past this it is not a config.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Reads and validates the config file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let unread = |message: String| ConfigError {
        path: path.to_path_buf(),
        line: None,
        column: None,
        key: None,
        message,
    };
    let mut bytes = Vec::new();
    // Read one byte past the limit to know a file is larger, however large (/dev/zero).
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|error| {
            unread(match error.kind() {
                ErrorKind::NotFound => "config file not found; create it from \
                                        config.example.toml or pass --config PATH"
                    .to_string(),
                _ => format!("cannot read the config file: {error}"),
            })
        })?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(unread(format!(
            "the config file is larger than {} MiB, more than any ondeck config; is \
             --config (or ONDECK_CONFIG) the right file?",
            MAX_CONFIG_BYTES >> 20
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| unread("the config file is not UTF-8 text; save it as UTF-8".into()))?;
    parse(path, &text)
}

/// Validates config text; `path` is only used in messages and kept in [`Config::path`].
/// Profiles without an `owner` get the login name from `$USER` or `$LOGNAME`.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let login = ["USER", "LOGNAME"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|login| !login.trim().is_empty());
    parse_with_login(path, text, login.as_deref())
}

/// [`parse`] with the login name given rather than read from the environment.
pub fn parse_with_login(
    path: &Path,
    text: &str,
    login: Option<&str>,
) -> Result<Config, ConfigError> {
    let mut checker = Checker {
        path,
        text,
        login,
        errors: Vec::new(),
    };
    let document = match DeTable::parse(text) {
        Ok(document) => document,
        Err(error) => return Err(checker.syntax_error(&error)),
    };
    let span = document.span();
    let root_value = DeValue::Table(document.into_inner());
    let root = Node {
        value: &root_value,
        span,
        path: String::new(),
    };
    let config = checker.config(&root);
    let first_error = checker
        .errors
        .into_iter()
        .min_by_key(|error| (error.line, error.column));
    match (first_error, config) {
        (Some(error), _) => Err(error),
        (None, Some(config)) => Ok(config),
        // Every path that yields no config records why; this only guards that promise.
        (None, None) => Err(ConfigError {
            path: path.to_path_buf(),
            line: Some(1),
            column: Some(1),
            key: None,
            message: "the file could not be read as an ondeck config".into(),
        }),
    }
}

/// Why `text` is no URL the SDK could send requests to, if it is not. The text is used as
/// written, so it must already be what the SDK takes: ASCII, without spaces.
fn endpoint_problem(text: &str) -> Option<String> {
    if !text.starts_with("http://") && !text.starts_with("https://") {
        return Some("it does not start with http:// or https://".into());
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("it has spaces or control characters".into());
    }
    if !text.is_ascii() {
        return Some("write the host in its ASCII (xn--) form".into());
    }
    let url = match url::Url::parse(text) {
        Ok(url) => url,
        Err(err) => return Some(err.to_string()),
    };
    if url.host_str().is_none_or(str::is_empty) {
        return Some("it has no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some(
            "it holds a user name or password; credentials come from the AWS profile".into(),
        );
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Some("it has a query or a fragment".into());
    }
    None
}

/// A value in the document with where it sits and its dotted key path.
struct Node<'t, 'i> {
    value: &'t DeValue<'i>,
    span: Range<usize>,
    path: String,
}

/// A table whose keys have been checked against the allowed ones.
struct Fields<'t, 'i> {
    table: &'t DeTable<'i>,
    allowed: &'static [&'static str],
    span: Range<usize>,
    path: String,
}

impl<'t, 'i> Fields<'t, 'i> {
    fn child_path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    fn get(&self, key: &str) -> Option<Node<'t, 'i>> {
        self.table.get(key).map(|value| Node {
            value: value.get_ref(),
            span: value.span(),
            path: self.child_path(key),
        })
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
    login: Option<&'a str>,
    errors: Vec<ConfigError>,
}

impl Checker<'_> {
    /// 1-based line and column (in characters) of a byte offset.
    fn locate(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    fn error_at(&self, offset: usize, key: Option<&str>, message: String) -> ConfigError {
        let (line, column) = self.locate(offset);
        ConfigError {
            path: self.path.to_path_buf(),
            line: Some(line),
            column: Some(column),
            key: key.filter(|key| !key.is_empty()).map(str::to_string),
            message,
        }
    }

    fn report(&mut self, span: &Range<usize>, key: &str, message: String) {
        let error = self.error_at(span.start, Some(key), message);
        self.errors.push(error);
    }

    fn syntax_error(&self, error: &toml::de::Error) -> ConfigError {
        let span = error.span().unwrap_or(0..0);
        let message = error.message().trim();
        if message.starts_with("duplicate key") {
            let key = self.text.get(span.clone()).map(|key| key.trim_matches('"'));
            return self.error_at(
                span.start,
                key,
                "is defined twice in the same table; remove one or merge them".into(),
            );
        }
        self.error_at(
            span.start,
            None,
            format!("invalid TOML: {message}; see config.example.toml for the syntax"),
        )
    }

    fn wrong_type(&mut self, node: &Node, expected: &str) {
        let found = node.value.type_str();
        let article = if found.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        let expects_scalar = matches!(expected, "true or false" | "a whole number" | "a number");
        let hint = match node.value {
            DeValue::Array(_) if expected == "a table" => {
                "; write [section] headers, not [[section]] or a list"
            }
            DeValue::String(_) if expects_scalar => "; write it without quotes",
            DeValue::String(_) if expected == "an array of strings" => {
                "; put it in brackets, e.g. [\"one\", \"two\"]"
            }
            DeValue::Integer(_)
            | DeValue::Float(_)
            | DeValue::Boolean(_)
            | DeValue::Datetime(_)
                if expected == "a string" =>
            {
                "; put the value in double quotes"
            }
            _ => "",
        };
        self.report(
            &node.span,
            &node.path,
            format!("expected {expected}, found {article} {found}{hint}"),
        );
    }

    /// The node as a table whose keys are all in `allowed`; reports the others.
    fn fields<'t, 'i>(
        &mut self,
        node: &Node<'t, 'i>,
        allowed: &'static [&'static str],
    ) -> Option<Fields<'t, 'i>> {
        let DeValue::Table(table) = node.value else {
            self.wrong_type(node, "a table");
            return None;
        };
        for key in table.keys() {
            let name: &str = key.get_ref();
            if allowed.contains(&name) {
                continue;
            }
            let message = match suggest(name, allowed) {
                Some(near) => format!("unknown key `{name}`; did you mean `{near}`?"),
                None => format!(
                    "unknown key `{name}`; allowed keys here: {}",
                    allowed.join(", ")
                ),
            };
            self.report(&key.span(), &join(&node.path, name), message);
        }
        Some(Fields {
            table,
            allowed,
            span: node.span.clone(),
            path: node.path.clone(),
        })
    }

    /// The entries of a table whose keys are names (profiles, templates, containers).
    fn entries<'t, 'i>(
        &mut self,
        node: &Node<'t, 'i>,
    ) -> Vec<(String, Range<usize>, Node<'t, 'i>)> {
        let DeValue::Table(table) = node.value else {
            self.wrong_type(node, "a table");
            return Vec::new();
        };
        table
            .iter()
            .map(|(key, value)| {
                let name: &str = key.get_ref();
                let child = Node {
                    value: value.get_ref(),
                    span: value.span(),
                    path: join(&node.path, name),
                };
                (name.to_string(), key.span(), child)
            })
            .collect()
    }

    fn required<'t, 'i>(
        &mut self,
        fields: &Fields<'t, 'i>,
        key: &str,
        example: &str,
    ) -> Option<Node<'t, 'i>> {
        let node = fields.get(key);
        // A misspelling of this key is already reported, with the fix; say it once.
        let misspelt = fields.table.keys().any(|other| {
            let other: &str = other.get_ref();
            !fields.allowed.contains(&other) && suggest(other, fields.allowed) == Some(key)
        });
        if node.is_none() && !misspelt {
            let table = if fields.path.is_empty() {
                "the top of the file".to_string()
            } else {
                format!("[{}]", fields.path)
            };
            self.report(
                &fields.span,
                &fields.child_path(key),
                format!("required key is missing; add `{key} = {example}` under {table}"),
            );
        }
        node
    }

    fn string(&mut self, node: &Node) -> Option<String> {
        match node.value {
            DeValue::String(text) => Some(text.to_string()),
            _ => {
                self.wrong_type(node, "a string");
                None
            }
        }
    }

    fn non_empty_string(&mut self, node: &Node, what: &str) -> Option<String> {
        let text = self.string(node)?;
        if text.trim().is_empty() {
            self.report(&node.span, &node.path, format!("is empty; give {what}"));
            return None;
        }
        Some(text)
    }

    fn bool(&mut self, node: &Node) -> Option<bool> {
        match node.value {
            DeValue::Boolean(value) => Some(*value),
            _ => {
                self.wrong_type(node, "true or false");
                None
            }
        }
    }

    fn integer(&mut self, node: &Node) -> Option<i64> {
        match node.value {
            DeValue::Integer(integer) => {
                let value = i64::from_str_radix(integer.as_str(), integer.radix()).ok();
                if value.is_none() {
                    self.report(&node.span, &node.path, "number is too large".into());
                }
                value
            }
            _ => {
                self.wrong_type(node, "a whole number");
                None
            }
        }
    }

    fn positive_number(&mut self, node: &Node) -> Option<f64> {
        let value = match node.value {
            DeValue::Integer(integer) => i64::from_str_radix(integer.as_str(), integer.radix())
                .ok()
                .map(|n| n as f64),
            DeValue::Float(float) => float.as_str().parse::<f64>().ok(),
            _ => {
                self.wrong_type(node, "a number");
                return None;
            }
        };
        match value {
            Some(value) if value.is_finite() && value > 0.0 => Some(value),
            _ => {
                self.report(
                    &node.span,
                    &node.path,
                    "must be a price above zero in US dollars, e.g. 0.04048".into(),
                );
                None
            }
        }
    }

    /// A non-empty array of strings, each with its span.
    fn string_list(&mut self, node: &Node, example: &str) -> Option<Vec<(String, Range<usize>)>> {
        let DeValue::Array(items) = node.value else {
            self.wrong_type(node, "an array of strings");
            return None;
        };
        if items.is_empty() {
            self.report(
                &node.span,
                &node.path,
                format!("is empty; list at least one, e.g. {example}"),
            );
            return None;
        }
        let mut strings = Vec::new();
        for item in items.iter() {
            let item_node = Node {
                value: item.get_ref(),
                span: item.span(),
                path: node.path.clone(),
            };
            strings.push((self.string(&item_node)?, item.span()));
        }
        Some(strings)
    }

    fn config(&mut self, root: &Node) -> Option<Config> {
        let fields = self.fields(root, TOP_KEYS)?;
        let default_profile = fields.get("default_profile");
        let default_name = default_profile
            .as_ref()
            .and_then(|node| self.non_empty_string(node, "the name of a profile"));
        let keymap = match fields.get("keymap") {
            Some(node) => self.keymap(&node),
            None => Some(BTreeMap::new()),
        };
        let profiles = match fields.get("profiles") {
            Some(node) => self.profiles(&node),
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

    fn keymap(&mut self, node: &Node) -> Option<BTreeMap<String, KeySpec>> {
        let mut complete = node.value.is_table();
        let mut bindings = Vec::new();
        for (command, key_span, value) in self.entries(node) {
            if !COMMANDS.contains(&command.as_str()) {
                let near = suggest(&command, COMMANDS)
                    .map(|near| format!("did you mean `{near}`? "))
                    .unwrap_or_default();
                self.report(
                    &key_span,
                    &value.path,
                    format!(
                        "unknown command `{command}`; {near}commands: {}",
                        COMMANDS.join(", ")
                    ),
                );
                complete = false;
                continue;
            }
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
        let mut keymap = BTreeMap::new();
        // Keyed by context too: a log pane key may repeat an instances-view key.
        let mut command_of: BTreeMap<(bool, KeySpec), String> = BTreeMap::new();
        for (command, spec, value) in bindings {
            let bound_in = (is_log_pane_command(&command), spec);
            if let Some(earlier) = command_of.get(&bound_in) {
                self.report(
                    &value.span,
                    &value.path,
                    format!(
                        "`{spec}` is already bound to `{earlier}`; give each command its own key"
                    ),
                );
                complete = false;
                continue;
            }
            command_of.insert(bound_in, command.clone());
            keymap.insert(command, spec);
        }
        complete.then_some(keymap)
    }

    fn profiles(&mut self, node: &Node) -> Option<BTreeMap<String, Profile>> {
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
            match self.profile(&name, &value) {
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

    fn profile(&mut self, name: &str, node: &Node) -> Option<Profile> {
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
                Ok(_) => Some(text),
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
        Some(Template {
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

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `family`, `family:revision` or a task definition ARN; Err says what is wrong.
fn check_task_definition(reference: &str) -> Result<(), &'static str> {
    if reference.starts_with("arn:") {
        let parts: Vec<&str> = reference.splitn(6, ':').collect();
        let [_, partition, service, region, account, resource] = parts[..] else {
            return Err("is not a task definition ARN");
        };
        if partition.is_empty() || service != "ecs" || region.is_empty() || account.is_empty() {
            return Err("is not a task definition ARN");
        }
        let Some(family_revision) = resource.strip_prefix("task-definition/") else {
            return Err("is an ARN of something other than a task definition");
        };
        if !family_revision.contains(':') {
            return Err("is an ARN without a revision");
        }
        return check_family_revision(family_revision);
    }
    check_family_revision(reference)
}

fn check_family_revision(text: &str) -> Result<(), &'static str> {
    let (family, revision) = match text.split_once(':') {
        Some((family, revision)) => (family, Some(revision)),
        None => (text, None),
    };
    if family.is_empty() || family.len() > MAX_FAMILY_LEN || !is_plain_name(family) {
        return Err("has a family name that is not 1-255 letters, digits, - or _");
    }
    match revision.map(str::parse::<u32>) {
        None | Some(Ok(1..)) => Ok(()),
        Some(_) => Err("has a revision that is not a whole number of 1 or more"),
    }
}

/// The allowed word nearest to a misspelt one, if it is near enough to be a typo.
pub fn suggest<'a>(word: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    allowed
        .iter()
        .map(|candidate| (edit_distance(&word.to_lowercase(), candidate), *candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != *b_char);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_key_is_suggested_only_when_close() {
        assert_eq!(suggest("subnet", PROFILE_KEYS), Some("subnets"));
        assert_eq!(suggest("regoin", PROFILE_KEYS), Some("region"));
        assert_eq!(suggest("Region", PROFILE_KEYS), Some("region"));
        assert_eq!(suggest("colour", PROFILE_KEYS), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn task_definition_references() {
        for good in [
            "web",
            "web:1",
            "my_app-2:123",
            "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7",
        ] {
            assert_eq!(check_task_definition(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "web:0",
            "web:",
            "web:x",
            "web:-1",
            "we b",
            "web.app:1",
            "arn:aws:ecs:us-east-1:1:task/web:1",
            "arn:aws:ecs:us-east-1:1:task-definition/web",
            "arn:aws:s3:us-east-1:1:task-definition/web:1",
            "arn:aws",
        ] {
            assert!(check_task_definition(bad).is_err(), "{bad}");
        }
        assert!(check_task_definition(&"a".repeat(256)).is_err());
        assert!(check_task_definition(&"a".repeat(255)).is_ok());
    }

    const MINIMAL: &str = r#"
[profiles.dev]
region = "us-east-1"
cluster = "c"
subnets = ["subnet-1"]
security_groups = ["sg-1"]
"#;

    #[test]
    fn owner_defaults_to_the_login_name_made_safe() {
        let config = parse_with_login(Path::new("c.toml"), MINIMAL, Some("john.doe")).unwrap();
        assert_eq!(config.profiles["dev"].owner, "john-doe");
    }

    #[test]
    fn without_a_login_name_the_owner_must_be_set() {
        let error = parse_with_login(Path::new("c.toml"), MINIMAL, None).unwrap_err();
        assert_eq!(error.key.as_deref(), Some("profiles.dev.owner"));
        assert_eq!((error.line, error.column), (Some(2), Some(1)));
        assert!(error.message.contains("set `owner"), "{}", error.message);
    }

    #[test]
    fn the_problem_nearest_the_top_is_reported() {
        let text = format!("{MINIMAL}assign_public_ip = 1\nrefresh_busy_secs = 0\n");
        let text = text.replace("region = \"us-east-1\"", "region = \"US\"");
        let error = parse_with_login(Path::new("c.toml"), &text, Some("ana")).unwrap_err();
        assert_eq!(error.key.as_deref(), Some("profiles.dev.region"));
        assert_eq!((error.line, error.column), (Some(3), Some(10)));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = format!(
            "{MINIMAL}[profiles.dev.templates.web]\ntask_definitions = [\"web\"]\nenv = {{ \"é\" = {{ A = 1 }} }}\n"
        );
        let error = parse_with_login(Path::new("c.toml"), &text, Some("ana")).unwrap_err();
        assert_eq!(
            error.key.as_deref(),
            Some("profiles.dev.templates.web.env.é.A")
        );
        assert_eq!((error.line, error.column), (Some(9), Some(21)));
    }
}
