//! Opening a channel: the failures that happen before any agent is involved, against local
//! stand-ins that play only the transport (a closed port, an HTTP server refusing the
//! upgrade, a WebSocket endpoint that rejects the token).

use std::time::Duration;

use futures::StreamExt;
use ondeck_ssm::{ChannelOptions, PortForward, SessionError, SessionParams, Shell, ShellEvent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

fn params(url: String) -> SessionParams {
    SessionParams {
        session_id: "ondeck-test-0123456789".into(),
        stream_url: url,
        token: "token-value-for-test".into(),
    }
}

#[tokio::test]
async fn nothing_listening_is_a_connect_error_naming_the_host() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("ws://127.0.0.1:{port}/v1/data-channel/s");
    let error = Shell::connect(&params(url), &ChannelOptions::default())
        .await
        .err()
        .expect("no server");
    match error {
        SessionError::Connect { host, detail } => {
            assert_eq!(host, "127.0.0.1");
            assert!(detail.to_lowercase().contains("refused"), "{detail}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn http_refusal_of_the_upgrade_names_the_status() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/v1/data-channel/s", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = vec![0u8; 4096];
        let _ = socket.read(&mut request).await.unwrap();
        socket
            .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 13\r\nConnection: close\r\n\r\ntoken expired")
            .await
            .unwrap();
    });
    let error = Shell::connect(&params(url), &ChannelOptions::default())
        .await
        .err()
        .expect("refused");
    let text = error.to_string();
    assert!(matches!(error, SessionError::Connect { .. }), "{error:?}");
    assert!(text.contains("403"), "{text}");
}

#[tokio::test]
async fn a_url_that_is_not_a_websocket_url_is_rejected() {
    let error = Shell::connect(
        &params("https://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/s".into()),
        &ChannelOptions::default(),
    )
    .await
    .err()
    .expect("bad scheme");
    assert!(matches!(error, SessionError::InvalidUrl(_)), "{error:?}");
}

/// Accepts one WebSocket, returns the first text frame's JSON and closes with a policy error.
async fn token_rejecting_endpoint() -> (String, tokio::task::JoinHandle<serde_json::Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/v1/data-channel/s", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(socket).await.unwrap();
        let first = match ws.next().await.unwrap().unwrap() {
            Message::Text(text) => serde_json::from_str(text.as_str()).unwrap(),
            other => panic!("first frame must be text, got {other:?}"),
        };
        ws.close(Some(CloseFrame {
            code: CloseCode::Policy,
            reason: "invalid token".into(),
        }))
        .await
        .unwrap();
        // Let the close handshake finish before the socket drops.
        while let Some(Ok(_)) = ws.next().await {}
        first
    });
    (url, server)
}

#[tokio::test]
async fn the_token_goes_first_as_text_and_its_rejection_ends_the_shell() {
    let (url, server) = token_rejecting_endpoint().await;
    let Shell { input, mut output } = Shell::connect(&params(url), &ChannelOptions::default())
        .await
        .unwrap();
    let event = tokio::time::timeout(Duration::from_secs(10), output.next())
        .await
        .expect("an event");
    match event {
        ShellEvent::Ended(Err(SessionError::ChannelRefused { close: Some(close) })) => {
            assert!(
                close.contains("1008") && close.contains("invalid token"),
                "{close}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        input.write(&b"ls\r"[..]).await,
        Err(SessionError::ChannelRefused { .. })
    ));

    let token_message = server.await.unwrap();
    assert_eq!(token_message["MessageSchemaVersion"], "1.0");
    assert_eq!(token_message["TokenValue"], "token-value-for-test");
    assert_eq!(token_message["ClientVersion"], ondeck_ssm::CLIENT_VERSION);
    for field in ["RequestId", "ClientId"] {
        let value = token_message[field].as_str().unwrap();
        assert!(uuid::Uuid::parse_str(value).is_ok(), "{field}: {value}");
        assert_eq!(value, value.to_lowercase());
    }
}

#[tokio::test]
async fn a_rejected_token_fails_the_port_forward_connect() {
    let (url, _server) = token_rejecting_endpoint().await;
    let error = PortForward::connect(&params(url), &ChannelOptions::default())
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(error, SessionError::ChannelRefused { .. }),
        "{error:?}"
    );
}
