//! ondeck's plain types and domain rules. Nothing here knows tokio, the AWS SDK or the
//! terminal: the crates above speak these types, and only `ondeck-aws` translates them to AWS.

pub mod backoff;
pub mod cloud;
pub mod config;
pub mod duration;
pub mod error;
/// Ready-made profiles, tasks and instances for tests here and in the crates above.
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod format;
pub mod instances;
pub mod links;
pub mod logs;
pub mod model;
pub mod ops;
pub mod tail;

pub use backoff::Backoff;
pub use cloud::{Cloud, LiveTail, LiveTailUpdate};
pub use error::CloudError;
