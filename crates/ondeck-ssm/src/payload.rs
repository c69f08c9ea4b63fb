//! JSON and small binary payloads carried inside messages (protocol §2, §5.2, §6, §7, §8.3).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The first, text, frame on a new channel.
#[derive(Debug, Serialize)]
pub struct OpenDataChannel<'a> {
    #[serde(rename = "MessageSchemaVersion")]
    pub message_schema_version: &'a str,
    #[serde(rename = "RequestId")]
    pub request_id: String,
    #[serde(rename = "TokenValue")]
    pub token_value: &'a str,
    #[serde(rename = "ClientId")]
    pub client_id: String,
    #[serde(rename = "ClientVersion")]
    pub client_version: &'a str,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Acknowledgement {
    #[serde(rename = "AcknowledgedMessageType")]
    pub message_type: String,
    #[serde(rename = "AcknowledgedMessageId")]
    pub message_id: String,
    #[serde(rename = "AcknowledgedMessageSequenceNumber")]
    pub sequence_number: i64,
    #[serde(rename = "IsSequentialMessage")]
    pub is_sequential: bool,
}

#[derive(Debug, Deserialize, Default)]
pub struct ChannelClosed {
    #[serde(rename = "Output", default)]
    pub output: String,
}

#[derive(Debug, Deserialize)]
pub struct HandshakeRequest {
    #[serde(rename = "AgentVersion", default)]
    pub agent_version: String,
    #[serde(rename = "RequestedClientActions", default)]
    pub requested_client_actions: Vec<RequestedAction>,
}

#[derive(Debug, Deserialize)]
pub struct RequestedAction {
    #[serde(rename = "ActionType")]
    pub action_type: String,
    #[serde(rename = "ActionParameters", default)]
    pub action_parameters: Value,
}

#[derive(Debug, Deserialize, Default)]
pub struct SessionTypeParameters {
    #[serde(rename = "SessionType", default)]
    pub session_type: String,
    #[serde(rename = "Properties", default)]
    pub properties: Value,
}

#[derive(Debug, Serialize)]
pub struct HandshakeResponse {
    #[serde(rename = "ClientVersion")]
    pub client_version: String,
    #[serde(rename = "ProcessedClientActions")]
    pub processed_client_actions: Vec<ProcessedAction>,
    #[serde(rename = "Errors")]
    pub errors: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ProcessedAction {
    #[serde(rename = "ActionType")]
    pub action_type: String,
    #[serde(rename = "ActionStatus")]
    pub action_status: ActionStatus,
    #[serde(rename = "ActionResult")]
    pub action_result: Value,
    #[serde(rename = "Error")]
    pub error: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionStatus {
    Success,
    Failed,
    Unsupported,
}

impl Serialize for ActionStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(match self {
            ActionStatus::Success => 1,
            ActionStatus::Failed => 2,
            ActionStatus::Unsupported => 3,
        })
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct HandshakeComplete {
    #[serde(rename = "CustomerMessage", default)]
    pub customer_message: String,
}

#[derive(Debug, Serialize)]
pub struct TerminalSize {
    pub cols: u32,
    pub rows: u32,
}

/// Flag payload values (payload type 10, 4-byte big-endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    DisconnectToPort,
    TerminateSession,
    ConnectToPortError,
}

impl Flag {
    pub fn encode(self) -> [u8; 4] {
        let value: u32 = match self {
            Flag::DisconnectToPort => 1,
            Flag::TerminateSession => 2,
            Flag::ConnectToPortError => 3,
        };
        value.to_be_bytes()
    }

    pub fn decode(payload: &[u8]) -> Option<Flag> {
        let value = u32::from_be_bytes(payload.try_into().ok()?);
        match value {
            1 => Some(Flag::DisconnectToPort),
            2 => Some(Flag::TerminateSession),
            3 => Some(Flag::ConnectToPortError),
            _ => None,
        }
    }
}

/// The ExitCode payload is `EXIT_CODE: <n>`; a bare number is accepted too.
pub fn parse_exit_code(payload: &[u8]) -> Option<i32> {
    let text = std::str::from_utf8(payload).ok()?.trim();
    let number = text.strip_prefix("EXIT_CODE:").unwrap_or(text);
    number.trim().parse().ok()
}

/// Dotted-number version comparison as the reference client does it: strictly greater,
/// component by component; different component counts or non-numbers are "not greater".
pub fn version_is_greater(version: &str, threshold: &str) -> bool {
    let parse = |text: &str| -> Option<Vec<u64>> {
        text.split('.').map(|part| part.parse().ok()).collect()
    };
    match (parse(version), parse(threshold)) {
        (Some(a), Some(b)) if a.len() == b.len() => a > b,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
