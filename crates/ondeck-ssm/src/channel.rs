//! The data channel's protocol state, free of I/O: frames in, effects out. The connection
//! task (`connection.rs`) owns the WebSocket and the clock and carries out the effects.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::Value;
use tracing::{debug, warn};

use crate::error::{EndReason, SessionEnd, SessionError};
use crate::message::{FLAGS_UNSEQUENCED, Message, MessageType, PayloadType, random_uuid};
use crate::payload::{
    Acknowledgement, ActionStatus, ChannelClosed, Flag, HandshakeComplete, HandshakeRequest,
    HandshakeResponse, ProcessedAction, SessionTypeParameters, parse_exit_code,
};
use crate::sequencing::{Arrival, Incoming, Outgoing, RetransmitTimer};

/// Which session the caller asked for; the agent's handshake must agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Shell,
    PortForward,
}

impl SessionKind {
    fn accepts(self, session_type: &str) -> bool {
        match self {
            SessionKind::Shell => matches!(
                session_type,
                "Standard_Stream" | "InteractiveCommands" | "NonInteractiveCommands"
            ),
            SessionKind::PortForward => session_type == "Port",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            SessionKind::Shell => "shell",
            SessionKind::PortForward => "port forwarding",
        }
    }
}

/// What the agent said about itself once the session is ready.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadyInfo {
    pub agent_version: Option<String>,
    /// The port document's `type` property (`LocalPortForwarding` for local forwards).
    pub port_type: Option<String>,
}

/// Data for the session layer, in the order the agent sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    Ready(ReadyInfo),
    /// Text for the user from the agent or service; unsanitised AWS data.
    Notice(String),
    Output(Bytes),
    Stderr(Bytes),
    /// The agent could not connect to the forwarded port for a new stream.
    PortRefused,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Effect {
    Transmit(Bytes),
    Deliver(Inbound),
    End(Result<SessionEnd, SessionError>),
}

#[derive(Debug, Clone)]
pub struct ChannelSettings {
    pub client_version: String,
    pub chunk_size: usize,
    pub outgoing_capacity: usize,
    pub reorder_capacity: usize,
    pub retransmit_floor: Duration,
    pub retransmit_ceiling: Duration,
    pub delivery_timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitingAgent,
    Handshaking,
    Ready,
    Ended,
}

pub struct Channel {
    kind: SessionKind,
    settings: ChannelSettings,
    phase: Phase,
    paused: bool,
    heard_from_agent: bool,
    outgoing: Outgoing,
    incoming: Incoming,
    ready: ReadyInfo,
    exit_code: Option<i32>,
}

impl Channel {
    pub fn new(kind: SessionKind, settings: ChannelSettings) -> Channel {
        let timer = RetransmitTimer::new(settings.retransmit_floor, settings.retransmit_ceiling);
        Channel {
            kind,
            outgoing: Outgoing::new(settings.outgoing_capacity, timer),
            incoming: Incoming::new(settings.reorder_capacity),
            settings,
            phase: Phase::AwaitingAgent,
            paused: false,
            heard_from_agent: false,
            ready: ReadyInfo::default(),
            exit_code: None,
        }
    }

    pub fn is_ready(&self) -> bool {
        self.phase == Phase::Ready
    }

    /// Whether the session layer may hand over more input now.
    pub fn accepts_input(&self) -> bool {
        self.is_ready() && !self.paused && self.outgoing.has_room()
    }

    pub fn all_acknowledged(&self) -> bool {
        self.outgoing.is_empty()
    }

    pub fn exit_code(&self) -> Option<i32> {
        self.exit_code
    }

    /// Turns a lost connection into the error that explains it.
    pub fn lost(&self, detail: String) -> SessionError {
        if self.heard_from_agent {
            SessionError::ConnectionDropped {
                detail,
                unacknowledged: self.outgoing.len(),
            }
        } else {
            SessionError::ChannelRefused {
                close: Some(detail),
            }
        }
    }

    /// When `on_timer` next has work: the oldest unacknowledged message's retransmission.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.paused {
            return None;
        }
        self.outgoing.retransmit_deadline()
    }

    pub fn on_timer(&mut self, now: Instant, out: &mut Vec<Effect>) {
        if self.paused {
            return;
        }
        if let Some((sequence, waited)) = self.outgoing.oldest_unacknowledged(now)
            && waited >= self.settings.delivery_timeout
        {
            self.end(
                Err(SessionError::DeliveryTimedOut { sequence, waited }),
                out,
            );
            return;
        }
        if let Some(frame) = self.outgoing.due_for_retransmit(now) {
            out.push(Effect::Transmit(frame));
        }
    }

    /// A shell whose agent runs no handshake (the ECS ExecuteCommand case) and stays silent
    /// becomes ready after a grace period, so a command that prints nothing can still get input.
    pub fn ready_without_handshake(&mut self, out: &mut Vec<Effect>) {
        if self.kind == SessionKind::Shell && self.phase == Phase::AwaitingAgent {
            self.become_ready(out);
        }
    }

    /// Queues user data (keystrokes, port bytes, a flag, a size) as sequenced input messages.
    pub fn send_input(
        &mut self,
        payload_type: PayloadType,
        data: Bytes,
        now: Instant,
        out: &mut Vec<Effect>,
    ) {
        let mut rest = data;
        loop {
            let chunk = rest.split_to(rest.len().min(self.settings.chunk_size));
            self.send_stream(payload_type, chunk, now, out);
            if rest.is_empty() {
                break;
            }
        }
    }

    pub fn on_frame(&mut self, frame: Bytes, now: Instant, out: &mut Vec<Effect>) {
        if self.phase == Phase::Ended {
            return;
        }
        let message = match Message::decode(&frame) {
            Ok(message) => message,
            Err(error) => {
                // Both reference peers drop invalid frames; the sender retransmits.
                warn!(%error, "dropping an invalid data channel frame");
                return;
            }
        };
        match message.message_type {
            MessageType::OutputStreamData => {
                self.heard_from_agent = true;
                self.resume(now, out);
                self.on_stream_data(message, now, out);
            }
            MessageType::Acknowledge => {
                self.heard_from_agent = true;
                self.resume(now, out);
                match serde_json::from_slice::<Acknowledgement>(&message.payload) {
                    Ok(ack) => {
                        self.outgoing.acknowledge(ack.sequence_number, now);
                    }
                    Err(error) => warn!(%error, "ignoring a malformed acknowledgement"),
                }
            }
            MessageType::ChannelClosed => {
                let closed = serde_json::from_slice::<ChannelClosed>(&message.payload)
                    .unwrap_or_else(|_| ChannelClosed {
                        output: String::from_utf8_lossy(&message.payload).into_owned(),
                    });
                let text = closed.output.trim();
                let end = SessionEnd {
                    reason: EndReason::ClosedByService {
                        message: (!text.is_empty()).then(|| text.to_owned()),
                    },
                    exit_code: self.exit_code,
                };
                self.end(Ok(end), out);
            }
            MessageType::PausePublication => self.paused = true,
            MessageType::StartPublication => self.resume(now, out),
            MessageType::InputStreamData | MessageType::Other(_) => {
                debug!(
                    message_type = message.message_type.as_str(),
                    "ignoring message"
                );
            }
        }
    }

    fn on_stream_data(&mut self, message: Message, now: Instant, out: &mut Vec<Effect>) {
        match self.incoming.classify(message.sequence_number) {
            Arrival::InOrder => {
                self.acknowledge(&message, out);
                self.incoming.delivered();
                self.process(message, now, out);
                while self.phase != Phase::Ended
                    && let Some(next) = self.incoming.next_ready()
                {
                    self.process(next, now, out);
                }
            }
            Arrival::Early => {
                self.acknowledge(&message, out);
                self.incoming.keep_early(message);
            }
            // Re-acknowledging tells a sender whose acknowledgement was lost to stop resending.
            Arrival::Duplicate => self.acknowledge(&message, out),
            Arrival::Overflow => debug!(
                sequence = message.sequence_number,
                "reorder buffer full; dropping unacknowledged"
            ),
        }
    }

    fn process(&mut self, message: Message, now: Instant, out: &mut Vec<Effect>) {
        match message.payload_type {
            PayloadType::HANDSHAKE_REQUEST => self.on_handshake_request(&message.payload, now, out),
            PayloadType::HANDSHAKE_COMPLETE => {
                let complete: HandshakeComplete =
                    serde_json::from_slice(&message.payload).unwrap_or_default();
                self.become_ready(out);
                if !complete.customer_message.trim().is_empty() {
                    out.push(Effect::Deliver(Inbound::Notice(complete.customer_message)));
                }
            }
            PayloadType::ENC_CHALLENGE_REQUEST => self.end(
                Err(SessionError::HandshakeRefused(
                    "it asked for an encryption challenge, which this client does not support"
                        .into(),
                )),
                out,
            ),
            PayloadType::OUTPUT => {
                if self.kind == SessionKind::Shell && self.phase == Phase::AwaitingAgent {
                    self.become_ready(out);
                }
                if self.is_ready() {
                    out.push(Effect::Deliver(Inbound::Output(message.payload)));
                } else {
                    debug!("dropping output that arrived before the handshake completed");
                }
            }
            PayloadType::STDERR => out.push(Effect::Deliver(Inbound::Stderr(message.payload))),
            PayloadType::ERROR => out.push(Effect::Deliver(Inbound::Notice(
                String::from_utf8_lossy(&message.payload).into_owned(),
            ))),
            PayloadType::EXIT_CODE => self.exit_code = parse_exit_code(&message.payload),
            PayloadType::FLAG => match Flag::decode(&message.payload) {
                Some(Flag::ConnectToPortError) => out.push(Effect::Deliver(Inbound::PortRefused)),
                other => debug!(?other, "ignoring flag from the agent"),
            },
            other => debug!(payload_type = other.0, "ignoring payload type"),
        }
    }

    fn on_handshake_request(&mut self, payload: &[u8], now: Instant, out: &mut Vec<Effect>) {
        let request: HandshakeRequest = match serde_json::from_slice(payload) {
            Ok(request) => request,
            Err(error) => {
                self.end(
                    Err(SessionError::Protocol(format!(
                        "malformed handshake request: {error}"
                    ))),
                    out,
                );
                return;
            }
        };
        if !request.agent_version.is_empty() {
            self.ready.agent_version = Some(request.agent_version);
        }
        let mut refusal: Option<String> = None;
        let mut processed = Vec::new();
        for action in request.requested_client_actions {
            let (status, error) = match action.action_type.as_str() {
                "SessionType" => {
                    let parameters: SessionTypeParameters =
                        serde_json::from_value(action.action_parameters).unwrap_or_default();
                    if self.kind.accepts(&parameters.session_type) {
                        self.ready.port_type = parameters
                            .properties
                            .get("type")
                            .and_then(Value::as_str)
                            .map(str::to_owned);
                        (ActionStatus::Success, String::new())
                    } else {
                        (
                            ActionStatus::Failed,
                            format!(
                                "it offered a {:?} session where a {} session was expected",
                                parameters.session_type,
                                self.kind.describe()
                            ),
                        )
                    }
                }
                "KMSEncryption" => (
                    ActionStatus::Failed,
                    "the session requires KMS encryption of session data, which this client does not support".to_owned(),
                ),
                other => (
                    ActionStatus::Unsupported,
                    format!("it asked for {other:?}, which this client does not support"),
                ),
            };
            if status != ActionStatus::Success && refusal.is_none() {
                refusal = Some(error.clone());
            }
            processed.push(ProcessedAction {
                action_type: action.action_type,
                action_status: status,
                action_result: Value::Null,
                error,
            });
        }
        let response = HandshakeResponse {
            client_version: self.settings.client_version.clone(),
            errors: processed
                .iter()
                .filter(|action| !action.error.is_empty())
                .map(|action| action.error.clone())
                .collect(),
            processed_client_actions: processed,
        };
        let payload = serde_json::to_vec(&response).expect("handshake response serialises");
        self.phase = Phase::Handshaking;
        self.send_stream(
            PayloadType::HANDSHAKE_RESPONSE,
            Bytes::from(payload),
            now,
            out,
        );
        if let Some(reason) = refusal {
            // The agent cancels the session on any failed action; say why now.
            self.end(Err(SessionError::HandshakeRefused(reason)), out);
        }
    }

    fn become_ready(&mut self, out: &mut Vec<Effect>) {
        if self.phase != Phase::Ready && self.phase != Phase::Ended {
            self.phase = Phase::Ready;
            out.push(Effect::Deliver(Inbound::Ready(self.ready.clone())));
        }
    }

    fn send_stream(
        &mut self,
        payload_type: PayloadType,
        payload: Bytes,
        now: Instant,
        out: &mut Vec<Effect>,
    ) {
        let sequence = self.outgoing.take_sequence();
        let message = Message {
            message_type: MessageType::InputStreamData,
            schema_version: 1,
            created_date: epoch_millis(),
            sequence_number: sequence,
            flags: 0,
            message_id: random_uuid(),
            payload_type,
            payload,
        };
        let frame = message.encode().expect("known message type fits");
        self.outgoing.record(sequence, frame.clone(), now);
        // While paused the frame waits in the outgoing buffer; `resume` sends it.
        if !self.paused {
            out.push(Effect::Transmit(frame));
        }
    }

    fn acknowledge(&self, message: &Message, out: &mut Vec<Effect>) {
        let ack = Acknowledgement {
            message_type: message.message_type.as_str().to_owned(),
            message_id: message.message_id.hyphenated().to_string(),
            sequence_number: message.sequence_number,
            is_sequential: true,
        };
        let reply = Message {
            message_type: MessageType::Acknowledge,
            schema_version: 1,
            created_date: epoch_millis(),
            sequence_number: 0,
            flags: FLAGS_UNSEQUENCED,
            message_id: random_uuid(),
            payload_type: PayloadType::NONE,
            payload: Bytes::from(serde_json::to_vec(&ack).expect("ack serialises")),
        };
        out.push(Effect::Transmit(
            reply.encode().expect("known message type fits"),
        ));
    }

    /// Leaving a pause: everything unacknowledged goes out again, oldest first.
    fn resume(&mut self, now: Instant, out: &mut Vec<Effect>) {
        if std::mem::take(&mut self.paused) {
            out.extend(
                self.outgoing
                    .resend_all(now)
                    .into_iter()
                    .map(Effect::Transmit),
            );
        }
    }

    fn end(&mut self, result: Result<SessionEnd, SessionError>, out: &mut Vec<Effect>) {
        if self.phase != Phase::Ended {
            self.phase = Phase::Ended;
            out.push(Effect::End(result));
        }
    }
}

fn epoch_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests;
