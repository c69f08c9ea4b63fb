//! One client connection to a session: opening, handshake, sequencing, acknowledgement,
//! retransmission, faults, and the end of the session.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use uuid::Uuid;

use crate::agent::{AckFault, AgentConfig, Control, OutputFault, SessionShared};
use crate::wire;
use crate::wire::{AgentMessage, FLAG_SYN, message_type, payload_type};

/// Flags of messages outside the stream sequence (acknowledge, channel_closed): SYN and FIN.
const UNSEQUENCED_FLAGS: u64 = 3;

/// A stream data payload the session's plugin has to act on, in sequence order.
pub(crate) struct Input {
    pub(crate) payload_type: u32,
    pub(crate) payload: Vec<u8>,
}

enum Outgoing {
    Frame(Message),
    /// Close with this frame, then stop.
    Close(CloseFrame),
    /// Stop without a close frame, once everything queued before it is written.
    Cut,
}

struct Pending {
    bytes: Vec<u8>,
    id: Uuid,
    /// None while a fault holds it back.
    last_sent: Option<Instant>,
}

#[derive(Default)]
struct Sequencing {
    next_output: i64,
    unacked: BTreeMap<i64, Pending>,
    held_for_reorder: Option<i64>,
    expected_input: i64,
    early_inputs: BTreeMap<i64, AgentMessage>,
    acks_withheld: usize,
}

pub(crate) struct Channel {
    pub(crate) session: Arc<SessionShared>,
    pub(crate) config: Arc<AgentConfig>,
    outgoing: mpsc::UnboundedSender<Outgoing>,
    state: Arc<Mutex<Sequencing>>,
    handshake_in_progress: AtomicBool,
    handshake_reply: Mutex<Option<oneshot::Sender<Value>>>,
    plugin_inputs: mpsc::UnboundedSender<Input>,
    stop: watch::Sender<bool>,
    finishing: AtomicBool,
}

pub(crate) async fn serve(
    socket: WebSocketStream<TcpStream>,
    session: Arc<SessionShared>,
    config: Arc<AgentConfig>,
) {
    let (mut sink, mut stream) = socket.split();
    let opening = tokio::time::timeout(config.handshake_timeout, stream.next()).await;
    let refusal = match opening {
        Ok(Some(Ok(Message::Text(text)))) => check_open(&session, text.as_str()),
        Ok(Some(Ok(other))) => Some(format!(
            "first frame is not the OpenDataChannel text: {other:?}"
        )),
        _ => Some("no OpenDataChannel message".to_string()),
    };
    if let Some(reason) = refusal {
        session.update(|record| record.rejected_connections.push(reason.clone()));
        let _ = sink
            .send(Message::Close(Some(CloseFrame {
                code: CloseCode::Policy,
                reason: reason.into(),
            })))
            .await;
        return;
    }

    let (outgoing_tx, mut outgoing_rx) = mpsc::unbounded_channel();
    let (control_tx, mut control_rx) = mpsc::unbounded_channel();
    let (plugin_tx, plugin_rx) = mpsc::unbounded_channel();
    let (stop_tx, _) = watch::channel(false);
    *session.control.lock().unwrap() = Some(control_tx);
    session.update(|record| record.connections += 1);
    let channel = Arc::new(Channel {
        session,
        config,
        outgoing: outgoing_tx,
        state: Arc::new(Mutex::new(Sequencing::default())),
        handshake_in_progress: AtomicBool::new(false),
        handshake_reply: Mutex::new(None),
        plugin_inputs: plugin_tx,
        stop: stop_tx,
        finishing: AtomicBool::new(false),
    });

    let mut stopped = channel.stop.subscribe();
    let writer_channel = channel.clone();
    let writer = tokio::spawn(async move {
        while let Some(outgoing) = outgoing_rx.recv().await {
            match outgoing {
                Outgoing::Frame(message) => {
                    if sink.send(message).await.is_err() {
                        break;
                    }
                }
                Outgoing::Close(frame) => {
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    writer_channel.stop.send_replace(true);
                    break;
                }
                Outgoing::Cut => {
                    writer_channel.stop.send_replace(true);
                    break;
                }
            }
        }
    });
    tokio::spawn(channel.clone().resend_loop());
    tokio::spawn(channel.clone().run_session(plugin_rx));

    loop {
        tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => break,
            control = control_rx.recv() => match control {
                Some(Control::Drop) => channel.drop_connection("dropped on request"),
                Some(Control::Terminate) => {
                    let channel = channel.clone();
                    tokio::spawn(async move { channel.finish("terminated by TerminateSession", "").await });
                }
                None => {}
            },
            frame = stream.next() => match frame {
                Some(Ok(Message::Binary(bytes))) => channel.on_binary(&bytes),
                Some(Ok(Message::Text(text))) => channel
                    .session
                    .problem(format!("text frame after the opening: {}", text.as_str())),
                Some(Ok(Message::Close(_))) | None => {
                    channel.session.end("client closed the connection");
                    break;
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => {
                    channel.session.end(&format!("connection failed: {error}"));
                    break;
                }
            },
        }
    }
    channel.stop.send_replace(true);
    // Whatever is still queued is lost, as on a real connection that went away.
    writer.abort();
}

fn check_open(session: &SessionShared, text: &str) -> Option<String> {
    let Ok(open) = serde_json::from_str::<Value>(text) else {
        return Some(format!("OpenDataChannel is not JSON: {text}"));
    };
    if session.is_ended() {
        return Some("session has ended".into());
    }
    if session.control.lock().unwrap().is_some() {
        return Some("session already has a connection".into());
    }
    if open["TokenValue"].as_str() != Some(session.token.as_str()) {
        return Some("token is not this session's".into());
    }
    let mut problems = Vec::new();
    if open["MessageSchemaVersion"].as_str() != Some("1.0") {
        problems.push("OpenDataChannel MessageSchemaVersion is not \"1.0\"".to_string());
    }
    if open["RequestId"]
        .as_str()
        .is_none_or(|id| Uuid::parse_str(id).is_err())
    {
        problems.push("OpenDataChannel RequestId is not a UUID".to_string());
    }
    for field in ["ClientId", "ClientVersion"] {
        if open[field].as_str().is_none_or(str::is_empty) {
            problems.push(format!("OpenDataChannel has no {field}"));
        }
    }
    session.update(|record| {
        record.open_request = Some(open);
        record.protocol_problems.extend(problems);
    });
    None
}

impl Channel {
    fn send_frame(&self, bytes: Vec<u8>) {
        let _ = self
            .outgoing
            .send(Outgoing::Frame(Message::Binary(bytes.into())));
    }

    pub(crate) fn stopped(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Sequences a stream data message, keeps it until acknowledged, and sends it unless a
    /// fault says otherwise.
    pub(crate) fn send_stream(&self, payload_type: u32, payload: Vec<u8>) {
        let mut state = self.state.lock().unwrap();
        let sequence = state.next_output;
        state.next_output += 1;
        let flags = if sequence == 0 { FLAG_SYN } else { 0 };
        let message = AgentMessage::new(
            message_type::OUTPUT_STREAM_DATA,
            sequence,
            flags,
            payload_type,
            payload,
        );
        let bytes = message.encode();
        let mut pending = Pending {
            bytes: bytes.clone(),
            id: message.message_id,
            last_sent: Some(Instant::now()),
        };
        match self.session.faults.output.get(&sequence) {
            None => self.send_frame(bytes),
            Some(OutputFault::Drop) => self.session.fired(format!("output {sequence} dropped")),
            Some(OutputFault::Duplicate) => {
                self.session.fired(format!("output {sequence} duplicated"));
                self.send_frame(bytes.clone());
                self.send_frame(bytes);
            }
            Some(OutputFault::Reorder) => {
                pending.last_sent = None;
                state.held_for_reorder = Some(sequence);
            }
            Some(OutputFault::Delay(delay)) => {
                pending.last_sent = None;
                let delay = *delay;
                let outgoing = self.outgoing.clone();
                let shared_state = self.state.clone();
                let session = self.session.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    session.fired(format!("output {sequence} delayed {delay:?}"));
                    if let Some(held) = shared_state.lock().unwrap().unacked.get_mut(&sequence) {
                        held.last_sent = Some(Instant::now());
                        let frame = Message::Binary(held.bytes.clone().into());
                        let _ = outgoing.send(Outgoing::Frame(frame));
                    }
                });
            }
        }
        state.unacked.insert(sequence, pending);
        self.session
            .update(|record| record.outputs_sequenced = sequence + 1);
        if state.held_for_reorder == Some(sequence - 1) {
            state.held_for_reorder = None;
            if let Some(held) = state.unacked.get_mut(&(sequence - 1)) {
                held.last_sent = Some(Instant::now());
                self.session
                    .fired(format!("output {} sent after {sequence}", sequence - 1));
                self.send_frame(held.bytes.clone());
            }
        }
        drop(state);
        if self.session.faults.drop_after_output == Some(sequence) {
            self.session
                .fired(format!("connection dropped after output {sequence}"));
            self.drop_connection("dropped by fault");
        }
    }

    /// Splits output into payload-sized messages, never inside a UTF-8 character.
    pub(crate) fn send_output(&self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let mut cut = rest.len().min(self.config.max_payload);
            if cut < rest.len() {
                let mut back = cut;
                while back + 3 > cut && back > 0 && rest[back] & 0xC0 == 0x80 {
                    back -= 1;
                }
                if back > 0 && rest[back] & 0xC0 != 0x80 {
                    cut = back;
                }
            }
            self.send_stream(payload_type::OUTPUT, rest[..cut].to_vec());
            rest = &rest[cut..];
        }
    }

    async fn resend_loop(self: Arc<Self>) {
        let mut stopped = self.stopped();
        loop {
            tokio::select! {
                _ = stopped.wait_for(|stop| *stop) => return,
                _ = tokio::time::sleep(self.config.resend_interval) => {}
            }
            let mut state = self.state.lock().unwrap();
            let due = state
                .unacked
                .values_mut()
                .find(|pending| pending.last_sent.is_some());
            if let Some(pending) = due
                && pending
                    .last_sent
                    .is_some_and(|sent| sent.elapsed() >= self.config.resend_timeout)
            {
                pending.last_sent = Some(Instant::now());
                self.session.update(|record| record.output_retransmits += 1);
                self.send_frame(pending.bytes.clone());
            }
        }
    }

    fn on_binary(self: &Arc<Self>, bytes: &[u8]) {
        let decoded = match AgentMessage::decode(bytes) {
            Ok(decoded) => decoded,
            Err(error) => {
                self.session.problem(format!("undecodable frame: {error}"));
                return;
            }
        };
        let message_type = decoded.message.message_type.clone();
        let problems = decoded.problems();
        if !problems.is_empty() {
            self.session.problem(format!(
                "{message_type} {}: {}",
                decoded.message.sequence_number,
                problems.join("; ")
            ));
        }
        if decoded.rejection().is_some() {
            return;
        }
        match message_type.as_str() {
            message_type::INPUT_STREAM_DATA => self.on_input(decoded.message),
            message_type::ACKNOWLEDGE => self.on_ack(&decoded.message),
            message_type::CHANNEL_CLOSED => {
                let channel = self.clone();
                tokio::spawn(async move { channel.finish("client sent channel_closed", "").await });
            }
            other => self
                .session
                .problem(format!("unexpected message type {other:?} from the client")),
        }
    }

    fn on_input(&self, message: AgentMessage) {
        let sequence = message.sequence_number;
        self.session
            .update(|record| *record.input_copies.entry(sequence).or_default() += 1);
        let mut state = self.state.lock().unwrap();
        if sequence == state.expected_input {
            self.deliver(message.clone());
            self.acknowledge(&mut state, &message);
            state.expected_input += 1;
            loop {
                let next = state.expected_input;
                let Some(early) = state.early_inputs.remove(&next) else {
                    break;
                };
                self.deliver(early);
                state.expected_input += 1;
            }
        } else {
            self.acknowledge(&mut state, &message);
            if sequence > state.expected_input {
                state.early_inputs.insert(sequence, message);
            }
        }
    }

    fn acknowledge(&self, state: &mut Sequencing, message: &AgentMessage) {
        let withhold = match self.session.faults.withhold_acks {
            AckFault::None => false,
            AckFault::All => true,
            AckFault::First(count) => state.acks_withheld < count,
        };
        if withhold {
            state.acks_withheld += 1;
            self.session.update(|record| record.acks_withheld += 1);
            self.session.fired(format!(
                "acknowledgement of input {} withheld",
                message.sequence_number
            ));
            return;
        }
        let content = json!({
            "AcknowledgedMessageType": message.message_type,
            "AcknowledgedMessageId": message.message_id.to_string(),
            "AcknowledgedMessageSequenceNumber": message.sequence_number,
            "IsSequentialMessage": true,
        });
        let ack = AgentMessage::new(
            message_type::ACKNOWLEDGE,
            0,
            UNSEQUENCED_FLAGS,
            0,
            content.to_string().into_bytes(),
        );
        self.session.update(|record| record.acks_sent += 1);
        self.send_frame(ack.encode());
    }

    fn deliver(&self, message: AgentMessage) {
        match message.payload_type {
            payload_type::HANDSHAKE_RESPONSE => {
                let reply = self.handshake_reply.lock().unwrap().take();
                match (reply, serde_json::from_slice::<Value>(&message.payload)) {
                    (Some(reply), Ok(response)) => {
                        let _ = reply.send(response);
                    }
                    (None, _) => self
                        .session
                        .problem("HandshakeResponse nobody asked for".into()),
                    (Some(_), Err(error)) => self
                        .session
                        .problem(format!("HandshakeResponse is not JSON: {error}")),
                }
            }
            _ if self.handshake_in_progress.load(Ordering::SeqCst) => {
                self.session
                    .update(|record| record.inputs_ignored_during_handshake += 1);
            }
            _ => {
                let _ = self.plugin_inputs.send(Input {
                    payload_type: message.payload_type,
                    payload: message.payload,
                });
            }
        }
    }

    fn on_ack(&self, message: &AgentMessage) {
        let Ok(content) = serde_json::from_slice::<Value>(&message.payload) else {
            self.session
                .problem("acknowledge payload is not JSON".into());
            return;
        };
        let Some(sequence) = content["AcknowledgedMessageSequenceNumber"].as_i64() else {
            self.session.problem(format!(
                "acknowledge without AcknowledgedMessageSequenceNumber: {content}"
            ));
            return;
        };
        self.session
            .update(|record| record.acks_received.push(sequence));
        if content["AcknowledgedMessageType"].as_str() != Some(message_type::OUTPUT_STREAM_DATA) {
            self.session.problem(format!(
                "acknowledge of {sequence} names type {}, not output_stream_data",
                content["AcknowledgedMessageType"]
            ));
        }
        let mut state = self.state.lock().unwrap();
        if sequence >= state.next_output {
            self.session.problem(format!(
                "acknowledge of output {sequence}, which was never sent"
            ));
            return;
        }
        if let Some(pending) = state.unacked.remove(&sequence) {
            let named = content["AcknowledgedMessageId"]
                .as_str()
                .unwrap_or_default();
            if named != pending.id.to_string() {
                self.session.problem(format!(
                    "acknowledge of output {sequence} names message id {named}, but it was sent as {}",
                    pending.id
                ));
            }
        }
    }

    /// Cuts the connection without a WebSocket close, as a network failure would, after what
    /// is already queued has been written.
    pub(crate) fn drop_connection(&self, reason: &str) {
        self.session.end(reason);
        let _ = self.outgoing.send(Outgoing::Cut);
    }

    /// Ends the session as the agent and service do: outstanding output gets up to
    /// `close_wait` to be acknowledged, then `channel_closed` (with `output` for the client to
    /// show) and a normal WebSocket close.
    pub(crate) async fn finish(&self, reason: &str, output: &str) {
        if self.finishing.swap(true, Ordering::SeqCst) {
            return;
        }
        let deadline = Instant::now() + self.config.close_wait;
        while Instant::now() < deadline && !self.state.lock().unwrap().unacked.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let content = json!({
            "MessageId": crate::wire::random_uuid().to_string(),
            "CreatedDate": iso8601(wire::now_millis()),
            "DestinationId": self.session.target,
            "SessionId": self.session.id,
            "MessageType": message_type::CHANNEL_CLOSED,
            "SchemaVersion": 1,
            "Output": output,
        });
        let closed = AgentMessage::new(
            message_type::CHANNEL_CLOSED,
            0,
            UNSEQUENCED_FLAGS,
            0,
            content.to_string().into_bytes(),
        );
        self.session.end(reason);
        self.send_frame(closed.encode());
        let _ = self.outgoing.send(Outgoing::Close(CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        }));
        // The writer stops the connection once the close frame is out; a client that stopped
        // reading is cut loose after close_wait.
        let mut stopped = self.stopped();
        let _ = tokio::time::timeout(self.config.close_wait, stopped.wait_for(|stop| *stop)).await;
        self.stop.send_replace(true);
    }
}

/// A FLAG payload: a big-endian u32.
pub(crate) fn flag_value(payload: &[u8]) -> Option<u32> {
    payload.try_into().ok().map(u32::from_be_bytes)
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for epoch milliseconds.
fn iso8601(millis: u64) -> String {
    let seconds = millis / 1000;
    let days = (seconds / 86_400) as i64;
    let of_day = seconds % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60,
        millis % 1000
    )
}

mod session;
#[cfg(test)]
mod tests;
