//! The binary message every data channel frame carries, as the agent writes and reads it.
//!
//! Layout (all integers big-endian):
//!
//! | offset | size | field                                                    |
//! |-------:|-----:|----------------------------------------------------------|
//! |      0 |    4 | header length: 116, the offset of the payload length     |
//! |      4 |   32 | message type, UTF-8, right-padded with spaces            |
//! |     36 |    4 | schema version (1)                                       |
//! |     40 |    8 | created date, epoch milliseconds                         |
//! |     48 |    8 | sequence number (signed)                                 |
//! |     56 |    8 | flags: bit 0 SYN (first of a stream), bit 1 FIN          |
//! |     64 |   16 | message id: the UUID's bytes 8..16, then its bytes 0..8  |
//! |     80 |   32 | SHA-256 of the payload                                   |
//! |    112 |    4 | payload type                                             |
//! |    116 |    4 | payload length                                           |
//! |    120 |    n | payload                                                  |
//!
//! A reader finds the payload at `header length + 4`, not at a fixed offset, as the agent does.

use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const HEADER_LENGTH: u32 = 116;
pub const PAYLOAD_OFFSET: usize = 120;
const MESSAGE_TYPE_OFFSET: usize = 4;
const MESSAGE_TYPE_LENGTH: usize = 32;
const SCHEMA_VERSION_OFFSET: usize = 36;
const CREATED_DATE_OFFSET: usize = 40;
const SEQUENCE_NUMBER_OFFSET: usize = 48;
const FLAGS_OFFSET: usize = 56;
const MESSAGE_ID_OFFSET: usize = 64;
const DIGEST_OFFSET: usize = 80;
const PAYLOAD_TYPE_OFFSET: usize = 112;
const PAYLOAD_LENGTH_OFFSET: usize = 116;

/// Message types this side sends or reads (the service also has `start_publication` and
/// `pause_publication`, which this stand-in never sends).
pub mod message_type {
    pub const INPUT_STREAM_DATA: &str = "input_stream_data";
    pub const OUTPUT_STREAM_DATA: &str = "output_stream_data";
    pub const ACKNOWLEDGE: &str = "acknowledge";
    pub const CHANNEL_CLOSED: &str = "channel_closed";
}

/// Payload types of stream data messages this side uses (of the protocol's 1–12, it has no
/// use for Error 2, Parameter 4, the KMS challenge 8 and 9, and StdErr 11).
pub mod payload_type {
    pub const OUTPUT: u32 = 1;
    pub const SIZE: u32 = 3;
    pub const HANDSHAKE_REQUEST: u32 = 5;
    pub const HANDSHAKE_RESPONSE: u32 = 6;
    pub const HANDSHAKE_COMPLETE: u32 = 7;
    pub const FLAG: u32 = 10;
    pub const EXIT_CODE: u32 = 12;
}

/// Values of a `FLAG` payload: a big-endian u32.
pub mod flag {
    pub const DISCONNECT_TO_PORT: u32 = 1;
    pub const TERMINATE_SESSION: u32 = 2;
    pub const CONNECT_TO_PORT_ERROR: u32 = 3;
}

/// The flags word of a stream's first message (FIN, 2, marks none this side sends).
pub const FLAG_SYN: u64 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentMessage {
    pub message_type: String,
    pub schema_version: u32,
    pub created_date: u64,
    pub sequence_number: i64,
    pub flags: u64,
    pub message_id: Uuid,
    pub payload_type: u32,
    pub payload: Vec<u8>,
}

/// What a reader saw besides the message itself, kept so a peer's mistakes can be named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub message: AgentMessage,
    pub header_length: u32,
    pub declared_payload_length: u32,
    pub digest: [u8; 32],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// Shorter than the fixed header, or than its own header length says.
    Truncated { length: usize },
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WireError::Truncated { length } => write!(f, "message of {length} bytes is truncated"),
        }
    }
}

impl std::error::Error for WireError {}

/// A version 4 UUID from fastrand bytes (uuid's own `v4` feature is kept off: enabling it
/// rebuilds every crate that depends on uuid).
pub fn random_uuid() -> Uuid {
    let mut bytes = [0u8; 16];
    fastrand::fill(&mut bytes);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

pub fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(1)
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl AgentMessage {
    /// A message stamped now with a fresh id and schema version 1.
    pub fn new(
        message_type: &str,
        sequence_number: i64,
        flags: u64,
        payload_type: u32,
        payload: Vec<u8>,
    ) -> Self {
        AgentMessage {
            message_type: message_type.to_string(),
            schema_version: 1,
            created_date: now_millis(),
            sequence_number,
            flags,
            message_id: random_uuid(),
            payload_type,
            payload,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = vec![0u8; PAYLOAD_OFFSET + self.payload.len()];
        bytes[0..4].copy_from_slice(&HEADER_LENGTH.to_be_bytes());
        let name = self.message_type.as_bytes();
        assert!(
            name.len() <= MESSAGE_TYPE_LENGTH,
            "message type longer than 32 bytes"
        );
        let field = &mut bytes[MESSAGE_TYPE_OFFSET..MESSAGE_TYPE_OFFSET + MESSAGE_TYPE_LENGTH];
        field.fill(b' ');
        field[..name.len()].copy_from_slice(name);
        put(
            &mut bytes,
            SCHEMA_VERSION_OFFSET,
            &self.schema_version.to_be_bytes(),
        );
        put(
            &mut bytes,
            CREATED_DATE_OFFSET,
            &self.created_date.to_be_bytes(),
        );
        put(
            &mut bytes,
            SEQUENCE_NUMBER_OFFSET,
            &self.sequence_number.to_be_bytes(),
        );
        put(&mut bytes, FLAGS_OFFSET, &self.flags.to_be_bytes());
        put(
            &mut bytes,
            MESSAGE_ID_OFFSET,
            &uuid_to_wire(&self.message_id),
        );
        put(&mut bytes, DIGEST_OFFSET, &sha256(&self.payload));
        put(
            &mut bytes,
            PAYLOAD_TYPE_OFFSET,
            &self.payload_type.to_be_bytes(),
        );
        put(
            &mut bytes,
            PAYLOAD_LENGTH_OFFSET,
            &(self.payload.len() as u32).to_be_bytes(),
        );
        bytes[PAYLOAD_OFFSET..].copy_from_slice(&self.payload);
        bytes
    }

    /// Reads a message as the agent does: fixed offsets for the header fields, the payload from
    /// `header length + 4` to the end. Nothing is validated here; see [`Decoded::problems`].
    pub fn decode(bytes: &[u8]) -> Result<Decoded, WireError> {
        let truncated = WireError::Truncated {
            length: bytes.len(),
        };
        if bytes.len() < PAYLOAD_OFFSET {
            return Err(truncated);
        }
        let header_length = u32::from_be_bytes(array(bytes, 0));
        let payload_start = header_length as usize + 4;
        if payload_start > bytes.len() {
            return Err(truncated);
        }
        let name = &bytes[MESSAGE_TYPE_OFFSET..MESSAGE_TYPE_OFFSET + MESSAGE_TYPE_LENGTH];
        let message_type = String::from_utf8_lossy(name)
            .trim_matches(|c: char| c == '\0' || c.is_whitespace())
            .to_string();
        let message = AgentMessage {
            message_type,
            schema_version: u32::from_be_bytes(array(bytes, SCHEMA_VERSION_OFFSET)),
            created_date: u64::from_be_bytes(array(bytes, CREATED_DATE_OFFSET)),
            sequence_number: i64::from_be_bytes(array(bytes, SEQUENCE_NUMBER_OFFSET)),
            flags: u64::from_be_bytes(array(bytes, FLAGS_OFFSET)),
            message_id: uuid_from_wire(array(bytes, MESSAGE_ID_OFFSET)),
            payload_type: u32::from_be_bytes(array(bytes, PAYLOAD_TYPE_OFFSET)),
            payload: bytes[payload_start..].to_vec(),
        };
        Ok(Decoded {
            message,
            header_length,
            declared_payload_length: u32::from_be_bytes(array(bytes, PAYLOAD_LENGTH_OFFSET)),
            digest: array(bytes, DIGEST_OFFSET),
        })
    }
}

impl Decoded {
    /// Reasons the agent would drop this message unprocessed and unacknowledged.
    pub fn rejection(&self) -> Option<String> {
        let message = &self.message;
        if self.header_length == 0 {
            return Some("header length is zero".into());
        }
        if message.message_type.is_empty() {
            return Some("message type is empty".into());
        }
        if message.created_date == 0 {
            return Some("created date is zero".into());
        }
        if self.declared_payload_length != 0 && self.digest != sha256(&message.payload) {
            return Some(format!(
                "payload digest does not match the {} payload bytes",
                message.payload.len()
            ));
        }
        None
    }

    /// Departures from what the session-manager-plugin writes, even where the agent would cope.
    pub fn problems(&self) -> Vec<String> {
        let mut problems: Vec<String> = self.rejection().into_iter().collect();
        if self.header_length != HEADER_LENGTH {
            problems.push(format!(
                "header length is {}, not {HEADER_LENGTH}",
                self.header_length
            ));
        }
        if self.declared_payload_length as usize != self.message.payload.len() {
            problems.push(format!(
                "payload length field says {} but {} bytes follow",
                self.declared_payload_length,
                self.message.payload.len()
            ));
        }
        if self.declared_payload_length == 0 && self.digest != sha256(&[]) {
            problems.push("empty payload with a digest that is not SHA-256 of nothing".into());
        }
        if self.message.schema_version != 1 {
            problems.push(format!(
                "schema version is {}, not 1",
                self.message.schema_version
            ));
        }
        problems
    }
}

/// The id's two 8-byte halves go on the wire swapped: least significant half first.
pub fn uuid_to_wire(id: &Uuid) -> [u8; 16] {
    let bytes = id.as_bytes();
    let mut wire = [0u8; 16];
    wire[..8].copy_from_slice(&bytes[8..]);
    wire[8..].copy_from_slice(&bytes[..8]);
    wire
}

pub fn uuid_from_wire(wire: [u8; 16]) -> Uuid {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&wire[8..]);
    bytes[8..].copy_from_slice(&wire[..8]);
    Uuid::from_bytes(bytes)
}

fn put(bytes: &mut [u8], offset: usize, value: &[u8]) {
    bytes[offset..offset + value.len()].copy_from_slice(value);
}

fn array<const N: usize>(bytes: &[u8], offset: usize) -> [u8; N] {
    bytes[offset..offset + N]
        .try_into()
        .expect("offset checked against the header size")
}

#[cfg(test)]
mod tests;
