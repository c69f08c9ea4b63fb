//! Container logs: untrusted text made safe at ingest (with the styles it asked for kept as
//! plain data), a bounded ring of lines addressed by sequence number, and where each
//! container's stream is.

pub mod buffer;
pub mod line;
pub mod sanitize;
pub mod sources;
pub mod style;

pub use buffer::{LineKind, LogBuffer, LogLine};
pub use sanitize::{
    Level, SanitizedText, StyleRun, detect_level, pretty_json, sanitize, sanitize_bytes,
};
