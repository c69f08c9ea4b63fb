//! Port sessions against hand-built data channel and smux frames.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{Raw, closed_port};
use ondeck_ssm_agent::{Agent, AgentConfig, PortMode, SessionKind};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SYN: u8 = 0;
const FIN: u8 = 1;
const PSH: u8 = 2;
const NOP: u8 = 3;

fn smux(command: u8, stream_id: u32, data: &[u8]) -> Vec<u8> {
    let mut frame = vec![1, command];
    frame.extend((data.len() as u16).to_le_bytes());
    frame.extend(stream_id.to_le_bytes());
    frame.extend(data);
    frame
}

fn port(port_number: u16) -> SessionKind {
    SessionKind::Port {
        port_number,
        host: None,
        local_port_number: Some("0".into()),
    }
}

async fn echo_server() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 65536];
                while let Ok(read) = socket.read(&mut buffer).await {
                    if read == 0 || socket.write_all(&buffer[..read]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// What came back over the data channel: stream data messages deduplicated by sequence
/// number, their payloads joined and cut into smux frames.
#[derive(Default)]
struct Demux {
    /// Basic mode: the bytes are the connection's, not smux frames.
    raw: bool,
    next_sequence: i64,
    bytes: Vec<u8>,
    data: BTreeMap<u32, Vec<u8>>,
    fins: BTreeSet<u32>,
    nops: usize,
    flags: Vec<Vec<u8>>,
}

impl Demux {
    /// Output 0 and 1 were the handshake.
    fn after_handshake() -> Demux {
        Demux {
            next_sequence: 2,
            ..Demux::default()
        }
    }

    async fn pump(&mut self, client: &mut Raw, done: impl Fn(&Demux) -> bool) {
        let mut acks = Vec::new();
        while !done(self) {
            let seen = client.next_stream(&mut acks).await;
            assert_eq!(seen.message_type, "output_stream_data", "{}", seen.text());
            client.ack(&seen).await;
            if seen.sequence_number != self.next_sequence {
                assert!(seen.sequence_number < self.next_sequence, "gap in output");
                continue;
            }
            self.next_sequence += 1;
            match seen.payload_type {
                1 => self.bytes.extend(seen.payload),
                10 => self.flags.push(seen.payload),
                other => panic!("payload type {other}"),
            }
            while !self.raw && self.bytes.len() >= 8 {
                let length = u16::from_le_bytes([self.bytes[2], self.bytes[3]]) as usize;
                if self.bytes.len() < 8 + length {
                    break;
                }
                assert_eq!(self.bytes[0], 1, "smux version");
                let stream_id = u32::from_le_bytes(self.bytes[4..8].try_into().unwrap());
                match self.bytes[1] {
                    PSH => self
                        .data
                        .entry(stream_id)
                        .or_default()
                        .extend_from_slice(&self.bytes[8..8 + length]),
                    FIN => {
                        self.fins.insert(stream_id);
                    }
                    NOP => self.nops += 1,
                    other => panic!("smux command {other} from the agent"),
                }
                self.bytes.drain(..8 + length);
            }
        }
    }
}

/// Sends bytes as the client's stream, cut into 1024-byte messages.
async fn send_stream(client: &mut Raw, bytes: &[u8]) {
    for chunk in bytes.chunks(1024) {
        client.input(1, chunk).await;
    }
}

#[tokio::test]
async fn the_handshake_names_the_port_and_local_forwarding() {
    let agent = Agent::start(AgentConfig::default());
    let ticket = agent.open_session(port(5432), "ecs:dev_task_rt", "tester");
    let mut client = Raw::connect(&ticket).await;
    let request = client.handshake("1.2.707.0").await;
    assert_eq!(
        request.json()["RequestedClientActions"][0]["ActionParameters"],
        json!({"SessionType": "Port", "Properties": {"portNumber": "5432", "type": "LocalPortForwarding", "localPortNumber": "0"}})
    );
}

#[tokio::test]
async fn two_concurrent_streams_to_a_routed_port_carry_their_bytes_intact() {
    let target = echo_server().await;
    let agent = Agent::start(AgentConfig {
        port_routes: [(5432, ([127, 0, 0, 1], target).into())].into(),
        ..AgentConfig::default()
    });
    let ticket = agent.open_session(port(5432), "ecs:dev_task_rt", "tester");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;

    let first: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let second: Vec<u8> = (0..100_000u32).map(|i| (i % 241) as u8 ^ 0x5a).collect();
    let mut outgoing = smux(SYN, 3, &[]);
    outgoing.extend(smux(SYN, 5, &[]));
    // Interleave the two streams' frames, each frame up to 30000 bytes.
    for (a, b) in first.chunks(30_000).zip(second.chunks(30_000)) {
        outgoing.extend(smux(PSH, 3, a));
        outgoing.extend(smux(PSH, 5, b));
    }
    send_stream(&mut client, &outgoing).await;

    let mut demux = Demux::after_handshake();
    demux
        .pump(&mut client, |d| {
            d.data.get(&3).map_or(0, Vec::len) == first.len()
                && d.data.get(&5).map_or(0, Vec::len) == second.len()
        })
        .await;
    assert!(demux.data[&3] == first, "stream 3 bytes differ");
    assert!(demux.data[&5] == second, "stream 5 bytes differ");

    send_stream(
        &mut client,
        &[smux(FIN, 3, &[]), smux(FIN, 5, &[])].concat(),
    )
    .await;
    demux.pump(&mut client, |d| d.fins.len() == 2).await;

    let record = agent.session(&ticket.session_id).unwrap().record();
    assert_eq!(record.port_mode, Some(PortMode::Multiplexed));
    assert_eq!(record.streams_opened, 2);
    assert_eq!(record.bytes_to_target, 200_000);
    assert_eq!(record.bytes_from_target, 200_000);
    assert_eq!(record.protocol_problems, Vec::<String>::new());
}

#[tokio::test]
async fn a_port_nobody_listens_on_gets_connect_to_port_error_and_a_fin() {
    let agent = Agent::start(AgentConfig::default());
    let ticket = agent.open_session(port(closed_port()), "ecs:dev_task_rt", "tester");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    send_stream(&mut client, &smux(SYN, 3, &[])).await;
    let mut demux = Demux::after_handshake();
    demux
        .pump(&mut client, |d| d.fins.contains(&3) && !d.flags.is_empty())
        .await;
    assert_eq!(demux.flags, [vec![0, 0, 0, 3]]);
    assert_eq!(
        agent
            .session(&ticket.session_id)
            .unwrap()
            .record()
            .connect_failures,
        1
    );
}

#[tokio::test]
async fn old_clients_keep_smux_keepalive_and_get_nops() {
    let agent = Agent::start(AgentConfig {
        smux_keepalive_interval: Duration::from_millis(20),
        ..AgentConfig::default()
    });
    let ticket = agent.open_session(port(closed_port()), "ecs:dev_task_rt", "tester");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.331.0").await;
    let mut demux = Demux::after_handshake();
    demux.pump(&mut client, |d| d.nops >= 2).await;
}

#[tokio::test]
async fn clients_before_mux_get_one_raw_connection_that_reopens_after_disconnect() {
    let target = echo_server().await;
    let agent = Agent::start(AgentConfig::default());
    let ticket = agent.open_session(port(target), "ecs:dev_task_rt", "tester");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.1.54.0").await;

    client.input(1, b"ping").await;
    let mut demux = Demux {
        raw: true,
        ..Demux::after_handshake()
    };
    demux.pump(&mut client, |d| d.bytes.len() >= 4).await;
    assert_eq!(demux.bytes, b"ping");

    client.input(10, &1u32.to_be_bytes()).await;
    client.input(1, b"again").await;
    demux.pump(&mut client, |d| d.bytes.len() >= 9).await;
    assert_eq!(demux.bytes, b"pingagain");

    let record = agent.session(&ticket.session_id).unwrap().record();
    assert_eq!(record.port_mode, Some(PortMode::Basic));
    assert_eq!(record.streams_opened, 2);
    assert_eq!(record.flags, [1]);
}

#[tokio::test]
async fn a_raw_connection_that_cannot_open_closes_the_channel() {
    let closed = closed_port();
    let agent = Agent::start(AgentConfig::default());
    let ticket = agent.open_session(port(closed), "ecs:dev_task_rt", "tester");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.0.0.0").await;
    let mut acks = Vec::new();
    let closed_message = client.next_stream(&mut acks).await;
    assert_eq!(closed_message.message_type, "channel_closed");
    let output = closed_message.json()["Output"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        output.starts_with(&format!(
            "Unable to connect to specified port: dial tcp 127.0.0.1:{closed}: connect:"
        )),
        "{output}"
    );
}

#[tokio::test]
async fn the_terminate_session_flag_ends_a_port_session() {
    let agent = Agent::start(AgentConfig::default());
    let ticket = agent.open_session(port(closed_port()), "ecs:dev_task_rt", "tester");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    client.input(10, &2u32.to_be_bytes()).await;
    let mut acks = Vec::new();
    assert_eq!(
        client.next_stream(&mut acks).await.message_type,
        "channel_closed"
    );
    let record = agent.session(&ticket.session_id).unwrap().ended().await;
    assert_eq!(
        record.ended.as_deref(),
        Some("client sent the TerminateSession flag")
    );
}

#[tokio::test]
async fn remote_hosts_other_than_loopback_are_never_dialled() {
    let agent = Agent::start(AgentConfig::default());
    let kind = SessionKind::Port {
        port_number: 80,
        host: Some("example.com".into()),
        local_port_number: None,
    };
    let ticket = agent.open_session(kind, "ecs:dev_task_rt", "tester");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    send_stream(&mut client, &smux(SYN, 3, &[])).await;
    let mut demux = Demux::after_handshake();
    demux.pump(&mut client, |d| d.fins.contains(&3)).await;
    assert_eq!(demux.flags, [vec![0, 0, 0, 3]]);
    let fired = agent
        .session(&ticket.session_id)
        .unwrap()
        .record()
        .faults_fired;
    assert_eq!(
        fired,
        ["stream 3: Forwarding to example.com is not served by this agent"]
    );
}
