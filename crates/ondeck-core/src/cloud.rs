//! The boundary to AWS: everything ondeck asks of it, in the plain types of [`crate::model`].
//! `ondeck-aws` implements it over the SDK, `ondeck-sim` over a simulated cluster.

use std::collections::BTreeMap;
use std::pin::Pin;

use async_trait::async_trait;
use futures::Stream;

use crate::error::CloudError;
use crate::model::{
    FilteredPage, LogFilter, LogPage, LogQuery, RawLogEvent, RunOutcome, RunRequest, Scope,
    Service, ServiceRequest, SessionGrant, Task, TaskDefinition,
};

/// One batch pushed by a Live Tail session (about once a second).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveTailUpdate {
    /// (stream name, event)
    pub events: Vec<(String, RawLogEvent)>,
    /// CloudWatch sent a sample, not every event (more than 500 events in the second).
    pub sampled: bool,
}

pub type LiveTail = Pin<Box<dyn Stream<Item = Result<LiveTailUpdate, CloudError>> + Send>>;

/// Everything ondeck asks of AWS, for one profile (region, cluster, credentials fixed).
#[async_trait]
pub trait Cloud: Send + Sync {
    /// Every task in scope: running ones and those stopped recently enough that ECS still has them.
    async fn list_tasks(&self, scope: &Scope) -> Result<Vec<Task>, CloudError>;

    /// These tasks as ECS describes them now (DescribeTasks by ARN), stopped ones included;
    /// tasks ECS no longer knows are left out.
    async fn describe_tasks(&self, task_arns: &[String]) -> Result<Vec<Task>, CloudError>;

    /// A task definition by `family`, `family:revision` or ARN.
    async fn describe_task_definition(&self, name: &str) -> Result<TaskDefinition, CloudError>;

    /// One RunTask call. Partial failure comes back in `RunOutcome::failures`, not as `Err`.
    async fn run_task(&self, request: &RunRequest) -> Result<RunOutcome, CloudError>;

    async fn stop_task(&self, task_arn: &str, reason: &str) -> Result<(), CloudError>;

    /// Add or overwrite tags on a task or a service (TagResource).
    async fn tag_resource(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), CloudError>;

    /// Every ondeck service in scope (ListServices, DescribeServices with tags and events):
    /// deleted ones too while ECS still has them, as DRAINING or INACTIVE.
    async fn list_services(&self, scope: &Scope) -> Result<Vec<Service>, CloudError>;

    /// One CreateService call, answered with the service as ECS created it.
    async fn create_service(&self, request: &ServiceRequest) -> Result<Service, CloudError>;

    /// UpdateService's desired count: 0 pauses, 1 resumes.
    async fn scale_service(&self, name: &str, desired_count: i32) -> Result<(), CloudError>;

    /// DeleteService with force: ECS stops its tasks and the service turns DRAINING.
    async fn delete_service(&self, name: &str) -> Result<(), CloudError>;

    /// One page of GetLogEvents.
    async fn get_log_events(&self, query: &LogQuery) -> Result<LogPage, CloudError>;

    /// One page of FilterLogEvents over some streams of one group: one request follows all of
    /// an instance's streams where GetLogEvents takes one per stream.
    async fn filter_log_events(&self, filter: &LogFilter) -> Result<FilteredPage, CloudError>;

    /// A Live Tail session over `streams` of one log group. Backends without Live Tail
    /// return an error and callers fall back to polling.
    async fn start_live_tail(
        &self,
        group: &str,
        streams: &[String],
    ) -> Result<LiveTail, CloudError>;

    /// An interactive command in one container of a task (ECS ExecuteCommand): the grant that
    /// opens its data channel.
    async fn execute_command(
        &self,
        task_arn: &str,
        container: &str,
        command: &str,
    ) -> Result<SessionGrant, CloudError>;

    /// A port-forwarding session to `port` of the container `runtime_id` of a task (SSM
    /// StartSession on `ecs:<cluster>_<task-id>_<runtime-id>`).
    async fn start_port_forward(
        &self,
        task_arn: &str,
        runtime_id: &str,
        port: u16,
    ) -> Result<SessionGrant, CloudError>;

    /// End a session on the AWS side (SSM TerminateSession), so it does not idle until its
    /// timeout.
    async fn end_session(&self, session_id: &str) -> Result<(), CloudError>;
}
