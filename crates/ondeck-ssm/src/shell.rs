//! An interactive shell over the data channel (ECS `ExecuteCommand`).
//!
//! ```no_run
//! # async fn demo(params: ondeck_ssm::SessionParams) -> Result<(), ondeck_ssm::SessionError> {
//! use ondeck_ssm::{ChannelOptions, Shell, ShellEvent};
//! let Shell { input, mut output } = Shell::connect(&params, &ChannelOptions::default()).await?;
//! input.resize(80, 24).await?;
//! let keys = tokio::spawn(async move {
//!     // read the terminal, then: input.write(bytes).await
//!     input
//! });
//! loop {
//!     match output.next().await {
//!         ShellEvent::Stdout(bytes) | ShellEvent::Stderr(bytes) => { /* write to the terminal */ }
//!         ShellEvent::Notice(text) => { /* sanitise, then show */ }
//!         ShellEvent::Ended(outcome) => { let _ = outcome?; break; }
//!     }
//! }
//! # drop(keys); Ok(()) }
//! ```

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::channel::{Inbound, SessionKind};
use crate::connection::{self, EndWatch, Outbound};
use crate::error::{SessionEnd, SessionError};
use crate::message::PayloadType;
use crate::payload::TerminalSize;
use crate::{ChannelOptions, SessionParams};

pub struct Shell {
    pub input: ShellInput,
    pub output: ShellOutput,
}

impl Shell {
    /// Opens the channel and sends the token. Returns once the WebSocket is up; whether the
    /// token was accepted shows as the first events (or as `Ended` with `ChannelRefused`).
    /// Input written before the agent is ready is queued and sent when it is.
    pub async fn connect(
        params: &SessionParams,
        options: &ChannelOptions,
    ) -> Result<Shell, SessionError> {
        let handle = connection::open(params, options, SessionKind::Shell).await?;
        Ok(Shell {
            input: ShellInput {
                outbound: handle.outbound,
                end: handle.end.clone(),
            },
            output: ShellOutput {
                inbound: handle.inbound,
                end: handle.end,
            },
        })
    }
}

/// Sends keystrokes and terminal sizes. Cheap to clone; all clones feed one ordered stream.
#[derive(Clone)]
pub struct ShellInput {
    outbound: mpsc::Sender<Outbound>,
    end: EndWatch,
}

impl ShellInput {
    /// Queues bytes for the remote terminal. Waits only when too much input is still
    /// unacknowledged. Fails with the reason once the session has ended.
    pub async fn write(&self, bytes: impl Into<Bytes>) -> Result<(), SessionError> {
        self.send(Outbound::Data(PayloadType::OUTPUT, bytes.into()))
            .await
    }

    /// Tells the remote pty the terminal's size. Send once at start and on every change.
    pub async fn resize(&self, cols: u16, rows: u16) -> Result<(), SessionError> {
        let size = TerminalSize {
            cols: cols.into(),
            rows: rows.into(),
        };
        let payload = serde_json::to_vec(&size).expect("size serialises");
        self.send(Outbound::Data(PayloadType::SIZE, Bytes::from(payload)))
            .await
    }

    /// Finishes sending queued input and closes the channel. This does not end the remote
    /// shell; `TerminateSession` does that. Dropping every `ShellInput` does not close the
    /// channel (output may still be coming); dropping the `ShellOutput` as well does.
    pub async fn close(&self) -> Result<(), SessionError> {
        self.send(Outbound::Close).await
    }

    async fn send(&self, item: Outbound) -> Result<(), SessionError> {
        if self.outbound.send(item).await.is_ok() {
            return Ok(());
        }
        match self.end.clone().wait().await {
            Err(error) => Err(error),
            Ok(_) => Err(SessionError::Ended),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellEvent {
    /// Terminal output, to be written to the terminal as it is.
    Stdout(Bytes),
    /// Standard error, for sessions that keep it apart (non-interactive commands).
    Stderr(Bytes),
    /// A message for the user from the agent or service. Unsanitised AWS text.
    Notice(String),
    /// The session is over. Repeated on every later call.
    Ended(Result<SessionEnd, SessionError>),
}

pub struct ShellOutput {
    inbound: mpsc::Receiver<Inbound>,
    end: EndWatch,
}

impl ShellOutput {
    /// The next event. Must be polled concurrently with input: output that is not read
    /// eventually stops the channel reading, and with it acknowledgements.
    pub async fn next(&mut self) -> ShellEvent {
        loop {
            match self.inbound.recv().await {
                Some(Inbound::Output(bytes)) => return ShellEvent::Stdout(bytes),
                Some(Inbound::Stderr(bytes)) => return ShellEvent::Stderr(bytes),
                Some(Inbound::Notice(text)) => return ShellEvent::Notice(text),
                Some(Inbound::Ready(_) | Inbound::PortRefused) => continue,
                None => return ShellEvent::Ended(self.end.wait().await),
            }
        }
    }

    /// How the session ended, if it has.
    pub fn outcome(&self) -> Option<Result<SessionEnd, SessionError>> {
        self.end.get()
    }
}
