//! Container logs: fetching, buffering and viewing.

pub mod tail;
