//! Port forwarding sessions: smux-multiplexed for clients that can, one connection at a time
//! otherwise. The agent picks by the client's version, as the real one does.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;

use crate::agent::{PortMode, SessionKind};
use crate::channel::{Channel, Input, flag_value};
use crate::smux::{self, Command, Frame, FrameReader};
use crate::wire::{flag, payload_type};

/// The first client version that speaks smux, and the last one that keeps smux keep-alive on.
const MUX_SUPPORTED_CLIENT_VERSION: &str = "1.1.70";
const MUX_KEEPALIVE_LAST_CLIENT_VERSION: &str = "1.2.331.0";

pub(crate) async fn run(channel: Arc<Channel>, inputs: mpsc::UnboundedReceiver<Input>) {
    let SessionKind::Port {
        port_number, host, ..
    } = channel.session.kind.clone()
    else {
        unreachable!("port sessions only");
    };
    let client_version = channel
        .session
        .update(|record| record.client_version.clone())
        .unwrap_or_default();
    let destination = target(&channel, port_number, host.as_deref());
    let Some(version) = parse_version(&client_version) else {
        channel.session.problem(format!(
            "client version {client_version:?} is not dotted numbers; treated as 0"
        ));
        return run_basic(channel, inputs, destination).await;
    };
    if version >= parse_version(MUX_SUPPORTED_CLIENT_VERSION).expect("constant") {
        let keepalive =
            version <= parse_version(MUX_KEEPALIVE_LAST_CLIENT_VERSION).expect("constant");
        run_mux(channel, inputs, destination, keepalive).await
    } else {
        run_basic(channel, inputs, destination).await
    }
}

/// Where a connection to the remote port really goes. Anything but loopback is refused, so a
/// test can never reach out of this machine.
fn target(channel: &Channel, port: u16, host: Option<&str>) -> Result<SocketAddr, String> {
    if let Some(host) = host
        && !matches!(host, "localhost" | "127.0.0.1" | "::1")
    {
        return Err(format!("Forwarding to {host} is not served by this agent"));
    }
    Ok(channel
        .config
        .port_routes
        .get(&port)
        .copied()
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], port))))
}

fn parse_version(text: &str) -> Option<Vec<u64>> {
    let mut parts: Vec<u64> = text
        .split('.')
        .map(|part| part.parse().ok())
        .collect::<Option<_>>()?;
    while parts.last() == Some(&0) {
        parts.pop();
    }
    Some(parts)
}

fn dial_error(destination: &Result<SocketAddr, String>, error: &std::io::Error) -> String {
    match destination {
        Ok(address) => format!("dial tcp {address}: connect: {error}"),
        Err(refusal) => refusal.clone(),
    }
}

async fn dial(destination: &Result<SocketAddr, String>) -> Result<TcpStream, String> {
    match destination {
        Ok(address) => {
            let stream = TcpStream::connect(address)
                .await
                .map_err(|error| dial_error(destination, &error))?;
            let _ = stream.set_nodelay(true);
            Ok(stream)
        }
        Err(refusal) => Err(refusal.clone()),
    }
}

enum StreamEvent {
    Data(Vec<u8>),
    Fin,
}

async fn run_mux(
    channel: Arc<Channel>,
    mut inputs: mpsc::UnboundedReceiver<Input>,
    destination: Result<SocketAddr, String>,
    keepalive: bool,
) {
    channel
        .session
        .update(|record| record.port_mode = Some(PortMode::Multiplexed));
    let (frames_tx, mut frames_rx) = mpsc::unbounded_channel::<Frame>();
    let (closed_tx, mut closed_rx) = mpsc::unbounded_channel::<u32>();
    // One writer turns frames into output so frames of different streams never interleave.
    let writer_channel = channel.clone();
    tokio::spawn(async move {
        while let Some(frame) = frames_rx.recv().await {
            let mut bytes = frame.encode();
            while let Ok(more) = frames_rx.try_recv() {
                bytes.extend(more.encode());
            }
            for chunk in bytes.chunks(writer_channel.config.max_payload) {
                writer_channel.send_stream(payload_type::OUTPUT, chunk.to_vec());
            }
        }
    });
    if keepalive {
        let frames = frames_tx.clone();
        let interval = channel.config.smux_keepalive_interval;
        let mut stopped = channel.stopped();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stopped.wait_for(|stop| *stop) => return,
                    _ = tokio::time::sleep(interval) => {}
                }
                if frames
                    .send(Frame::new(Command::Nop, 0, Vec::new()))
                    .is_err()
                {
                    return;
                }
            }
        });
    }
    let mut reader = FrameReader::default();
    let mut streams: HashMap<u32, mpsc::UnboundedSender<StreamEvent>> = HashMap::new();
    let mut stopped = channel.stopped();
    loop {
        let input = tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => return,
            Some(stream_id) = closed_rx.recv() => {
                streams.remove(&stream_id);
                continue;
            }
            input = inputs.recv() => match input {
                Some(input) => input,
                None => return,
            },
        };
        match input.payload_type {
            payload_type::OUTPUT => reader.push(&input.payload),
            payload_type::FLAG => {
                let value = flag_value(&input.payload);
                channel
                    .session
                    .update(|record| record.flags.push(value.unwrap_or(u32::MAX)));
                if value == Some(flag::TERMINATE_SESSION) {
                    channel
                        .finish("client sent the TerminateSession flag", "")
                        .await;
                    return;
                }
                continue;
            }
            other => {
                channel
                    .session
                    .problem(format!("payload type {other} in a port session"));
                continue;
            }
        }
        while let Some(frame) = reader.next_frame() {
            let frame = match frame {
                Ok(frame) => frame,
                Err(error) => {
                    channel.session.problem(error.to_string());
                    channel.finish("smux protocol error", "").await;
                    return;
                }
            };
            match frame.command {
                Command::Syn => {
                    if frame.stream_id % 2 == 0 {
                        channel.session.problem(format!(
                            "client opened smux stream {} (even ids are the agent's)",
                            frame.stream_id
                        ));
                    }
                    let (events_tx, events_rx) = mpsc::unbounded_channel();
                    streams.insert(frame.stream_id, events_tx);
                    channel.session.update(|record| record.streams_opened += 1);
                    tokio::spawn(carry_stream(
                        channel.clone(),
                        frame.stream_id,
                        destination.clone(),
                        events_rx,
                        frames_tx.clone(),
                        closed_tx.clone(),
                    ));
                }
                Command::Psh => {
                    if let Some(stream) = streams.get(&frame.stream_id) {
                        let _ = stream.send(StreamEvent::Data(frame.data));
                    }
                }
                Command::Fin => {
                    if let Some(stream) = streams.remove(&frame.stream_id) {
                        let _ = stream.send(StreamEvent::Fin);
                    }
                }
                Command::Nop => {}
            }
        }
    }
}

/// One smux stream and its TCP connection. As the agent does, the connection is closed whole
/// when either side finishes, and the stream's FIN is sent once.
async fn carry_stream(
    channel: Arc<Channel>,
    stream_id: u32,
    destination: Result<SocketAddr, String>,
    mut events: mpsc::UnboundedReceiver<StreamEvent>,
    frames: mpsc::UnboundedSender<Frame>,
    closed: mpsc::UnboundedSender<u32>,
) {
    let connection = match dial(&destination).await {
        Ok(connection) => connection,
        Err(error) => {
            channel
                .session
                .update(|record| record.connect_failures += 1);
            channel
                .session
                .fired(format!("stream {stream_id}: {error}"));
            channel.send_stream(
                payload_type::FLAG,
                flag::CONNECT_TO_PORT_ERROR.to_be_bytes().to_vec(),
            );
            let _ = frames.send(Frame::new(Command::Fin, stream_id, Vec::new()));
            let _ = closed.send(stream_id);
            return;
        }
    };
    let (mut from_target, mut to_target) = connection.into_split();
    let session = channel.session.clone();
    let to_target_task = async {
        while let Some(StreamEvent::Data(bytes)) = events.recv().await {
            session.update(|record| record.bytes_to_target += bytes.len() as u64);
            if to_target.write_all(&bytes).await.is_err() {
                break;
            }
        }
        let _ = to_target.shutdown().await;
    };
    let from_target_task = async {
        let mut buffer = vec![0u8; smux::MAX_FRAME_DATA];
        loop {
            match from_target.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(read) => {
                    session.update(|record| record.bytes_from_target += read as u64);
                    if frames
                        .send(Frame::new(Command::Psh, stream_id, buffer[..read].to_vec()))
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
    };
    tokio::select! {
        _ = to_target_task => {}
        _ = from_target_task => {}
    }
    let _ = frames.send(Frame::new(Command::Fin, stream_id, Vec::new()));
    let _ = closed.send(stream_id);
}

/// Stops a connection's reader when the connection is let go.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One TCP connection carried as raw bytes. A DisconnectToPort flag or the target closing ends
/// it; the next input from the client dials again.
async fn run_basic(
    channel: Arc<Channel>,
    mut inputs: mpsc::UnboundedReceiver<Input>,
    destination: Result<SocketAddr, String>,
) {
    channel
        .session
        .update(|record| record.port_mode = Some(PortMode::Basic));
    let (eof_tx, mut eof_rx) = mpsc::unbounded_channel::<u64>();
    let mut generation = 0u64;
    let connect = |generation: u64| {
        let channel = channel.clone();
        let destination = destination.clone();
        let eof_tx = eof_tx.clone();
        async move {
            let stream = match dial(&destination).await {
                Ok(stream) => stream,
                Err(error) => {
                    channel
                        .session
                        .update(|record| record.connect_failures += 1);
                    return Err(error);
                }
            };
            channel.session.update(|record| record.streams_opened += 1);
            let (mut from_target, to_target) = stream.into_split();
            let reader_channel = channel.clone();
            let reader = tokio::spawn(async move {
                let mut buffer = vec![0u8; reader_channel.config.max_payload];
                loop {
                    match from_target.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(read) => {
                            reader_channel
                                .session
                                .update(|record| record.bytes_from_target += read as u64);
                            reader_channel
                                .send_stream(payload_type::OUTPUT, buffer[..read].to_vec());
                        }
                    }
                }
                let _ = eof_tx.send(generation);
            });
            Ok((to_target, AbortOnDrop(reader)))
        }
    };
    let mut connection: Option<(OwnedWriteHalf, AbortOnDrop)> = match connect(generation).await {
        Ok(opened) => Some(opened),
        Err(error) => {
            channel.session.fired(error.clone());
            channel
                .finish(
                    "port not reachable",
                    &format!("Unable to connect to specified port: {error}"),
                )
                .await;
            return;
        }
    };
    let mut stopped = channel.stopped();
    loop {
        let input = tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => return,
            Some(ended) = eof_rx.recv() => {
                if ended == generation {
                    connection = None;
                }
                continue;
            }
            input = inputs.recv() => match input {
                Some(input) => input,
                None => return,
            },
        };
        match input.payload_type {
            payload_type::OUTPUT => {
                if connection.is_none() {
                    generation += 1;
                    match connect(generation).await {
                        Ok(opened) => connection = Some(opened),
                        Err(error) => {
                            channel.session.fired(error.clone());
                            channel
                                .finish(
                                    "port not reachable",
                                    &format!("Unable to connect to specified port: {error}"),
                                )
                                .await;
                            return;
                        }
                    }
                }
                if let Some((to_target, _)) = connection.as_mut() {
                    channel
                        .session
                        .update(|record| record.bytes_to_target += input.payload.len() as u64);
                    if to_target.write_all(&input.payload).await.is_err() {
                        connection = None;
                    }
                }
            }
            payload_type::FLAG => {
                let value = flag_value(&input.payload);
                channel
                    .session
                    .update(|record| record.flags.push(value.unwrap_or(u32::MAX)));
                match value {
                    Some(flag::DISCONNECT_TO_PORT) => {
                        connection = None;
                    }
                    Some(flag::TERMINATE_SESSION) => {
                        channel
                            .finish("client sent the TerminateSession flag", "")
                            .await;
                        return;
                    }
                    _ => channel
                        .session
                        .problem(format!("unexpected flag payload {:?}", input.payload)),
                }
            }
            other => channel
                .session
                .problem(format!("payload type {other} in a port session")),
        }
    }
}

#[cfg(test)]
mod tests;
