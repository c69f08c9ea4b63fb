//! The HTTP stand-in, spoken to with hand-written AWS JSON 1.1 requests.

mod common;

use common::Raw;
use ondeck_ssm_agent::{Agent, AgentConfig, ApiStandIn, AwsError, SessionKind};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const EXECUTE_COMMAND: &str = "AmazonEC2ContainerServiceV20141113.ExecuteCommand";
const START_SESSION: &str = "AmazonSSM.StartSession";
const TERMINATE_SESSION: &str = "AmazonSSM.TerminateSession";

async fn post(endpoint: &str, target: &str, body: &Value) -> (u16, String, Value) {
    let address = endpoint.strip_prefix("http://").unwrap();
    let mut socket = TcpStream::connect(address).await.unwrap();
    let body = body.to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: {target}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (
        status,
        head.to_string(),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

fn stand_in() -> (Agent, ApiStandIn) {
    let agent = Agent::start(AgentConfig::default());
    let api = ApiStandIn::start(agent.clone());
    (agent, api)
}

#[tokio::test]
async fn execute_command_opens_a_shell_session_the_client_can_join() {
    let (agent, api) = stand_in();
    let request = json!({
        "cluster": "dev",
        "task": "arn:aws:ecs:us-east-1:123456789012:task/dev/0123abcd",
        "container": "api",
        "command": "/bin/sh",
        "interactive": true,
    });
    let (status, head, answer) = post(api.endpoint(), EXECUTE_COMMAND, &request).await;
    assert_eq!(status, 200);
    assert!(head.contains("Content-Type: application/x-amz-json-1.1"));
    assert_eq!(answer["taskArn"], request["task"]);
    assert_eq!(answer["containerName"], "api");
    assert_eq!(answer["interactive"], true);
    let session = &answer["session"];
    let session_id = session["sessionId"].as_str().unwrap();
    assert!(session_id.starts_with("ecs-execute-command-"));
    let stream_url = session["streamUrl"].as_str().unwrap();
    assert!(stream_url.starts_with(&format!(
        "{}/v1/data-channel/{session_id}?",
        agent.ws_base()
    )));

    let ticket = ondeck_ssm_agent::Ticket {
        session_id: session_id.into(),
        stream_url: stream_url.into(),
        token_value: session["tokenValue"].as_str().unwrap().into(),
    };
    let mut client = Raw::connect(&ticket).await;
    let handshake = client.handshake("1.2.707.0").await;
    assert_eq!(
        handshake.json()["RequestedClientActions"][0]["ActionParameters"]["SessionType"],
        "InteractiveCommands"
    );

    let calls = api.calls_to("ExecuteCommand");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].body, request);
    assert_eq!(calls[0].session_id.as_deref(), Some(session_id));
    assert_eq!(
        agent.session(session_id).unwrap().kind(),
        &SessionKind::Shell {
            command: "/bin/sh".into(),
            session_type: "InteractiveCommands".into()
        }
    );
}

#[tokio::test]
async fn start_session_with_the_port_forwarding_document_opens_a_port_session() {
    let (agent, api) = stand_in();
    let request = json!({
        "Target": "ecs:dev_0123abcd_0123abcd-1234567890",
        "DocumentName": "AWS-StartPortForwardingSession",
        "Parameters": {"portNumber": ["5432"], "localPortNumber": ["0"]},
    });
    let (status, _, answer) = post(api.endpoint(), START_SESSION, &request).await;
    assert_eq!(status, 200);
    let session_id = answer["SessionId"].as_str().unwrap();
    assert!(
        answer["StreamUrl"]
            .as_str()
            .unwrap()
            .starts_with("ws://127.0.0.1:")
    );
    assert!(answer["TokenValue"].as_str().unwrap().len() >= 32);
    assert_eq!(
        agent.session(session_id).unwrap().kind(),
        &SessionKind::Port {
            port_number: 5432,
            host: None,
            local_port_number: Some("0".into())
        }
    );
    let call = &api.calls_to("StartSession")[0];
    assert_eq!(call.body["Target"], "ecs:dev_0123abcd_0123abcd-1234567890");
    assert_eq!(call.body["DocumentName"], "AWS-StartPortForwardingSession");
}

#[tokio::test]
async fn terminate_session_ends_the_session() {
    let (agent, api) = stand_in();
    let start = json!({"Target": "ecs:a_b_c", "DocumentName": "AWS-StartPortForwardingSession", "Parameters": {"portNumber": ["80"]}});
    let (_, _, answer) = post(api.endpoint(), START_SESSION, &start).await;
    let session_id = answer["SessionId"].as_str().unwrap();
    let (status, _, answer) = post(
        api.endpoint(),
        TERMINATE_SESSION,
        &json!({"SessionId": session_id}),
    )
    .await;
    assert_eq!((status, answer), (200, json!({"SessionId": session_id})));
    let record = agent.session(session_id).unwrap().ended().await;
    assert!(record.terminated_by_api);
}

#[tokio::test]
async fn an_injected_error_is_answered_aws_shaped_as_many_times_as_asked() {
    let (_agent, api) = stand_in();
    api.fail("ExecuteCommand", AwsError::exec_not_enabled(), Some(1));
    let request =
        json!({"cluster": "dev", "task": "t1", "command": "/bin/sh", "interactive": true});
    let (status, head, answer) = post(api.endpoint(), EXECUTE_COMMAND, &request).await;
    assert_eq!(status, 400);
    assert!(head.contains("Content-Type: application/x-amz-json-1.1"));
    assert_eq!(answer["__type"], "InvalidParameterException");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("The execute command failed because execute command was not enabled")
    );
    let (status, _, _) = post(api.endpoint(), EXECUTE_COMMAND, &request).await;
    assert_eq!(status, 200);
    let errors: Vec<_> = api.calls().into_iter().map(|call| call.error).collect();
    assert_eq!(
        errors,
        [Some("InvalidParameterException".to_string()), None]
    );
}

#[tokio::test]
async fn each_named_error_has_its_aws_type() {
    let cases = [
        (
            AwsError::access_denied(
                "ecs:ExecuteCommand",
                "arn:aws:ecs:us-east-1:123456789012:task/dev/t1",
            ),
            "AccessDeniedException",
            400,
        ),
        (
            AwsError::ecs_target_not_connected(),
            "TargetNotConnectedException",
            400,
        ),
        (
            AwsError::client("The specified container was not found."),
            "ClientException",
            400,
        ),
        (AwsError::server(), "ServerException", 500),
    ];
    let (_agent, api) = stand_in();
    for (error, error_type, expected_status) in cases {
        let message = error.message.clone();
        api.fail("ExecuteCommand", error, Some(1));
        let request = json!({"task": "t1", "command": "/bin/sh", "interactive": true});
        let (status, _, answer) = post(api.endpoint(), EXECUTE_COMMAND, &request).await;
        assert_eq!(status, expected_status);
        assert_eq!(answer, json!({"__type": error_type, "message": message}));
    }
    let denied = &AwsError::access_denied(
        "ssm:StartSession",
        "arn:aws:ecs:us-east-1:123456789012:task/dev/t1",
    )
    .message;
    assert!(
        denied.contains("not authorized to perform: ssm:StartSession on resource: arn:aws:ecs:")
    );
}

#[tokio::test]
async fn execute_command_refuses_non_interactive_calls() {
    let (agent, api) = stand_in();
    let request = json!({"task": "t1", "command": "ls", "interactive": false});
    let (status, _, answer) = post(api.endpoint(), EXECUTE_COMMAND, &request).await;
    assert_eq!(
        (status, answer["__type"].as_str()),
        (400, Some("InvalidParameterException"))
    );
    assert!(agent.sessions().is_empty());
}

#[tokio::test]
async fn start_session_on_an_unknown_target_is_not_connected() {
    let (agent, api) = stand_in();
    api.only_targets(&["ecs:dev_t1_r1"]);
    let request =
        json!({"Target": "ecs:dev_t2_r2", "DocumentName": "AWS-StartPortForwardingSession"});
    let (status, _, answer) = post(api.endpoint(), START_SESSION, &request).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer,
        json!({"__type": "TargetNotConnected", "message": "ecs:dev_t2_r2 is not connected."})
    );
    assert!(agent.sessions().is_empty());
}

#[tokio::test]
async fn other_operations_go_to_the_upstream() {
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_port = upstream.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut socket, _) = upstream.accept().await.unwrap();
        let mut request = vec![0u8; 4096];
        let read = socket.read(&mut request).await.unwrap();
        let seen = String::from_utf8_lossy(&request[..read]).to_string();
        assert!(seen.contains("X-Amz-Target: AmazonEC2ContainerServiceV20141113.DescribeTasks"));
        let body = r#"{"tasks":[],"failures":[]}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(answer.as_bytes()).await.unwrap();
    });
    let agent = Agent::start(AgentConfig::default());
    let api = ApiStandIn::start_in_front_of(agent, &format!("http://127.0.0.1:{upstream_port}"));
    let (status, _, answer) = post(
        api.endpoint(),
        "AmazonEC2ContainerServiceV20141113.DescribeTasks",
        &json!({"tasks": ["t1"]}),
    )
    .await;
    assert_eq!(
        (status, answer),
        (200, json!({"tasks": [], "failures": []}))
    );
    assert!(
        api.calls().is_empty(),
        "forwarded calls are moto's to count"
    );
}
