//! TCP port forwarding over the data channel (SSM `StartSession` with a port-forwarding
//! document). Every local connection becomes one smux stream; the smux byte stream travels in
//! the channel's Output payloads (protocol §8.4).

use std::io;
use std::num::NonZeroU64;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use async_smux::{MuxBuilder, MuxConnector, MuxStream};
use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::{debug, warn};

use crate::channel::{Inbound, SessionKind};
use crate::connection::{self, EndWatch, Outbound};
use crate::error::{EndReason, SessionEnd, SessionError};
use crate::message::PayloadType;
use crate::payload::{Flag, version_is_greater};
use crate::{ChannelOptions, SessionParams};

/// Agents at or below this version only forward one connection at a time.
const MULTIPLEXING_AFTER_AGENT: &str = "3.0.196.0";
/// Agents at or below this version expect smux keep-alives from the client.
const NO_KEEPALIVE_AFTER_AGENT: &str = "3.1.1511.0";
const KEEPALIVE_INTERVAL_SECS: u64 = 10;
/// The in-process pipe between the smux session and the channel.
const PIPE_CAPACITY: usize = 256 * 1024;

/// Counters for the dashboard's list of forwards.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ForwardStats {
    pub bytes_to_remote: u64,
    pub bytes_from_remote: u64,
    pub connections_open: u64,
    pub connections_total: u64,
    /// Connections the agent could not carry because nothing listens on the remote port.
    pub connections_refused: u64,
}

#[derive(Default)]
struct Counters {
    to_remote: AtomicU64,
    from_remote: AtomicU64,
    open: AtomicU64,
    total: AtomicU64,
    refused: AtomicU64,
}

pub struct PortForward {
    connector: MuxConnector<DuplexStream>,
    outbound: mpsc::Sender<Outbound>,
    end: EndWatch,
    counters: Arc<Counters>,
    agent_version: Option<String>,
    _pumps: JoinSet<()>,
}

impl PortForward {
    /// Opens the channel and waits for the agent's handshake. Fails with the reason when the
    /// token is refused, the agent declines, or the agent is too old to multiplex.
    pub async fn connect(
        params: &SessionParams,
        options: &ChannelOptions,
    ) -> Result<PortForward, SessionError> {
        let connection::ChannelHandle {
            outbound,
            mut inbound,
            mut end,
        } = connection::open(params, options, SessionKind::PortForward).await?;
        let ready = loop {
            match inbound.recv().await {
                Some(Inbound::Ready(ready)) => break ready,
                Some(other) => debug!(?other, "before the port session was ready"),
                None => return Err(closed_during_handshake(end.wait().await)),
            }
        };
        let agent_version = ready.agent_version.clone().unwrap_or_default();
        if !version_is_greater(&agent_version, MULTIPLEXING_AFTER_AGENT) {
            return Err(SessionError::AgentTooOld {
                agent_version,
                what: "forwarding several connections (needs a version above 3.0.196.0)",
            });
        }
        if ready.port_type.as_deref() != Some("LocalPortForwarding") {
            return Err(SessionError::HandshakeRefused(format!(
                "the document's port session type is {:?}, not LocalPortForwarding",
                ready.port_type.unwrap_or_default()
            )));
        }

        let (mux_side, channel_side) = tokio::io::duplex(PIPE_CAPACITY);
        let mut builder = MuxBuilder::client();
        if !version_is_greater(&agent_version, NO_KEEPALIVE_AFTER_AGENT) {
            builder.with_keep_alive_interval(
                NonZeroU64::new(KEEPALIVE_INTERVAL_SECS).expect("non-zero"),
            );
        }
        let (connector, _acceptor, worker) = builder.with_connection(mux_side).build();
        let counters = Arc::new(Counters::default());
        let (from_pipe, to_pipe) = tokio::io::split(channel_side);
        let mut pumps = JoinSet::new();
        pumps.spawn(async move {
            if let Err(error) = worker.await {
                debug!(%error, "smux session ended");
            }
        });
        pumps.spawn(pipe_to_channel(
            from_pipe,
            outbound.clone(),
            options.chunk_size.max(1),
        ));
        pumps.spawn(channel_to_pipe(inbound, to_pipe, counters.clone()));
        Ok(PortForward {
            connector,
            outbound,
            end,
            counters,
            agent_version: ready.agent_version,
            _pumps: pumps,
        })
    }

    pub fn agent_version(&self) -> Option<&str> {
        self.agent_version.as_deref()
    }

    /// One new connection to the remote port, usable like a TCP stream. A refused remote
    /// port shows as a stream that ends at once (and in `stats().connections_refused`).
    pub fn open_stream(&self) -> Result<ForwardStream, SessionError> {
        if let Some(outcome) = self.end.get() {
            return Err(outcome.err().unwrap_or(SessionError::Ended));
        }
        let stream = self
            .connector
            .connect()
            .map_err(|error| SessionError::Protocol(format!("cannot open a stream: {error}")))?;
        Ok(ForwardStream { inner: stream })
    }

    /// Accepts local connections and carries each to the remote port until the session ends.
    pub async fn serve(&self, listener: TcpListener) -> Result<SessionEnd, SessionError> {
        let mut end = self.end.clone();
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                outcome = end.wait() => return outcome,
                accepted = listener.accept() => {
                    let (socket, peer) = match accepted {
                        Ok(accepted) => accepted,
                        Err(error) => {
                            warn!(%error, "accepting a local connection failed");
                            continue;
                        }
                    };
                    let stream = match self.open_stream() {
                        Ok(stream) => stream,
                        Err(error) => {
                            debug!(%peer, %error, "no stream for a local connection");
                            continue;
                        }
                    };
                    connections.spawn(carry(socket, stream, self.counters.clone()));
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    }

    pub fn stats(&self) -> ForwardStats {
        let c = &self.counters;
        ForwardStats {
            bytes_to_remote: c.to_remote.load(Ordering::Relaxed),
            bytes_from_remote: c.from_remote.load(Ordering::Relaxed),
            connections_open: c.open.load(Ordering::Relaxed),
            connections_total: c.total.load(Ordering::Relaxed),
            connections_refused: c.refused.load(Ordering::Relaxed),
        }
    }

    /// Asks the agent to end the port session, waits for that to be acknowledged and closes
    /// the channel. `TerminateSession` through the API remains the caller's job.
    pub async fn close(&self) -> Result<SessionEnd, SessionError> {
        let flag = Bytes::copy_from_slice(&Flag::TerminateSession.encode());
        // A failed send means the channel is already gone; its outcome says why.
        let _ = self
            .outbound
            .send(Outbound::Data(PayloadType::FLAG, flag))
            .await;
        let _ = self.outbound.send(Outbound::Close).await;
        self.ended().await
    }

    /// Resolves when the session has ended, with how it ended.
    pub async fn ended(&self) -> Result<SessionEnd, SessionError> {
        self.end.clone().wait().await
    }
}

/// The agent refuses a session by closing the channel with its reason (`channel_closed`):
/// that is a refusal, not a clean end.
fn closed_during_handshake(outcome: Result<SessionEnd, SessionError>) -> SessionError {
    match outcome {
        Err(error) => error,
        Ok(SessionEnd {
            reason:
                EndReason::ClosedByService {
                    message: Some(message),
                },
            ..
        }) => SessionError::HandshakeRefused(message),
        Ok(_) => SessionError::HandshakeRefused(
            "the channel was closed before the port session started".into(),
        ),
    }
}

/// smux bytes produced locally → Output messages.
async fn pipe_to_channel(
    mut from_pipe: tokio::io::ReadHalf<DuplexStream>,
    outbound: mpsc::Sender<Outbound>,
    chunk_size: usize,
) {
    let mut buffer = vec![0u8; chunk_size];
    loop {
        match from_pipe.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let data = Bytes::copy_from_slice(&buffer[..n]);
                if outbound
                    .send(Outbound::Data(PayloadType::OUTPUT, data))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}

/// Output messages from the agent → smux bytes for the local session.
async fn channel_to_pipe(
    mut inbound: mpsc::Receiver<Inbound>,
    mut to_pipe: tokio::io::WriteHalf<DuplexStream>,
    counters: Arc<Counters>,
) {
    while let Some(item) = inbound.recv().await {
        match item {
            Inbound::Output(bytes) => {
                if to_pipe.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Inbound::PortRefused => {
                counters.refused.fetch_add(1, Ordering::Relaxed);
            }
            other => debug!(?other, "not for the port session"),
        }
    }
    // The channel is over: end of file tells smux, and every stream fails with it.
    let _ = to_pipe.shutdown().await;
}

async fn carry(mut socket: TcpStream, stream: ForwardStream, counters: Arc<Counters>) {
    counters.total.fetch_add(1, Ordering::Relaxed);
    counters.open.fetch_add(1, Ordering::Relaxed);
    let mut counted = Counted {
        inner: stream,
        counters: counters.clone(),
    };
    if let Err(error) = tokio::io::copy_bidirectional(&mut socket, &mut counted).await {
        debug!(%error, "forwarded connection ended with an error");
    }
    counters.open.fetch_sub(1, Ordering::Relaxed);
}

/// A forwarded connection's remote end.
pub struct ForwardStream {
    inner: MuxStream<DuplexStream>,
}

impl AsyncRead for ForwardStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ForwardStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    /// Sends FIN: the agent then closes its connection to the port and answers with FIN.
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Counts bytes through a forwarded stream for `ForwardStats`.
struct Counted {
    inner: ForwardStream,
    counters: Arc<Counters>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = (buf.filled().len() - before) as u64;
        self.counters.from_remote.fetch_add(read, Ordering::Relaxed);
        polled
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = polled {
            self.counters
                .to_remote
                .fetch_add(written as u64, Ordering::Relaxed);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
