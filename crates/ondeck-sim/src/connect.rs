//! Shells and port forwards into the demo's containers, without AWS: an in-process Session
//! Manager agent answers the data channel, each shell runs in a pretend container with the
//! container's name and env, and each declared container port is served by a small local HTTP
//! service that says which container answered.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use ondeck_core::CloudError;
use ondeck_core::model::SessionGrant;
use ondeck_ssm_agent::{Agent, AgentConfig, DemoContainer, SessionKind, Ticket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::catalog::{CLUSTER, FAMILIES};
use super::lifecycle::SimTask;

/// A host the agent never dials: a forward to a port the container does not serve connects to
/// nothing, as a port nobody listens on would.
const NOT_LISTENING: &str = "port-not-listening.demo";

/// The agent and the stand-in services, started on the first shell or forward.
pub(super) struct Sessions {
    pub(super) agent: Agent,
}

impl Sessions {
    pub fn start() -> Sessions {
        let config = AgentConfig {
            port_routes: serve_stand_ins(declared_ports()),
            ..AgentConfig::default()
        };
        Sessions {
            agent: Agent::start(config),
        }
    }

    pub fn open_shell(&self, task: &SimTask, index: usize, command: &str) -> SessionGrant {
        let spec = &task.family.containers[index];
        let env = task
            .env
            .get(spec.name)
            .map(|vars| vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let hostname = format!("{}-{}", spec.name, task.id);
        let kind = SessionKind::Shell {
            command: command.to_string(),
            session_type: "InteractiveCommands".into(),
        };
        grant(self.agent.open_session_in(
            kind,
            &target(task, index),
            "ecs-execute-command",
            Arc::new(DemoContainer::new(&hostname, env)),
        ))
    }

    pub fn open_forward(&self, task: &SimTask, index: usize, port: u16) -> SessionGrant {
        let served = task.family.containers[index].ports.contains(&port);
        let kind = SessionKind::Port {
            port_number: port,
            host: (!served).then(|| NOT_LISTENING.to_string()),
            local_port_number: None,
        };
        grant(self.agent.open_session(kind, &target(task, index), "demo"))
    }

    /// As TerminateSession, which also answers for a session that already ended.
    pub fn terminate(&self, session_id: &str) {
        self.agent.terminate(session_id);
    }
}

fn target(task: &SimTask, index: usize) -> String {
    format!("ecs:{CLUSTER}_{}_{}", task.id, task.runtime_id(index))
}

fn grant(ticket: Ticket) -> SessionGrant {
    SessionGrant {
        session_id: ticket.session_id,
        stream_url: ticket.stream_url,
        token: ticket.token_value,
    }
}

/// Each port some demo container declares, with the first container declaring it.
fn declared_ports() -> Vec<(u16, &'static str)> {
    let mut ports: Vec<(u16, &'static str)> = Vec::new();
    for spec in FAMILIES.iter().flat_map(|family| family.containers) {
        for port in spec.ports {
            if !ports.iter().any(|(known, _)| known == port) {
                ports.push((*port, spec.name));
            }
        }
    }
    ports
}

/// What the stand-in service on `port` answers.
pub(super) fn stand_in_body(container: &str, port: u16) -> String {
    format!("ondeck demo: {container} answering on port {port}\n")
}

/// Starts one loopback HTTP service per port on a thread of its own, and says where each is.
fn serve_stand_ins(ports: Vec<(u16, &'static str)>) -> HashMap<u16, SocketAddr> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("stand-in service runtime");
        runtime.block_on(async move {
            let mut routes = HashMap::new();
            for (port, container) in ports {
                let listener = TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind stand-in service");
                routes.insert(port, listener.local_addr().expect("stand-in address"));
                tokio::spawn(serve(listener, stand_in_body(container, port)));
            }
            ready_tx.send(routes).expect("stand-in services ready");
            std::future::pending::<()>().await;
        });
    });
    ready_rx.recv().expect("stand-in services started")
}

async fn serve(listener: TcpListener, body: String) {
    loop {
        if let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream, body.clone()));
        }
    }
}

/// Reads one request head (whatever it asks) and answers 200 with `body`.
async fn answer(mut stream: TcpStream, body: String) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// ECS's answer when the container's ExecuteCommandAgent cannot take a session.
pub(super) fn exec_unavailable() -> CloudError {
    CloudError::Invalid {
        action: "ecs:ExecuteCommand".into(),
        detail: "The execute command failed because execute command was not enabled when the task was run or the execute command agent isn't running. Wait and try again or run a new task with execute command enabled and try again.".into(),
    }
}

/// SSM's answer when the target's agent is not there.
pub(super) fn target_not_connected(target: &str) -> CloudError {
    CloudError::Service {
        action: "ssm:StartSession".into(),
        code: "TargetNotConnected".into(),
        message: format!("{target} is not connected."),
    }
}
