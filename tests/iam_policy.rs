//! The IAM policies in assets/ against what the code calls and what they must prevent.
//!
//! The operations come from the SDK adapter's source (every `self.<client>.<operation>(` in
//! crates/ondeck-aws/src, and every signed `self.call("Operation", …)` of its SSM calls), so a new AWS call without its permission fails here. The policies are then
//! evaluated, statement by statement, for requests a user and a team lead make: owners act on
//! their own tasks, nobody launches as someone else or re-tags an owner, a lead acts on anyone's.

use std::collections::{BTreeMap, BTreeSet};

use ondeck_core::model::tags;
use serde_json::Value;

const OWNER_POLICY: &str = "assets/iam-policy.json";
const LEAD_POLICY: &str = "assets/iam-policy-team-lead.json";
/// The principal tag the owner policy compares `ondeck:owner` with.
const PRINCIPAL_OWNER: &str = "aws:PrincipalTag/ondeck-owner";

const CLUSTER: &str = "arn:aws:ecs:REGION:ACCOUNT:cluster/CLUSTER";
const TASK: &str = "arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/0123456789abcdef";
const OTHER_CLUSTER: &str = "arn:aws:ecs:REGION:ACCOUNT:cluster/OTHER";
const OTHER_CLUSTER_TASK: &str = "arn:aws:ecs:REGION:ACCOUNT:task/OTHER/0123456789abcdef";
const TASK_DEFINITION: &str = "arn:aws:ecs:REGION:ACCOUNT:task-definition/web:3";
const LOG_GROUP: &str = "arn:aws:logs:REGION:ACCOUNT:log-group:/ecs/web";

/// Granted without the code calling them, and why.
const GRANTED_BEYOND_THE_CODE: [&str; 1] = [
    // RunTask hands the task definitions' roles to ECS.
    "iam:PassRole",
];
/// The SSM operations are signed JSON calls (`self.call("StartSession", …)`) in this file.
const SSM_CALLS: &str = "crates/ondeck-aws/src/ssm.rs";
const SESSION: &str = "arn:aws:ssm:REGION:ACCOUNT:session/ana-0123456789abcdef0";
const PORT_DOCUMENT: &str = "arn:aws:ssm:REGION::document/AWS-StartPortForwardingSession";
const TASK_ROLE_POLICY: &str = "assets/task-role-policy.json";

/// The condition keys each granted action supports, from AWS's Service Authorization
/// Reference. A key an action does not support is absent from its requests, so a condition on
/// it fails and the statement silently allows nothing.
const SUPPORTED_KEYS: [(&str, &[&str]); 12] = [
    (
        "ssm:StartSession",
        &[
            "aws:ResourceTag/*",
            "ssm:resourceTag/*",
            "ssm:SessionDocumentAccessCheck",
        ],
    ),
    (
        "ssm:TerminateSession",
        &["aws:ResourceTag/*", "ssm:resourceTag/*"],
    ),
    ("ecs:ListTasks", &["aws:ResourceTag/*", "ecs:cluster"]),
    ("ecs:DescribeTasks", &["aws:ResourceTag/*", "ecs:cluster"]),
    ("ecs:DescribeTaskDefinition", &[]),
    (
        "ecs:RunTask",
        &[
            "aws:ResourceTag/*",
            "aws:RequestTag/*",
            "aws:TagKeys",
            "ecs:cluster",
            "ecs:capacity-provider",
            "ecs:enable-ebs-volumes",
            "ecs:enable-execute-command",
        ],
    ),
    ("ecs:StopTask", &["aws:ResourceTag/*", "ecs:cluster"]),
    (
        "ecs:ExecuteCommand",
        &[
            "aws:ResourceTag/*",
            "ecs:cluster",
            "ecs:container-name",
            "ecs:task",
        ],
    ),
    (
        "ecs:TagResource",
        &[
            "aws:TagKeys",
            "aws:ResourceTag/*",
            "aws:RequestTag/*",
            "ecs:CreateAction",
        ],
    ),
    (
        "iam:PassRole",
        &["iam:PassedToService", "iam:AssociatedResourceArn"],
    ),
    ("logs:GetLogEvents", &[]),
    ("logs:StartLiveTail", &[]),
];

fn read(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn policy(path: &str) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|err| panic!("{path} is not JSON: {err}"))
}

/// `RunTask` from `run_task`.
fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The SDK adapter's code without its tests: every `.rs` file under crates/ondeck-aws/src
/// except `tests.rs`, each cut at its first `#[cfg(test)]`.
fn adapter_code() -> String {
    fn walk(dir: &std::path::Path, code: &mut String) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
            .map(|entry| entry.expect("directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, code);
            } else if path.extension().is_some_and(|ext| ext == "rs")
                && path.file_name().is_some_and(|name| name != "tests.rs")
            {
                let source = std::fs::read_to_string(&path)
                    .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
                code.push_str(source.split("#[cfg(test)]").next().unwrap_or_default());
                code.push('\n');
            }
        }
    }
    let mut code = String::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(ADAPTER_DIR),
        &mut code,
    );
    code
}

const ADAPTER_DIR: &str = "crates/ondeck-aws/src";

/// IAM actions of every operation the SDK adapter sends, e.g. `ecs:RunTask`: the SDK client
/// fields of `SdkCloud`, their crates' IAM service prefixes, and each `self.<field>.<op>(`
/// outside the tests. Every `.send()` must belong to one of them, so that a call made some
/// other way cannot slip past.
fn operations_called() -> BTreeSet<String> {
    let code = adapter_code();
    let code = code.as_str();
    let prefix_of_crate = |krate: &str| match krate {
        "aws_sdk_ecs" => "ecs",
        "aws_sdk_cloudwatchlogs" => "logs",
        other => panic!("which IAM service prefix does {other} use? add it here"),
    };
    // `use aws_sdk_ecs as ecs;`
    let aliases: BTreeMap<&str, &str> = code
        .lines()
        .filter_map(|line| line.trim().strip_prefix("use aws_sdk_"))
        .filter_map(|rest| rest.trim_end_matches(';').split_once(" as "))
        .map(|(krate, alias)| (alias.trim(), krate.trim()))
        .collect();
    // `ecs: ecs::Client,` inside `pub struct SdkCloud { … }`.
    let body = code
        .split_once("pub struct SdkCloud {")
        .and_then(|(_, rest)| rest.split_once('}'))
        .map(|(body, _)| body)
        .expect("struct SdkCloud in crates/ondeck-aws/src");
    let clients: BTreeMap<String, &str> = body
        .lines()
        .filter_map(|line| line.trim().trim_end_matches(',').split_once(": "))
        .filter_map(|(field, ty)| {
            let alias = ty.strip_suffix("::Client")?;
            let krate = aliases
                .get(alias)
                .map_or_else(|| alias.to_string(), |krate| format!("aws_sdk_{krate}"));
            Some((field.to_string(), prefix_of_crate(&krate)))
        })
        .collect();
    assert!(
        !clients.is_empty(),
        "no SDK client fields found in SdkCloud"
    );

    let flat: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let mut operations = BTreeSet::new();
    let mut calls = 0;
    for (field, prefix) in &clients {
        let receiver = format!("self.{field}.");
        for (at, _) in flat.match_indices(&receiver) {
            let rest = &flat[at + receiver.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if rest[name.len()..].starts_with('(') && name != "clone" {
                operations.insert(format!("{prefix}:{}", pascal_case(&name)));
                calls += 1;
            }
        }
    }
    let sends = flat.matches(".send()").count();
    assert_eq!(
        calls, sends,
        "crates/ondeck-aws/src sends {sends} requests but {calls} start with `self.<client>.<operation>(`: \
         call the SDK through the client fields so this test sees every operation"
    );
    operations.extend(ssm_operations_called());
    operations.extend(ec2_operations_called(&flat));
    operations
}

/// `ec2:DescribeSubnets` from `self.ec2_item("DescribeSubnets", …)`, the signed EC2 reads.
/// (STS GetCallerIdentity needs no permission.)
fn ec2_operations_called(flat: &str) -> BTreeSet<String> {
    let operations: BTreeSet<String> = flat
        .split("self.ec2_item(\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"'))
        .map(|(operation, _)| format!("ec2:{operation}"))
        .collect();
    assert_eq!(
        flat.matches("QueryService::Ec2,").count(),
        1,
        "EC2 calls go through `ec2_item` so that this test sees each of them"
    );
    operations
}

/// `ssm:StartSession` from `self.call("StartSession", …)` in the SSM calls, outside tests.
fn ssm_operations_called() -> BTreeSet<String> {
    let source = read(SSM_CALLS);
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    let flat: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let operations: BTreeSet<String> = flat
        .split("self.call(\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"'))
        .map(|(operation, _)| format!("ssm:{operation}"))
        .collect();
    assert!(
        !operations.is_empty(),
        "no `self.call(\"Operation\", …)` found in {SSM_CALLS}: the reading of it is broken"
    );
    operations
}

/// One request: its action, resource and the condition keys AWS would set.
#[derive(Clone)]
struct Request {
    action: String,
    resource: String,
    keys: BTreeMap<String, Vec<String>>,
}

impl Request {
    fn new(action: &str, resource: &str) -> Request {
        Request {
            action: action.to_string(),
            resource: resource.to_string(),
            keys: BTreeMap::new(),
        }
    }

    fn key(mut self, key: &str, values: &[&str]) -> Request {
        self.keys.insert(
            key.to_string(),
            values.iter().map(|v| v.to_string()).collect(),
        );
        self
    }

    /// Signed by a principal tagged `ondeck-owner = owner`.
    fn by(self, owner: &str) -> Request {
        self.key(PRINCIPAL_OWNER, &[owner])
    }

    fn on_task_of(self, owner: &str) -> Request {
        self.key(&format!("aws:ResourceTag/{}", tags::OWNER), &[owner])
            .key("ecs:cluster", &[CLUSTER])
    }
}

/// `*` and `?` as IAM matches them in actions, resources and `…Like` conditions.
fn glob(pattern: &str, text: &str) -> bool {
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

fn strings(value: &Value) -> Vec<String> {
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

fn allows(policies: &[&Value], request: &Request) -> bool {
    policies.iter().any(|policy| {
        policy["Statement"]
            .as_array()
            .expect("Statement is a list")
            .iter()
            .any(|statement| statement_allows(statement, request))
    })
}

fn actions_in(policy: &Value) -> BTreeSet<String> {
    policy["Statement"]
        .as_array()
        .expect("Statement is a list")
        .iter()
        .flat_map(|statement| strings(&statement["Action"]))
        .collect()
}

/// What an owner's own use of `action` looks like: in the cluster, on their own tasks, with
/// their owner tag on whatever they create.
fn own_use(action: &str, owner: &str) -> Request {
    let owner_tag = tags::OWNER;
    let request = match action {
        "ecs:RunTask" => Request::new(action, TASK_DEFINITION)
            .key("ecs:cluster", &[CLUSTER])
            .key(&format!("aws:RequestTag/{owner_tag}"), &[owner])
            .key("aws:TagKeys", &[owner_tag, tags::INSTANCE]),
        "ecs:TagResource" => Request::new(action, TASK)
            .on_task_of(owner)
            .key("aws:TagKeys", &[tags::EXPIRES_AT]),
        "iam:PassRole" => Request::new(action, "arn:aws:iam::ACCOUNT:role/TASK-ROLE")
            .key("iam:PassedToService", &["ecs-tasks.amazonaws.com"]),
        logs if logs.starts_with("logs:") => Request::new(action, LOG_GROUP),
        "ecs:DescribeTaskDefinition" => Request::new(action, TASK_DEFINITION),
        "ssm:TerminateSession" => Request::new(
            action,
            &format!("arn:aws:ssm:REGION:ACCOUNT:session/{owner}-0123456789abcdef0"),
        )
        .key("aws:username", &[owner]),
        _ => Request::new(action, TASK).on_task_of(owner),
    };
    request.by(owner)
}

#[test]
fn the_operations_are_read_from_the_sdk_adapter() {
    let called = operations_called();
    // The calls every listing, launch, destroy and log tail needs: if these are not found,
    // the reading of crates/ondeck-aws/src is broken, not the policy.
    for expected in [
        "ecs:ListTasks",
        "ecs:DescribeTasks",
        "ecs:RunTask",
        "ecs:StopTask",
        "ecs:ExecuteCommand",
        "ssm:StartSession",
        "ssm:TerminateSession",
        "logs:GetLogEvents",
    ] {
        assert!(
            called.contains(expected),
            "{expected} not found in {called:?}"
        );
    }
}

#[test]
fn the_owner_policy_allows_every_operation_the_code_calls_on_ones_own_tasks() {
    let owner = policy(OWNER_POLICY);
    for action in operations_called() {
        assert!(
            allows(&[&owner], &own_use(&action, "ana")),
            "{OWNER_POLICY} does not allow {action} (called in crates/ondeck-aws/src) for an owner on \
             their own tasks"
        );
    }
    // Launching also tags the tasks as they are created, and hands the task roles to ECS.
    let tag_on_create = Request::new("ecs:TagResource", TASK)
        .key("ecs:CreateAction", &["RunTask"])
        .key(&format!("aws:RequestTag/{}", tags::OWNER), &["ana"])
        .key("aws:TagKeys", &[tags::OWNER, tags::INSTANCE])
        .by("ana");
    assert!(allows(&[&owner], &tag_on_create));
    assert!(allows(&[&owner], &own_use("iam:PassRole", "ana")));
}

#[test]
fn the_policies_grant_nothing_the_code_does_not_need() {
    let needed: BTreeSet<String> = operations_called()
        .into_iter()
        .chain(GRANTED_BEYOND_THE_CODE.map(String::from))
        .collect();
    for path in [OWNER_POLICY, LEAD_POLICY] {
        for action in actions_in(&policy(path)) {
            assert!(!action.contains('*'), "{path}: wildcard action {action}");
            assert!(
                needed.contains(&action),
                "{path} grants {action}, which nothing calls"
            );
        }
    }
}

#[test]
fn nobody_launches_as_someone_else_or_without_an_owner_tag() {
    let owner = policy(OWNER_POLICY);
    let run_as = |tag: Option<&str>, principal: Option<&str>| {
        let mut request = Request::new("ecs:RunTask", TASK_DEFINITION)
            .key("ecs:cluster", &[CLUSTER])
            .key("aws:TagKeys", &[tags::OWNER]);
        if let Some(tag) = tag {
            request = request.key(&format!("aws:RequestTag/{}", tags::OWNER), &[tag]);
        }
        if let Some(principal) = principal {
            request = request.by(principal);
        }
        allows(&[&owner], &request)
    };
    assert!(run_as(Some("ana"), Some("ana")));
    assert!(!run_as(Some("bob"), Some("ana")), "ana launching as bob");
    assert!(!run_as(None, Some("ana")), "a launch without the owner tag");
    assert!(
        !run_as(Some("ana"), None),
        "a principal without the ondeck-owner tag"
    );
    let elsewhere = own_use("ecs:RunTask", "ana").key("ecs:cluster", &[OTHER_CLUSTER]);
    assert!(
        !allows(&[&owner], &elsewhere),
        "a launch in another cluster"
    );
    let tag_as_bob = Request::new("ecs:TagResource", TASK)
        .key("ecs:CreateAction", &["RunTask"])
        .key(&format!("aws:RequestTag/{}", tags::OWNER), &["bob"])
        .by("ana");
    assert!(!allows(&[&owner], &tag_as_bob), "tags created as bob's");
}

#[test]
fn owners_stop_retag_and_enter_only_their_own_tasks() {
    let owner = policy(OWNER_POLICY);
    for action in [
        "ecs:StopTask",
        "ecs:ExecuteCommand",
        "ssm:StartSession",
        "ecs:TagResource",
    ] {
        let own = own_use(action, "ana");
        assert!(allows(&[&owner], &own), "{action} on ana's own task");
        let theirs = own.clone().on_task_of("bob");
        assert!(!allows(&[&owner], &theirs), "{action} on bob's task by ana");
        let untagged = {
            let mut request = own.clone();
            request
                .keys
                .remove(&format!("aws:ResourceTag/{}", tags::OWNER));
            request
        };
        assert!(
            !allows(&[&owner], &untagged),
            "{action} on a task that is nobody's"
        );
    }
    let stop_elsewhere = Request::new("ecs:StopTask", OTHER_CLUSTER_TASK)
        .on_task_of("ana")
        .key("ecs:cluster", &[OTHER_CLUSTER])
        .by("ana");
    assert!(
        !allows(&[&owner], &stop_elsewhere),
        "a stop in another cluster"
    );
}

#[test]
fn no_one_retags_the_owner_of_a_running_task() {
    let owner = policy(OWNER_POLICY);
    let lead = policy(LEAD_POLICY);
    let give_away = own_use("ecs:TagResource", "ana").key("aws:TagKeys", &[tags::OWNER]);
    assert!(!allows(&[&owner], &give_away), "ana hands her task to bob");
    let take = Request::new("ecs:TagResource", TASK)
        .on_task_of("bob")
        .key("aws:TagKeys", &[tags::EXPIRES_AT, tags::OWNER])
        .by("lea");
    assert!(!allows(&[&owner, &lead], &take), "a lead rewrites an owner");
}

#[test]
fn the_lead_policy_acts_on_anyones_instances_in_the_cluster_only() {
    let owner = policy(OWNER_POLICY);
    let lead = policy(LEAD_POLICY);
    for action in [
        "ecs:StopTask",
        "ecs:ExecuteCommand",
        "ssm:StartSession",
        "ecs:TagResource",
    ] {
        let bobs = own_use(action, "bob").by("lea");
        assert!(
            !allows(&[&owner], &bobs),
            "{action}: the owner policy alone"
        );
        assert!(allows(&[&owner, &lead], &bobs), "{action}: owner + lead");
        let mut not_ondecks = bobs.clone();
        not_ondecks
            .keys
            .remove(&format!("aws:ResourceTag/{}", tags::OWNER));
        assert!(
            !allows(&[&owner, &lead], &not_ondecks),
            "{action} on a task ondeck did not start"
        );
    }
    let elsewhere = Request::new("ecs:StopTask", OTHER_CLUSTER_TASK)
        .on_task_of("bob")
        .key("ecs:cluster", &[OTHER_CLUSTER])
        .by("lea");
    assert!(
        !allows(&[&owner, &lead], &elsewhere),
        "a lead in another cluster"
    );
    assert!(
        !actions_in(&lead).contains("ecs:RunTask"),
        "a lead launches as themselves, with the owner policy"
    );
}

#[test]
fn reads_need_the_cluster_but_no_owner() {
    let owner = policy(OWNER_POLICY);
    for action in ["ecs:ListTasks", "ecs:DescribeTasks"] {
        let anyones = Request::new(action, TASK)
            .key("ecs:cluster", &[CLUSTER])
            .by("ana");
        assert!(allows(&[&owner], &anyones), "{action} within the cluster");
        let elsewhere = Request::new(action, OTHER_CLUSTER_TASK)
            .key("ecs:cluster", &[OTHER_CLUSTER])
            .by("ana");
        assert!(
            !allows(&[&owner], &elsewhere),
            "{action} in another cluster"
        );
    }
}

#[test]
fn task_roles_are_passed_to_ecs_tasks_only() {
    let owner = policy(OWNER_POLICY);
    let pass = own_use("iam:PassRole", "ana");
    assert!(allows(&[&owner], &pass));
    let to_lambda = pass.key("iam:PassedToService", &["lambda.amazonaws.com"]);
    assert!(!allows(&[&owner], &to_lambda));
}

#[test]
fn every_condition_is_on_a_key_its_actions_support() {
    let supported: BTreeMap<&str, &[&str]> = SUPPORTED_KEYS.into_iter().collect();
    for path in [OWNER_POLICY, LEAD_POLICY] {
        for statement in policy(path)["Statement"].as_array().expect("statements") {
            let Some(operators) = statement["Condition"].as_object() else {
                continue;
            };
            for action in strings(&statement["Action"]) {
                let keys = supported
                    .get(action.as_str())
                    .unwrap_or_else(|| panic!("{path}: add {action} to SUPPORTED_KEYS"));
                for key in operators
                    .values()
                    .flat_map(|keys| keys.as_object().unwrap().keys())
                {
                    // Keys about the caller are in every request.
                    let global = key.starts_with("aws:PrincipalTag/");
                    assert!(
                        global || keys.iter().any(|pattern| glob(pattern, key)),
                        "{path}: {action} has no condition key {key}; statement {}",
                        statement["Sid"]
                    );
                }
            }
        }
    }
}

#[test]
fn forwards_use_the_port_forwarding_document_and_end_only_ones_own_sessions() {
    let owner = policy(OWNER_POLICY);
    let lead = policy(LEAD_POLICY);
    let document = Request::new("ssm:StartSession", PORT_DOCUMENT).by("ana");
    assert!(allows(&[&owner], &document), "the port-forwarding document");
    let shell_document = Request::new(
        "ssm:StartSession",
        "arn:aws:ssm:REGION::document/SSM-SessionManagerRunShell",
    )
    .by("ana");
    assert!(
        !allows(&[&owner, &lead], &shell_document),
        "any other document"
    );
    let end_own = own_use("ssm:TerminateSession", "ana");
    assert_eq!(end_own.resource, SESSION);
    assert!(allows(&[&owner], &end_own), "ana ends her own session");
    let end_bobs = Request::new(
        "ssm:TerminateSession",
        "arn:aws:ssm:REGION:ACCOUNT:session/bob-0123456789abcdef0",
    )
    .key("aws:username", &["ana"]);
    assert!(
        !allows(&[&owner, &lead], &end_bobs),
        "ana ends bob's session"
    );
}

#[test]
fn the_task_role_example_lets_the_exec_agent_open_its_channels() {
    let role = policy(TASK_ROLE_POLICY);
    for channel in [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ] {
        assert!(
            allows(&[&role], &Request::new(channel, "*")),
            "{TASK_ROLE_POLICY} lacks {channel}"
        );
    }
}
