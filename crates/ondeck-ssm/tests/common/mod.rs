//! The far side for these tests is ondeck-ssm-agent, written apart from this crate from the
//! protocol's description: what it records of a session is how a test sees the client's
//! behaviour on the wire.

#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use bytes::BytesMut;
use ondeck_ssm::{SessionEnd, SessionError, SessionParams, ShellEvent, ShellOutput};
use ondeck_ssm_agent::{Agent, AgentConfig, SessionKind, Ticket};

/// Hang guard only: every wait below ends on a condition long before this.
pub const DEADLINE: Duration = Duration::from_secs(30);

pub async fn guarded<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(DEADLINE, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing after {DEADLINE:?}"))
}

pub fn params(ticket: &Ticket) -> SessionParams {
    SessionParams {
        session_id: ticket.session_id.clone(),
        stream_url: ticket.stream_url.clone(),
        token: ticket.token_value.clone(),
    }
}

pub fn shell(command: &str) -> SessionKind {
    SessionKind::Shell {
        command: command.into(),
        session_type: "InteractiveCommands".into(),
    }
}

/// An agent that only resends unacknowledged output after 10 s: a test that wants
/// retransmission asks for it with a fault, and a slow machine shows none it did not ask for.
pub fn agent() -> Agent {
    Agent::start(AgentConfig {
        resend_timeout: Duration::from_secs(10),
        ..AgentConfig::default()
    })
}

/// As ECS exec really behaves: no handshake for an unencrypted shell, no exit code on the wire.
pub fn ecs_like_agent() -> Agent {
    Agent::start(ecs_like_config())
}

pub fn ecs_like_config() -> AgentConfig {
    AgentConfig {
        resend_timeout: Duration::from_secs(10),
        shell_handshake: false,
        exit_report: ondeck_ssm_agent::ExitReport::ChannelClosedOnly,
        ..AgentConfig::default()
    }
}

/// Everything the shell printed until `done` holds of it (or the session ends first).
pub async fn read_until(output: &mut ShellOutput, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let mut seen = BytesMut::new();
    guarded("shell output", async {
        while !done(&seen) {
            match output.next().await {
                ShellEvent::Stdout(bytes) | ShellEvent::Stderr(bytes) => {
                    seen.extend_from_slice(&bytes)
                }
                ShellEvent::Notice(_) => {}
                ShellEvent::Ended(outcome) => panic!(
                    "ended with {outcome:?} after {:?}",
                    String::from_utf8_lossy(&seen)
                ),
            }
        }
    })
    .await;
    seen.to_vec()
}

/// Reads to the end of the session: what was printed meanwhile, and how it ended.
pub async fn read_to_end(output: &mut ShellOutput) -> (Vec<u8>, Result<SessionEnd, SessionError>) {
    let mut seen = Vec::new();
    guarded("the end of the session", async {
        loop {
            match output.next().await {
                ShellEvent::Stdout(bytes) | ShellEvent::Stderr(bytes) => {
                    seen.extend_from_slice(&bytes)
                }
                ShellEvent::Notice(_) => {}
                ShellEvent::Ended(outcome) => return (seen, outcome),
            }
        }
    })
    .await
}

pub fn ends_with_prompt(output: &[u8]) -> bool {
    output.ends_with(b"$ ")
}
