//! Whose instance a name means: owners, tags that disagree, names used twice.

use super::*;

/// A task started straight through the SDK, as another tool (or another ondeck) would:
/// `started_by`, and the owner, instance and launch-token tags as given.
pub(crate) async fn run_tagged(
    env: &Env,
    started_by: &str,
    owner: &str,
    instance: &str,
    token: &str,
) {
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
