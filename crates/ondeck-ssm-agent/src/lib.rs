//! The agent side of AWS Session Manager for tests: a loopback WebSocket server that speaks the
//! data channel protocol (as the SSM agent and its message gateway do), a toy shell and port
//! forwarding behind it, switchable faults, and an HTTP stand-in for ECS `ExecuteCommand` and
//! SSM `StartSession` / `TerminateSession` that hands out its sessions.
//!
//! It shares nothing with any client: its wire format is written from the protocol's public
//! description, so a test against it can catch a client that gets the protocol wrong.

pub mod agent;
pub mod api;
mod channel;
mod port;
pub mod shell;
pub mod smux;
pub mod wire;

pub use agent::{
    AckFault, Agent, AgentConfig, ExitReport, Faults, HandshakeState, OutputFault, PortMode,
    SessionHandle, SessionKind, SessionRecord, Ticket,
};
pub use api::{ApiStandIn, AwsError, Call};
