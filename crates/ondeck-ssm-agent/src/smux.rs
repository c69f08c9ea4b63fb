//! smux protocol version 1 frames, the multiplexing modern agents run inside a port session.
//!
//! Frame: version (1 byte, 1), command (1 byte), data length (u16 little-endian), stream id
//! (u32 little-endian), data. Commands: SYN opens a stream, FIN closes it, PSH carries data,
//! NOP keeps the session alive. The client opens streams with odd ids (3, 5, 7, ...).

pub const VERSION: u8 = 1;
pub const HEADER_SIZE: usize = 8;
/// smux's default largest frame; data longer than this is split.
pub const MAX_FRAME_DATA: usize = 32768;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Syn = 0,
    Fin = 1,
    Psh = 2,
    Nop = 3,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub version: u8,
    pub command: Command,
    pub stream_id: u32,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The version byte; a v1 session closes on any other.
    Version(u8),
    Command(u8),
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::Version(version) => write!(f, "smux frame of version {version}, not 1"),
            FrameError::Command(command) => write!(f, "unknown smux command {command}"),
        }
    }
}

impl Frame {
    pub fn new(command: Command, stream_id: u32, data: Vec<u8>) -> Self {
        Frame {
            version: VERSION,
            command,
            stream_id,
            data,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        assert!(
            self.data.len() <= u16::MAX as usize,
            "smux frame data too long"
        );
        let mut bytes = Vec::with_capacity(HEADER_SIZE + self.data.len());
        bytes.push(self.version);
        bytes.push(self.command as u8);
        bytes.extend_from_slice(&(self.data.len() as u16).to_le_bytes());
        bytes.extend_from_slice(&self.stream_id.to_le_bytes());
        bytes.extend_from_slice(&self.data);
        bytes
    }
}

/// Reassembles frames from the byte stream, however it was cut into messages.
#[derive(Debug, Default)]
pub struct FrameReader {
    pending: Vec<u8>,
}

impl FrameReader {
    pub fn push(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
    }

    /// The next whole frame, if its bytes have all arrived.
    pub fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        if self.pending.len() < HEADER_SIZE {
            return None;
        }
        let version = self.pending[0];
        if version != VERSION {
            return Some(Err(FrameError::Version(version)));
        }
        let command = match self.pending[1] {
            0 => Command::Syn,
            1 => Command::Fin,
            2 => Command::Psh,
            3 => Command::Nop,
            other => return Some(Err(FrameError::Command(other))),
        };
        let length = u16::from_le_bytes([self.pending[2], self.pending[3]]) as usize;
        if self.pending.len() < HEADER_SIZE + length {
            return None;
        }
        let stream_id = u32::from_le_bytes(self.pending[4..8].try_into().expect("4 bytes"));
        let data = self.pending[HEADER_SIZE..HEADER_SIZE + length].to_vec();
        self.pending.drain(..HEADER_SIZE + length);
        Some(Ok(Frame {
            version,
            command,
            stream_id,
            data,
        }))
    }
}

#[cfg(test)]
mod tests;
