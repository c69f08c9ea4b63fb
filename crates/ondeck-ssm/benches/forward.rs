//! A forwarded connection on loopback: its throughput each way (MB/s) and the latency it adds
//! to a round trip, measured through this crate's `PortForward` against ondeck-ssm-agent,
//! which dials real loopback services behind the remote ports.
//!
//! `cargo bench -p ondeck-ssm --bench forward` (add `-- --quick` for a short trial run).
//! The far side is the stand-in, not AWS's agent and gateway: the figures are what the
//! protocol costs on this machine (1 KiB messages, each acknowledged), not network time.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ondeck_ssm::{ChannelOptions, PortForward, SessionParams};
use ondeck_ssm_agent::{Agent, AgentConfig, SessionKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ECHO_PORT: u16 = 7;
const SINK_PORT: u16 = 9;
const SOURCE_PORT: u16 = 19;

struct Plan {
    round_trips: usize,
    bulk_bytes: usize,
    bulk_runs: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes --bench; `cargo test --all-targets` does not, and only checks that
    // the bench still runs.
    let measuring = args.iter().any(|arg| arg == "--bench");
    let quick = args.iter().any(|arg| arg == "--quick");
    let plan = if !measuring {
        println!("a check run, not a measurement (cargo bench measures):");
        Plan {
            round_trips: 20,
            bulk_bytes: 256 << 10,
            bulk_runs: 1,
        }
    } else if quick {
        Plan {
            round_trips: 200,
            bulk_bytes: 4 << 20,
            bulk_runs: 1,
        }
    } else {
        Plan {
            round_trips: 2000,
            bulk_bytes: 32 << 20,
            bulk_runs: 3,
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(plan));
}

async fn run(plan: Plan) {
    let echo = serve(echo).await;
    let sink = serve(sink).await;
    let source = serve(source).await;
    let mut config = AgentConfig::default();
    config.port_routes.insert(ECHO_PORT, echo);
    config.port_routes.insert(SINK_PORT, sink);
    config.port_routes.insert(SOURCE_PORT, source);
    let agent = Agent::start(config);

    let direct = round_trips(echo, plan.round_trips).await;
    let forwarded = round_trips(forward(&agent, ECHO_PORT).await, plan.round_trips).await;
    println!("round trip of 64 bytes, {} trips each:", plan.round_trips);
    println!("  direct to the service  {}", summary(&direct));
    println!("  through the forward    {}", summary(&forwarded));
    println!(
        "  added by the forward   median {:.0} µs, p99 {:.0} µs",
        micros(percentile(&forwarded, 0.5)) - micros(percentile(&direct, 0.5)),
        micros(percentile(&forwarded, 0.99)) - micros(percentile(&direct, 0.99)),
    );

    let mib = plan.bulk_bytes as f64 / (1 << 20) as f64;
    let to_remote = forward(&agent, SINK_PORT).await;
    let from_remote = forward(&agent, SOURCE_PORT).await;
    let mut up = Vec::new();
    let mut down = Vec::new();
    for _ in 0..plan.bulk_runs {
        up.push(upload(to_remote, plan.bulk_bytes).await);
        down.push(download(from_remote, plan.bulk_bytes).await);
    }
    println!("one connection, {mib} MiB, best of {}:", plan.bulk_runs);
    println!(
        "  to the remote port     {:.1} MB/s",
        best_rate(&up, plan.bulk_bytes)
    );
    println!(
        "  from the remote port   {:.1} MB/s",
        best_rate(&down, plan.bulk_bytes)
    );
    let direct_up = upload(sink, plan.bulk_bytes).await;
    println!(
        "  (direct, no forward:   {:.1} MB/s)",
        best_rate(&[direct_up], plan.bulk_bytes)
    );
}

/// A local listener forwarded to `remote_port` through a new session; its address.
async fn forward(agent: &Agent, remote_port: u16) -> SocketAddr {
    let kind = SessionKind::Port {
        port_number: remote_port,
        host: None,
        local_port_number: Some("0".into()),
    };
    let ticket = agent.open_session(kind, "ecs:bench_task_runtime", "ondeck-forward");
    let params = SessionParams {
        session_id: ticket.session_id,
        stream_url: ticket.stream_url,
        token: ticket.token_value,
    };
    let forward = Arc::new(
        PortForward::connect(&params, &ChannelOptions::default())
            .await
            .expect("port session"),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { forward.serve(listener).await });
    address
}

async fn round_trips(address: SocketAddr, count: usize) -> Vec<Duration> {
    let mut socket = TcpStream::connect(address).await.expect("connect");
    socket.set_nodelay(true).expect("nodelay");
    let message = [0x5au8; 64];
    let mut back = [0u8; 64];
    // The first trips open the stream and warm both sides up.
    for _ in 0..20 {
        socket.write_all(&message).await.expect("write");
        socket.read_exact(&mut back).await.expect("read");
    }
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        socket.write_all(&message).await.expect("write");
        socket.read_exact(&mut back).await.expect("read");
        times.push(started.elapsed());
    }
    assert_eq!(back, message);
    times.sort();
    times
}

/// Sends `len` bytes; the sink answers one byte once it has them all.
async fn upload(address: SocketAddr, len: usize) -> Duration {
    let mut socket = TcpStream::connect(address).await.expect("connect");
    let chunk = vec![0xa5u8; 64 * 1024];
    let started = Instant::now();
    socket
        .write_all(&(len as u64).to_be_bytes())
        .await
        .expect("write");
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len());
        socket.write_all(&chunk[..n]).await.expect("write");
        left -= n;
    }
    let mut done = [0u8; 1];
    socket.read_exact(&mut done).await.expect("sink's answer");
    started.elapsed()
}

/// Asks the source for `len` bytes and reads them.
async fn download(address: SocketAddr, len: usize) -> Duration {
    let mut socket = TcpStream::connect(address).await.expect("connect");
    let mut buffer = vec![0u8; 64 * 1024];
    let started = Instant::now();
    socket
        .write_all(&(len as u64).to_be_bytes())
        .await
        .expect("write");
    let mut left = len;
    while left > 0 {
        let n = socket.read(&mut buffer).await.expect("read");
        assert!(n > 0, "the source stopped {left} bytes short");
        left -= n;
    }
    started.elapsed()
}

async fn serve<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = std::io::Result<()>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let _ = socket.set_nodelay(true);
            tokio::spawn(handler(socket));
        }
    });
    address
}

async fn echo(mut socket: TcpStream) -> std::io::Result<()> {
    let (mut from, mut to) = socket.split();
    tokio::io::copy(&mut from, &mut to).await.map(drop)
}

async fn sink(mut socket: TcpStream) -> std::io::Result<()> {
    let len = socket.read_u64().await?;
    let mut buffer = vec![0u8; 64 * 1024];
    let mut left = len as usize;
    while left > 0 {
        let n = socket.read(&mut buffer[..left.min(64 * 1024)]).await?;
        if n == 0 {
            return Ok(());
        }
        left -= n;
    }
    socket.write_all(b"k").await
}

async fn source(mut socket: TcpStream) -> std::io::Result<()> {
    let len = socket.read_u64().await?;
    let chunk = vec![0x3cu8; 64 * 1024];
    let mut left = len as usize;
    while left > 0 {
        let n = left.min(chunk.len());
        socket.write_all(&chunk[..n]).await?;
        left -= n;
    }
    // Keep the connection until the reader is done with it.
    let mut rest = [0u8; 1];
    let _ = socket.read(&mut rest).await;
    Ok(())
}

fn percentile(sorted: &[Duration], at: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * at).round() as usize]
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

fn summary(sorted: &[Duration]) -> String {
    format!(
        "median {:.0} µs, p99 {:.0} µs",
        micros(percentile(sorted, 0.5)),
        micros(percentile(sorted, 0.99))
    )
}

fn best_rate(times: &[Duration], bytes: usize) -> f64 {
    let best = times.iter().min().expect("at least one run");
    bytes as f64 / 1e6 / best.as_secs_f64()
}
