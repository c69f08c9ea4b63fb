//! The `ondeck` binary end to end against moto: what a script on a bastion host sees.

mod support;

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
    let ecs = support::moto().ecs().await;
    let past = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    for instance in env.list("ana", &["--all-owners"]) {
        if instance["name"] == "old" || instance["name"] == "hers" {
            for task in instance["tasks"].as_array().unwrap() {
                ecs.tag_resource()
                    .resource_arn(task["task_arn"].as_str().unwrap())
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
async fn an_unreachable_endpoint_exits_1_quickly_with_one_line() {
    let env = Env::new("cli-down").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let out = env.run("ana", Some(&endpoint), &["list"]);
    assert!(started.elapsed() < Duration::from_secs(30));
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
        stderr(&out).contains("known templates: pair, stack"),
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

/// A task started straight through the SDK, as another tool (or another ondeck) would:
/// `started_by`, and the owner, instance and launch-token tags as given.
async fn run_tagged(env: &Env, started_by: &str, owner: &str, instance: &str, token: &str) {
    use aws_sdk_ecs::types::{AwsVpcConfiguration, LaunchType, NetworkConfiguration, Tag};
    let moto = support::moto();
    let tag = |key: &str, value: &str| Tag::builder().key(key).value(value).build();
    moto.ecs()
        .await
        .run_task()
        .cluster(&env.cluster)
        .task_definition("web")
        .launch_type(LaunchType::Fargate)
        .count(1)
        .started_by(started_by)
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(
                    AwsVpcConfiguration::builder()
                        .subnets(&moto.subnets[0])
                        .security_groups(&moto.security_group)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .tags(tag("ondeck:owner", owner))
        .tags(tag("ondeck:instance", instance))
        .tags(tag("ondeck:template", "stack"))
        .tags(tag("ondeck:launch-token", &format!("{token}-0")))
        .send()
        .await
        .expect("RunTask");
}

/// (owner, desired status of each task) of the listed instances named `name`.
fn desired_by_owner(listed: &[Value], name: &str) -> Vec<(String, Vec<String>)> {
    let mut found: Vec<(String, Vec<String>)> = listed
        .iter()
        .filter(|instance| instance["name"] == name)
        .map(|instance| {
            (
                instance["owner"].as_str().unwrap().to_string(),
                instance["tasks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["desired_status"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn a_bare_name_never_reaches_another_owners_instance() {
    let env = Env::new("cli-same-name").await;
    for owner in ["alice", "bob"] {
        let out = env.run(owner, None, &["launch", "stack", "--name", "one"]);
        assert!(out.status.success(), "{owner}: {}", stderr(&out));
    }
    // bob's `destroy one --all-owners` is bob's `one`, whoever launched first.
    let out = env.run("bob", None, &["destroy", "one", "--all-owners", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let everyone = env.list("bob", &["--all-owners"]);
    assert_eq!(
        desired_by_owner(&everyone, "one"),
        vec![
            ("alice".to_string(), vec!["RUNNING".to_string()]),
            ("bob".to_string(), vec!["STOPPED".to_string()]),
        ]
    );

    // Named as alice's, but without --all-owners: refused, nothing stopped.
    let out = env.run("bob", None, &["destroy", "alice/one", "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("--all-owners"), "{}", stderr(&out));
    let out = env.run("carol", None, &["destroy", "one", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("belongs to alice") && stderr(&out).contains("alice/one"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        desired_by_owner(&env.list("alice", &[]), "one")[0].1,
        vec!["RUNNING".to_string()]
    );

    let out = env.run(
        "bob",
        None,
        &["destroy", "alice/one", "--all-owners", "--yes"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("alice/one"), "{}", stderr(&out));
    assert_eq!(
        desired_by_owner(&env.list("alice", &[]), "one")[0].1,
        vec!["STOPPED".to_string()]
    );
}

#[tokio::test]
async fn two_live_launches_of_one_name_are_refused_with_both_named() {
    let env = Env::new("cli-ambiguous").await;
    let out = env.run("ana", None, &["launch", "stack", "--name", "one"]);
    assert!(out.status.success(), "{}", stderr(&out));
    run_tagged(
        &env,
        "ondeck/ana",
        "ana",
        "one",
        "feedc0de00000000feedc0de00000000",
    )
    .await;
    assert_eq!(env.list("ana", &[]).len(), 2, "two launches, two instances");

    let out = env.run("ana", None, &["destroy", "one", "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("2 live instances") && message.contains("ana/one@feedc0de"),
        "{message}"
    );
    let listed = env.list("ana", &[]);
    assert!(
        desired_by_owner(&listed, "one")
            .iter()
            .all(|(_, desired)| desired == &["RUNNING"]),
        "nothing stopped: {listed:?}"
    );

    let out = env.run("ana", None, &["destroy", "one@feedc0de", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = env.list("ana", &[]);
    for instance in &listed {
        let expected = if instance["launch"] == "feedc0de00000000feedc0de00000000" {
            "STOPPED"
        } else {
            "RUNNING"
        };
        assert_eq!(
            instance["tasks"][0]["desired_status"], expected,
            "{instance}"
        );
    }
}

#[tokio::test]
async fn a_name_reused_after_destroy_is_a_new_instance() {
    let env = Env::new("cli-reuse").await;
    let out = env.run("ana", None, &["launch", "stack", "--name", "one"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run("ana", None, &["destroy", "one", "--yes", "--wait"]);
    assert!(out.status.success(), "{}", stderr(&out));

    let out = env.run("ana", None, &["launch", "stack", "--name", "one", "--wait"]);
    assert!(
        out.status.success(),
        "the old launch's stop is not this one's: {}",
        stderr(&out)
    );
    let mut states: Vec<(String, usize)> = env
        .list("ana", &[])
        .iter()
        .map(|i| {
            (
                i["state"].as_str().unwrap().to_string(),
                i["tasks"].as_array().unwrap().len(),
            )
        })
        .collect();
    states.sort();
    assert_eq!(
        states,
        vec![("RUNNING".to_string(), 1), ("STOPPED".to_string(), 1)]
    );
}

#[tokio::test]
async fn a_task_whose_started_by_and_owner_tag_disagree_is_nobodys() {
    let env = Env::new("cli-disputed").await;
    run_tagged(
        &env,
        "ondeck/alice",
        "bob",
        "odd",
        "0123456789abcdef0123456789abcdef",
    )
    .await;
    assert!(env.list("alice", &[]).is_empty(), "not alice's");
    assert!(env.list("bob", &[]).is_empty(), "not bob's either");
    for owner in ["alice", "bob"] {
        let out = env.run(owner, None, &["destroy", "odd", "--yes", "--all-owners"]);
        assert_eq!(out.status.code(), Some(1), "{owner}: {}", stderr(&out));
    }
    let out = env.run("bob", None, &["destroy", "odd", "--yes"]);
    assert!(
        stderr(&out).contains("started by ondeck/alice"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        desired_by_owner(&env.list("bob", &["--all-owners"]), "odd")[0].1,
        vec!["RUNNING".to_string()]
    );
    let out = env.run(
        "bob",
        None,
        &["destroy", "bob/odd", "--yes", "--all-owners"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[tokio::test]
async fn extend_takes_all_owners_refuses_stopped_and_prints_local_minutes() {
    let env = Env::new("cli-extend").await;
    for (owner, name) in [("ana", "mine"), ("alice", "hers")] {
        let out = env.run(owner, None, &["launch", "pair", "--name", name]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let moto = support::moto();
    let config = support::config_file(env.dir.path(), moto, &env.cluster, "ana", &moto.endpoint);
    let extend = |args: &[&str]| {
        support::ondeck(&config, &env.dir.path().join("state-ana"))
            .env("TZ", "Asia/Kolkata")
            .arg("extend")
            .args(args)
            .output()
            .expect("run ondeck extend")
    };

    let out = extend(&["mine", "--by", "1h"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let expires = env.list("ana", &[])[0]["expires_at"]
        .as_str()
        .unwrap()
        .to_string();
    let local = chrono::DateTime::parse_from_rfc3339(&expires)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(5 * 3600 + 1800).unwrap());
    // Local time to the minute, and what is left (a little under the 2h ttl plus 1h).
    let printed = stdout(&out);
    let expected = format!(
        "mine now expires at {} (in 2h 5",
        local.format("%m-%d %H:%M")
    );
    assert!(
        printed.starts_with(&expected) && printed.ends_with("m)\n"),
        "{printed}"
    );

    let out = extend(&["alice/hers", "--by", "1h"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("--all-owners"), "{}", stderr(&out));
    let out = extend(&["alice/hers", "--by", "1h", "--all-owners"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "no terminal to type the name on"
    );
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    let out = extend(&["alice/hers", "--by", "1h", "--all-owners", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("alice/hers now expires at "),
        "{}",
        stdout(&out)
    );

    let out = env.run("ana", None, &["destroy", "mine", "--yes", "--wait"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = extend(&["mine", "--by", "1h"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("STOPPED"), "{}", stderr(&out));
}

/// Wait for `child` to end, up to `limit`; a child still running then is killed and the
/// test fails.
fn finish(mut child: std::process::Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("still running after {limit:?}; stderr: {}", stderr(&out));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// Wait until `ready` holds, up to `limit`.
fn wait_until(what: &str, limit: Duration, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(Instant::now() < deadline, "no {what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn launch_wait_sees_a_task_that_stopped_before_its_first_poll() {
    let env = Env::new("cli-wait-stop").await;
    let moto = support::moto();
    let proxy = Proxy::start(&moto.endpoint);
    // Everything after the RunTask waits until the task has already stopped.
    proxy.hold_after("RunTask");
    let config = support::config_file(env.dir.path(), moto, &env.cluster, "ana", &proxy.endpoint);
    let child = support::ondeck(&config, &env.dir.path().join("state-ana"))
        .args(["launch", "stack", "--name", "quick", "--wait"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run ondeck launch");
    wait_until(
        "held request after RunTask",
        Duration::from_secs(30),
        || proxy.held() > 0,
    );
    let ecs = moto.ecs().await;
    let listed = ecs.list_tasks().cluster(&env.cluster).send().await.unwrap();
    assert_eq!(listed.task_arns().len(), 1);
    ecs.stop_task()
        .cluster(&env.cluster)
        .task(&listed.task_arns()[0])
        .reason("Essential container in task exited")
        .send()
        .await
        .unwrap();
    proxy.release();

    let out = finish(child, Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("quick stopped: Essential container in task exited"),
        "{}",
        stderr(&out)
    );
}

fn intent_files(env: &Env, owner: &str) -> usize {
    std::fs::read_dir(env.dir.path().join(format!("state-{owner}/launches")))
        .map(|dir| {
            dir.flatten()
                .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "json"))
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn two_launches_of_one_name_on_one_machine_end_with_one_instance() {
    let env = Env::new("cli-lock").await;
    let moto = support::moto();
    let proxy = Proxy::start(&moto.endpoint);
    proxy.inject(Some("RunTask"), Fault::Hold, None);
    let config = support::config_file(env.dir.path(), moto, &env.cluster, "ana", &proxy.endpoint);
    let launch = || {
        support::ondeck(&config, &env.dir.path().join("state-ana"))
            .args(["launch", "stack", "--name", "one"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run ondeck launch")
    };
    let first = launch();
    wait_until("the first RunTask", Duration::from_secs(30), || {
        proxy.held() > 0
    });
    // The second one, while the first waits for its RunTask: refused at once.
    let second = finish(launch(), Duration::from_secs(30));
    assert_eq!(second.status.code(), Some(1), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("another launch of `one` is under way"),
        "{}",
        stderr(&second)
    );
    proxy.release();
    let first = finish(first, Duration::from_secs(60));
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(proxy.count("RunTask"), 1);
    let listed = env.list("ana", &[]);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["tasks"].as_array().unwrap().len(), 1);
}

/// ana launches `one` while another machine's launch of `one` (token `rival`) starts during
/// her RunTask; returns her launch's output and the listed instances.
async fn race_with_another_machine(prefix: &str, rival: &str) -> (Output, Vec<Value>, Env) {
    let env = Env::new(prefix).await;
    let moto = support::moto();
    let proxy = Proxy::start(&moto.endpoint);
    proxy.inject(Some("RunTask"), Fault::Hold, None);
    let config = support::config_file(env.dir.path(), moto, &env.cluster, "ana", &proxy.endpoint);
    let child = support::ondeck(&config, &env.dir.path().join("state-ana"))
        .args(["launch", "stack", "--name", "one"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run ondeck launch");
    wait_until("ana's RunTask", Duration::from_secs(30), || {
        proxy.held() > 0
    });
    run_tagged(&env, "ondeck/ana", "ana", "one", rival).await;
    proxy.release();
    let out = finish(child, Duration::from_secs(60));
    let listed = env.list("ana", &[]);
    (out, listed, env)
}

fn desired_of(listed: &[Value], launch: &str) -> String {
    listed
        .iter()
        .find(|i| i["launch"] == launch)
        .map(|i| {
            i["tasks"][0]["desired_status"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn of_two_machines_launching_one_name_the_loser_rolls_itself_back() {
    // moto gives tasks no createdAt: the smaller token comes first.
    let rival = "00000000000000000000000000000000";
    let (out, listed, env) = race_with_another_machine("cli-race-lose", rival).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("came first") && stderr(&out).contains("00000000"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        desired_of(&listed, rival),
        "RUNNING",
        "the winner is untouched"
    );
    let mine: Vec<&Value> = listed.iter().filter(|i| i["launch"] != rival).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["tasks"][0]["desired_status"], "STOPPED");
    assert_eq!(intent_files(&env, "ana"), 0, "nothing left to resume");
}

#[tokio::test]
async fn of_two_machines_launching_one_name_the_winner_keeps_its_own() {
    let rival = "ffffffffffffffffffffffffffffffff";
    let (out, listed, _env) = race_with_another_machine("cli-race-win", rival).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .all(|i| i["tasks"][0]["desired_status"] == "RUNNING"),
        "the loser rolls itself back, nobody else does: {listed:?}"
    );
}

#[tokio::test]
async fn a_refused_run_task_leaves_no_intent_to_resume() {
    let env = Env::new("cli-refused").await;
    let proxy = Proxy::start(&support::moto().endpoint);
    proxy.inject(
        Some("RunTask"),
        Fault::aws_error(
            "InvalidParameterException",
            "Error retrieving subnet information for [subnet-0]: subnet not found",
        ),
        Some(1),
    );
    let out = env.run("ana", Some(&proxy.endpoint), &["launch", "stack", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("subnets"), "{}", stderr(&out));
    assert_eq!(intent_files(&env, "ana"), 0);

    let out = env.run("ana", Some(&proxy.endpoint), &["launch", "stack", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let launched: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(launched["recovered"], false, "{}", stderr(&out));
    assert!(!stderr(&out).contains("resumed"), "{}", stderr(&out));
}

#[tokio::test]
async fn run_task_limits_are_checked_before_the_call() {
    let env = Env::new("cli-limits").await;
    let proxy = Proxy::start(&support::moto().endpoint);
    let big = format!("web:BIG={}", "x".repeat(10_000));
    let out = env.run(
        "ana",
        Some(&proxy.endpoint),
        &["launch", "stack", "--name", "big", "--env", &big],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("8192") && message.contains("web:"),
        "{message}"
    );
    assert_eq!(proxy.count("RunTask"), 0, "nothing was sent");
    assert_eq!(intent_files(&env, "ana"), 0);
    assert!(env.list("ana", &[]).is_empty());
}

/// An intent file for ana's `pair` launches on this cluster, planted in her state dir.
fn plant_intent(env: &Env, file: &str, token: &str, name: &str, created_at: &str) {
    let launches = env.dir.path().join("state-ana/launches");
    std::fs::create_dir_all(&launches).unwrap();
    let intent = serde_json::json!({
        "token": token,
        "profile": "test",
        "cluster": env.cluster,
        "template": "pair",
        "name": name,
        "created_at": created_at,
    });
    std::fs::write(launches.join(file), intent.to_string()).unwrap();
}

#[tokio::test]
async fn an_intent_token_never_becomes_a_path() {
    let env = Env::new("cli-intent-token").await;
    // A token that walks out of the state dir must never name a file to delete.
    let victim = env.dir.path().join("victim.json");
    std::fs::write(&victim, "keep me").unwrap();
    let now = chrono::Utc::now().to_rfc3339();
    plant_intent(
        &env,
        "0123456789abcdef0123456789abcdef.json",
        "../../victim",
        "evil",
        &now,
    );
    let out = env.run("ana", None, &["launch", "pair", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let launched: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(launched["recovered"], false);
    assert_ne!(launched["name"], "evil");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
}

#[tokio::test]
async fn an_intent_from_the_future_writes_no_expiry_past_the_limit() {
    let env = Env::new("cli-intent-time").await;
    let token = "fedcba9876543210fedcba9876543210";
    plant_intent(
        &env,
        &format!("{token}.json"),
        token,
        "later",
        "9999-01-01T00:00:00Z",
    );
    let out = env.run("ana", None, &["launch", "pair", "--name", "later"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let later = env
        .list("ana", &[])
        .into_iter()
        .find(|i| i["name"] == "later")
        .unwrap();
    assert_ne!(
        later["launch"], token,
        "a fresh launch, not the planted one"
    );
    let expires =
        chrono::DateTime::parse_from_rfc3339(later["expires_at"].as_str().unwrap()).unwrap();
    assert!(
        expires <= chrono::Utc::now() + chrono::Duration::hours(2),
        "the template's 2h ttl from now: {expires}"
    );
}
