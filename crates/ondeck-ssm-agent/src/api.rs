//! A loopback HTTP stand-in for the operations moto lacks: ECS `ExecuteCommand` and SSM
//! `StartSession` / `TerminateSession` (AWS JSON 1.1, routed by `X-Amz-Target`). Other targets
//! are forwarded to an upstream (moto) when one is given, so one endpoint can serve a client.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::agent::{Agent, SessionKind};

const ECS_EXECUTE_COMMAND: &str = "AmazonEC2ContainerServiceV20141113.ExecuteCommand";
const SSM_START_SESSION: &str = "AmazonSSM.StartSession";
const SSM_TERMINATE_SESSION: &str = "AmazonSSM.TerminateSession";
const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

/// An AWS-shaped error answer: `{"__type": error_type, "message": message}` with `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub status: u16,
    pub error_type: String,
    pub message: String,
}

impl AwsError {
    pub fn new(error_type: &str, message: &str) -> Self {
        AwsError {
            status: 400,
            error_type: error_type.into(),
            message: message.into(),
        }
    }

    /// IAM's refusal, naming the action (`ecs:ExecuteCommand`) and the resource.
    pub fn access_denied(action: &str, resource: &str) -> Self {
        Self::new(
            "AccessDeniedException",
            &format!(
                "User: arn:aws:iam::{ACCOUNT}:user/tester is not authorized to perform: {action} on resource: \
                 {resource} because no identity-based policy allows the {action} action"
            ),
        )
    }

    /// ECS's answer when the task was run without exec, or its exec agent is not running
    /// (ECS gives the same message for both).
    pub fn exec_not_enabled() -> Self {
        Self::new(
            "InvalidParameterException",
            "The execute command failed because execute command was not enabled when the task was run or the \
             execute command agent isn\u{2019}t running. Wait and try again or run a new task with execute command \
             enabled and try again.",
        )
    }

    /// ECS's answer when the task's agent cannot reach Session Manager (often a task role
    /// without the `ssmmessages:*` actions).
    pub fn ecs_target_not_connected() -> Self {
        Self::new(
            "TargetNotConnectedException",
            "The execute command failed due to an internal error. Try again later.",
        )
    }

    /// SSM's answer for a StartSession target whose agent is not connected.
    pub fn ssm_target_not_connected(target: &str) -> Self {
        Self::new("TargetNotConnected", &format!("{target} is not connected."))
    }

    pub fn client(message: &str) -> Self {
        Self::new("ClientException", message)
    }

    pub fn server() -> Self {
        AwsError {
            status: 500,
            ..Self::new("ServerException", "Service unavailable. Try again later.")
        }
    }
}

/// One request the stand-in answered (forwarded ones are not kept).
#[derive(Debug, Clone)]
pub struct Call {
    /// `ExecuteCommand`, `StartSession`, `TerminateSession`.
    pub operation: String,
    pub body: Value,
    /// The session opened, when one was.
    pub session_id: Option<String>,
    /// The error type answered, when the call failed.
    pub error: Option<String>,
}

struct Rule {
    operation: String,
    error: AwsError,
    remaining: Option<usize>,
}

struct Shared {
    agent: Agent,
    upstream: Option<String>,
    calls: Vec<Call>,
    rules: Vec<Rule>,
    known_targets: Option<Vec<String>>,
}

#[derive(Clone)]
pub struct ApiStandIn {
    endpoint: String,
    shared: Arc<Mutex<Shared>>,
}

impl ApiStandIn {
    pub fn start(agent: Agent) -> ApiStandIn {
        Self::launch(agent, None)
    }

    /// Requests for other operations go to `upstream` (`http://127.0.0.1:PORT`).
    pub fn start_in_front_of(agent: Agent, upstream: &str) -> ApiStandIn {
        let upstream = upstream
            .strip_prefix("http://")
            .expect("http upstream")
            .to_string();
        Self::launch(agent, Some(upstream))
    }

    fn launch(agent: Agent, upstream: Option<String>) -> ApiStandIn {
        let shared = Arc::new(Mutex::new(Shared {
            agent,
            upstream,
            calls: Vec::new(),
            rules: Vec::new(),
            known_targets: None,
        }));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let state = shared.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("stand-in runtime");
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind stand-in");
                ready_tx
                    .send(listener.local_addr().expect("stand-in address").port())
                    .expect("ready");
                loop {
                    let Ok((client, _)) = listener.accept().await else {
                        continue;
                    };
                    tokio::spawn(serve(client, state.clone()));
                }
            });
        });
        let port = ready_rx.recv().expect("stand-in port");
        ApiStandIn {
            endpoint: format!("http://127.0.0.1:{port}"),
            shared,
        }
    }

    /// `http://127.0.0.1:PORT`, for the SDK's endpoint URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Answer `operation` with `error`, `times` times (None: until cleared).
    pub fn fail(&self, operation: &str, error: AwsError, times: Option<usize>) {
        self.shared.lock().unwrap().rules.push(Rule {
            operation: operation.into(),
            error,
            remaining: times,
        });
    }

    pub fn clear_failures(&self) {
        self.shared.lock().unwrap().rules.clear();
    }

    /// StartSession on any other target answers TargetNotConnected.
    pub fn only_targets(&self, targets: &[&str]) {
        self.shared.lock().unwrap().known_targets =
            Some(targets.iter().map(|t| t.to_string()).collect());
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().unwrap().calls.clone()
    }

    pub fn calls_to(&self, operation: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|call| call.operation == operation)
            .collect()
    }
}

/// One request per connection, answered with `Connection: close`.
async fn serve(mut client: TcpStream, shared: Arc<Mutex<Shared>>) {
    let Some((head, body)) = read_request(&mut client).await else {
        return;
    };
    let target = header(&head, "x-amz-target").unwrap_or_default();
    let operation = target.rsplit('.').next().unwrap_or_default().to_string();
    if ![
        ECS_EXECUTE_COMMAND,
        SSM_START_SESSION,
        SSM_TERMINATE_SESSION,
    ]
    .contains(&target.as_str())
    {
        let upstream = shared.lock().unwrap().upstream.clone();
        match upstream {
            Some(upstream) => forward(client, &upstream, &head, &body).await,
            None => {
                let error = AwsError::new(
                    "UnknownOperationException",
                    &format!("no stand-in for {target:?}"),
                );
                let _ = client.write_all(&error_answer(&error)).await;
            }
        }
        return;
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let answer = answer(&shared, &target, &operation, &request);
    let mut call = Call {
        operation,
        body: request,
        session_id: None,
        error: None,
    };
    let bytes = match answer {
        Ok((reply, session_id)) => {
            call.session_id = session_id;
            json_answer(200, &reply.to_string())
        }
        Err(error) => {
            call.error = Some(error.error_type.clone());
            error_answer(&error)
        }
    };
    shared.lock().unwrap().calls.push(call);
    let _ = client.write_all(&bytes).await;
    let _ = client.shutdown().await;
}

fn answer(
    shared: &Mutex<Shared>,
    target: &str,
    operation: &str,
    request: &Value,
) -> Result<(Value, Option<String>), AwsError> {
    let (agent, known_targets) = {
        let mut shared = shared.lock().unwrap();
        let rule = shared
            .rules
            .iter_mut()
            .find(|rule| rule.operation == operation && rule.remaining != Some(0));
        if let Some(rule) = rule {
            if let Some(left) = rule.remaining.as_mut() {
                *left -= 1;
            }
            return Err(rule.error.clone());
        }
        (shared.agent.clone(), shared.known_targets.clone())
    };
    match target {
        ECS_EXECUTE_COMMAND => execute_command(&agent, request),
        SSM_START_SESSION => start_session(&agent, known_targets.as_deref(), request),
        _ => {
            let id = request["SessionId"]
                .as_str()
                .ok_or_else(|| AwsError::new("ValidationException", "SessionId is required"))?;
            agent.terminate(id);
            Ok((json!({"SessionId": id}), None))
        }
    }
}

fn execute_command(agent: &Agent, request: &Value) -> Result<(Value, Option<String>), AwsError> {
    let invalid = |message: &str| AwsError::new("InvalidParameterException", message);
    let task = request["task"]
        .as_str()
        .ok_or_else(|| invalid("task is required"))?;
    let command = request["command"]
        .as_str()
        .ok_or_else(|| invalid("command is required"))?;
    if request["interactive"] != json!(true) {
        return Err(invalid("Interactive is the only mode supported currently."));
    }
    let cluster = request["cluster"].as_str().unwrap_or("default");
    let cluster_name = cluster.rsplit('/').next().unwrap_or(cluster);
    let task_id = task.rsplit('/').next().unwrap_or(task);
    let container = request["container"].as_str().unwrap_or_default();
    let ticket = agent.open_session(
        SessionKind::Shell {
            command: command.to_string(),
            session_type: "InteractiveCommands".into(),
        },
        &format!("ecs:{cluster_name}_{task_id}_{container}"),
        "ecs-execute-command",
    );
    let reply = json!({
        "clusterArn": format!("arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{cluster_name}"),
        "containerArn": format!(
            "arn:aws:ecs:{REGION}:{ACCOUNT}:container/{cluster_name}/{task_id}/{}",
            crate::wire::random_uuid()
        ),
        "containerName": container,
        "interactive": true,
        "session": {
            "sessionId": ticket.session_id,
            "streamUrl": ticket.stream_url,
            "tokenValue": ticket.token_value,
        },
        "taskArn": if task.starts_with("arn:") {
            task.to_string()
        } else {
            format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster_name}/{task_id}")
        },
    });
    Ok((reply, Some(ticket.session_id)))
}

fn start_session(
    agent: &Agent,
    known_targets: Option<&[String]>,
    request: &Value,
) -> Result<(Value, Option<String>), AwsError> {
    let target = request["Target"]
        .as_str()
        .ok_or_else(|| AwsError::new("ValidationException", "Target is required"))?;
    if known_targets.is_some_and(|known| !known.iter().any(|t| t == target)) {
        return Err(AwsError::ssm_target_not_connected(target));
    }
    let parameter = |name: &str| request["Parameters"][name][0].as_str().map(str::to_string);
    let document = request["DocumentName"]
        .as_str()
        .unwrap_or("SSM-SessionManagerRunShell");
    let kind = match document {
        "SSM-SessionManagerRunShell" => SessionKind::Shell {
            command: "/bin/sh".into(),
            session_type: "Standard_Stream".into(),
        },
        "AWS-StartInteractiveCommand" => SessionKind::Shell {
            command: parameter("command").unwrap_or_default(),
            session_type: "InteractiveCommands".into(),
        },
        "AWS-StartPortForwardingSession" | "AWS-StartPortForwardingSessionToRemoteHost" => {
            let port = parameter("portNumber").unwrap_or_else(|| "80".into());
            let port_number = port
                .parse::<u16>()
                .ok()
                .filter(|port| *port > 0)
                .ok_or_else(|| {
                    AwsError::new(
                        "ValidationException",
                        &format!("portNumber {port:?} is not a port number"),
                    )
                })?;
            let host = parameter("host");
            if document.ends_with("ToRemoteHost") && host.is_none() {
                return Err(AwsError::new("ValidationException", "host is required"));
            }
            SessionKind::Port {
                port_number,
                host,
                local_port_number: parameter("localPortNumber"),
            }
        }
        other => {
            return Err(AwsError::new(
                "InvalidDocument",
                &format!("Document {other} does not exist in your account"),
            ));
        }
    };
    let ticket = agent.open_session(kind, target, "tester");
    let reply = json!({
        "SessionId": ticket.session_id,
        "StreamUrl": ticket.stream_url,
        "TokenValue": ticket.token_value,
    });
    Ok((reply, Some(ticket.session_id)))
}

async fn forward(mut client: TcpStream, upstream: &str, head: &str, body: &[u8]) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    let mut forwarded: String = head
        .lines()
        .filter(|line| !line.is_empty() && !line.to_ascii_lowercase().starts_with("connection:"))
        .map(|line| format!("{line}\r\n"))
        .collect();
    forwarded.push_str("Connection: close\r\n\r\n");
    if server.write_all(forwarded.as_bytes()).await.is_err()
        || server.write_all(body).await.is_err()
    {
        return;
    }
    let mut answer = Vec::new();
    let _ = server.read_to_end(&mut answer).await;
    let _ = client.write_all(&answer).await;
    let _ = client.shutdown().await;
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_string())
    })
}

fn json_answer(status: u16, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: {}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        if status == 200 { "OK" } else { "Error" },
        crate::wire::random_uuid(),
        body.len()
    )
    .into_bytes()
}

fn error_answer(error: &AwsError) -> Vec<u8> {
    let body = json!({"__type": error.error_type, "message": error.message}).to_string();
    json_answer(error.status, &body)
}

async fn read_request(client: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        let read = client.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(at) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let length: usize = header(&head, "content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[header_end..].to_vec();
    while body.len() < length {
        let read = client.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some((head, body))
}
