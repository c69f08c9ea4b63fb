//! The commented starter config `ondeck init` writes.

use std::fmt::Write as _;
use std::path::PathBuf;

/// Where the first template's containers come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TemplateSource {
    /// A registered task definition family (its latest ACTIVE revision).
    Family(String),
    /// A Compose file, by absolute path.
    Compose(PathBuf),
}

impl TemplateSource {
    /// `.yml` / `.yaml` names a Compose file; anything else a family.
    pub(super) fn parse(text: &str) -> TemplateSource {
        let lower = text.to_ascii_lowercase();
        if lower.ends_with(".yml") || lower.ends_with(".yaml") {
            let path = PathBuf::from(text);
            TemplateSource::Compose(std::fs::canonicalize(&path).unwrap_or(path))
        } else {
            TemplateSource::Family(text.to_string())
        }
    }

    /// A template name (letters, digits, - and _) from the family or the compose project.
    pub(super) fn template_name(&self) -> String {
        let raw = match self {
            TemplateSource::Family(family) => family.clone(),
            TemplateSource::Compose(path) => {
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                let generic = ["compose", "docker-compose"].contains(&stem);
                match path.parent().and_then(|dir| dir.file_name()) {
                    Some(dir) if generic => dir.to_string_lossy().into_owned(),
                    _ => stem.to_string(),
                }
            }
        };
        let name: String = raw
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let name = name.trim_matches('-').to_string();
        if name.is_empty() { "app".into() } else { name }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Answers {
    pub(super) profile: String,
    pub(super) aws_profile: Option<String>,
    pub(super) region: String,
    pub(super) endpoint_url: Option<String>,
    pub(super) cluster: String,
    pub(super) owner: String,
    pub(super) subnets: Vec<String>,
    pub(super) security_groups: Vec<String>,
    pub(super) assign_public_ip: bool,
    pub(super) template: Option<TemplateSource>,
}

/// A TOML basic string: JSON's string escapes are all valid TOML ones.
fn quoted(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}

fn list(values: &[String]) -> String {
    let items: Vec<String> = values.iter().map(|value| quoted(value)).collect();
    format!("[{}]", items.join(", "))
}

pub(super) fn starter_config(answers: &Answers) -> String {
    let name = &answers.profile;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# ondeck configuration, written by `ondeck init`. Every key is described in\n\
         # config.example.toml of the ondeck repository. Check it with `ondeck doctor`.\n"
    );
    let _ = writeln!(text, "default_profile = {}\n", quoted(name));
    let _ = writeln!(text, "[profiles.{name}]");
    match &answers.aws_profile {
        Some(aws_profile) => {
            let _ = writeln!(
                text,
                "# Credentials from this profile of ~/.aws/config.\naws_profile = {}",
                quoted(aws_profile)
            );
        }
        None => {
            let _ = writeln!(
                text,
                "# Credentials: the usual AWS chain (environment, AWS_PROFILE, SSO, instance\n\
                 # role). Set aws_profile = \"NAME\" to take them from a profile of ~/.aws/config."
            );
        }
    }
    let _ = writeln!(text, "region = {}", quoted(&answers.region));
    if let Some(url) = &answers.endpoint_url {
        let _ = writeln!(
            text,
            "# Every AWS call goes here instead of to AWS.\nendpoint_url = {}",
            quoted(url)
        );
    }
    let _ = writeln!(
        text,
        "# The ECS cluster the instances run in.\ncluster = {}",
        quoted(&answers.cluster)
    );
    let _ = writeln!(
        text,
        "# Who owns the instances you launch (startedBy and the ondeck:owner tag).\nowner = {}",
        quoted(&answers.owner)
    );
    let _ = writeln!(
        text,
        "# Where the tasks run (awsvpc networking).\nsubnets = {}\nsecurity_groups = {}",
        list(&answers.subnets),
        list(&answers.security_groups)
    );
    let _ = writeln!(
        text,
        "# A public IP for each task: needed in public subnets without a NAT gateway.\n\
         assign_public_ip = {}",
        answers.assign_public_ip
    );
    match &answers.template {
        Some(source) => {
            let template = source.template_name();
            let _ = writeln!(
                text,
                "\n# A template: what one instance is made of. Launch it with \
                 `ondeck launch {template}`.\n[profiles.{name}.templates.{template}]"
            );
            match source {
                TemplateSource::Family(family) => {
                    let _ = writeln!(
                        text,
                        "# Task definitions, one task each: `family` (latest ACTIVE revision),\n\
                         # `family:revision` or an ARN.\ntask_definitions = {}",
                        list(std::slice::from_ref(family))
                    );
                }
                TemplateSource::Compose(path) => {
                    let _ = writeln!(
                        text,
                        "# The services of this Compose file become the instance's containers.\n\
                         compose = {}",
                        quoted(&path.to_string_lossy())
                    );
                }
            }
            let _ = writeln!(
                text,
                "# How long an instance lives before `ondeck reap` destroys it.\nttl = \"8h\""
            );
        }
        None => {
            let _ = writeln!(
                text,
                "\n# Add a template to launch instances from, for example:\n\
                 # [profiles.{name}.templates.web]\n\
                 # task_definitions = [\"web\"]\n\
                 # ttl = \"8h\""
            );
        }
    }
    text
}
