//! attach against the agent side of the protocol (ondeck-ssm-agent): output, exit codes,
//! resizes and a refused session.

use std::sync::Arc;
use std::time::Duration;

use ondeck_core::model::SessionGrant;
use ondeck_ssm_agent::{Agent, AgentConfig, ExitReport, SessionKind, Ticket, ToyContainer};
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

use super::*;

fn grant(ticket: Ticket) -> SessionGrant {
    SessionGrant {
        session_id: ticket.session_id,
        stream_url: ticket.stream_url,
        token: ticket.token_value,
    }
}

fn shell(agent: &Agent, command: &str) -> SessionGrant {
    grant(agent.open_session_in(
        SessionKind::Shell {
            command: command.into(),
            session_type: "InteractiveCommands".into(),
        },
        "ecs:c_t_r",
        "ecs-execute-command",
        Arc::new(ToyContainer::default()),
    ))
}

struct Wired {
    keys: mpsc::Sender<Vec<u8>>,
    sizes: mpsc::Sender<(u16, u16)>,
    screen: tokio::io::DuplexStream,
    terminal: TerminalIo,
}

fn wired() -> Wired {
    let (keys, input) = mpsc::channel(8);
    let (sizes, size_rx) = mpsc::channel(8);
    let (screen, output) = tokio::io::duplex(1 << 20);
    Wired {
        keys,
        sizes,
        screen,
        terminal: TerminalIo::new(input, Box::new(output), size_rx),
    }
}

async fn read_all(mut screen: tokio::io::DuplexStream) -> String {
    let mut text = Vec::new();
    screen.read_to_end(&mut text).await.unwrap();
    String::from_utf8_lossy(&text).into_owned()
}

#[tokio::test]
async fn a_command_prints_and_its_exit_code_comes_back() {
    let agent = Agent::start(AgentConfig::default());
    for (command, printed, status) in [("sh -c 'echo hi'", "hi", 0), ("sh -c 'exit 3'", "", 3)] {
        let Wired {
            keys,
            sizes,
            screen,
            terminal,
        } = wired();
        drop((keys, sizes));
        let code = attach(&shell(&agent, command), terminal, Some(command))
            .await
            .unwrap();
        assert_eq!(code, Some(status), "{command}");
        assert!(read_all(screen).await.contains(printed), "{command}");
    }
}

#[tokio::test]
async fn typed_keys_and_resizes_reach_the_remote_shell() {
    let agent = Agent::start(AgentConfig::default());
    let Wired {
        keys,
        sizes,
        screen,
        terminal,
    } = wired();
    sizes.send((100, 30)).await.unwrap();
    keys.send(b"stty size\r".to_vec()).await.unwrap();
    keys.send(b"exit 4\r".to_vec()).await.unwrap();
    let code = tokio::time::timeout(
        Duration::from_secs(20),
        attach(&shell(&agent, "/bin/sh"), terminal, Some("/bin/sh")),
    )
    .await
    .expect("the shell ends")
    .unwrap();
    assert_eq!(code, Some(4));
    assert!(read_all(screen).await.contains("30 100"));
    let record = agent.last_session().unwrap().record();
    assert_eq!(record.resizes.first(), Some(&(100, 30)));
}

#[tokio::test]
async fn an_interactive_session_without_an_exit_report_gives_no_code() {
    let agent = Agent::start(AgentConfig {
        exit_report: ExitReport::ChannelClosedOnly,
        ..AgentConfig::default()
    });
    let Wired {
        keys,
        sizes: _sizes,
        screen,
        terminal,
    } = wired();
    keys.send(b"exit 5\r".to_vec()).await.unwrap();
    let code = attach(&shell(&agent, "/bin/sh"), terminal, Some("/bin/sh"))
        .await
        .unwrap();
    assert_eq!(code, None);
    drop(screen);
}

#[tokio::test]
async fn a_refused_token_is_an_error_that_says_so() {
    let agent = Agent::start(AgentConfig::default());
    let mut grant = shell(&agent, "/bin/sh");
    grant.token = "not-the-token".into();
    let Wired {
        keys: _keys,
        sizes: _sizes,
        screen: _screen,
        terminal,
    } = wired();
    let error = attach(&grant, terminal, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("refused"), "{error}");
}
