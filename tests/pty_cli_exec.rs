//! `ondeck exec` in a real terminal, through the real SDK: moto for ECS, the proxy routing
//! ExecuteCommand / TerminateSession to the stand-in, and the agent side of the data channel
//! playing a container with a toy shell. The terminal is raw while the shell runs and cooked
//! again after it, however the session ends.

mod pty;
#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use ondeck_ssm_agent::{Agent, AgentConfig, ApiStandIn};
use pty::{Pty, PtyBuilder, alive, assert_cooked};
use serde_json::{Value, json};
use support::proxy::Proxy;

/// Generous: the debug binary on a shared, busy machine.
const SHORT: Duration = Duration::from_secs(30);

/// What DescribeTasks would say of a task launched with exec whose agent runs (moto has
/// neither `enableExecuteCommand` nor `managedAgents` nor `runtimeId`).
fn exec_ready(answer: &mut Value) {
    for task in answer["tasks"].as_array_mut().into_iter().flatten() {
        task["enableExecuteCommand"] = json!(true);
        for container in task["containers"].as_array_mut().into_iter().flatten() {
            let name = container["name"].as_str().unwrap_or_default().to_string();
            container["runtimeId"] = json!(format!("rt-{name}"));
            container["managedAgents"] =
                json!([{ "name": "ExecuteCommandAgent", "lastStatus": "RUNNING" }]);
        }
    }
}

struct Env {
    dir: tempfile::TempDir,
    config: std::path::PathBuf,
    agent: Agent,
    api: ApiStandIn,
    _proxy: Proxy,
}

/// One instance `box-1` (container `web`) whose exec agent runs the toy shell.
async fn launched() -> Env {
    let moto = support::moto();
    let cluster = support::unique("pty-exec");
    moto.cluster(&cluster, "ana").await;
    let agent = Agent::start(AgentConfig::default());
    let api = ApiStandIn::start(agent.clone());
    let proxy = Proxy::start(&moto.endpoint);
    for action in ["ExecuteCommand", "TerminateSession"] {
        proxy.route(action, api.endpoint());
    }
    proxy.rewrite("DescribeTasks", exec_ready);
    let dir = tempfile::tempdir().unwrap();
    let config = support::config_file(dir.path(), moto, &cluster, "ana", &proxy.endpoint);
    let out = support::ondeck(&config, &dir.path().join("state"))
        .args(["launch", "stack", "--name", "box-1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Env {
        dir,
        config,
        agent,
        api,
        _proxy: proxy,
    }
}

/// `ondeck exec box-1` on a terminal, its exit code and the terminal's modes reported after.
fn exec_in_a_terminal(env: &Env) -> Pty {
    let state = env.dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let pty = PtyBuilder::new(100, 30, &state)
        .env("ONDECK_CONFIG", &env.config)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .spawn_ondeck_then_stty(&["exec", "box-1"]);
    pty.wait_for_text("$ ", SHORT);
    pty
}

#[tokio::test]
async fn a_typed_command_answers_and_exit_3_is_the_exit_code_with_the_terminal_cooked_again() {
    let env = launched().await;
    let mut pty = exec_in_a_terminal(&env);
    pty.send_keys("echo hello-from-web\r");
    pty.wait_for("the command's output on its own line", SHORT, |screen| {
        screen
            .lines()
            .any(|line| line.trim_end() == "hello-from-web")
    });
    // The remote shell echoes; the local terminal, raw, neither echoes nor turns the
    // carriage return into a newline.
    let session = env.agent.last_session().expect("a session").record();
    assert_eq!(
        session.input, b"echo hello-from-web\r",
        "keys went as typed, one terminal's worth"
    );
    let screen = pty.screen_text();
    assert_eq!(
        screen.matches("echo hello-from-web").count(),
        1,
        "echoed once, by the remote side:\n{screen}"
    );
    assert_eq!(
        session.resizes.first(),
        Some(&(100, 30)),
        "the terminal's size"
    );

    pty.send_keys("exit 3\r");
    let (code, stty) = pty.wrapper_report();
    assert_eq!(code, 3, "the remote exit code is ondeck's");
    assert_cooked(&stty);
    assert_eq!(env.api.calls_to("TerminateSession").len(), 1);
}

#[tokio::test]
async fn a_hang_up_mid_session_ends_ondeck_cleanly_with_the_terminal_restored() {
    let env = launched().await;
    let mut pty = exec_in_a_terminal(&env);
    pty.send_keys("echo still-here\r");
    pty.wait_for("the shell answering", SHORT, |screen| {
        screen.lines().any(|line| line.trim_end() == "still-here")
    });
    let ondeck = pty.ondeck_pid();
    pty::signal(ondeck, "HUP");

    let (code, stty) = pty.wrapper_report();
    assert_eq!(
        code, 1,
        "ended by the signal, reported as a failure, not a crash"
    );
    assert!(!alive(ondeck), "ondeck ({ondeck}) still runs after SIGHUP");
    assert_cooked(&stty);
    let screen = pty.screen_text();
    assert!(screen.contains("stopped by a signal"), "{screen}");
    assert_eq!(
        env.api.calls_to("TerminateSession").len(),
        1,
        "the session is ended on the AWS side too"
    );
    assert!(pty.session_processes().is_empty(), "nothing left behind");
}
