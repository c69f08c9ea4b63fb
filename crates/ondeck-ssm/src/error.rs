use std::time::Duration;

/// How a session ended without error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEnd {
    pub reason: EndReason,
    /// The remote command's exit status, only when the session kind carries one
    /// (non-interactive commands); interactive shells never report it.
    pub exit_code: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// The service closed the channel: the command exited, the session was terminated
    /// through the API, or it timed out. `message` is the service's explanation, if any.
    ClosedByService { message: Option<String> },
    /// This side finished sending and closed the channel.
    ClosedByClient,
}

/// Why a session could not start or stopped abnormally. Each message says what happened;
/// the caller adds what the user can do about it in its own terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the stream URL is not a ws:// or wss:// URL: {0}")]
    InvalidUrl(String),
    #[error("could not open the data channel at {host}: {detail}")]
    Connect { host: String, detail: String },
    #[error(
        "the data channel was closed before the session started{}; the session token was refused or has expired",
        close_detail(.close)
    )]
    ChannelRefused { close: Option<String> },
    #[error("the agent refused the session: {0}")]
    HandshakeRefused(String),
    #[error("the agent did not start the session within {0:?}")]
    HandshakeTimeout(Duration),
    #[error(
        "the data channel dropped ({detail}); {unacknowledged} sent message(s) were not confirmed"
    )]
    ConnectionDropped {
        detail: String,
        unacknowledged: usize,
    },
    #[error("nothing was heard from the data channel for {0:?}; the connection is presumed dead")]
    Unresponsive(Duration),
    #[error(
        "message {sequence} was not acknowledged within {waited:?}; the agent stopped accepting input"
    )]
    DeliveryTimedOut { sequence: i64, waited: Duration },
    #[error("the agent (version {agent_version}) is too old for {what}")]
    AgentTooOld {
        agent_version: String,
        what: &'static str,
    },
    #[error("the session has already ended")]
    Ended,
    #[error("the agent broke the protocol: {0}")]
    Protocol(String),
}

fn close_detail(close: &Option<String>) -> String {
    match close {
        Some(detail) => format!(" ({detail})"),
        None => String::new(),
    }
}
