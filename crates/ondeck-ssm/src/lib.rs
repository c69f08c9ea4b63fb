//! A client for the Session Manager data channel: an interactive shell in a container
//! (from ECS `ExecuteCommand`) and TCP port forwarding (from SSM `StartSession` with a
//! port-forwarding document), spoken natively over a WebSocket.
//!
//! The caller makes the AWS calls (`ExecuteCommand` / `StartSession`, later
//! `TerminateSession`) and passes the session id, stream URL and token here. Each session runs
//! in its own tokio task; the caller holds cheap handles and never awaits the network on its
//! own key or render path: input is queued, output arrives on a channel.
//!
//! Protocol reference: `PROTOCOL.md` beside this crate (section numbers in comments refer to it).

mod channel;
mod connection;
mod error;
mod forward;
mod message;
mod payload;
mod sequencing;
mod shell;

use std::time::Duration;

pub use error::{EndReason, SessionEnd, SessionError};
pub use forward::{ForwardStats, ForwardStream, PortForward};
pub use shell::{Shell, ShellEvent, ShellInput, ShellOutput};

/// The version this client reports. Agents choose behaviour by it: multiplexed port
/// forwarding needs ≥ 1.1.70, and above 1.2.331.0 the agent stops sending smux keep-alives.
/// It names the reference client release whose behaviour this one follows.
pub const CLIENT_VERSION: &str = "1.2.677.0";

/// What `ExecuteCommand` or `StartSession` returned.
#[derive(Clone)]
pub struct SessionParams {
    pub session_id: String,
    pub stream_url: String,
    pub token: String,
}

impl std::fmt::Debug for SessionParams {
    // The token is a credential for the session: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionParams")
            .field("session_id", &self.session_id)
            .field("stream_url", &self.stream_url)
            .finish_non_exhaustive()
    }
}

/// Tuning knobs; the defaults follow the reference client where it has a value.
#[derive(Debug, Clone)]
pub struct ChannelOptions {
    pub client_version: String,
    /// Headers added to the WebSocket upgrade request.
    pub extra_headers: Vec<(String, String)>,
    pub connect_timeout: Duration,
    /// How long a port session may take to finish its handshake.
    pub ready_timeout: Duration,
    /// A shell without a handshake becomes ready on its first output, or after this long.
    pub ready_without_handshake_after: Duration,
    pub ping_interval: Duration,
    /// Silence (no frame, no pong) after which a peer that answers pings is presumed dead.
    pub idle_timeout: Duration,
    /// How long the oldest input may stay unacknowledged before the session is given up.
    pub delivery_timeout: Duration,
    /// How long a close waits for queued input to be acknowledged.
    pub drain_timeout: Duration,
    /// Largest payload per input message.
    pub chunk_size: usize,
    /// Unacknowledged input messages in flight before senders wait.
    pub outgoing_capacity: usize,
    /// Out-of-order output messages held while a gap is filled.
    pub reorder_capacity: usize,
    pub retransmit_floor: Duration,
    pub retransmit_ceiling: Duration,
}

impl Default for ChannelOptions {
    fn default() -> ChannelOptions {
        ChannelOptions {
            client_version: CLIENT_VERSION.to_owned(),
            extra_headers: Vec::new(),
            connect_timeout: Duration::from_secs(15),
            ready_timeout: Duration::from_secs(30),
            ready_without_handshake_after: Duration::from_secs(2),
            ping_interval: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(90),
            delivery_timeout: Duration::from_secs(300),
            drain_timeout: Duration::from_secs(2),
            chunk_size: 1024,
            outgoing_capacity: 2000,
            reorder_capacity: 10_000,
            retransmit_floor: Duration::from_millis(100),
            retransmit_ceiling: Duration::from_secs(1),
        }
    }
}
