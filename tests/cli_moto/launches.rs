//! Launches that wait, race, resume or are refused: exactly one instance, or none.

use super::*;
use crate::owners::run_tagged;

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
