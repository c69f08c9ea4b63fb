//! Port forwarding through the client against the independent agent, which dials real
//! loopback services behind the remote port.

mod common;

use std::net::SocketAddr;

use common::*;
use ondeck_ssm::{ChannelOptions, ForwardStats, PortForward};
use ondeck_ssm_agent::{Agent, AgentConfig, SessionKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const REMOTE_PORT: u16 = 5432;

/// A loopback service that sends back every byte it receives.
async fn echo_service() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let (mut from, mut to) = socket.split();
                let _ = tokio::io::copy(&mut from, &mut to).await;
            });
        }
    });
    address
}

/// An agent whose remote port 5432 is `service`, a session on it, and the client's forward
/// serving a local listener.
async fn forward_to(service: SocketAddr) -> (Agent, std::sync::Arc<PortForward>, SocketAddr) {
    let mut config = AgentConfig::default();
    config.port_routes.insert(REMOTE_PORT, service);
    let agent = Agent::start(config);
    let kind = SessionKind::Port {
        port_number: REMOTE_PORT,
        host: None,
        local_port_number: Some("0".into()),
    };
    let ticket = agent.open_session(kind, "ecs:c_t_r", "ondeck-forward");
    let forward = std::sync::Arc::new(
        PortForward::connect(&params(&ticket), &ChannelOptions::default())
            .await
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let local = listener.local_addr().unwrap();
    let serving = forward.clone();
    tokio::spawn(async move { serving.serve(listener).await });
    (agent, forward, local)
}

/// Writes `data` and reads as many bytes back, at the same time.
async fn exchange(socket: &mut TcpStream, data: &[u8]) -> Vec<u8> {
    let (mut from, mut to) = socket.split();
    let mut back = vec![0u8; data.len()];
    let (written, read) = tokio::join!(to.write_all(data), from.read_exact(&mut back));
    written.unwrap();
    read.unwrap();
    back
}

fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..len).map(|_| rng.u8(..)).collect()
}

#[tokio::test]
async fn two_concurrent_connections_carry_their_bytes_intact() {
    const LEN: usize = 300_000;
    let (agent, forward, local) = forward_to(echo_service().await).await;
    let mut first = TcpStream::connect(local).await.unwrap();
    let mut second = TcpStream::connect(local).await.unwrap();
    // Both are open before either carries its bulk: the two streams share the channel.
    assert_eq!(exchange(&mut first, b"hello 1").await, b"hello 1");
    assert_eq!(exchange(&mut second, b"hello 2").await, b"hello 2");
    let (one, two) = (pattern(1, LEN), pattern(2, LEN));
    let (back_one, back_two) = guarded("both exchanges", async {
        tokio::join!(exchange(&mut first, &one), exchange(&mut second, &two))
    })
    .await;
    assert!(back_one == one, "first connection's bytes differ");
    assert!(back_two == two, "second connection's bytes differ");

    let carried = (LEN + 7) as u64 * 2;
    let stats = forward.stats();
    assert_eq!(
        stats,
        ForwardStats {
            bytes_to_remote: carried,
            bytes_from_remote: carried,
            connections_open: 2,
            connections_total: 2,
            connections_refused: 0,
        }
    );
    let record = agent.last_session().unwrap().record();
    assert_eq!(record.streams_opened, 2);
    assert_eq!(record.bytes_to_target, carried);
    assert_eq!(record.protocol_problems, Vec::<String>::new());
}

#[tokio::test]
async fn a_remote_port_nobody_listens_on_ends_the_connection_and_is_counted() {
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    };
    let (agent, forward, local) = forward_to(closed).await;
    let mut socket = TcpStream::connect(local).await.unwrap();
    socket.write_all(b"anyone?").await.unwrap();
    let mut rest = Vec::new();
    let read = guarded("the connection's end", socket.read_to_end(&mut rest)).await;
    assert!(read.is_ok_and(|n| n == 0) || rest.is_empty(), "{rest:?}");
    let session = agent.last_session().unwrap();
    let record = guarded(
        "the failed dial",
        session.wait_for(|record| record.connect_failures == 1),
    )
    .await;
    assert_eq!(record.streams_opened, 1);
    guarded("the refusal counted", async {
        while forward.stats().connections_refused == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await;
}

#[tokio::test]
async fn closing_the_forward_ends_the_session_on_the_agent() {
    let (agent, forward, local) = forward_to(echo_service().await).await;
    let mut socket = TcpStream::connect(local).await.unwrap();
    assert_eq!(exchange(&mut socket, b"ping").await, b"ping");
    let end = guarded("the close", forward.close()).await;
    assert!(end.is_ok(), "{end:?}");
    let record = guarded("the agent's end", agent.last_session().unwrap().ended()).await;
    assert_eq!(record.flags, [2], "the TerminateSession flag");
    assert_eq!(record.protocol_problems, Vec::<String>::new());
}
