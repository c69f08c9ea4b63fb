//! Container templates (TOML) and compose files turned into Fargate task definitions: the
//! size table, the task definition model, its content hash and diff, and the narrow trait
//! that registers it. Plain logic: no AWS SDK, no async runtime, no terminal.
mod assemble;
pub mod compose;
pub mod diff;
pub mod hash;
pub mod model;
pub mod problem;
pub mod registry;
pub mod size;
pub mod toml_template;
mod units;

pub use assemble::Converted;
