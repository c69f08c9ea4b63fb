//! The IAM policies in assets/ against what the code calls and what they must prevent.
//!
//! The operations come from the SDK adapter's source (every `self.<client>.<operation>(` in
//! crates/ondeck-aws/src, and every signed `self.call("Operation", …)` of its SSM calls), so a
//! new AWS call without its permission fails here (`operations`). The policies are then
//! evaluated, statement by statement (`evaluation`), for requests a user and a team lead make:
//! owners act on their own tasks and services, nobody launches or creates as someone else or
//! re-tags an owner, a lead acts on anyone's.

mod evaluation;
mod operations;

use std::collections::{BTreeMap, BTreeSet};

use evaluation::{Request, actions_in, allows, glob, strings};
use ondeck_core::instances::service_name;
use ondeck_core::model::tags;
use ondeck_templates::hash::HASH_TAG;
use operations::operations_called;
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
/// What ondeck registers for a container template, and the log group it names for it.
const OWN_TASK_DEFINITION: &str = "arn:aws:ecs:REGION:ACCOUNT:task-definition/ondeck-dev-shop";
const OWN_LOG_GROUP: &str = "arn:aws:logs:REGION:ACCOUNT:log-group:/ondeck/dev";
/// A service ECS runs for something other than ondeck, in the same cluster.
const OTHER_SERVICE: &str = "arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/payments-api";

/// Granted without the code calling them, and why.
const GRANTED_BEYOND_THE_CODE: [&str; 1] = [
    // RunTask and RegisterTaskDefinition hand the task definitions' roles to ECS.
    "iam:PassRole",
];
const SESSION: &str = "arn:aws:ssm:REGION:ACCOUNT:session/ana-0123456789abcdef0";
const PORT_DOCUMENT: &str = "arn:aws:ssm:REGION::document/AWS-StartPortForwardingSession";
const TASK_ROLE_POLICY: &str = "assets/task-role-policy.json";

/// The condition keys each granted action supports, from AWS's Service Authorization
/// Reference. A key an action does not support is absent from its requests, so a condition on
/// it fails and the statement silently allows nothing.
const SUPPORTED_KEYS: [(&str, &[&str]); 20] = [
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
    ("ecs:ListServices", &["ecs:cluster"]),
    (
        "ecs:DescribeServices",
        &["aws:ResourceTag/*", "ecs:cluster"],
    ),
    (
        "ecs:CreateService",
        &[
            "aws:RequestTag/*",
            "aws:ResourceTag/*",
            "aws:TagKeys",
            "ecs:auto-assign-public-ip",
            "ecs:capacity-provider",
            "ecs:cluster",
            "ecs:enable-ebs-volumes",
            "ecs:enable-ecs-managed-tags",
            "ecs:enable-execute-command",
            "ecs:enable-service-connect",
            "ecs:enable-vpc-lattice",
            "ecs:namespace",
            "ecs:propagate-tags",
            "ecs:subnet",
            "ecs:task-cpu",
            "ecs:task-definition",
            "ecs:task-memory",
        ],
    ),
    (
        "ecs:UpdateService",
        &[
            "aws:ResourceTag/*",
            "ecs:auto-assign-public-ip",
            "ecs:capacity-provider",
            "ecs:cluster",
            "ecs:enable-ebs-volumes",
            "ecs:enable-ecs-managed-tags",
            "ecs:enable-execute-command",
            "ecs:enable-service-connect",
            "ecs:enable-vpc-lattice",
            "ecs:namespace",
            "ecs:propagate-tags",
            "ecs:subnet",
            "ecs:task-cpu",
            "ecs:task-definition",
            "ecs:task-memory",
        ],
    ),
    ("ecs:DeleteService", &["aws:ResourceTag/*", "ecs:cluster"]),
    ("ecs:DescribeTaskDefinition", &[]),
    (
        "ecs:RegisterTaskDefinition",
        &["aws:RequestTag/*", "aws:TagKeys"],
    ),
    ("logs:CreateLogGroup", &["aws:RequestTag/*", "aws:TagKeys"]),
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
    ("logs:FilterLogEvents", &[]),
    ("logs:StartLiveTail", &[]),
];

fn read(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn policy(path: &str) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|err| panic!("{path} is not JSON: {err}"))
}

/// The ARN of the service ondeck names for `owner`'s instance `jobs` of the family `worker`:
/// `…:service/CLUSTER/ondeck-ana-jobs-worker`.
fn service_of(owner: &str) -> String {
    service_arn("CLUSTER", &service_name(owner, "jobs", "worker"))
}

fn service_arn(cluster: &str, name: &str) -> String {
    format!("arn:aws:ecs:REGION:ACCOUNT:service/{cluster}/{name}")
}

/// The TagResource ECS authorizes when CreateService writes the service's tags.
fn tag_on_create_service(resource: &str, owner_tag: &str) -> Request {
    Request::new("ecs:TagResource", resource)
        .key("ecs:CreateAction", &["CreateService"])
        .key(&format!("aws:RequestTag/{}", tags::OWNER), &[owner_tag])
        .key("aws:TagKeys", &[tags::OWNER, tags::INSTANCE])
}

/// What an owner's own use of `action` looks like: in the cluster, on their own tasks and
/// services, with their owner tag on whatever they create.
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
        "ecs:CreateService" => Request::new(action, &service_of(owner))
            .key("ecs:cluster", &[CLUSTER])
            .key(&format!("aws:RequestTag/{owner_tag}"), &[owner])
            .key("aws:TagKeys", &[owner_tag, tags::INSTANCE]),
        "ecs:UpdateService" | "ecs:DeleteService" | "ecs:DescribeServices" => {
            Request::new(action, &service_of(owner)).on_service_of(owner)
        }
        "ecs:ListServices" => Request::new(action, "*").key("ecs:cluster", &[CLUSTER]),
        "iam:PassRole" => Request::new(action, "arn:aws:iam::ACCOUNT:role/TASK-ROLE")
            .key("iam:PassedToService", &["ecs-tasks.amazonaws.com"]),
        "ecs:RegisterTaskDefinition" => Request::new(action, OWN_TASK_DEFINITION)
            .key(&format!("aws:RequestTag/{owner_tag}"), &[owner])
            .key("aws:TagKeys", &[owner_tag, HASH_TAG]),
        "logs:CreateLogGroup" => Request::new(action, OWN_LOG_GROUP),
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
        "ecs:ListServices",
        "ecs:DescribeServices",
        "ecs:CreateService",
        "ecs:UpdateService",
        "ecs:DeleteService",
        "ssm:StartSession",
        "ssm:TerminateSession",
        "logs:GetLogEvents",
        "logs:FilterLogEvents",
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
    // Creating a service tags it as it is created; extending and pausing re-tag it.
    let tag_on_create_service = tag_on_create_service(&service_of("ana"), "ana").by("ana");
    assert!(allows(&[&owner], &tag_on_create_service));
    for key in [tags::EXPIRES_AT, tags::PAUSED_AT] {
        let retag = Request::new("ecs:TagResource", &service_of("ana"))
            .on_service_of("ana")
            .key("aws:TagKeys", &[key])
            .by("ana");
        assert!(allows(&[&owner], &retag), "{key} on ana's own service");
    }
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
fn nobody_creates_a_service_as_someone_else_elsewhere_or_under_another_name() {
    let owner = policy(OWNER_POLICY);
    let lead = policy(LEAD_POLICY);
    let create = own_use("ecs:CreateService", "ana");
    assert!(allows(&[&owner], &create), "ana creates her own service");
    let as_bob = create
        .clone()
        .key(&format!("aws:RequestTag/{}", tags::OWNER), &["bob"]);
    assert!(
        !allows(&[&owner, &lead], &as_bob),
        "a service tagged as bob's"
    );
    let untagged = {
        let mut request = create.clone();
        request
            .keys
            .remove(&format!("aws:RequestTag/{}", tags::OWNER));
        request
    };
    assert!(
        !allows(&[&owner, &lead], &untagged),
        "a service without the owner tag"
    );
    let elsewhere = Request {
        resource: service_arn("OTHER", &service_name("ana", "jobs", "worker")),
        ..create.clone()
    }
    .key("ecs:cluster", &[OTHER_CLUSTER]);
    assert!(
        !allows(&[&owner, &lead], &elsewhere),
        "a service in another cluster"
    );
    let not_ondecks = Request {
        resource: OTHER_SERVICE.into(),
        ..create.clone()
    };
    assert!(
        !allows(&[&owner, &lead], &not_ondecks),
        "a service named outside ondeck-*"
    );
    // The tags CreateService writes are checked on their own, with the same limits.
    assert!(
        !allows(
            &[&owner, &lead],
            &tag_on_create_service(&service_of("ana"), "bob").by("ana")
        ),
        "tags created as bob's"
    );
    assert!(
        !allows(
            &[&owner, &lead],
            &tag_on_create_service(OTHER_SERVICE, "ana").by("ana")
        ),
        "tags created on a service not named ondeck-*"
    );
    assert!(
        !actions_in(&lead).contains("ecs:CreateService"),
        "a lead creates services as themselves, with the owner policy"
    );
}

#[test]
fn owners_pause_resume_delete_and_retag_only_their_own_services() {
    let owner = policy(OWNER_POLICY);
    for action in ["ecs:UpdateService", "ecs:DeleteService", "ecs:TagResource"] {
        let own = Request::new(action, &service_of("ana"))
            .on_service_of("ana")
            .key("aws:TagKeys", &[tags::PAUSED_AT])
            .by("ana");
        assert!(allows(&[&owner], &own), "{action} on ana's own service");
        let bobs = Request {
            resource: service_of("bob"),
            ..own.clone()
        }
        .on_service_of("bob");
        assert!(
            !allows(&[&owner], &bobs),
            "{action} on bob's service by ana"
        );
        // A name starting ondeck-ana- does not make a service ana's: the tag does.
        let bobs_named_like_anas = own.clone().on_service_of("bob");
        assert!(
            !allows(&[&owner], &bobs_named_like_anas),
            "{action} on a service named like ana's but tagged bob's"
        );
        let untagged = {
            let mut request = own.clone();
            request
                .keys
                .remove(&format!("aws:ResourceTag/{}", tags::OWNER));
            request
        };
        assert!(
            !allows(&[&owner], &untagged),
            "{action} on a service that is nobody's"
        );
        let elsewhere = Request {
            resource: service_arn("OTHER", &service_name("ana", "jobs", "worker")),
            ..own.clone()
        }
        .key("ecs:cluster", &[OTHER_CLUSTER]);
        assert!(
            !allows(&[&owner], &elsewhere),
            "{action} on a service in another cluster"
        );
    }
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
    let give_service_away = Request::new("ecs:TagResource", &service_of("ana"))
        .on_service_of("ana")
        .key(&format!("aws:RequestTag/{}", tags::OWNER), &["bob"])
        .key("aws:TagKeys", &[tags::OWNER])
        .by("ana");
    assert!(
        !allows(&[&owner, &lead], &give_service_away),
        "ana hands her service to bob"
    );
    let take_service = Request::new("ecs:TagResource", &service_of("bob"))
        .on_service_of("bob")
        .key("aws:TagKeys", &[tags::EXPIRES_AT, tags::OWNER])
        .by("lea");
    assert!(
        !allows(&[&owner, &lead], &take_service),
        "a lead rewrites a service's owner"
    );
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
        "ecs:UpdateService",
        "ecs:DeleteService",
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
            "{action} on a task or service ondeck did not start"
        );
    }
    // Extending and pausing anyone's service re-tag it.
    let retag_bobs_service = Request::new("ecs:TagResource", &service_of("bob"))
        .on_service_of("bob")
        .key("aws:TagKeys", &[tags::PAUSED_AT])
        .by("lea");
    assert!(!allows(&[&owner], &retag_bobs_service));
    assert!(allows(&[&owner, &lead], &retag_bobs_service));
    for action in ["ecs:UpdateService", "ecs:DeleteService"] {
        let untagged = Request::new(action, OTHER_SERVICE)
            .key("ecs:cluster", &[CLUSTER])
            .by("lea");
        assert!(
            !allows(&[&owner, &lead], &untagged),
            "{action} on a service that is not ondeck's"
        );
        let elsewhere = Request::new(action, &service_arn("OTHER", "ondeck-bob-jobs-worker"))
            .on_service_of("bob")
            .key("ecs:cluster", &[OTHER_CLUSTER])
            .by("lea");
        assert!(
            !allows(&[&owner, &lead], &elsewhere),
            "{action} by a lead in another cluster"
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
    // Services are listed and described whoever owns them (`--all-owners`, and `ondeck init`
    // reads the network of any service in the cluster), but only in the cluster.
    for (action, resource) in [
        ("ecs:ListServices", "*"),
        ("ecs:DescribeServices", OTHER_SERVICE),
    ] {
        let anyones = Request::new(action, resource)
            .key("ecs:cluster", &[CLUSTER])
            .by("ana");
        assert!(allows(&[&owner], &anyones), "{action} within the cluster");
        let elsewhere = Request::new(action, resource)
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

#[test]
fn owners_register_and_create_log_groups_only_under_ondecks_names() {
    let owner = policy(OWNER_POLICY);
    let register = own_use("ecs:RegisterTaskDefinition", "ana");
    assert!(allows(&[&owner], &register));
    let tag_on_register = Request::new("ecs:TagResource", OWN_TASK_DEFINITION)
        .key("ecs:CreateAction", &["RegisterTaskDefinition"])
        .key(&format!("aws:RequestTag/{}", tags::OWNER), &["ana"])
        .key("aws:TagKeys", &[tags::OWNER, HASH_TAG])
        .by("ana");
    assert!(allows(&[&owner], &tag_on_register), "tags at registration");
    let retag_later = Request::new("ecs:TagResource", OWN_TASK_DEFINITION)
        .key(&format!("aws:RequestTag/{}", tags::OWNER), &["ana"])
        .by("ana");
    assert!(
        !allows(&[&owner], &retag_later),
        "a registered task definition re-tagged"
    );
    let someone_elses = Request {
        resource: "arn:aws:ecs:REGION:ACCOUNT:task-definition/payments-api".into(),
        ..register.clone()
    };
    assert!(
        !allows(&[&owner], &someone_elses),
        "a family ondeck does not own"
    );
    assert!(
        !allows(
            &[&owner],
            &register
                .clone()
                .key(&format!("aws:RequestTag/{}", tags::OWNER), &["bob"])
        ),
        "a registration tagged as bob's"
    );
    let group = own_use("logs:CreateLogGroup", "ana");
    assert!(allows(&[&owner], &group));
    let other_group = Request::new(
        "logs:CreateLogGroup",
        "arn:aws:logs:REGION:ACCOUNT:log-group:/aws/lambda/x",
    )
    .by("ana");
    assert!(!allows(&[&owner], &other_group), "a log group not ondeck's");
    let read_own = Request::new(
        "logs:GetLogEvents",
        "arn:aws:logs:REGION:ACCOUNT:log-group:/ondeck/dev:log-stream:shop/web/0123",
    )
    .by("ana");
    assert!(allows(&[&owner], &read_own), "logs of ondeck's own groups");
}
