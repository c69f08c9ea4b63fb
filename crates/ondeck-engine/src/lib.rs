//! What ondeck does over the `Cloud` trait, asynchronously: list, launch, destroy and extend
//! instances (with launch intents on disk for exactly-once launches), and tail their logs.

mod intent;
pub mod ops;
pub mod register;
pub mod tail;
