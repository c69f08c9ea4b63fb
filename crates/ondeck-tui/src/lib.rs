//! The dashboard without its I/O: the state with its one pure `update`, and the rendering of
//! that state. No async runtime, no SDK and no terminal here; the binary drives both.

pub mod logview;
pub mod state;
pub mod ui;
