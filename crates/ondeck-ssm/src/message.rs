//! The binary message carried in every WebSocket binary frame of the data channel.
//!
//! Layout (all integers big-endian), see `PROTOCOL.md` §3:
//! `HeaderLength u32 | MessageType [u8;32] | SchemaVersion u32 | CreatedDate u64 |
//!  SequenceNumber i64 | Flags u64 | MessageId [u8;16] | PayloadDigest [u8;32] |
//!  PayloadType u32 | PayloadLength u32 | Payload`.

use bytes::{BufMut, Bytes, BytesMut};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const MESSAGE_TYPE_LEN: usize = 32;
const MESSAGE_TYPE_OFFSET: usize = 4;
const SCHEMA_VERSION_OFFSET: usize = MESSAGE_TYPE_OFFSET + MESSAGE_TYPE_LEN;
const CREATED_DATE_OFFSET: usize = SCHEMA_VERSION_OFFSET + 4;
const SEQUENCE_NUMBER_OFFSET: usize = CREATED_DATE_OFFSET + 8;
const FLAGS_OFFSET: usize = SEQUENCE_NUMBER_OFFSET + 8;
const MESSAGE_ID_OFFSET: usize = FLAGS_OFFSET + 8;
const DIGEST_OFFSET: usize = MESSAGE_ID_OFFSET + 16;
const PAYLOAD_TYPE_OFFSET: usize = DIGEST_OFFSET + 32;
const PAYLOAD_LENGTH_OFFSET: usize = PAYLOAD_TYPE_OFFSET + 4;
/// The value senders put in `HeaderLength`: the header up to, not including, `PayloadLength`.
pub const HEADER_LENGTH: u32 = PAYLOAD_LENGTH_OFFSET as u32;
/// Bytes before the payload.
pub const PAYLOAD_OFFSET: usize = PAYLOAD_LENGTH_OFFSET + 4;

/// Flags value both peers put on acknowledgements (SYN | FIN).
pub const FLAGS_UNSEQUENCED: u64 = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageType {
    InputStreamData,
    OutputStreamData,
    Acknowledge,
    ChannelClosed,
    StartPublication,
    PausePublication,
    /// Anything else; peers ignore types they do not know.
    Other(String),
}

impl MessageType {
    pub fn as_str(&self) -> &str {
        match self {
            MessageType::InputStreamData => "input_stream_data",
            MessageType::OutputStreamData => "output_stream_data",
            MessageType::Acknowledge => "acknowledge",
            MessageType::ChannelClosed => "channel_closed",
            MessageType::StartPublication => "start_publication",
            MessageType::PausePublication => "pause_publication",
            MessageType::Other(name) => name,
        }
    }

    fn from_name(name: &str) -> MessageType {
        match name {
            "input_stream_data" => MessageType::InputStreamData,
            "output_stream_data" => MessageType::OutputStreamData,
            "acknowledge" => MessageType::Acknowledge,
            "channel_closed" => MessageType::ChannelClosed,
            "start_publication" => MessageType::StartPublication,
            "pause_publication" => MessageType::PausePublication,
            other => MessageType::Other(other.to_owned()),
        }
    }

    /// Publication notices are exempt from validation on the receiving side.
    fn is_publication_notice(&self) -> bool {
        matches!(
            self,
            MessageType::StartPublication | MessageType::PausePublication
        )
    }
}

/// `PayloadType` values (protocol §4.2). Kept as a number so unknown types pass through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadType(pub u32);

impl PayloadType {
    pub const NONE: PayloadType = PayloadType(0);
    pub const OUTPUT: PayloadType = PayloadType(1);
    pub const ERROR: PayloadType = PayloadType(2);
    pub const SIZE: PayloadType = PayloadType(3);
    pub const HANDSHAKE_REQUEST: PayloadType = PayloadType(5);
    pub const HANDSHAKE_RESPONSE: PayloadType = PayloadType(6);
    pub const HANDSHAKE_COMPLETE: PayloadType = PayloadType(7);
    pub const ENC_CHALLENGE_REQUEST: PayloadType = PayloadType(8);
    pub const FLAG: PayloadType = PayloadType(10);
    pub const STDERR: PayloadType = PayloadType(11);
    pub const EXIT_CODE: PayloadType = PayloadType(12);
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub message_type: MessageType,
    pub schema_version: u32,
    /// Milliseconds since the Unix epoch.
    pub created_date: u64,
    pub sequence_number: i64,
    pub flags: u64,
    pub message_id: Uuid,
    pub payload_type: PayloadType,
    pub payload: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {0} bytes is shorter than the {PAYLOAD_OFFSET}-byte header")]
    TooShort(usize),
    #[error("header length {0} is smaller than the fixed header")]
    BadHeaderLength(u32),
    #[error("frame declares {declared} payload bytes but holds {available}")]
    Truncated { declared: usize, available: usize },
    #[error("message type is empty")]
    MissingType,
    #[error("message type is not ASCII text")]
    BadType,
    #[error("created date is zero")]
    MissingDate,
    #[error("payload digest does not match the payload")]
    DigestMismatch,
    #[error("message type {0:?} does not fit in 32 bytes")]
    TypeTooLong(String),
}

impl Message {
    pub fn encode(&self) -> Result<Bytes, FrameError> {
        let name = self.message_type.as_str();
        if name.len() > MESSAGE_TYPE_LEN {
            return Err(FrameError::TypeTooLong(name.to_owned()));
        }
        let mut out = BytesMut::with_capacity(PAYLOAD_OFFSET + self.payload.len());
        out.put_u32(HEADER_LENGTH);
        out.put_slice(name.as_bytes());
        out.put_bytes(b' ', MESSAGE_TYPE_LEN - name.len());
        out.put_u32(self.schema_version);
        out.put_u64(self.created_date);
        out.put_i64(self.sequence_number);
        out.put_u64(self.flags);
        out.put_slice(&swap_uuid_halves(*self.message_id.as_bytes()));
        out.put_slice(&Sha256::digest(&self.payload));
        out.put_u32(self.payload_type.0);
        out.put_u32(self.payload.len() as u32);
        out.put_slice(&self.payload);
        Ok(out.freeze())
    }

    /// Decodes and validates one frame. Validation follows what both reference peers accept:
    /// the digest is only checked when there is a payload, and publication notices are not
    /// validated at all.
    pub fn decode(frame: &Bytes) -> Result<Message, FrameError> {
        if frame.len() < PAYLOAD_OFFSET {
            return Err(FrameError::TooShort(frame.len()));
        }
        let header_length = read_u32(frame, 0);
        if (header_length as usize) < PAYLOAD_LENGTH_OFFSET {
            return Err(FrameError::BadHeaderLength(header_length));
        }
        let message_type = read_message_type(&frame[MESSAGE_TYPE_OFFSET..SCHEMA_VERSION_OFFSET])?;
        let declared = read_u32(frame, PAYLOAD_LENGTH_OFFSET) as usize;
        let payload_start = header_length as usize + 4;
        let available = frame.len().saturating_sub(payload_start);
        if declared > available {
            return Err(FrameError::Truncated {
                declared,
                available,
            });
        }
        let payload = frame.slice(payload_start..payload_start + declared);
        let mut id = [0u8; 16];
        id.copy_from_slice(&frame[MESSAGE_ID_OFFSET..DIGEST_OFFSET]);
        let message = Message {
            schema_version: read_u32(frame, SCHEMA_VERSION_OFFSET),
            created_date: read_u64(frame, CREATED_DATE_OFFSET),
            sequence_number: read_u64(frame, SEQUENCE_NUMBER_OFFSET) as i64,
            flags: read_u64(frame, FLAGS_OFFSET),
            message_id: Uuid::from_bytes(swap_uuid_halves(id)),
            payload_type: PayloadType(read_u32(frame, PAYLOAD_TYPE_OFFSET)),
            payload,
            message_type,
        };
        if !message.message_type.is_publication_notice() {
            if message.message_type.as_str().is_empty() {
                return Err(FrameError::MissingType);
            }
            if message.created_date == 0 {
                return Err(FrameError::MissingDate);
            }
            if !message.payload.is_empty()
                && Sha256::digest(&message.payload).as_slice()
                    != &frame[DIGEST_OFFSET..PAYLOAD_TYPE_OFFSET]
            {
                return Err(FrameError::DigestMismatch);
            }
        }
        Ok(message)
    }
}

/// A random (version 4) UUID. Identifiers only need to be unique, not secret, so the
/// project's existing small generator is enough.
pub fn random_uuid() -> Uuid {
    let mut bytes = [0u8; 16];
    fastrand::fill(&mut bytes);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// The wire puts the UUID's second 8 bytes first; the swap is its own inverse.
fn swap_uuid_halves(bytes: [u8; 16]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&bytes[8..]);
    out[8..].copy_from_slice(&bytes[..8]);
    out
}

fn read_message_type(raw: &[u8]) -> Result<MessageType, FrameError> {
    let text = std::str::from_utf8(raw).map_err(|_| FrameError::BadType)?;
    let name = text.trim_matches('\0').trim();
    Ok(MessageType::from_name(name))
}

fn read_u32(frame: &[u8], offset: usize) -> u32 {
    u32::from_be_bytes(frame[offset..offset + 4].try_into().expect("4 bytes"))
}

fn read_u64(frame: &[u8], offset: usize) -> u64 {
    u64::from_be_bytes(frame[offset..offset + 8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests;
