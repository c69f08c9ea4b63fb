//! Who an instance is: its owner, its name and the launch that started it. A name alone is not
//! unique — two owners may each have a `web`, and a name reused after a destroy is a new
//! instance — so everything that picks an instance (grouping, selection, lookups,
//! confirmations) goes by this identity.

use std::fmt;

use serde::Serialize;

/// How many characters of the launch token tell launches apart on screen and in `NAME@LAUNCH`.
pub const SHORT_LAUNCH: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct InstanceId {
    pub owner: String,
    pub name: String,
    /// The launch token its tasks were started with (their `ondeck:launch-token` tag without
    /// the `-<index>`); empty for tasks started without one.
    pub launch: String,
}

impl InstanceId {
    /// How ondeck names it back to `me`: the bare name for mine, `owner/name` for another's.
    pub fn label(&self, me: &str) -> String {
        if self.owner == me {
            self.name.clone()
        } else {
            self.to_string()
        }
    }

    /// `owner/name@launch`: the command-line name that picks exactly this instance.
    pub fn qualified(&self) -> String {
        if self.launch.is_empty() {
            self.to_string()
        } else {
            format!("{self}@{}", short_launch(&self.launch))
        }
    }
}

impl fmt::Display for InstanceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

pub fn short_launch(launch: &str) -> &str {
    launch.get(..SHORT_LAUNCH).unwrap_or(launch)
}

/// The launch a task or service belongs to, from its launch-token tag: the tag without the
/// `-<index>` of its task definition, so that everything of one launch shares it.
pub fn launch_of(launch_token_tag: Option<&str>) -> &str {
    let tag = launch_token_tag.unwrap_or("");
    match tag.rsplit_once('-') {
        Some((token, index)) if !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()) => {
            token
        }
        _ => tag,
    }
}

/// What ondeck accepts as an instance name: it goes into tags, lock file names and commands.
pub fn is_valid_name(name: &str) -> bool {
    (1..=48).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
}

/// An instance as a person names it: `NAME` (mine), `OWNER/NAME` (anyone's), either with
/// `@LAUNCH` (the start of its launch token, as `ondeck list` shows it) when one name has two
/// live launches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRef {
    pub owner: Option<String>,
    pub name: String,
    pub launch: Option<String>,
}

impl InstanceRef {
    pub fn mine(name: &str) -> InstanceRef {
        InstanceRef {
            owner: None,
            name: name.to_string(),
            launch: None,
        }
    }

    pub fn parse(text: &str) -> Result<InstanceRef, String> {
        let invalid = || {
            format!(
                "`{text}` does not name an instance; write NAME for yours, OWNER/NAME for \
                 another owner's, and add @LAUNCH when `ondeck list` shows one name twice"
            )
        };
        let (rest, launch) = match text.split_once('@') {
            Some((rest, launch)) => {
                if launch.is_empty() || !launch.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(invalid());
                }
                (rest, Some(launch.to_ascii_lowercase()))
            }
            None => (text, None),
        };
        // Owners may contain `/`; names never do.
        let (owner, name) = match rest.rsplit_once('/') {
            Some((owner, name)) if !owner.is_empty() => (Some(owner.to_string()), name),
            Some(_) => return Err(invalid()),
            None => (None, rest),
        };
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return Err(invalid());
        }
        Ok(InstanceRef {
            owner,
            name: name.to_string(),
            launch,
        })
    }

    pub fn matches_launch(&self, launch: &str) -> bool {
        self.launch
            .as_deref()
            .is_none_or(|prefix| launch.starts_with(prefix))
    }
}

impl fmt::Display for InstanceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(owner) = &self.owner {
            write!(f, "{owner}/")?;
        }
        f.write_str(&self.name)?;
        if let Some(launch) = &self.launch {
            write!(f, "@{launch}")?;
        }
        Ok(())
    }
}

/// ECS service names: letters, digits, hyphens and underscores, at most 255.
const SERVICE_NAME_CHARS: usize = 255;

/// The service of one task definition of an instance: `ondeck-<owner>-<instance>-<family>`,
/// other characters as `-`, cut to ECS's 255.
pub fn service_name(owner: &str, instance: &str, family: &str) -> String {
    format!("{}{instance}-{family}", service_name_prefix(owner))
        .chars()
        .take(SERVICE_NAME_CHARS)
        .collect()
}

/// How the name of every service of `owner` starts: `ondeck-ana-`.
pub fn service_name_prefix(owner: &str) -> String {
    format!("ondeck-{owner}-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `web` of `arn:…:task-definition/web:3` (or of `web:3`).
pub fn family_of(task_definition: &str) -> &str {
    let tail = task_definition
        .rsplit('/')
        .next()
        .unwrap_or(task_definition);
    tail.rsplit_once(':').map_or(tail, |(family, _)| family)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_read_name_owner_and_launch() {
        assert_eq!(InstanceRef::parse("web").unwrap(), InstanceRef::mine("web"));
        let theirs = InstanceRef::parse("alice/web").unwrap();
        assert_eq!(theirs.owner.as_deref(), Some("alice"));
        assert_eq!(theirs.name, "web");
        let nested = InstanceRef::parse("team/alice/web@1A2b").unwrap();
        assert_eq!(nested.owner.as_deref(), Some("team/alice"));
        assert_eq!(nested.launch.as_deref(), Some("1a2b"));
        assert_eq!(nested.to_string(), "team/alice/web@1a2b");
        for bad in ["", "/web", "alice/", "web@", "web@xyz", "a b"] {
            let err = InstanceRef::parse(bad).unwrap_err();
            assert!(err.contains("OWNER/NAME"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_launch_is_the_token_without_the_definition_index() {
        assert_eq!(launch_of(None), "");
        assert_eq!(launch_of(Some("0123abcd-1")), "0123abcd");
        assert_eq!(launch_of(Some("0123abcd")), "0123abcd");
    }

    #[test]
    fn qualified_names_carry_the_short_launch() {
        let id = InstanceId {
            owner: "ana".into(),
            name: "web".into(),
            launch: "0123456789abcdef".into(),
        };
        assert_eq!(id.to_string(), "ana/web");
        assert_eq!(id.qualified(), "ana/web@01234567");
        let reference = InstanceRef::parse(&id.qualified()).unwrap();
        assert!(reference.matches_launch(&id.launch));
        assert!(!reference.matches_launch("fedcba"));
    }
}
