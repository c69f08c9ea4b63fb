//! `ondeck exec` and `ondeck forward` end to end through the real SDK: moto for ECS, the
//! proxy in front of it routing ExecuteCommand / StartSession / TerminateSession to the
//! stand-in, and the agent side of the data channel playing the container.

#[path = "support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ondeck_ssm_agent::{Agent, AgentConfig, ApiStandIn, AwsError, Container, Started};
use serde_json::{Value, json};
use support::proxy::Proxy;

/// A container whose commands run in the real `sh` of the test host, one at a time.
#[derive(Debug)]
struct HostShell;

impl Container for HostShell {
    fn start(&self, command: &str) -> Started {
        let ran = std::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::null())
            .output()
            .expect("run sh");
        Started::Finished {
            output: ran.stdout,
            status: ran.status.code().unwrap_or(1),
        }
    }
}

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
    cluster: String,
    proxy: Proxy,
    api: ApiStandIn,
}

impl Env {
    /// A cluster with one instance `box-1` of template `stack` (one container, `web`).
    /// `routes`: remote port → where the agent really connects.
    async fn new(exec: bool, routes: &[(u16, SocketAddr)]) -> Env {
        Env::with_container(exec, routes, Arc::new(HostShell)).await
    }

    /// As `new`, with shell sessions run in `container`.
    async fn with_container(
        exec: bool,
        routes: &[(u16, SocketAddr)],
        container: Arc<dyn Container>,
    ) -> Env {
        let moto = support::moto();
        let cluster = support::unique("connect");
        moto.cluster(&cluster, "ana").await;
        let mut config = AgentConfig {
            container,
            ..AgentConfig::default()
        };
        config.port_routes.extend(routes.iter().copied());
        let api = ApiStandIn::start(Agent::start(config));
        let proxy = Proxy::start(&moto.endpoint);
        for action in ["ExecuteCommand", "StartSession", "TerminateSession"] {
            proxy.route(action, api.endpoint());
        }
        if exec {
            proxy.rewrite("DescribeTasks", exec_ready);
        }
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
            cluster,
            proxy,
            api,
        };
        let out = env.run(&["launch", "stack", "--name", "box-1"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        env
    }

    fn command(&self, args: &[&str]) -> std::process::Command {
        let moto = support::moto();
        let config = support::config_file(
            self.dir.path(),
            moto,
            &self.cluster,
            "ana",
            &self.proxy.endpoint,
        );
        let mut command = support::ondeck(&config, &self.dir.path().join("state"));
        command.args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run ondeck")
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn exec_runs_the_command_prints_its_output_and_exits_with_its_code() {
    let env = Env::new(true, &[]).await;
    let out = env.run(&["exec", "box-1", "--", "sh", "-c", "echo hi; exit 3"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("hi"), "{}", text(&out.stdout));
    let calls = env.api.calls_to("ExecuteCommand");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].body["container"], "web");
    assert_eq!(calls[0].body["command"], "sh -c 'echo hi; exit 3'");
    assert_eq!(calls[0].body["interactive"], true);
    // The session is ended on the AWS side as well.
    let ended = env.api.calls_to("TerminateSession");
    assert_eq!(ended.len(), 1);
    assert_eq!(
        ended[0].body["SessionId"].as_str(),
        calls[0].session_id.as_deref()
    );
}

/// An image without a shell: every program is missing, as the agent reports it.
#[derive(Debug)]
struct NoShellImage;

impl Container for NoShellImage {
    fn start(&self, command: &str) -> Started {
        Started::Missing(command.split_whitespace().next().unwrap_or_default().into())
    }
}

#[tokio::test]
async fn exec_in_a_container_without_the_shell_says_how_to_name_another() {
    let env = Env::with_container(true, &[], Arc::new(NoShellImage)).await;
    let out = env.run(&["exec", "box-1"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "the container has no /bin/sh; set `shell = \"...\"` in the template (a shell the \
             image has, e.g. /bin/bash or /busybox/sh) or use `-- COMMAND`"
        ),
        "{stderr}"
    );
    assert_eq!(
        env.api.calls_to("ExecuteCommand")[0].body["command"],
        "/bin/sh"
    );
}

#[tokio::test]
async fn a_command_the_container_lacks_exits_127_and_is_named() {
    let env = Env::new(true, &[]).await;
    let out = env.run(&["exec", "box-1", "--", "/no/such/program", "-x"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the container has no /no/such/program;"),
        "{stderr}"
    );
}

#[tokio::test]
async fn exec_on_a_task_without_exec_says_relaunch_with_exec() {
    let env = Env::new(false, &[]).await;
    let out = env.run(&["exec", "box-1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("relaunch with exec"),
        "{}",
        text(&out.stderr)
    );
    assert!(env.api.calls_to("ExecuteCommand").is_empty());
}

#[tokio::test]
async fn a_denied_execute_command_names_the_action() {
    let env = Env::new(true, &[]).await;
    env.api.fail(
        "ExecuteCommand",
        AwsError::access_denied(
            "ecs:ExecuteCommand",
            "arn:aws:ecs:us-east-1:123456789012:task/x",
        ),
        None,
    );
    let out = env.run(&["exec", "box-1", "--", "hostname"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("ecs:ExecuteCommand"), "{stderr}");
    assert_eq!(
        env.api.calls_to("ExecuteCommand")[0].error.as_deref(),
        Some("AccessDeniedException")
    );
}

/// A TCP service answering each read with `pong:` and what it read.
fn pong_service() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut socket in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut buffer = [0u8; 1024];
                while let Ok(n) = socket.read(&mut buffer) {
                    if n == 0
                        || socket
                            .write_all(&[b"pong:", &buffer[..n]].concat())
                            .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// The first line of the child's stdout, within a deadline.
fn first_line(child: &mut Child) -> String {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("ondeck forward prints its address")
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "ondeck forward did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn forward_carries_a_connection_and_ctrl_c_terminates_the_session() {
    let env = Env::new(true, &[(8080, pong_service())]).await;
    let mut child = env
        .command(&["forward", "box-1", "8080"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let line = first_line(&mut child);
    let port: u16 = line
        .trim()
        .strip_prefix("localhost:")
        .and_then(|rest| rest.strip_suffix(" → web:8080"))
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("unexpected line {line:?}"));

    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    client.write_all(b"ping").unwrap();
    let mut answer = [0u8; 9];
    client.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"pong:ping");

    let started = env.api.calls_to("StartSession");
    assert_eq!(started.len(), 1);
    assert_eq!(
        started[0].body["DocumentName"],
        "AWS-StartPortForwardingSession"
    );
    assert_eq!(started[0].body["Parameters"]["portNumber"][0], "8080");
    assert!(env.api.calls_to("TerminateSession").is_empty());

    // SAFETY: signalling a child this test started.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let status = wait_exit(&mut child);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{status:?}: {stderr}");
    let ended = env.api.calls_to("TerminateSession");
    assert_eq!(ended.len(), 1, "{stderr}");
    assert_eq!(
        ended[0].body["SessionId"].as_str(),
        started[0].session_id.as_deref()
    );
    assert!(
        stderr.contains("4 bytes sent, 9 received, 1 connection"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_taken_local_port_is_named_and_no_session_opens() {
    let env = Env::new(true, &[]).await;
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = env.run(&["forward", "box-1", &format!("{port}:8080")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("local port 127.0.0.1:{port} is taken")),
        "{stderr}"
    );
    assert!(env.api.calls_to("StartSession").is_empty());
}

/// A `session-manager-plugin` on PATH that records its arguments, one per line.
fn fake_plugin(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("session-manager-plugin");
    let record = dir.join("plugin-argv");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nfor arg in \"$@\"; do printf '%s\\n' \"$arg\"; done > '{}'\n",
            record.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

impl Env {
    /// As `command`, with `exec_client = "plugin"` at the top of the config.
    fn plugin_command(&self, args: &[&str], path: &std::path::Path) -> std::process::Command {
        let moto = support::moto();
        let config = support::config_file(
            self.dir.path(),
            moto,
            &self.cluster,
            "ana",
            &self.proxy.endpoint,
        );
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(&config, format!("exec_client = \"plugin\"\n{text}")).unwrap();
        let mut command = support::ondeck(&config, &self.dir.path().join("state"));
        command.args(args).env("PATH", path);
        command
    }
}

#[tokio::test]
async fn the_plugin_client_is_started_directly_with_the_session_and_target_json() {
    let env = Env::new(true, &[]).await;
    let bin = fake_plugin(env.dir.path());
    let out = env
        .plugin_command(&["exec", "box-1"], &bin)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let argv = std::fs::read_to_string(env.dir.path().join("plugin-argv")).unwrap();
    let argv: Vec<&str> = argv.lines().collect();
    assert_eq!(argv.len(), 6, "{argv:?}");
    let call = &env.api.calls_to("ExecuteCommand")[0];
    let session: Value = serde_json::from_str(argv[0]).unwrap();
    assert_eq!(session["SessionId"].as_str(), call.session_id.as_deref());
    assert!(
        session["StreamUrl"]
            .as_str()
            .unwrap()
            .starts_with("ws://127.0.0.1:")
    );
    assert!(!session["TokenValue"].as_str().unwrap().is_empty());
    assert_eq!(argv[1], "us-east-1");
    assert_eq!(argv[2], "StartSession");
    assert_eq!(argv[3], "");
    let request: Value = serde_json::from_str(argv[4]).unwrap();
    let task_id = call.body["task"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    assert_eq!(
        request["Target"],
        format!("ecs:{}_{task_id}_rt-web", env.cluster)
    );
    assert_eq!(argv[5], env.proxy.endpoint);
}

#[tokio::test]
async fn the_plugin_client_missing_from_path_is_said_before_any_session() {
    let env = Env::new(true, &[]).await;
    let empty = env.dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = env
        .plugin_command(&["exec", "box-1"], &empty)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("session-manager-plugin is not on PATH"),
        "{}",
        text(&out.stderr)
    );
    assert!(env.api.calls_to("ExecuteCommand").is_empty());
}

#[tokio::test]
async fn a_port_nothing_listens_on_in_the_container_is_said() {
    let env = Env::new(true, &[]).await;
    // The agent dials 127.0.0.1:REMOTE for a port without a route: take one nothing uses.
    let remote = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = env
        .command(&["forward", "box-1", &remote.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let line = first_line(&mut child);
    let port: u16 = line
        .trim()
        .strip_prefix("localhost:")
        .and_then(|rest| rest.split_once(' '))
        .and_then(|(port, _)| port.parse().ok())
        .unwrap_or_else(|| panic!("unexpected line {line:?}"));
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let _ = client.write_all(b"hello");
    let mut rest = Vec::new();
    let _ = client.read_to_end(&mut rest);
    assert!(rest.is_empty(), "a refused port carries nothing back");
    let deadline = Instant::now() + Duration::from_secs(30);
    let notice = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).expect("a notice about the port");
        if line.contains("nothing listens on port") {
            break line;
        }
    };
    assert!(
        notice.contains(&format!("port {remote} in web")),
        "{notice}"
    );
    // SAFETY: signalling a child this test started.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert!(wait_exit(&mut child).success());
}

/// moto's task definitions are registered without a task role: `launch` says what exec needs
/// before RunTask, and launches all the same.
#[tokio::test]
async fn launch_warns_when_exec_cannot_work_for_want_of_a_task_role() {
    let moto = support::moto();
    let cluster = support::unique("exec-role");
    moto.cluster(&cluster, "ana").await;
    let proxy = Proxy::start(&moto.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let config = support::config_file(dir.path(), moto, &cluster, "ana", &proxy.endpoint);
    let plain = std::fs::read_to_string(&config).unwrap();
    let set = |stack: &str| {
        let text = plain
            .replacen(
                "task_definitions = [\"web\"]\n",
                &format!("task_definitions = [\"web\"]\n{stack}"),
                1,
            )
            .replacen(
                "task_definitions = [\"web\", \"worker\"]\n",
                "task_definitions = [\"web\", \"worker\"]\nexec = false\n",
                1,
            );
        std::fs::write(&config, text).unwrap();
    };
    let launch = |template: &str, name: &str| {
        support::ondeck(&config, &dir.path().join("state"))
            .args(["launch", template, "--name", name])
            .output()
            .unwrap()
    };

    set("exec = true\n");
    let out = launch("stack", "asked-1");
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: template `stack` sets `exec = true`, but task definition web:"),
        "{stderr}"
    );
    for needed in [
        "has no task role",
        "ssmmessages:*",
        "assets/task-role-policy.json",
        "initProcessEnabled",
    ] {
        assert!(stderr.contains(needed), "{needed}: {stderr}");
    }
    assert_eq!(proxy.count("RunTask"), 1, "a warning, not a refusal");

    set("");
    let out = launch("stack", "default-1");
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("launches without ECS Exec"), "{stderr}");

    let out = launch("pair", "quiet-1");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("warning"),
        "`exec = false` launches without exec quietly: {}",
        text(&out.stderr)
    );
    assert_eq!(proxy.count("RunTask"), 4);
}

#[tokio::test]
async fn read_only_refuses_exec_and_forward_before_any_session() {
    let env = Env::new(true, &[]).await;
    for args in [
        &["--read-only", "exec", "box-1", "--", "true"][..],
        &["--read-only", "forward", "box-1", "0:80"][..],
    ] {
        let out = env.run(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("run without --read-only"),
            "{args:?}: {stderr}"
        );
    }
    assert!(env.api.calls_to("ExecuteCommand").is_empty());
    assert!(env.api.calls_to("StartSession").is_empty());
}
