//! What ondeck does over the `Cloud` trait, asynchronously: list, launch, destroy and extend
//! instances (with launch intents on disk for exactly-once launches), tail their logs, and turn
//! container and compose templates into the task definitions ondeck registers.

mod intent;
pub mod ops;
pub mod tail;
pub mod templates;
