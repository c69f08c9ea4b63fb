//! What runs behind a shell session: the default toy container, a container a test brings,
//! and the demo's.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Raw;
use ondeck_ssm_agent::{
    Agent, AgentConfig, Container, DemoContainer, Effect, SessionKind, Started, Terminal,
};

fn shell(command: &str) -> SessionKind {
    SessionKind::Shell {
        command: command.into(),
        session_type: "InteractiveCommands".into(),
    }
}

fn agent() -> Agent {
    Agent::start(AgentConfig {
        resend_timeout: Duration::from_secs(10),
        ..AgentConfig::default()
    })
}

/// A container whose only program answers each input with its length and records sizes.
#[derive(Debug, Default)]
struct Counting {
    commands: Mutex<Vec<String>>,
    sizes: Arc<Mutex<Vec<(u32, u32)>>>,
}

struct CountingTerminal {
    sizes: Arc<Mutex<Vec<(u32, u32)>>>,
}

impl Container for Counting {
    fn start(&self, command: &str) -> Started {
        self.commands.lock().unwrap().push(command.to_string());
        Started::Terminal(Box::new(CountingTerminal {
            sizes: self.sizes.clone(),
        }))
    }
}

impl Terminal for CountingTerminal {
    fn start(&mut self) -> Vec<u8> {
        b"ready> ".to_vec()
    }

    fn input(&mut self, bytes: &[u8]) -> Vec<Effect> {
        if bytes == b"q" {
            return vec![Effect::Output(b"bye".to_vec()), Effect::Exit(9)];
        }
        vec![Effect::Output(format!("<{}>", bytes.len()).into_bytes())]
    }

    fn resize(&mut self, cols: u32, rows: u32) {
        self.sizes.lock().unwrap().push((cols, rows));
    }
}

#[tokio::test]
async fn a_session_runs_in_the_container_it_was_opened_in() {
    let agent = agent();
    let container = Arc::new(Counting::default());
    let ticket = agent.open_session_in(
        shell("/opt/app/console --verbose"),
        "ecs:c_t_r",
        "ecs-execute-command",
        container.clone(),
    );
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    assert_eq!(
        client.read_output_until(|out| out.ends_with(b"> ")).await,
        b"ready> "
    );
    client.input(3, br#"{"cols":100,"rows":30}"#).await;
    client.type_text("abcd").await;
    assert_eq!(
        client.read_output_until(|out| out.ends_with(b">")).await,
        b"<4>"
    );
    client.type_text("q").await;
    assert_eq!(
        client.read_output_until(|out| out.ends_with(b"bye")).await,
        b"bye"
    );
    let record = agent.last_session().unwrap().ended().await;
    assert_eq!(record.exit_code, Some(9));
    assert_eq!(*container.sizes.lock().unwrap(), [(100, 30)]);
    assert_eq!(
        *container.commands.lock().unwrap(),
        ["/opt/app/console --verbose"]
    );
    assert_eq!(record.protocol_problems, Vec::<String>::new());
}

#[tokio::test]
async fn the_demo_container_answers_env_and_hostname_over_the_channel() {
    let agent = agent();
    let demo = DemoContainer::new("web-1", vec![("PORT".into(), "8080".into())]);
    let ticket = agent.open_session_in(
        shell("/bin/sh"),
        "ecs:c_t_r",
        "ecs-execute-command",
        Arc::new(demo),
    );
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    client.read_output_until(|out| out.ends_with(b"$ ")).await;
    client.type_text("env\r").await;
    assert_eq!(
        client.read_output_until(|out| out.ends_with(b"$ ")).await,
        b"env\r\nPORT=8080\r\n$ "
    );
    client.type_text("hostname\r").await;
    assert_eq!(
        client.read_output_until(|out| out.ends_with(b"$ ")).await,
        b"hostname\r\nweb-1\r\n$ "
    );
    client.type_text("exit 0\r").await;
    assert_eq!(
        agent.last_session().unwrap().ended().await.exit_code,
        Some(0)
    );
}

#[tokio::test]
async fn a_missing_shell_closes_the_channel_saying_so() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/zsh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    let mut acks = Vec::new();
    let closed = client.next_stream(&mut acks).await;
    assert_eq!(closed.message_type, "channel_closed");
    assert_eq!(
        closed.json()["Output"],
        "Unable to start command: Failed to start pty: fork/exec /bin/zsh: no such file or directory\n\n"
    );
}

#[tokio::test]
async fn a_single_command_runs_and_reports_its_status() {
    let agent = agent();
    let ticket = agent.open_session(shell("sh -c 'exit 7'"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    let mut acks = Vec::new();
    let exit = client.next_stream(&mut acks).await;
    assert_eq!(
        (exit.payload_type, exit.text()),
        (12, "EXIT_CODE: 7".into())
    );
    client.ack(&exit).await;
    assert_eq!(
        client.next_stream(&mut acks).await.message_type,
        "channel_closed"
    );
}
