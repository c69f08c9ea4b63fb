//! The signed SSM calls against a local HTTP server that records what arrives and answers as
//! SSM does. The signature is checked by an independent SigV4 computation (RFC-style, from
//! AWS's public description of Signature Version 4), not by the signer's own code.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use hmac::{Hmac, KeyInit, Mac};
use ondeck_core::CloudError;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::SsmApi;

const KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

struct Recorded {
    method: String,
    path: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// Answers one request with `status` and `body`, and hands back what it received.
async fn serve_once(status: u16, body: &'static str) -> (String, oneshot::Receiver<Recorded>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let (sender, receiver) = oneshot::channel();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("accept");
        let mut raw = Vec::new();
        let mut chunk = [0u8; 4096];
        let (head_end, content_length) = loop {
            let n = stream.read(&mut chunk).await.expect("read");
            assert!(n > 0, "the client closed before a whole request");
            raw.extend_from_slice(&chunk[..n]);
            if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw[..at]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:"))
                    .map_or(0, |value| value.trim().parse().expect("content-length"));
                break (at + 4, length);
            }
        };
        while raw.len() < head_end + content_length {
            let n = stream.read(&mut chunk).await.expect("read body");
            raw.extend_from_slice(&chunk[..n]);
        }
        let head = String::from_utf8_lossy(&raw[..head_end - 4]).to_string();
        let mut lines = head.lines();
        let mut request_line = lines.next().expect("request line").split(' ');
        let method = request_line.next().unwrap_or_default().to_string();
        let path = request_line.next().unwrap_or_default().to_string();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
            .collect();
        let reason = if status < 300 { "OK" } else { "Bad Request" };
        let answer = format!(
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(answer.as_bytes()).await.expect("answer");
        let _ = sender.send(Recorded {
            method,
            path,
            headers,
            body: raw[head_end..head_end + content_length].to_vec(),
        });
    });
    (url, receiver)
}

fn api(url: &str, session_token: Option<&str>) -> SsmApi {
    let credentials = Credentials::new(
        KEY_ID,
        SECRET,
        session_token.map(str::to_string),
        None,
        "test",
    );
    SsmApi::new(
        Some(SharedCredentialsProvider::new(credentials)),
        "eu-west-1",
        Some(url),
        "dev",
        Some("team"),
        Duration::from_secs(10),
    )
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The signature AWS would compute for `request`, from the headers it says it signed.
fn expected_signature(request: &Recorded) -> (String, String) {
    let authorization = &request.headers["authorization"];
    let fields: BTreeMap<&str, &str> = authorization
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .expect("a SigV4 authorization")
        .split(", ")
        .filter_map(|field| field.split_once('='))
        .collect();
    let signed_headers = fields["SignedHeaders"];
    let canonical_headers: String = signed_headers
        .split(';')
        .map(|name| format!("{name}:{}\n", request.headers[name].trim()))
        .collect();
    let canonical_request = format!(
        "{}\n{}\n\n{canonical_headers}\n{signed_headers}\n{}",
        request.method,
        request.path,
        hex(&Sha256::digest(&request.body))
    );
    let amz_date = &request.headers["x-amz-date"];
    let day = &amz_date[..8];
    let scope = format!("{day}/eu-west-1/ssm/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let key = [day, "eu-west-1", "ssm", "aws4_request"]
        .iter()
        .fold(format!("AWS4{SECRET}").into_bytes(), |key, part| {
            hmac(&key, part)
        });
    assert_eq!(fields["Credential"], format!("{KEY_ID}/{scope}"));
    (
        hex(&hmac(&key, &string_to_sign)),
        fields["Signature"].to_string(),
    )
}

#[tokio::test]
async fn start_session_sends_a_signed_port_forward_request_and_reads_the_grant() {
    let (url, recorded) = serve_once(
        200,
        r#"{"SessionId":"ana-0a1b","StreamUrl":"wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/ana-0a1b","TokenValue":"AAEAAR"}"#,
    )
    .await;
    let grant = api(&url, Some("FwoGZXIvYXdzEFAaDA"))
        .start_port_forward("ecs:dev_5f1e_5f1e-2716", 5432)
        .await
        .expect("a grant");
    assert_eq!(grant.session_id, "ana-0a1b");
    assert!(grant.stream_url.ends_with("/v1/data-channel/ana-0a1b"));
    assert_eq!(grant.token, "AAEAAR");

    let request = recorded.await.expect("a request arrived");
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/")
    );
    assert_eq!(request.headers["x-amz-target"], "AmazonSSM.StartSession");
    assert_eq!(
        request.headers["content-type"],
        "application/x-amz-json-1.1"
    );
    assert_eq!(
        request.headers["x-amz-security-token"],
        "FwoGZXIvYXdzEFAaDA"
    );
    let body: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON body");
    assert_eq!(body["Target"], "ecs:dev_5f1e_5f1e-2716");
    assert_eq!(body["DocumentName"], "AWS-StartPortForwardingSession");
    assert_eq!(
        body["Parameters"]["portNumber"],
        serde_json::json!(["5432"])
    );
    let signed = request.headers["authorization"].clone();
    for header in ["host", "x-amz-date", "x-amz-target", "content-type"] {
        assert!(signed.contains(header), "{header} is signed: {signed}");
    }
    let (expected, sent) = expected_signature(&request);
    assert_eq!(sent, expected, "the signature AWS would compute");
}

#[tokio::test]
async fn terminate_session_names_the_session() {
    let (url, recorded) = serve_once(200, r#"{"SessionId":"ana-0a1b"}"#).await;
    api(&url, None)
        .terminate_session("ana-0a1b")
        .await
        .expect("terminated");
    let request = recorded.await.expect("a request arrived");
    assert_eq!(
        request.headers["x-amz-target"],
        "AmazonSSM.TerminateSession"
    );
    assert!(!request.headers.contains_key("x-amz-security-token"));
    let body: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON body");
    assert_eq!(body, serde_json::json!({ "SessionId": "ana-0a1b" }));
    let (expected, sent) = expected_signature(&request);
    assert_eq!(sent, expected);
}

#[tokio::test]
async fn a_denied_start_session_names_the_ssm_action() {
    let (url, _recorded) = serve_once(
        400,
        r#"{"__type":"com.amazonaws.ssm#AccessDeniedException","message":"User: arn:aws:sts::1:assumed-role/dev/ana is not authorized to perform: ssm:StartSession on resource: arn:aws:ecs:eu-west-1:1:task/dev/5f1e"}"#,
    )
    .await;
    let err = api(&url, None)
        .start_port_forward("ecs:dev_5f1e_5f1e-2716", 80)
        .await
        .expect_err("denied");
    assert!(
        matches!(&err, CloudError::AccessDenied { action, detail } if action == "ssm:StartSession" && detail.contains("task/dev/5f1e")),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("ask for ssm:StartSession"),
        "{err}"
    );
}

#[tokio::test]
async fn a_target_that_is_not_connected_keeps_its_code_and_message() {
    let (url, _recorded) = serve_once(
        400,
        r#"{"__type":"TargetNotConnected","Message":"ecs:dev_5f1e_5f1e-2716 is not connected."}"#,
    )
    .await;
    let err = api(&url, None)
        .start_port_forward("ecs:dev_5f1e_5f1e-2716", 80)
        .await
        .expect_err("not connected");
    assert!(
        matches!(&err, CloudError::Service { code, message, .. } if code == "TargetNotConnected" && message.contains("not connected")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_grant_without_its_token_is_unreadable_not_a_session() {
    let (url, _recorded) =
        serve_once(200, r#"{"SessionId":"ana-0a1b","StreamUrl":"wss://x/"}"#).await;
    let err = api(&url, None)
        .start_port_forward("ecs:dev_5f1e_5f1e-2716", 80)
        .await
        .expect_err("no token");
    assert!(
        matches!(&err, CloudError::Unreadable { detail, .. } if detail.contains("TokenValue")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_closed_port_is_unreachable_with_the_address() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let err = api(&url, None)
        .terminate_session("ana-0a1b")
        .await
        .expect_err("nothing listens");
    assert!(
        matches!(&err, CloudError::Unreachable { endpoint, .. } if endpoint.starts_with(&url)),
        "{err:?}"
    );
}

#[tokio::test]
async fn no_credentials_ask_for_a_login() {
    let api = SsmApi::new(
        None,
        "eu-west-1",
        None,
        "dev",
        Some("team"),
        Duration::from_secs(1),
    );
    assert_eq!(api.url, "https://ssm.eu-west-1.amazonaws.com/");
    let err = api
        .terminate_session("ana-0a1b")
        .await
        .expect_err("no credentials");
    assert!(
        matches!(&err, CloudError::Credentials { fix, .. } if fix.contains("--profile team")),
        "{err:?}"
    );
}
