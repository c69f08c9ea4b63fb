//! The task that owns one data channel: the WebSocket, the clock, and the protocol state.
//! Session layers talk to it through two channels (data in, data out) and a watch that
//! carries how the session ended.

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::time::{MissedTickBehavior, interval_at, sleep, sleep_until, timeout};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};
use tracing::debug;

use crate::channel::{Channel, ChannelSettings, Effect, Inbound, SessionKind};
use crate::error::{EndReason, SessionEnd, SessionError};
use crate::message::{PayloadType, random_uuid};
use crate::payload::OpenDataChannel;
use crate::{ChannelOptions, SessionParams};

/// Deliveries held while the session layer is slow; the WebSocket is not read past this.
const MAX_HELD_DELIVERIES: usize = 64;

pub(crate) enum Outbound {
    Data(PayloadType, Bytes),
    /// Finish sending what is queued, wait for it to be acknowledged, close the channel.
    Close,
}

type Outcome = Option<Result<SessionEnd, SessionError>>;

/// How the session ended, once it has.
#[derive(Clone)]
pub(crate) struct EndWatch(watch::Receiver<Outcome>);

impl EndWatch {
    pub(crate) async fn wait(&mut self) -> Result<SessionEnd, SessionError> {
        match self.0.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.clone().expect("waited for Some"),
            // The task always publishes before it finishes, so this only happens if it panicked.
            Err(_) => Err(SessionError::Protocol(
                "the channel task stopped unexpectedly".into(),
            )),
        }
    }

    pub(crate) fn get(&self) -> Outcome {
        self.0.borrow().clone()
    }
}

pub(crate) struct ChannelHandle {
    pub(crate) outbound: mpsc::Sender<Outbound>,
    pub(crate) inbound: mpsc::Receiver<Inbound>,
    pub(crate) end: EndWatch,
}

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the WebSocket, sends the token, and starts the channel task.
pub(crate) async fn open(
    params: &SessionParams,
    options: &ChannelOptions,
    kind: SessionKind,
) -> Result<ChannelHandle, SessionError> {
    let mut socket = dial(&params.stream_url, options).await?;
    let open = OpenDataChannel {
        message_schema_version: "1.0",
        request_id: random_uuid().hyphenated().to_string(),
        token_value: &params.token,
        client_id: random_uuid().hyphenated().to_string(),
        client_version: &options.client_version,
    };
    let text = serde_json::to_string(&open).expect("token message serialises");
    socket
        .send(WsMessage::text(text))
        .await
        .map_err(|error| SessionError::ChannelRefused {
            close: Some(error.to_string()),
        })?;

    let (outbound_tx, outbound_rx) = mpsc::channel(16);
    let (inbound_tx, inbound_rx) = mpsc::channel(64);
    let (end_tx, end_rx) = watch::channel(None);
    let channel = Channel::new(kind, settings(options));
    let task = ChannelTask {
        socket,
        channel,
        kind,
        options: options.clone(),
        outbound: outbound_rx,
        inbound: inbound_tx,
    };
    tokio::spawn(async move {
        let outcome = task.run().await;
        debug!(?outcome, "data channel finished");
        let _ = end_tx.send(Some(outcome));
    });
    Ok(ChannelHandle {
        outbound: outbound_tx,
        inbound: inbound_rx,
        end: EndWatch(end_rx),
    })
}

fn settings(options: &ChannelOptions) -> ChannelSettings {
    ChannelSettings {
        client_version: options.client_version.clone(),
        chunk_size: options.chunk_size.max(1),
        outgoing_capacity: options.outgoing_capacity.max(1),
        reorder_capacity: options.reorder_capacity.max(1),
        retransmit_floor: options.retransmit_floor,
        retransmit_ceiling: options.retransmit_ceiling.max(options.retransmit_floor),
        delivery_timeout: options.delivery_timeout,
    }
}

async fn dial(url: &str, options: &ChannelOptions) -> Result<Socket, SessionError> {
    let mut request = url
        .into_client_request()
        .map_err(|error| SessionError::InvalidUrl(format!("{url}: {error}")))?;
    let host = request.uri().host().unwrap_or_default().to_owned();
    let connector = match request.uri().scheme_str() {
        Some("wss") => Some(Connector::Rustls(tls_config().map_err(|detail| {
            SessionError::Connect {
                host: host.clone(),
                detail,
            }
        })?)),
        Some("ws") => Some(Connector::Plain),
        _ => return Err(SessionError::InvalidUrl(url.to_owned())),
    };
    for (name, value) in &options.extra_headers {
        let name = tungstenite::http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|error| SessionError::InvalidUrl(format!("header {name}: {error}")))?;
        let value = tungstenite::http::HeaderValue::from_str(value)
            .map_err(|error| SessionError::InvalidUrl(format!("header {name}: {error}")))?;
        request.headers_mut().insert(name, value);
    }
    let connecting =
        tokio_tungstenite::connect_async_tls_with_config(request, None, true, connector);
    match timeout(options.connect_timeout, connecting).await {
        Err(_) => Err(SessionError::Connect {
            host,
            detail: format!("no answer within {:?}", options.connect_timeout),
        }),
        Ok(Err(error)) => Err(SessionError::Connect {
            host,
            detail: describe_dial_error(error),
        }),
        Ok(Ok((socket, _response))) => Ok(socket),
    }
}

fn describe_dial_error(error: tungstenite::Error) -> String {
    match error {
        tungstenite::Error::Http(response) => {
            let status = response.status();
            let body: String = response
                .body()
                .as_deref()
                .map(|body| String::from_utf8_lossy(body).chars().take(200).collect())
                .unwrap_or_default();
            if body.is_empty() {
                format!("the server refused the WebSocket upgrade with HTTP {status}")
            } else {
                format!("the server refused the WebSocket upgrade with HTTP {status}: {body}")
            }
        }
        tungstenite::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

/// TLS with the ring provider and the system's trusted roots, loaded once.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            if roots.is_empty() {
                return Err("no trusted root certificates were found on this system".into());
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|error| error.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
}

struct ChannelTask {
    socket: Socket,
    channel: Channel,
    kind: SessionKind,
    options: ChannelOptions,
    outbound: mpsc::Receiver<Outbound>,
    inbound: mpsc::Sender<Inbound>,
}

impl ChannelTask {
    async fn run(mut self) -> Result<SessionEnd, SessionError> {
        let started = tokio::time::Instant::now();
        let mut effects = Vec::new();
        let mut held: VecDeque<Inbound> = VecDeque::new();
        let mut closing_by: Option<tokio::time::Instant> = None;
        let mut pings = interval_at(
            started + self.options.ping_interval,
            self.options.ping_interval,
        );
        pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last_heard = Instant::now();
        // Only a peer that has answered a ping can be judged unresponsive by silence.
        let mut peer_answers_pings = false;
        let silent_grace = sleep(self.options.ready_without_handshake_after);
        tokio::pin!(silent_grace);
        let mut grace_over = self.kind != SessionKind::Shell;
        let ready_deadline = started + self.options.ready_timeout;
        let mut inputs_open = true;

        loop {
            for effect in effects.drain(..) {
                match effect {
                    Effect::Transmit(frame) => self.transmit(WsMessage::Binary(frame)).await?,
                    Effect::Deliver(item) => held.push_back(item),
                    Effect::End(outcome) => {
                        self.finish(held).await;
                        return outcome;
                    }
                }
            }
            let abandoned =
                !inputs_open && (self.kind == SessionKind::PortForward || self.inbound.is_closed());
            if abandoned && closing_by.is_none() {
                closing_by = Some(tokio::time::Instant::now() + self.options.drain_timeout);
            }
            if closing_by.is_some() && self.channel.all_acknowledged() {
                self.finish(held).await;
                return Ok(self.closed_by_client());
            }

            let retransmit_at = self.channel.next_deadline();
            let mut drain_expired = false;
            let mut ping_due = false;
            tokio::select! {
                biased;
                permit = self.inbound.reserve(), if !held.is_empty() => match permit {
                    Ok(permit) => permit.send(held.pop_front().expect("not empty")),
                    // Nobody reads any more; keep the protocol going, drop the data.
                    Err(_) => held.clear(),
                },
                frame = self.socket.next(), if held.len() < MAX_HELD_DELIVERIES => {
                    last_heard = Instant::now();
                    match frame {
                        Some(Ok(WsMessage::Binary(data))) => {
                            self.channel.on_frame(data, Instant::now(), &mut effects);
                        }
                        Some(Ok(WsMessage::Pong(_))) => peer_answers_pings = true,
                        Some(Ok(WsMessage::Close(close))) => {
                            return Err(self.channel.lost(describe_close(close)));
                        }
                        Some(Ok(_)) => {}
                        Some(Err(error)) => return Err(self.channel.lost(error.to_string())),
                        None => {
                            return Err(self.channel.lost("the connection closed".into()));
                        }
                    }
                }
                command = self.outbound.recv(),
                    if inputs_open && closing_by.is_none() && self.channel.accepts_input() =>
                {
                    match command {
                        Some(Outbound::Data(payload_type, data)) => {
                            self.channel.send_input(payload_type, data, Instant::now(), &mut effects);
                        }
                        Some(Outbound::Close) => {
                            closing_by = Some(tokio::time::Instant::now() + self.options.drain_timeout);
                        }
                        // A shell whose input handles are gone may still be producing output
                        // for a reader; only when nobody reads either is the channel closed.
                        None => inputs_open = false,
                    }
                }
                () = sleep_until_instant(retransmit_at), if retransmit_at.is_some() => {
                    self.channel.on_timer(Instant::now(), &mut effects);
                }
                _ = pings.tick() => {
                    let silent_for = last_heard.elapsed();
                    if peer_answers_pings && silent_for > self.options.idle_timeout {
                        return Err(SessionError::Unresponsive(silent_for));
                    }
                    ping_due = true;
                }
                () = &mut silent_grace, if !grace_over => {
                    grace_over = true;
                    self.channel.ready_without_handshake(&mut effects);
                }
                () = sleep_until(ready_deadline),
                    if self.kind == SessionKind::PortForward && !self.channel.is_ready() =>
                {
                    return Err(SessionError::HandshakeTimeout(self.options.ready_timeout));
                }
                () = sleep_until(closing_by.unwrap_or(ready_deadline)), if closing_by.is_some() => {
                    debug!("closing with messages still unacknowledged");
                    drain_expired = true;
                }
            }
            if ping_due {
                self.transmit(WsMessage::Ping(Bytes::from_static(b"keepalive")))
                    .await?;
            }
            if drain_expired {
                self.finish(held).await;
                return Ok(self.closed_by_client());
            }
        }
    }

    fn closed_by_client(&self) -> SessionEnd {
        SessionEnd {
            reason: EndReason::ClosedByClient,
            exit_code: self.channel.exit_code(),
        }
    }

    /// Sends one WebSocket message. A peer that stops reading would otherwise stall the task
    /// (and its timers) forever.
    async fn transmit(&mut self, message: WsMessage) -> Result<(), SessionError> {
        match timeout(self.options.idle_timeout, self.socket.send(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(self.channel.lost(error.to_string())),
            Err(_) => Err(SessionError::Unresponsive(self.options.idle_timeout)),
        }
    }

    /// Hands over what is still held, then closes the WebSocket politely; bounded, so that a
    /// reader that stopped reading cannot keep the session's end from being published.
    async fn finish(&mut self, held: VecDeque<Inbound>) {
        let inbound = &self.inbound;
        let socket = &mut self.socket;
        let wind_down = async move {
            for item in held {
                if inbound.send(item).await.is_err() {
                    break;
                }
            }
            let _ = socket.close(None).await;
        };
        if timeout(self.options.drain_timeout, wind_down)
            .await
            .is_err()
        {
            debug!("gave up handing over the last output");
        }
    }
}

async fn sleep_until_instant(deadline: Option<Instant>) {
    if let Some(deadline) = deadline {
        sleep_until(tokio::time::Instant::from_std(deadline)).await;
    }
}

fn describe_close(close: Option<CloseFrame>) -> String {
    match close {
        Some(frame) if frame.reason.is_empty() => format!("closed with code {}", frame.code),
        Some(frame) => format!("closed with code {}: {}", frame.code, frame.reason),
        None => "closed without a reason".into(),
    }
}
