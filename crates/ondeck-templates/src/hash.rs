//! The content hash kept in a task definition's tags: a launch registers a new revision only
//! when the template's hash differs from the registered one's.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::{NETWORK_MODE, REQUIRES_COMPATIBILITIES, TaskDefinition};

/// The tag that carries the hash on the registered task definition.
pub const HASH_TAG: &str = "ondeck:content-hash";

/// Bumped when the canonical form below changes, so that old and new hashes never collide.
const CANONICAL_FORM: u32 = 1;

/// Everything RegisterTaskDefinition receives, in one fixed order: the model (struct fields in
/// declaration order, maps sorted by key) plus the constants every registration carries.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Canonical<'a> {
    canonical_form: u32,
    network_mode: &'static str,
    requires_compatibilities: &'static str,
    #[serde(flatten)]
    task_definition: &'a TaskDefinition,
}

/// `sha256:<64 hex digits>` (71 characters, within a tag value's 256).
pub fn content_hash(task_definition: &TaskDefinition) -> String {
    let normalized = task_definition.clone().normalized();
    let canonical = Canonical {
        canonical_form: CANONICAL_FORM,
        network_mode: NETWORK_MODE,
        requires_compatibilities: REQUIRES_COMPATIBILITIES,
        task_definition: &normalized,
    };
    let document = serde_json::to_vec(&canonical).expect("plain data always serializes");
    let digest = Sha256::digest(&document);
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests;
