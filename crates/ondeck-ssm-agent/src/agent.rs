//! The agent side of Session Manager data channels on a loopback WebSocket server.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

use crate::channel;
use crate::shell::{Container, ToyContainer};

/// How the session's end is told to the client when a shell or command exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitReport {
    /// An `EXIT_CODE: N` payload of type 12, then `channel_closed` (the agent's
    /// NonInteractiveCommands plugin does this when it separates stdout and stderr).
    ExitCodePayload,
    /// `channel_closed` alone: no code (an interactive pty session of InteractiveCommands or
    /// Standard_Stream ends this way).
    ChannelClosedOnly,
}

#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Sent in the HandshakeRequest; a client picks smux port forwarding above 3.0.196.0.
    pub agent_version: String,
    /// Largest payload of one output message (the agent reads 1024 bytes at a time).
    pub max_payload: usize,
    /// How often unacknowledged output is looked at, and how old it must be to be sent again.
    pub resend_interval: Duration,
    pub resend_timeout: Duration,
    /// How long the end of a session waits for outstanding acknowledgements.
    pub close_wait: Duration,
    pub handshake_timeout: Duration,
    /// Shell sessions handshake first. The real agent skips it for shells unless the session is
    /// KMS-encrypted, so a client must cope with both.
    pub shell_handshake: bool,
    pub exit_report: ExitReport,
    /// What shell sessions run in, unless a session names its own
    /// ([`Agent::open_session_in`]).
    pub container: Arc<dyn Container>,
    /// NOP interval for smux sessions with keep-alive (clients of version 1.2.331.0 and older).
    pub smux_keepalive_interval: Duration,
    /// Where a remote port is really served; a port absent here is 127.0.0.1:PORT.
    pub port_routes: HashMap<u16, SocketAddr>,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            agent_version: "3.3.2299.0".into(),
            max_payload: 1024,
            resend_interval: Duration::from_millis(100),
            resend_timeout: Duration::from_millis(200),
            close_wait: Duration::from_secs(2),
            handshake_timeout: Duration::from_secs(15),
            shell_handshake: true,
            exit_report: ExitReport::ExitCodePayload,
            container: Arc::new(ToyContainer::default()),
            smux_keepalive_interval: Duration::from_secs(10),
            port_routes: HashMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionKind {
    /// A command in a pretend terminal; a bare shell program gives the toy shell.
    /// `session_type` is what the handshake names: InteractiveCommands for ECS exec,
    /// Standard_Stream for a plain shell session.
    Shell {
        command: String,
        session_type: String,
    },
    /// AWS-StartPortForwardingSession(ToRemoteHost): connections to `host:port_number`, where
    /// only loopback hosts are ever dialled.
    Port {
        port_number: u16,
        host: Option<String>,
        local_port_number: Option<String>,
    },
}

/// What StartSession / ExecuteCommand hand the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub session_id: String,
    pub stream_url: String,
    pub token_value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFault {
    /// The first send is lost; only retransmission delivers it.
    Drop,
    /// Sent twice in a row.
    Duplicate,
    /// Held back and sent right after the next output message (so there must be one: the
    /// shell's prompt after a command's output is).
    Reorder,
    /// Sent this much later, while later messages go on.
    Delay(Duration),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AckFault {
    #[default]
    None,
    /// The first N acknowledgements owed to the client are not sent.
    First(usize),
    /// No acknowledgement is ever sent.
    All,
}

/// Misbehaviour of one session, fixed when it is opened.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Answer the HandshakeResponse by closing the channel with an error, as the agent does
    /// when the client fails an action.
    pub refuse_handshake: bool,
    /// Drop the TCP connection, with no WebSocket close, right after output N is sent.
    pub drop_after_output: Option<i64>,
    pub withhold_acks: AckFault,
    /// By output sequence number (the handshake request is 0 when there is one).
    pub output: BTreeMap<i64, OutputFault>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortMode {
    Basic,
    Multiplexed,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum HandshakeState {
    #[default]
    NotStarted,
    Skipped,
    Requested,
    Completed,
    Refused,
    Failed(String),
}

/// Everything a test may assert about a session. `protocol_problems` lists each way the client
/// departed from what the session-manager-plugin sends; a conforming client leaves it empty.
#[derive(Debug, Clone, Default)]
pub struct SessionRecord {
    pub session_id: String,
    pub connections: u32,
    pub rejected_connections: Vec<String>,
    /// The client's OpenDataChannel text frame.
    pub open_request: Option<serde_json::Value>,
    pub handshake: HandshakeState,
    pub handshake_response: Option<serde_json::Value>,
    pub client_version: Option<String>,
    /// Terminal input bytes, in order, once each.
    pub input: Vec<u8>,
    /// (cols, rows) of each Size message.
    pub resizes: Vec<(u32, u32)>,
    /// Flag payloads received.
    pub flags: Vec<u32>,
    /// Times each input sequence number arrived; above 1 means the client sent it again.
    pub input_copies: BTreeMap<i64, u32>,
    pub inputs_ignored_during_handshake: u32,
    pub acks_sent: u64,
    pub acks_withheld: u64,
    /// Output sequence numbers the client acknowledged, in arrival order.
    pub acks_received: Vec<i64>,
    /// Output messages sequenced so far (the next sequence number).
    pub outputs_sequenced: i64,
    pub output_retransmits: u64,
    pub faults_fired: Vec<String>,
    pub protocol_problems: Vec<String>,
    pub port_mode: Option<PortMode>,
    pub streams_opened: u32,
    pub connect_failures: u32,
    /// Bytes the port targets received from the client and sent to it.
    pub bytes_to_target: u64,
    pub bytes_from_target: u64,
    pub exit_code: Option<i32>,
    pub terminated_by_api: bool,
    /// Why the session ended; None while it lasts.
    pub ended: Option<String>,
}

pub(crate) enum Control {
    Drop,
    Terminate,
}

pub(crate) struct SessionShared {
    pub(crate) id: String,
    pub(crate) token: String,
    pub(crate) target: String,
    pub(crate) kind: SessionKind,
    pub(crate) container: Arc<dyn Container>,
    pub(crate) faults: Faults,
    pub(crate) record: Mutex<SessionRecord>,
    pub(crate) control: Mutex<Option<mpsc::UnboundedSender<Control>>>,
    ended_tx: watch::Sender<bool>,
    /// Bumped on every change of the record, for `SessionHandle::wait_for`.
    changes: watch::Sender<u64>,
    ended_flag: (Mutex<bool>, Condvar),
}

impl SessionShared {
    pub(crate) fn update<T>(&self, change: impl FnOnce(&mut SessionRecord) -> T) -> T {
        let result = change(&mut self.record.lock().unwrap());
        self.changes.send_modify(|version| *version += 1);
        result
    }

    pub(crate) fn problem(&self, problem: String) {
        self.update(|record| record.protocol_problems.push(problem));
    }

    pub(crate) fn fired(&self, fault: String) {
        self.update(|record| record.faults_fired.push(fault));
    }

    pub(crate) fn is_ended(&self) -> bool {
        self.record.lock().unwrap().ended.is_some()
    }

    /// Marks the end once; later reasons are ignored.
    pub(crate) fn end(&self, reason: &str) {
        let first = self.update(|record| {
            let first = record.ended.is_none();
            if first {
                record.ended = Some(reason.to_string());
            }
            first
        });
        if first {
            self.control.lock().unwrap().take();
            self.ended_tx.send_replace(true);
            let (flag, condvar) = &self.ended_flag;
            *flag.lock().unwrap() = true;
            condvar.notify_all();
        }
    }

    fn send_control(&self, control: Control) -> bool {
        match self.control.lock().unwrap().as_ref() {
            Some(sender) => sender.send(control).is_ok(),
            None => false,
        }
    }
}

#[derive(Clone)]
pub struct SessionHandle {
    shared: Arc<SessionShared>,
}

impl SessionHandle {
    pub fn id(&self) -> &str {
        &self.shared.id
    }

    pub fn kind(&self) -> &SessionKind {
        &self.shared.kind
    }

    pub fn record(&self) -> SessionRecord {
        self.shared.record.lock().unwrap().clone()
    }

    /// Cuts the live connection as a network failure would; false when none is live.
    pub fn drop_connection(&self) -> bool {
        self.shared.send_control(Control::Drop)
    }

    /// Resolves with the record as soon as `done` holds of it (checked on every change).
    pub async fn wait_for(&self, done: impl Fn(&SessionRecord) -> bool) -> SessionRecord {
        let mut changes = self.shared.changes.subscribe();
        loop {
            let record = self.record();
            if done(&record) {
                return record;
            }
            // The sender lives as long as this handle's session.
            let _ = changes.changed().await;
        }
    }

    /// Resolves when the session has ended, with its final record.
    pub async fn ended(&self) -> SessionRecord {
        let mut ended = self.shared.ended_tx.subscribe();
        let _ = ended.wait_for(|ended| *ended).await;
        self.record()
    }

    /// For tests without a runtime: the final record, or None if `deadline` passes first.
    pub fn wait_ended(&self, deadline: Duration) -> Option<SessionRecord> {
        let (flag, condvar) = &self.shared.ended_flag;
        let guard = flag.lock().unwrap();
        let (guard, _) = condvar
            .wait_timeout_while(guard, deadline, |ended| !*ended)
            .unwrap();
        (*guard).then(|| self.record())
    }
}

pub(crate) struct AgentInner {
    pub(crate) config: Arc<AgentConfig>,
    port: u16,
    sessions: Mutex<Vec<Arc<SessionShared>>>,
    next_faults: Mutex<Faults>,
}

/// The server. Cloning shares it; it runs on its own thread until the process ends.
#[derive(Clone)]
pub struct Agent {
    inner: Arc<AgentInner>,
}

impl Agent {
    pub fn start(config: AgentConfig) -> Agent {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let config = Arc::new(config);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("agent runtime");
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind agent");
                let port = listener.local_addr().expect("agent address").port();
                let inner = Arc::new(AgentInner {
                    config,
                    port,
                    sessions: Mutex::new(Vec::new()),
                    next_faults: Mutex::new(Faults::default()),
                });
                ready_tx.send(inner.clone()).expect("agent ready");
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    tokio::spawn(accept(inner.clone(), stream));
                }
            });
        });
        Agent {
            inner: ready_rx.recv().expect("agent started"),
        }
    }

    /// `ws://127.0.0.1:PORT`
    pub fn ws_base(&self) -> String {
        format!("ws://127.0.0.1:{}", self.inner.port)
    }

    pub fn config(&self) -> &AgentConfig {
        &self.inner.config
    }

    /// Faults for every session opened from now on.
    pub fn set_faults(&self, faults: Faults) {
        *self.inner.next_faults.lock().unwrap() = faults;
    }

    /// Opens a session the client may connect to with the ticket. `target` is what the
    /// session serves (`ecs:cluster_task_runtime`), named back in `channel_closed`.
    pub fn open_session(&self, kind: SessionKind, target: &str, id_prefix: &str) -> Ticket {
        let container = self.inner.config.container.clone();
        self.open_session_in(kind, target, id_prefix, container)
    }

    /// As `open_session`, with a shell session's command run in `container`.
    pub fn open_session_in(
        &self,
        kind: SessionKind,
        target: &str,
        id_prefix: &str,
        container: Arc<dyn Container>,
    ) -> Ticket {
        let id = format!(
            "{id_prefix}-{}",
            &crate::wire::random_uuid().simple().to_string()[..17]
        );
        let token = format!(
            "{}{}",
            crate::wire::random_uuid().simple(),
            crate::wire::random_uuid().simple()
        );
        let (ended_tx, _) = watch::channel(false);
        let shared = Arc::new(SessionShared {
            id: id.clone(),
            token: token.clone(),
            target: target.to_string(),
            kind,
            container,
            faults: self.inner.next_faults.lock().unwrap().clone(),
            record: Mutex::new(SessionRecord {
                session_id: id.clone(),
                ..SessionRecord::default()
            }),
            control: Mutex::new(None),
            ended_tx,
            changes: watch::channel(0).0,
            ended_flag: (Mutex::new(false), Condvar::new()),
        });
        self.inner.sessions.lock().unwrap().push(shared);
        Ticket {
            stream_url: format!(
                "{}/v1/data-channel/{id}?role=publish_subscribe&cell-number=AAEAAQ",
                self.ws_base()
            ),
            session_id: id,
            token_value: token,
        }
    }

    pub fn session(&self, id: &str) -> Option<SessionHandle> {
        self.inner
            .sessions
            .lock()
            .unwrap()
            .iter()
            .find(|session| session.id == id)
            .map(|shared| SessionHandle {
                shared: shared.clone(),
            })
    }

    pub fn sessions(&self) -> Vec<SessionHandle> {
        self.inner
            .sessions
            .lock()
            .unwrap()
            .iter()
            .map(|shared| SessionHandle {
                shared: shared.clone(),
            })
            .collect()
    }

    pub fn last_session(&self) -> Option<SessionHandle> {
        self.sessions().pop()
    }

    /// As TerminateSession: a live channel is closed; a session never connected just ends.
    pub fn terminate(&self, id: &str) -> bool {
        let Some(handle) = self.session(id) else {
            return false;
        };
        handle
            .shared
            .update(|record| record.terminated_by_api = true);
        if !handle.shared.send_control(Control::Terminate) {
            handle.shared.end("terminated before any connection");
        }
        true
    }

    fn find(inner: &AgentInner, id: &str) -> Option<Arc<SessionShared>> {
        inner
            .sessions
            .lock()
            .unwrap()
            .iter()
            .find(|session| session.id == id)
            .cloned()
    }
}

async fn accept(inner: Arc<AgentInner>, stream: tokio::net::TcpStream) {
    // Small frames both ways; Nagle would add tens of milliseconds to every round trip.
    let _ = stream.set_nodelay(true);
    let mut found: Option<Arc<SessionShared>> = None;
    // The callback's signature is tungstenite's.
    #[allow(clippy::result_large_err)]
    let lookup = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        let id = request
            .uri()
            .path()
            .strip_prefix("/v1/data-channel/")
            .unwrap_or_default();
        match Agent::find(&inner, id) {
            Some(session) => {
                found = Some(session);
                Ok(response)
            }
            None => {
                let mut refusal =
                    ErrorResponse::new(Some(format!("no session at {}", request.uri())));
                *refusal.status_mut() = StatusCode::NOT_FOUND;
                Err(refusal)
            }
        }
    };
    let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, lookup).await else {
        return;
    };
    if let Some(session) = found {
        channel::serve(socket, session, inner.config.clone()).await;
    }
}
