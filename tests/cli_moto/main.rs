//! The `ondeck` binary end to end against moto: what a script on a bastion host sees.

#[path = "../support/mod.rs"]
mod support;

mod launches;
mod owners;
mod services;

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::proxy::{Fault, Proxy};

struct Env {
    dir: tempfile::TempDir,
    cluster: String,
}

impl Env {
    async fn new(prefix: &str) -> Env {
        let moto = support::moto();
        let cluster = support::unique(prefix);
        moto.cluster(&cluster, "ana").await;
        Env {
            dir: tempfile::tempdir().unwrap(),
            cluster,
        }
    }

    fn run(&self, owner: &str, endpoint: Option<&str>, args: &[&str]) -> Output {
        let moto = support::moto();
        let endpoint = endpoint.unwrap_or(&moto.endpoint);
        let config = support::config_file(self.dir.path(), moto, &self.cluster, owner, endpoint);
        let state = self.dir.path().join(format!("state-{owner}"));
        support::ondeck(&config, &state)
            .args(args)
            .output()
            .expect("run ondeck")
    }

    fn list(&self, owner: &str, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["list", "--json"];
        args.extend_from_slice(extra);
        let out = self.run(owner, None, &args);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice::<Value>(&out.stdout)
            .expect("list --json is JSON")
            .as_array()
            .expect("an array")
            .clone()
    }
}

/// Tag these resources (tasks or services, as ARNs of `list --json`) as expired five minutes
/// ago.
async fn expire(arns: impl IntoIterator<Item = &Value>) {
    let ecs = support::moto().ecs().await;
    let past = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    for arn in arns {
        ecs.tag_resource()
            .resource_arn(arn.as_str().unwrap())
            .tags(
                aws_sdk_ecs::types::Tag::builder()
                    .key("ondeck:expires-at")
                    .value(&past)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn launch_list_destroy_list() {
    let env = Env::new("cli").await;
    let out = env.run(
        "ana",
        None,
        &[
            "launch",
            "pair",
            "--name",
            "rev-1",
            "--env",
            "web:MODE=test",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "rev-1");

    let listed = env.list("ana", &[]);
    assert_eq!(listed.len(), 1);
    let instance = &listed[0];
    assert_eq!(instance["name"], "rev-1");
    assert_eq!(instance["owner"], "ana");
    assert_eq!(instance["template"], "pair");
    assert_eq!(instance["state"], "RUNNING");
    assert!(
        instance["expires_at"].is_string(),
        "the template's ttl became an expiry"
    );
    // moto reports no task timestamps; the key is there for scripts either way.
    assert!(instance.get("created_at").is_some());
    assert!(instance["private_ips"].is_array());
    assert_eq!(instance["currency"], "USD");
    assert!(instance["cost_per_hour"].as_f64().unwrap() > 0.0);
    let tasks = instance["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2);
    for task in tasks {
        for key in [
            "task_arn",
            "task_definition",
            "last_status",
            "desired_status",
            "stop_code",
            "stopped_reason",
            "containers",
        ] {
            assert!(task.get(key).is_some(), "task lacks {key}: {task}");
        }
        let container = &task["containers"][0];
        for key in ["name", "last_status", "exit_code", "health", "reason"] {
            assert!(
                container.get(key).is_some(),
                "container lacks {key}: {container}"
            );
        }
    }

    let table = env.run("ana", None, &["list"]);
    assert!(stdout(&table).contains("rev-1"), "{}", stdout(&table));
    // Time left and the rate read as on the dashboard: to the minute, three decimals.
    let shown = stdout(&table);
    let mut lines = shown.lines();
    let (header, row) = (lines.next().unwrap(), lines.next().unwrap());
    let column = |name: &str| &row[header.find(name).expect("a column")..];
    assert!(column("EXPIRES").starts_with("1h 59m "), "{shown}");
    assert!(column("$/H").starts_with("0.049 "), "{shown}");

    let out = env.run("ana", None, &["destroy", "rev-1", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = env.list("ana", &[]);
    let tasks = listed[0]["tasks"].as_array().unwrap();
    assert!(
        tasks.iter().all(|t| t["desired_status"] == "STOPPED"),
        "{tasks:?}"
    );
    assert!(
        tasks
            .iter()
            .all(|t| t["stopped_reason"] == "ondeck: destroyed by ana")
    );
}

#[tokio::test]
async fn another_owners_instance_is_invisible_and_cannot_be_destroyed() {
    let env = Env::new("cli-owner").await;
    let out = env.run("alice", None, &["launch", "stack", "--name", "alices"]);
    assert!(out.status.success(), "{}", stderr(&out));

    assert!(env.list("ana", &[]).is_empty());
    let out = env.run("ana", None, &["destroy", "alices", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("belongs to alice"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        env.list("alice", &[])[0]["tasks"][0]["desired_status"],
        "RUNNING"
    );

    let everyone = env.list("ana", &["--all-owners"]);
    assert_eq!(everyone.len(), 1);
    assert_eq!(everyone[0]["owner"], "alice");
}

#[tokio::test]
async fn read_only_refuses_writes_with_exit_1() {
    let env = Env::new("cli-ro").await;
    for args in [
        vec!["--read-only", "launch", "stack"],
        vec!["--read-only", "destroy", "x", "--yes"],
        vec!["--read-only", "extend", "x", "--by", "1h"],
        vec!["--read-only", "reap"],
    ] {
        let out = env.run("ana", None, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    }
    assert!(env.list("ana", &[]).is_empty(), "nothing was launched");
}

#[tokio::test]
async fn destroy_without_a_terminal_needs_yes() {
    let env = Env::new("cli-yes").await;
    assert!(
        env.run("ana", None, &["launch", "stack", "--name", "keep"])
            .status
            .success()
    );
    let out = env.run("ana", None, &["destroy", "keep"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert_eq!(
        env.list("ana", &[])[0]["tasks"][0]["desired_status"],
        "RUNNING"
    );
}

#[test]
fn bad_config_exits_2_with_a_located_message() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "[profiles.dev]\nregion = \"us-east-1\"\ncluster = \"c\"\nsubnet = [\"subnet-1\"]\nsecurity_groups = [\"sg-1\"]\n",
    )
    .unwrap();
    let out = support::ondeck(&config, dir.path())
        .env("USER", "ana")
        .arg("list")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(message.contains("bad.toml:4:1"), "{message}");
    assert!(message.contains("subnets"), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
}

#[tokio::test]
async fn a_lost_run_task_answer_yields_exactly_one_instance() {
    let env = Env::new("cli-lost").await;
    let proxy = Proxy::start(&support::moto().endpoint);
    proxy.inject(Some("RunTask"), Fault::LoseAnswer, Some(1));
    let out = env.run(
        "ana",
        Some(&proxy.endpoint),
        &["launch", "stack", "--name", "one"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = env.list("ana", &[]);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(proxy.count("RunTask"), 1);
}

#[tokio::test]
async fn reap_destroys_only_my_expired_instances() {
    let env = Env::new("cli-reap").await;
    for (owner, name) in [
        ("ana", "old"),
        ("ana", "fresh"),
        ("ana", "untagged"),
        ("alice", "hers"),
    ] {
        let mut args = vec!["launch", "stack", "--name", name];
        if name != "untagged" {
            args.extend(["--ttl", "1h"]);
        }
        let out = env.run(owner, None, &args);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    // Age `old` and `hers` past their expiry, as time would.
    for instance in env.list("ana", &["--all-owners"]) {
        if instance["name"] == "old" || instance["name"] == "hers" {
            let tasks = instance["tasks"].as_array().unwrap();
            expire(tasks.iter().map(|task| &task["task_arn"])).await;
        }
    }

    let dry = env.run("ana", None, &["reap", "--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert_eq!(stdout(&dry).lines().count(), 1, "{}", stdout(&dry));
    assert!(
        stdout(&dry).starts_with("would destroy old (expired 5m ago)"),
        "{}",
        stdout(&dry)
    );
    let desired = |owner: &str, name: &str| {
        env.list(owner, &[])
            .into_iter()
            .find(|i| i["name"] == name)
            .unwrap()["tasks"][0]["desired_status"]
            .clone()
    };
    assert_eq!(
        desired("ana", "old"),
        "RUNNING",
        "the dry run changed nothing"
    );

    let reap = env.run("ana", None, &["reap"]);
    assert!(reap.status.success(), "{}", stderr(&reap));
    assert_eq!(desired("ana", "old"), "STOPPED");
    assert_eq!(desired("ana", "fresh"), "RUNNING");
    assert_eq!(desired("ana", "untagged"), "RUNNING");
    assert_eq!(desired("alice", "hers"), "RUNNING", "never another owner's");
}

#[tokio::test]
async fn an_unreachable_endpoint_exits_1_with_one_line() {
    let env = Env::new("cli-down").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    // A hang guard only: the retries are bounded by count, not by time.
    let (done, finished) = std::sync::mpsc::channel();
    let run = std::thread::spawn({
        let endpoint = endpoint.clone();
        move || {
            let out = env.run("ana", Some(&endpoint), &["list"]);
            let _ = done.send(());
            out
        }
    });
    finished
        .recv_timeout(Duration::from_secs(120))
        .expect("ondeck list against a closed port never ended");
    let out = run.join().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains(&endpoint), "{message}");
}

#[tokio::test]
async fn wait_flags_return_when_the_state_is_reached() {
    let env = Env::new("cli-wait").await;
    let out = env.run(
        "ana",
        None,
        &["launch", "stack", "--name", "w", "--wait", "--json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let launched: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(launched["name"], "w");
    assert_eq!(launched["task_arns"].as_array().unwrap().len(), 1);
    assert!(stderr(&out).contains("w is RUNNING"), "{}", stderr(&out));
    assert_eq!(env.list("ana", &[])[0]["state"], "RUNNING");

    let out = env.run("ana", None, &["destroy", "w", "--yes", "--wait"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("w is STOPPED"), "{}", stderr(&out));
    let tasks = env.list("ana", &[])[0]["tasks"].clone();
    assert!(
        tasks
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["last_status"] == "STOPPED"),
        "{tasks}"
    );
}

#[tokio::test]
async fn unknown_templates_and_bad_env_are_usage_errors() {
    let env = Env::new("cli-usage").await;
    let out = env.run("ana", None, &["launch", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("known templates: kept, pair, stack"),
        "{}",
        stderr(&out)
    );
    let out = env.run("ana", None, &["launch", "stack", "--env", "nosuch:A=1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("containers: web, api"),
        "{}",
        stderr(&out)
    );
    let out = env.run("ana", None, &["launch", "stack", "--env", "garbage"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--env `garbage` is not CONTAINER:KEY=VALUE"),
        "{}",
        stderr(&out)
    );
    assert!(env.list("ana", &[]).is_empty());
}
