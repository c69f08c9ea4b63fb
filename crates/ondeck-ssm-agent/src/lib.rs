//! The agent side of AWS Session Manager for tests: a loopback WebSocket server that speaks the
//! data channel protocol (as the SSM agent and its message gateway do), a toy shell and port
//! forwarding behind it, switchable faults, and an HTTP stand-in for ECS `ExecuteCommand` and
//! SSM `StartSession` / `TerminateSession` that hands out its sessions.
//!
//! It shares nothing with any client: its wire format is written from the protocol's public
//! description, so a test against it can catch a client that gets the protocol wrong.
//!
//! Two users: the tests, as the far side of the protocol, and the demo, which offers shells and
//! port forwards without AWS:
//!
//! ```no_run
//! use std::sync::Arc;
//! use ondeck_ssm_agent::{Agent, AgentConfig, DemoContainer, SessionKind};
//!
//! let mut config = AgentConfig::default();
//! // Remote port 8080 is served by a local stand-in service.
//! config.port_routes.insert(8080, "127.0.0.1:41234".parse().unwrap());
//! let agent = Agent::start(config); // listens on ws://127.0.0.1:<free port>
//! let env = vec![("APP_ENV".to_string(), "demo".to_string())];
//! let shell = SessionKind::Shell { command: "/bin/sh".into(), session_type: "InteractiveCommands".into() };
//! let ticket = agent.open_session_in(shell, "ecs:demo_task_runtime", "ecs-execute-command",
//!     Arc::new(DemoContainer::new("api-1", env)));
//! // ticket.stream_url and ticket.token_value are what ExecuteCommand would have answered.
//! # let _ = ticket;
//! ```

mod agent;
mod api;
mod channel;
mod port;
mod shell;
mod smux;
mod wire;

pub use agent::{
    AckFault, Agent, AgentConfig, ExitReport, Faults, HandshakeState, OutputFault, PortMode,
    SessionHandle, SessionKind, SessionRecord, Ticket,
};
pub use api::{ApiStandIn, AwsError, Call};
pub use shell::{
    Commands, Container, DemoContainer, Effect, LineShell, Started, Terminal, ToyContainer,
};
