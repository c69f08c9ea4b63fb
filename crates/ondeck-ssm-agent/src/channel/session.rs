//! What runs behind a connected channel: the handshake, then the shell or the port session.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use super::{Channel, Input, flag_value};
use crate::agent::{ExitReport, HandshakeState, SessionKind};
use crate::port;
use crate::shell::{Effect, Started, onlcr};
use crate::wire::{flag, payload_type};

impl Channel {
    pub(super) async fn run_session(self: Arc<Self>, inputs: mpsc::UnboundedReceiver<Input>) {
        let (session_type, properties) = match &self.session.kind {
            SessionKind::Shell { session_type, .. } => (session_type.clone(), Value::Null),
            SessionKind::Port {
                port_number,
                host,
                local_port_number,
            } => {
                let mut properties =
                    json!({"portNumber": port_number.to_string(), "type": "LocalPortForwarding"});
                if let Some(host) = host {
                    properties["host"] = json!(host);
                }
                if let Some(local) = local_port_number {
                    properties["localPortNumber"] = json!(local);
                }
                ("Port".to_string(), properties)
            }
        };
        let handshake =
            matches!(self.session.kind, SessionKind::Port { .. }) || self.config.shell_handshake;
        if handshake {
            if !self.handshake(&session_type, properties).await {
                return;
            }
        } else {
            self.session
                .update(|record| record.handshake = HandshakeState::Skipped);
        }
        match self.session.kind.clone() {
            SessionKind::Shell { command, .. } => self.run_shell(&command, inputs).await,
            SessionKind::Port { .. } => port::run(self.clone(), inputs).await,
        }
    }

    /// HandshakeRequest, HandshakeResponse, HandshakeComplete; false when the session ended.
    async fn handshake(&self, session_type: &str, properties: Value) -> bool {
        let started = Instant::now();
        let (reply_tx, reply_rx) = oneshot::channel();
        *self.handshake_reply.lock().unwrap() = Some(reply_tx);
        self.handshake_in_progress.store(true, Ordering::SeqCst);
        let request = json!({
            "AgentVersion": self.config.agent_version,
            "RequestedClientActions": [{
                "ActionType": "SessionType",
                "ActionParameters": {"SessionType": session_type, "Properties": properties},
            }],
        });
        self.session
            .update(|record| record.handshake = HandshakeState::Requested);
        self.send_stream(
            payload_type::HANDSHAKE_REQUEST,
            request.to_string().into_bytes(),
        );
        let response = match tokio::time::timeout(self.config.handshake_timeout, reply_rx).await {
            Ok(Ok(response)) => response,
            _ => {
                let reason = "Handshake timed out. Please ensure that you have the latest version of the session manager plugin.";
                self.session
                    .update(|record| record.handshake = HandshakeState::Failed(reason.into()));
                self.finish(
                    "handshake timed out",
                    &format!("Encountered error while initiating handshake. {reason}"),
                )
                .await;
                return false;
            }
        };
        let client_version = response["ClientVersion"].as_str().map(str::to_string);
        let mut failure = None;
        match response["ProcessedClientActions"].as_array() {
            Some(actions) => {
                for action in actions {
                    if action["ActionStatus"].as_i64() != Some(1) {
                        failure = Some(format!(
                            "{} failed on client with status {} error: {}",
                            action["ActionType"].as_str().unwrap_or_default(),
                            action["ActionStatus"],
                            action["Error"].as_str().unwrap_or_default()
                        ));
                    }
                }
                if !actions
                    .iter()
                    .any(|action| action["ActionType"] == "SessionType")
                {
                    self.session
                        .problem("HandshakeResponse does not answer the SessionType action".into());
                }
            }
            None => self
                .session
                .problem("HandshakeResponse has no ProcessedClientActions".into()),
        }
        if client_version.as_deref().is_none_or(str::is_empty) {
            self.session
                .problem("HandshakeResponse has no ClientVersion".into());
        }
        self.session.update(|record| {
            record.client_version = client_version;
            record.handshake_response = Some(response);
        });
        if self.session.faults.refuse_handshake && failure.is_none() {
            self.session.fired("handshake refused".into());
            failure = Some("SessionType failed on client with status 2 error: refused".into());
        }
        if let Some(failure) = failure {
            self.session.update(|record| {
                record.handshake = if self.session.faults.refuse_handshake {
                    HandshakeState::Refused
                } else {
                    HandshakeState::Failed(failure.clone())
                }
            });
            self.finish(
                "handshake failed",
                &format!("Encountered error while initiating handshake. {failure}"),
            )
            .await;
            return false;
        }
        let complete = json!({
            "HandshakeTimeToComplete": started.elapsed().as_nanos() as u64,
            "CustomerMessage": "",
        });
        self.session
            .update(|record| record.handshake = HandshakeState::Completed);
        self.handshake_in_progress.store(false, Ordering::SeqCst);
        self.send_stream(
            payload_type::HANDSHAKE_COMPLETE,
            complete.to_string().into_bytes(),
        );
        true
    }

    async fn run_shell(&self, command: &str, mut inputs: mpsc::UnboundedReceiver<Input>) {
        let mut shell = match self.session.container.start(command) {
            Started::Terminal(shell) => shell,
            Started::Finished { output, status } => {
                self.send_output(&onlcr(&output));
                self.exit(status).await;
                return;
            }
            Started::Missing(program) => {
                let output = format!(
                    "Unable to start command: Failed to start pty: fork/exec {program}: no such file or directory\n\n"
                );
                self.finish("command not found in the container", &output)
                    .await;
                return;
            }
        };
        let prompt = shell.start();
        self.send_output(&prompt);
        let mut stopped = self.stopped();
        loop {
            let input = tokio::select! {
                _ = stopped.wait_for(|stop| *stop) => return,
                input = inputs.recv() => match input {
                    Some(input) => input,
                    None => return,
                },
            };
            match input.payload_type {
                payload_type::OUTPUT => {
                    self.session
                        .update(|record| record.input.extend_from_slice(&input.payload));
                    for effect in shell.input(&input.payload) {
                        match effect {
                            Effect::Output(bytes) => self.send_output(&bytes),
                            Effect::Exit(code) => {
                                self.exit(code).await;
                                return;
                            }
                        }
                    }
                }
                payload_type::SIZE => match serde_json::from_slice::<Value>(&input.payload) {
                    Ok(size) if size["cols"].is_u64() && size["rows"].is_u64() => {
                        let cols = size["cols"].as_u64().unwrap_or_default() as u32;
                        let rows = size["rows"].as_u64().unwrap_or_default() as u32;
                        shell.resize(cols, rows);
                        self.session
                            .update(|record| record.resizes.push((cols, rows)));
                    }
                    _ => self.session.problem(format!(
                        "Size payload is not {{\"cols\":N,\"rows\":N}}: {}",
                        String::from_utf8_lossy(&input.payload)
                    )),
                },
                payload_type::FLAG => {
                    let value = flag_value(&input.payload);
                    self.session
                        .update(|record| record.flags.push(value.unwrap_or(u32::MAX)));
                    if value == Some(flag::TERMINATE_SESSION) {
                        self.finish("client sent the TerminateSession flag", "")
                            .await;
                        return;
                    }
                }
                other => self
                    .session
                    .problem(format!("payload type {other} is not shell input")),
            }
        }
    }

    async fn exit(&self, code: i32) {
        self.session.update(|record| record.exit_code = Some(code));
        if self.config.exit_report == ExitReport::ExitCodePayload {
            self.send_stream(
                payload_type::EXIT_CODE,
                format!("EXIT_CODE: {code}").into_bytes(),
            );
        }
        self.finish(&format!("command exited with {code}"), "")
            .await;
    }
}
