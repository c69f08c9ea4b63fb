//! Container logs: untrusted text made safe at ingest, a bounded ring of lines addressed by
//! sequence number, a view that renders only the lines on screen, and the tail engine that
//! fetches them (backfill, Live Tail, polling).

pub mod buffer;
pub mod sanitize;
pub mod tail;
pub mod view;

pub use buffer::{Deduper, LogBuffer, LogLine};
pub use sanitize::{
    Level, SanitizedText, StyleRun, detect_level, pretty_json, sanitize, sanitize_bytes,
};
pub use view::{LogPane, LogView, Search, save};
