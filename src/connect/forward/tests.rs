//! Forward against the agent side of the protocol, with a small cloud whose StartSession and
//! TerminateSession are the agent's: bytes carried, counted, a taken port refused before any
//! session, and every session ended on the AWS side.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ondeck_core::model::{
    FilteredPage, LogFilter, LogPage, LogQuery, RunOutcome, RunRequest, Scope, SessionGrant, Task,
    TaskDefinition,
};
use ondeck_core::model::{Service, ServiceRequest};
use ondeck_core::{Cloud, CloudError, LiveTail};
use ondeck_ssm_agent::{Agent, AgentConfig, SessionKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// StartSession opens a port session on the agent (or, with `bad_token`, hands out a token
/// the agent refuses); TerminateSession terminates it there. Both are recorded.
struct AgentCloud {
    agent: Agent,
    bad_token: bool,
    started: Mutex<Vec<u16>>,
    ended: Mutex<Vec<String>>,
}

impl AgentCloud {
    fn new(agent: Agent) -> Arc<AgentCloud> {
        Arc::new(AgentCloud {
            agent,
            bad_token: false,
            started: Mutex::default(),
            ended: Mutex::default(),
        })
    }
}

fn unused() -> CloudError {
    CloudError::Refused("not used by forwards".into())
}

#[async_trait]
impl Cloud for AgentCloud {
    async fn list_tasks(&self, _: &Scope) -> Result<Vec<Task>, CloudError> {
        Err(unused())
    }
    async fn describe_tasks(&self, _: &[String]) -> Result<Vec<Task>, CloudError> {
        Err(unused())
    }
    async fn describe_task_definition(&self, _: &str) -> Result<TaskDefinition, CloudError> {
        Err(unused())
    }
    async fn run_task(&self, _: &RunRequest) -> Result<RunOutcome, CloudError> {
        Err(unused())
    }
    async fn stop_task(&self, _: &str, _: &str) -> Result<(), CloudError> {
        Err(unused())
    }
    async fn tag_resource(&self, _: &str, _: &BTreeMap<String, String>) -> Result<(), CloudError> {
        Err(unused())
    }
    async fn list_services(&self, _: &Scope) -> Result<Vec<Service>, CloudError> {
        Ok(Vec::new())
    }
    async fn create_service(&self, _: &ServiceRequest) -> Result<Service, CloudError> {
        Err(unused())
    }
    async fn scale_service(&self, _: &str, _: i32) -> Result<(), CloudError> {
        Err(unused())
    }
    async fn delete_service(&self, _: &str) -> Result<(), CloudError> {
        Err(unused())
    }
    async fn get_log_events(&self, _: &LogQuery) -> Result<LogPage, CloudError> {
        Err(unused())
    }
    async fn filter_log_events(&self, _: &LogFilter) -> Result<FilteredPage, CloudError> {
        Err(unused())
    }
    async fn start_live_tail(&self, _: &str, _: &[String]) -> Result<LiveTail, CloudError> {
        Err(unused())
    }
    async fn execute_command(&self, _: &str, _: &str, _: &str) -> Result<SessionGrant, CloudError> {
        Err(unused())
    }

    async fn start_port_forward(
        &self,
        _task_arn: &str,
        runtime_id: &str,
        port: u16,
    ) -> Result<SessionGrant, CloudError> {
        self.started.lock().unwrap().push(port);
        let ticket = self.agent.open_session(
            SessionKind::Port {
                port_number: port,
                host: None,
                local_port_number: None,
            },
            &format!("ecs:c_t_{runtime_id}"),
            "tester",
        );
        Ok(SessionGrant {
            session_id: ticket.session_id,
            stream_url: ticket.stream_url,
            token: if self.bad_token {
                "not-the-token".into()
            } else {
                ticket.token_value
            },
        })
    }

    async fn end_session(&self, session_id: &str) -> Result<(), CloudError> {
        self.ended.lock().unwrap().push(session_id.to_string());
        self.agent.terminate(session_id);
        Ok(())
    }
}

/// A TCP service that answers every line with `echo:` and the line.
async fn echo_service() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0u8; 1024];
                while let Ok(n) = socket.read(&mut buffer).await {
                    if n == 0 {
                        return;
                    }
                    let mut answer = b"echo:".to_vec();
                    answer.extend_from_slice(&buffer[..n]);
                    if socket.write_all(&answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

fn spec(bind: SocketAddr) -> ForwardSpec {
    ForwardSpec {
        task_arn: "arn:aws:ecs:us-east-1:123456789012:task/c/t".into(),
        runtime_id: "r".into(),
        remote_port: 5432,
        bind,
    }
}

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn agent_with_service() -> Agent {
    let mut config = AgentConfig::default();
    config.port_routes.insert(5432, echo_service().await);
    Agent::start(config)
}

#[tokio::test]
async fn a_connection_is_carried_counted_and_the_session_ended_on_close() {
    let cloud = AgentCloud::new(agent_with_service().await);
    let forward = Forward::open(cloud.clone(), &spec(any_port()))
        .await
        .unwrap();
    assert_ne!(forward.local_addr().port(), 0, "a free port was chosen");
    assert_eq!(forward.remote_port(), 5432);

    let mut client = TcpStream::connect(forward.local_addr()).await.unwrap();
    client.write_all(b"ping").await.unwrap();
    let mut answer = [0u8; 9];
    client.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"echo:ping");
    let stats = forward.stats();
    assert_eq!(stats.bytes_to_remote, 4);
    assert_eq!(stats.bytes_from_remote, 9);
    assert_eq!(stats.connections_open, 1);

    let session_id = forward.session_id().to_string();
    forward.close().await.unwrap();
    assert_eq!(*cloud.ended.lock().unwrap(), vec![session_id.clone()]);
    let record = cloud.agent.session(&session_id).unwrap().record();
    assert!(
        record.terminated_by_api || record.ended.is_some(),
        "{record:?}"
    );
}

#[tokio::test]
async fn a_taken_local_port_is_refused_before_any_session() {
    let cloud = AgentCloud::new(agent_with_service().await);
    let taken = TcpListener::bind(any_port()).await.unwrap();
    let error = Forward::open(cloud.clone(), &spec(taken.local_addr().unwrap()))
        .await
        .err()
        .expect("the port is taken");
    let text = error.to_string();
    assert!(
        text.contains(&format!(
            "local port {} is taken",
            taken.local_addr().unwrap()
        )),
        "{text}"
    );
    assert!(cloud.started.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_refused_channel_still_ends_the_session_it_started() {
    let cloud = Arc::new(AgentCloud {
        bad_token: true,
        ..Arc::into_inner(AgentCloud::new(agent_with_service().await)).unwrap()
    });
    let error = Forward::open(cloud.clone(), &spec(any_port()))
        .await
        .err()
        .expect("the token is refused");
    assert!(error.to_string().contains("port 5432"), "{error}");
    assert_eq!(*cloud.started.lock().unwrap(), vec![5432]);
    assert_eq!(cloud.ended.lock().unwrap().len(), 1);
}
