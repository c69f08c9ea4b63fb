//! What a launch would change in the registered task definition, for `ondeck templates diff`.
//!
//! Both sides are flattened from their serialized form into `path → value` pairs, so every
//! field of the model shows in the diff without a line of code per field.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

use crate::model::{Container, TaskDefinition};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A task-level field (`cpu`, `taskRoleArn`, …).
    Task {
        field: String,
        before: Option<String>,
        after: Option<String>,
    },
    ContainerAdded {
        container: String,
        image: String,
    },
    ContainerRemoved {
        container: String,
    },
    /// A field of a container present on both sides.
    Container {
        container: String,
        field: String,
        before: Option<String>,
        after: Option<String>,
    },
}

/// The changes from `registered` to `wanted`: task fields first, then containers by name.
pub fn diff(registered: &TaskDefinition, wanted: &TaskDefinition) -> Vec<Change> {
    let registered = registered.clone().normalized();
    let wanted = wanted.clone().normalized();
    let mut changes: Vec<Change> = compare(&task_fields(&registered), &task_fields(&wanted))
        .into_iter()
        .map(|(field, before, after)| Change::Task {
            field,
            before,
            after,
        })
        .collect();
    let before: BTreeMap<&str, &Container> = registered
        .containers
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    let after: BTreeMap<&str, &Container> = wanted
        .containers
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    let names: BTreeSet<&str> = before.keys().chain(after.keys()).copied().collect();
    for name in names {
        match (before.get(name), after.get(name)) {
            (Some(_), None) => changes.push(Change::ContainerRemoved {
                container: name.into(),
            }),
            (None, Some(added)) => changes.push(Change::ContainerAdded {
                container: name.into(),
                image: added.image.clone(),
            }),
            (Some(old), Some(new)) => changes.extend(
                compare(&flatten_value(old), &flatten_value(new))
                    .into_iter()
                    .map(|(field, before, after)| Change::Container {
                        container: name.into(),
                        field,
                        before,
                        after,
                    }),
            ),
            (None, None) => {}
        }
    }
    changes
}

fn task_fields(task_definition: &TaskDefinition) -> BTreeMap<String, String> {
    let mut fields = flatten_value(task_definition);
    fields.retain(|path, _| !path.starts_with("containers"));
    fields
}

/// `(path, before, after)` for each path whose value differs, in path order.
fn compare(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<(String, Option<String>, Option<String>)> {
    let paths: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    paths
        .into_iter()
        .filter_map(|path| {
            let old = before.get(path);
            let new = after.get(path);
            (old != new).then(|| (path.clone(), old.cloned(), new.cloned()))
        })
        .collect()
}

fn flatten_value(value: &impl serde::Serialize) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    let json = serde_json::to_value(value).expect("plain data always serializes");
    flatten(&json, String::new(), &mut fields);
    fields
}

/// Objects become dotted paths; lists and scalars are leaves, shown as JSON.
fn flatten(value: &Value, path: String, fields: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                flatten(child, child_path, fields);
            }
        }
        leaf => {
            fields.insert(path, leaf.to_string());
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |value: &Option<String>| value.clone().unwrap_or_else(|| "(not set)".into());
        match self {
            Change::Task {
                field,
                before,
                after,
            } => {
                write!(f, "~ {field}: {} → {}", show(before), show(after))
            }
            Change::ContainerAdded { container, image } => {
                write!(f, "+ container {container} ({image})")
            }
            Change::ContainerRemoved { container } => write!(f, "- container {container}"),
            Change::Container {
                container,
                field,
                before,
                after,
            } => {
                write!(
                    f,
                    "~ {container}.{field}: {} → {}",
                    show(before),
                    show(after)
                )
            }
        }
    }
}

/// The diff as lines, or the sentence that says a launch registers nothing.
pub fn render(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "no changes: a launch uses the registered revision".into();
    }
    changes.iter().map(|change| format!("{change}\n")).collect()
}

#[cfg(test)]
mod tests;
