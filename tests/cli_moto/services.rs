//! `pause`, `resume`, `relaunch` and `reap --pause` from the command line.

use super::{Env, stderr, stdout};

/// Tag every service of `name` as expired five minutes ago, as time would.
async fn expire_services(env: &Env, name: &str) {
    let listed = env.list("ana", &[]);
    let instance = listed.iter().find(|i| i["name"] == name).unwrap();
    let services = instance["services"].as_array().unwrap();
    super::expire(services.iter().map(|service| &service["arn"])).await;
}

fn state_of(env: &Env, name: &str) -> String {
    env.list("ana", &[])
        .into_iter()
        .find(|i| i["name"] == name)
        .map(|i| i["state"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn pause_resume_and_reap_pause_keep_a_service_backed_instance() {
    let env = Env::new("cli-pause").await;
    let out = env.run("ana", None, &["launch", "kept", "--name", "jobs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run("ana", None, &["launch", "stack", "--name", "plain"]);
    assert!(out.status.success(), "{}", stderr(&out));

    let out = env.run("ana", None, &["pause", "jobs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("$0/h"), "{}", stderr(&out));
    assert_eq!(state_of(&env, "jobs"), "PAUSED");

    let out = env.run("ana", None, &["pause", "plain"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("kind = \"service\""),
        "{}",
        stderr(&out)
    );

    let out = env.run("ana", None, &["resume", "jobs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ne!(state_of(&env, "jobs"), "PAUSED");

    expire_services(&env, "jobs").await;
    let dry = env.run("ana", None, &["reap", "--pause", "--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).starts_with("would pause jobs (expired 5m ago)"),
        "{}",
        stdout(&dry)
    );
    assert_ne!(
        state_of(&env, "jobs"),
        "PAUSED",
        "the dry run changed nothing"
    );

    let reap = env.run("ana", None, &["reap", "--pause"]);
    assert!(reap.status.success(), "{}", stderr(&reap));
    assert!(stdout(&reap).contains("paused jobs"), "{}", stdout(&reap));
    assert_eq!(state_of(&env, "jobs"), "PAUSED");
    let again = env.run("ana", None, &["reap", "--pause"]);
    assert!(
        stdout(&again).contains("left jobs paused"),
        "{}",
        stdout(&again)
    );

    // Without --pause, an expired paused instance is destroyed.
    let reap = env.run("ana", None, &["reap"]);
    assert!(reap.status.success(), "{}", stderr(&reap));
    assert!(
        stdout(&reap).contains("destroyed jobs"),
        "{}",
        stdout(&reap)
    );
    assert_eq!(state_of(&env, "jobs"), "STOPPED");
    assert_eq!(state_of(&env, "plain"), "RUNNING", "not expired");
}

#[tokio::test]
async fn relaunch_without_a_terminal_needs_yes_then_launches_the_same_name() {
    let env = Env::new("cli-relaunch").await;
    let out = env.run("ana", None, &["launch", "pair", "--name", "again"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let first = env.list("ana", &[])[0]["launch"].clone();

    let out = env.run("ana", None, &["relaunch", "again"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert_eq!(env.list("ana", &[]).len(), 1, "nothing changed");

    let out = env.run("ana", None, &["relaunch", "again", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = env.list("ana", &[]);
    let live: Vec<_> = listed
        .iter()
        .filter(|i| i["name"] == "again" && i["state"] == "RUNNING")
        .collect();
    assert_eq!(live.len(), 1, "{listed:?}");
    assert_ne!(live[0]["launch"], first, "a new launch of the same name");
    assert_eq!(live[0]["template"], "pair");
}
