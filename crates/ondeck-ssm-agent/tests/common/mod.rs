//! A client built by hand from the byte layout, sharing no code with the server's codec, so a
//! test can see what the server really puts on the wire.

#![allow(dead_code)]

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use ondeck_ssm_agent::Ticket;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use uuid::Uuid;

/// A random version 4 UUID, made here from fastrand bytes.
pub fn random_id() -> Uuid {
    let mut bytes = [0u8; 16];
    fastrand::fill(&mut bytes);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

pub const DEADLINE: Duration = Duration::from_secs(10);

/// One frame from the server, read field by field.
#[derive(Debug, Clone)]
pub struct Seen {
    pub raw: Vec<u8>,
    pub header_length: u32,
    pub message_type: String,
    pub type_field: Vec<u8>,
    pub schema_version: u32,
    pub created_date: u64,
    pub sequence_number: i64,
    pub flags: u64,
    /// The id as the client must name it: the wire's second 8 bytes, then its first 8.
    pub message_id: String,
    pub digest: Vec<u8>,
    pub payload_type: u32,
    pub payload_length: u32,
    pub payload: Vec<u8>,
}

impl Seen {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.payload).expect("JSON payload")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.payload).to_string()
    }

    pub fn is_stream(&self) -> bool {
        self.message_type == "output_stream_data"
    }
}

#[derive(Debug)]
pub enum Event {
    Frame(Seen),
    Closed(Option<CloseFrame>),
    /// The connection ended without a WebSocket close.
    Cut,
}

pub fn build(
    message_type: &str,
    sequence: i64,
    flags: u64,
    payload_type: u32,
    payload: &[u8],
    id: Uuid,
) -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend(116u32.to_be_bytes());
    let mut name = [b' '; 32];
    name[..message_type.len()].copy_from_slice(message_type.as_bytes());
    bytes.extend(name);
    bytes.extend(1u32.to_be_bytes());
    bytes.extend(1_700_000_000_000u64.to_be_bytes());
    bytes.extend(sequence.to_be_bytes());
    bytes.extend(flags.to_be_bytes());
    let id = id.as_bytes();
    bytes.extend(&id[8..16]);
    bytes.extend(&id[0..8]);
    bytes.extend(Sha256::digest(payload));
    bytes.extend(payload_type.to_be_bytes());
    bytes.extend((payload.len() as u32).to_be_bytes());
    bytes.extend(payload);
    assert_eq!(bytes.len(), 120 + payload.len());
    bytes
}

pub fn read(raw: &[u8]) -> Seen {
    let be32 = |at: usize| u32::from_be_bytes(raw[at..at + 4].try_into().unwrap());
    let be64 = |at: usize| u64::from_be_bytes(raw[at..at + 8].try_into().unwrap());
    let mut id = Vec::new();
    id.extend_from_slice(&raw[72..80]);
    id.extend_from_slice(&raw[64..72]);
    Seen {
        raw: raw.to_vec(),
        header_length: be32(0),
        message_type: String::from_utf8_lossy(&raw[4..36]).trim_end().to_string(),
        type_field: raw[4..36].to_vec(),
        schema_version: be32(36),
        created_date: be64(40),
        sequence_number: be64(48) as i64,
        flags: be64(56),
        message_id: Uuid::from_slice(&id).unwrap().to_string(),
        digest: raw[80..112].to_vec(),
        payload_type: be32(112),
        payload_length: be32(116),
        payload: raw[120..].to_vec(),
    }
}

pub struct Raw {
    ws: WebSocketStream<TcpStream>,
    pub next_input: i64,
}

impl Raw {
    pub async fn connect(ticket: &Ticket) -> Raw {
        Self::connect_with_token(&ticket.stream_url, &ticket.token_value).await
    }

    pub async fn connect_with_token(url: &str, token: &str) -> Raw {
        let address = url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .expect("ws url");
        let tcp = TcpStream::connect(address).await.expect("connect");
        tcp.set_nodelay(true).expect("nodelay");
        let (ws, _) = tokio_tungstenite::client_async(url, tcp)
            .await
            .expect("websocket");
        let mut raw = Raw { ws, next_input: 0 };
        let open = json!({
            "MessageSchemaVersion": "1.0",
            "RequestId": random_id().to_string(),
            "TokenValue": token,
            "ClientId": random_id().to_string(),
            "ClientVersion": "1.2.707.0",
        });
        raw.ws
            .send(Message::Text(open.to_string().into()))
            .await
            .expect("send open");
        raw
    }

    pub async fn send_bytes(&mut self, bytes: Vec<u8>) {
        self.ws
            .send(Message::Binary(bytes.into()))
            .await
            .expect("send");
    }

    /// Sends the next input in sequence; returns its sequence number and id.
    pub async fn input(&mut self, payload_type: u32, payload: &[u8]) -> (i64, Uuid) {
        let sequence = self.next_input;
        self.next_input += 1;
        let id = random_id();
        self.input_at(sequence, payload_type, payload, id).await;
        (sequence, id)
    }

    pub async fn input_at(&mut self, sequence: i64, payload_type: u32, payload: &[u8], id: Uuid) {
        let bytes = build("input_stream_data", sequence, 0, payload_type, payload, id);
        self.send_bytes(bytes).await;
    }

    pub async fn type_text(&mut self, text: &str) -> (i64, Uuid) {
        self.input(1, text.as_bytes()).await
    }

    pub async fn ack(&mut self, seen: &Seen) {
        self.ack_naming(seen, &seen.message_id.clone()).await;
    }

    pub async fn ack_naming(&mut self, seen: &Seen, message_id: &str) {
        let content = json!({
            "AcknowledgedMessageType": seen.message_type,
            "AcknowledgedMessageId": message_id,
            "AcknowledgedMessageSequenceNumber": seen.sequence_number,
            "IsSequentialMessage": true,
        });
        let bytes = build(
            "acknowledge",
            0,
            3,
            0,
            content.to_string().as_bytes(),
            random_id(),
        );
        self.send_bytes(bytes).await;
    }

    pub async fn next(&mut self) -> Event {
        loop {
            let frame = tokio::time::timeout(DEADLINE, self.ws.next())
                .await
                .expect("server said nothing before the deadline");
            return match frame {
                Some(Ok(Message::Binary(bytes))) => Event::Frame(read(&bytes)),
                Some(Ok(Message::Close(frame))) => Event::Closed(frame),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => Event::Cut,
            };
        }
    }

    pub async fn next_frame(&mut self) -> Seen {
        match self.next().await {
            Event::Frame(seen) => seen,
            other => panic!("expected a frame, got {other:?}"),
        }
    }

    /// The next stream data message, skipping acknowledgements (kept in `acks`).
    pub async fn next_stream(&mut self, acks: &mut Vec<Value>) -> Seen {
        loop {
            let seen = self.next_frame().await;
            if seen.message_type == "acknowledge" {
                acks.push(seen.json());
                continue;
            }
            return seen;
        }
    }

    /// Stream data until `done` says the text so far is complete; each is acknowledged.
    pub async fn read_output_until(&mut self, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
        let mut acks = Vec::new();
        let mut output = Vec::new();
        let mut expected = None;
        while !done(&output) {
            let seen = self.next_stream(&mut acks).await;
            assert!(seen.is_stream(), "unexpected {}", seen.message_type);
            self.ack(&seen).await;
            if expected.is_some_and(|e| seen.sequence_number < e) {
                continue;
            }
            if let Some(e) = expected {
                assert_eq!(seen.sequence_number, e, "output out of order");
            }
            expected = Some(seen.sequence_number + 1);
            if seen.payload_type == 1 {
                output.extend_from_slice(&seen.payload);
            }
        }
        output
    }

    /// Performs the client's half of the handshake; returns the HandshakeRequest.
    pub async fn handshake(&mut self, client_version: &str) -> Seen {
        let mut acks = Vec::new();
        let request = self.next_stream(&mut acks).await;
        assert_eq!(request.payload_type, 5, "HandshakeRequest first");
        self.ack(&request).await;
        let response = json!({
            "ClientVersion": client_version,
            "ProcessedClientActions": [{"ActionType": "SessionType", "ActionStatus": 1, "ActionResult": null, "Error": ""}],
            "Errors": null,
        });
        self.input(6, response.to_string().as_bytes()).await;
        let complete = loop {
            let seen = self.next_stream(&mut acks).await;
            self.ack(&seen).await;
            if seen.sequence_number > request.sequence_number {
                break seen;
            }
        };
        assert_eq!(
            complete.payload_type, 7,
            "HandshakeComplete after the response"
        );
        request
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// A TCP server that answers each connection with `label:` then echoes what it reads.
pub async fn labelled_echo_server(label: &'static str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let _ = socket.write_all(format!("{label}:").as_bytes()).await;
                let mut buffer = vec![0u8; 65536];
                loop {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => {
                            if socket.write_all(&buffer[..read]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    port
}

/// A loopback port with nothing listening on it.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
