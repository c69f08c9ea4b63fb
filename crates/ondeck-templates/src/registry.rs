//! Where ondeck's own task definitions are registered, beside the `Cloud` trait: the SDK
//! adapter implements it over ECS and CloudWatch Logs, the demo over its simulated cluster.

use async_trait::async_trait;
use ondeck_core::CloudError;

use crate::model::TaskDefinition;

/// The newest active revision of a family, as ECS holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub arn: String,
    pub revision: i32,
    /// The `ondeck:content-hash` tag; `None` on a revision registered by other tools.
    pub content_hash: Option<String>,
    /// Read back into the model, so that a diff compares like with like.
    pub task_definition: TaskDefinition,
}

#[async_trait]
pub trait Registry: Send + Sync {
    /// The newest active revision of `family` (DescribeTaskDefinition with its tags); `None`
    /// when the family has none.
    async fn registered(&self, family: &str) -> Result<Option<Registered>, CloudError>;

    /// RegisterTaskDefinition, tagged with `content_hash` and ondeck's own tags.
    async fn register(
        &self,
        task_definition: &TaskDefinition,
        content_hash: &str,
    ) -> Result<Registered, CloudError>;

    /// CreateLogGroup; one that exists already is fine.
    async fn ensure_log_group(&self, name: &str) -> Result<(), CloudError>;
}
