//! IAM policy evaluation, statement by statement, for the requests the tests make.

use std::collections::{BTreeMap, BTreeSet};

use super::{CLUSTER, PRINCIPAL_OWNER};
use ondeck_core::model::tags;
use serde_json::Value;

/// One request: its action, resource and the condition keys AWS would set.
#[derive(Clone)]
pub(super) struct Request {
    pub(super) action: String,
    pub(super) resource: String,
    pub(super) keys: BTreeMap<String, Vec<String>>,
}

impl Request {
    pub(super) fn new(action: &str, resource: &str) -> Request {
        Request {
            action: action.to_string(),
            resource: resource.to_string(),
            keys: BTreeMap::new(),
        }
    }

    pub(super) fn key(mut self, key: &str, values: &[&str]) -> Request {
        self.keys.insert(
            key.to_string(),
            values.iter().map(|v| v.to_string()).collect(),
        );
        self
    }

    /// Signed by a principal tagged `ondeck-owner = owner`.
    pub(super) fn by(self, owner: &str) -> Request {
        self.key(PRINCIPAL_OWNER, &[owner])
    }

    pub(super) fn on_task_of(self, owner: &str) -> Request {
        self.key(&format!("aws:ResourceTag/{}", tags::OWNER), &[owner])
            .key("ecs:cluster", &[CLUSTER])
    }

    /// A service of `owner`'s in the cluster: it carries the owner tag as a task does.
    pub(super) fn on_service_of(self, owner: &str) -> Request {
        self.on_task_of(owner)
    }
}

/// `*` and `?` as IAM matches them in actions, resources and `…Like` conditions.
pub(super) fn glob(pattern: &str, text: &str) -> bool {
    fn at(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|skip| at(rest, &t[skip..])),
            Some(('?', rest)) => !t.is_empty() && at(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && at(rest, &t[1..]),
        }
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    at(&p, &t)
}

pub(super) fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().expect("a string").to_string())
            .collect(),
        other => panic!("expected a string or a list of strings, got {other}"),
    }
}

/// `${aws:PrincipalTag/x}` replaced from the request; None when the request lacks the key,
/// which makes the condition fail as it does in IAM.
fn substitute(value: &str, request: &Request) -> Option<String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let end = rest[start..].find('}').expect("a closed policy variable") + start;
        out.push_str(&rest[..start]);
        out.push_str(request.keys.get(&rest[start + 2..end])?.first()?);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

fn condition_holds(operator: &str, key: &str, expected: &Value, request: &Request) -> bool {
    let present = request.keys.get(key);
    let wanted: Vec<Option<String>> = strings(expected)
        .iter()
        .map(|value| substitute(value, request))
        .collect();
    let matches_any = |actual: &str, like: bool| {
        wanted
            .iter()
            .flatten()
            .any(|w| if like { glob(w, actual) } else { w == actual })
    };
    match operator {
        "StringEquals" | "ArnEquals" | "StringLike" | "ArnLike" => {
            let like = operator.ends_with("Like");
            present.is_some_and(|values| values.iter().any(|v| matches_any(v, like)))
        }
        "ForAllValues:StringNotEquals" => {
            present.is_none_or(|values| values.iter().all(|v| !matches_any(v, false)))
        }
        "Null" => {
            let absent = wanted.first().cloned().flatten() == Some("true".to_string());
            present.is_none() == absent
        }
        other => panic!("the test cannot evaluate condition operator {other}; teach it"),
    }
}

fn statement_allows(statement: &Value, request: &Request) -> bool {
    assert_eq!(
        statement["Effect"], "Allow",
        "only Allow statements expected"
    );
    let action = strings(&statement["Action"])
        .iter()
        .any(|action| glob(action, &request.action));
    // Policy variables in a resource (`session/${aws:username}-*`) come from the request.
    let resource = strings(&statement["Resource"]).iter().any(|resource| {
        substitute(resource, request).is_some_and(|resource| glob(&resource, &request.resource))
    });
    let conditions = statement["Condition"].as_object().is_none_or(|operators| {
        operators.iter().all(|(operator, keys)| {
            keys.as_object()
                .expect("condition keys")
                .iter()
                .all(|(key, expected)| condition_holds(operator, key, expected, request))
        })
    });
    action && resource && conditions
}

pub(super) fn allows(policies: &[&Value], request: &Request) -> bool {
    policies.iter().any(|policy| {
        policy["Statement"]
            .as_array()
            .expect("Statement is a list")
            .iter()
            .any(|statement| statement_allows(statement, request))
    })
}

pub(super) fn actions_in(policy: &Value) -> BTreeSet<String> {
    policy["Statement"]
        .as_array()
        .expect("Statement is a list")
        .iter()
        .flat_map(|statement| strings(&statement["Action"]))
        .collect()
}
