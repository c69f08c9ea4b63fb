//! Plain domain types that cross the `Cloud` boundary. Nothing here knows the SDK.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Tag keys ondeck writes on every task it launches.
pub mod tags {
    pub const OWNER: &str = "ondeck:owner";
    pub const INSTANCE: &str = "ondeck:instance";
    pub const TEMPLATE: &str = "ondeck:template";
    pub const EXPIRES_AT: &str = "ondeck:expires-at";
    /// The launch intent's idempotency token; lets a retry find what an earlier attempt started.
    pub const LAUNCH_TOKEN: &str = "ondeck:launch-token";
    /// Set by ondeck when it asks ECS to stop a task, so a stop nobody asked for reads as FAILED.
    pub const STOP_REQUESTED: &str = "ondeck:stop-requested";
    /// The time to live a launch was given (`8h`), so that a relaunch gives the same.
    pub const TTL: &str = "ondeck:ttl";
    /// On a service: when ondeck scaled it to zero (RFC 3339).
    pub const PAUSED_AT: &str = "ondeck:paused-at";
}

/// The ECS task lifecycle. Unknown words from the API are kept verbatim, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum TaskState {
    Provisioning,
    Pending,
    Activating,
    Running,
    Deactivating,
    Stopping,
    Deprovisioning,
    Stopped,
    Unknown(String),
}

impl TaskState {
    pub const LIFECYCLE: [TaskState; 8] = [
        TaskState::Provisioning,
        TaskState::Pending,
        TaskState::Activating,
        TaskState::Running,
        TaskState::Deactivating,
        TaskState::Stopping,
        TaskState::Deprovisioning,
        TaskState::Stopped,
    ];

    pub fn parse(word: &str) -> TaskState {
        match word {
            "PROVISIONING" => TaskState::Provisioning,
            "PENDING" => TaskState::Pending,
            "ACTIVATING" => TaskState::Activating,
            "RUNNING" => TaskState::Running,
            "DEACTIVATING" => TaskState::Deactivating,
            "STOPPING" => TaskState::Stopping,
            "DEPROVISIONING" => TaskState::Deprovisioning,
            "STOPPED" => TaskState::Stopped,
            other => TaskState::Unknown(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            TaskState::Provisioning => "PROVISIONING",
            TaskState::Pending => "PENDING",
            TaskState::Activating => "ACTIVATING",
            TaskState::Running => "RUNNING",
            TaskState::Deactivating => "DEACTIVATING",
            TaskState::Stopping => "STOPPING",
            TaskState::Deprovisioning => "DEPROVISIONING",
            TaskState::Stopped => "STOPPED",
            TaskState::Unknown(word) => word,
        }
    }

    /// Position in the lifecycle; unknown words sort with RUNNING so they are never hidden.
    pub fn rank(&self) -> u8 {
        match self {
            TaskState::Provisioning => 0,
            TaskState::Pending => 1,
            TaskState::Activating => 2,
            TaskState::Running | TaskState::Unknown(_) => 3,
            TaskState::Deactivating => 4,
            TaskState::Stopping => 5,
            TaskState::Deprovisioning => 6,
            TaskState::Stopped => 7,
        }
    }

    /// A state that will change by itself soon: worth polling quickly.
    pub fn is_transitional(&self) -> bool {
        !matches!(
            self,
            TaskState::Running | TaskState::Stopped | TaskState::Unknown(_)
        )
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<TaskState> for String {
    fn from(state: TaskState) -> String {
        state.as_str().to_string()
    }
}

impl From<String> for TaskState {
    fn from(word: String) -> TaskState {
        TaskState::parse(&word)
    }
}

/// ECS's own timestamps for a task; each is absent until ECS reaches that point.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskTimes {
    pub created_at: Option<DateTime<Utc>>,
    pub pull_started_at: Option<DateTime<Utc>>,
    pub pull_stopped_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub stopping_at: Option<DateTime<Utc>>,
    pub execution_stopped_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
}

impl TaskTimes {
    /// The named timestamps in lifecycle order, for timelines.
    pub fn named(&self) -> [(&'static str, Option<DateTime<Utc>>); 7] {
        [
            ("createdAt", self.created_at),
            ("pullStartedAt", self.pull_started_at),
            ("pullStoppedAt", self.pull_stopped_at),
            ("startedAt", self.started_at),
            ("stoppingAt", self.stopping_at),
            ("executionStoppedAt", self.execution_stopped_at),
            ("stoppedAt", self.stopped_at),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    pub name: String,
    pub last_status: String,
    pub exit_code: Option<i32>,
    /// HEALTHY, UNHEALTHY or UNKNOWN; absent when the container has no health check.
    pub health: Option<String>,
    pub reason: Option<String>,
    /// ECS's id of the running container: with the task id it names the target of a port
    /// forward (`ecs:<cluster>_<task-id>_<runtime-id>`).
    #[serde(default)]
    pub runtime_id: Option<String>,
    /// The ExecuteCommandAgent's last status (PENDING, RUNNING, STOPPED); absent when the task
    /// was launched without ECS Exec.
    #[serde(default)]
    pub exec_agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub task_arn: String,
    /// Full task definition ARN as ECS reports it.
    pub task_definition_arn: String,
    pub last_status: TaskState,
    pub desired_status: String,
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    pub started_by: Option<String>,
    pub containers: Vec<Container>,
    pub tags: BTreeMap<String, String>,
    /// Task-level size as ECS reports it: CPU units and MiB, as strings ("256", "512").
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub private_ip: Option<String>,
    /// "FARGATE" or "FARGATE_SPOT" when ECS says so.
    pub capacity_provider: Option<String>,
    pub times: TaskTimes,
    /// Launched with ECS Exec (`enableExecuteCommand`): a shell or a forward can open.
    #[serde(default)]
    pub exec_enabled: bool,
    /// ECS's task group: `service:NAME` for a task a service started.
    #[serde(default)]
    pub group: Option<String>,
    /// The environment overrides it was started with, per container name.
    #[serde(default)]
    pub env_overrides: BTreeMap<String, BTreeMap<String, String>>,
}

impl Task {
    /// The short id at the end of the ARN, as used in log stream names.
    pub fn task_id(&self) -> &str {
        self.task_arn.rsplit('/').next().unwrap_or(&self.task_arn)
    }

    /// `family:revision` from the task definition ARN.
    pub fn task_definition(&self) -> &str {
        self.task_definition_arn
            .rsplit('/')
            .next()
            .unwrap_or(&self.task_definition_arn)
    }

    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(key).map(String::as_str)
    }

    /// The service that started it, if one did.
    pub fn service(&self) -> Option<&str> {
        self.group.as_deref()?.strip_prefix("service:")
    }
}

/// One ECS service (a template's task definition kept running at a desired count).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub arn: String,
    pub name: String,
    /// ACTIVE, DRAINING (being deleted) or INACTIVE (deleted).
    pub status: String,
    pub task_definition_arn: String,
    pub desired_count: i32,
    pub running_count: i32,
    pub pending_count: i32,
    pub tags: BTreeMap<String, String>,
    pub created_at: Option<DateTime<Utc>>,
    /// Why the deployment circuit breaker gave up (the newest deployment's rollout state is
    /// FAILED); `None` while ECS keeps trying.
    pub rollout_failed: Option<String>,
    /// ECS's event messages, newest first, as DescribeServices returns them.
    pub events: Vec<ServiceEvent>,
}

impl Service {
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(key).map(String::as_str)
    }

    /// Not deleted (DeleteService turns it DRAINING, then INACTIVE).
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ServiceEvent {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub message: String,
}

/// One CreateService call: one task definition kept running as one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRequest {
    pub name: String,
    pub task_definition: String,
    pub network: NetworkConfig,
    /// Propagated to its tasks (`propagateTags = SERVICE`).
    pub tags: BTreeMap<String, String>,
    /// ≤ 36 characters; ECS answers a retried CreateService with the same token with the
    /// service it created.
    pub client_token: String,
    pub spot: bool,
    pub enable_exec: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogConfig {
    /// The log driver, e.g. "awslogs" or "awsfirelens".
    pub driver: String,
    pub group: Option<String>,
    pub region: Option<String>,
    pub stream_prefix: Option<String>,
    /// `awslogs-create-group`: the driver creates the group when the container starts.
    #[serde(default)]
    pub create_group: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerDefinition {
    pub name: String,
    pub essential: bool,
    pub container_ports: Vec<u16>,
    /// Container-level CPU units and MiB (memory, else memoryReservation).
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
    pub log: Option<LogConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDefinition {
    pub arn: String,
    pub family: String,
    pub revision: i32,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    /// "X86_64" or "ARM64"; absent means X86_64.
    pub cpu_architecture: Option<String>,
    /// ECS Exec needs a task role (its `ssmmessages` permissions open the channel).
    #[serde(default)]
    pub task_role_arn: Option<String>,
    pub containers: Vec<ContainerDefinition>,
}

/// RunTask's and TagResource's limits, as ECS documents them.
pub mod limits {
    /// The overrides of one RunTask, counted as JSON characters.
    pub const OVERRIDES_CHARS: usize = 8_192;
    pub const TAGS_PER_TASK: usize = 50;
    pub const TAG_KEY_CHARS: usize = 128;
    pub const TAG_VALUE_CHARS: usize = 256;
}

/// Which tasks (or services) to list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Only tasks whose `startedBy` is this owner key (`ondeck/<owner>`); only services whose
    /// owner tag gives this key.
    StartedBy(String),
    /// Every ondeck task in the cluster, whoever started it.
    AllOwners,
    /// The tasks one service started (its name).
    Service(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkConfig {
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: bool,
}

/// One RunTask call: a single task definition, one task (RunTask takes at most ten).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRequest {
    pub task_definition: String,
    pub network: NetworkConfig,
    pub started_by: String,
    pub tags: BTreeMap<String, String>,
    /// Environment overrides per container name.
    pub env: BTreeMap<String, BTreeMap<String, String>>,
    /// ≤ 64 characters; ECS dedupes a retried RunTask with the same token.
    pub client_token: String,
    pub spot: bool,
    /// Ask ECS for ECS Exec (`enableExecuteCommand`).
    pub enable_exec: bool,
}

/// One entry of RunTask's `failures[]`, kept verbatim.
impl RunRequest {
    /// The overrides as ECS counts them against [`limits::OVERRIDES_CHARS`]: the characters
    /// of their JSON, formatting included.
    pub fn overrides_chars(&self) -> usize {
        let containers: Vec<serde_json::Value> = self
            .env
            .iter()
            .map(|(name, vars)| {
                let environment: Vec<serde_json::Value> = vars
                    .iter()
                    .map(|(key, value)| serde_json::json!({ "name": key, "value": value }))
                    .collect();
                serde_json::json!({ "name": name, "environment": environment })
            })
            .collect();
        serde_json::json!({ "containerOverrides": containers })
            .to_string()
            .chars()
            .count()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFailure {
    pub arn: Option<String>,
    pub reason: Option<String>,
    pub detail: Option<String>,
}

impl fmt::Display for RunFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.reason.as_deref().unwrap_or("unknown reason"))?;
        if let Some(arn) = &self.arn {
            write!(f, " ({arn})")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunOutcome {
    pub tasks: Vec<Task>,
    pub failures: Vec<RunFailure>,
}

/// Where one container's log lines live in CloudWatch Logs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogStreamRef {
    pub group: String,
    pub stream: String,
}

/// One page of GetLogEvents.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogPage {
    pub events: Vec<RawLogEvent>,
    /// The token to pass next time to read on from here.
    pub next_forward_token: Option<String>,
}

/// A log event as CloudWatch returns it: unsanitized, straight from the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLogEvent {
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    pub ingestion_time: i64,
    pub message: String,
}

/// How to read a stream in GetLogEvents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogQuery {
    pub stream: LogStreamRef,
    /// Milliseconds since the epoch; only with no token.
    pub start_time: Option<i64>,
    pub next_token: Option<String>,
    pub start_from_head: bool,
    pub limit: Option<i32>,
}

/// How to read several streams of one log group at once in FilterLogEvents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFilter {
    pub group: String,
    /// At least one: FilterLogEvents reads the whole group when given none.
    pub streams: Vec<String>,
    /// Milliseconds since the epoch: events at or after it.
    pub start_time: Option<i64>,
    /// From an earlier page of the same filter.
    pub next_token: Option<String>,
}

/// One page of FilterLogEvents: (stream name, event), oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilteredPage {
    pub events: Vec<(String, RawLogEvent)>,
    /// More of the same filter to read.
    pub next_token: Option<String>,
}

/// What ECS ExecuteCommand or SSM StartSession grants: the data channel's address and the token
/// that opens it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionGrant {
    pub session_id: String,
    pub stream_url: String,
    pub token: String,
}

impl std::fmt::Debug for SessionGrant {
    // The token opens a shell in someone's container: it never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionGrant")
            .field("session_id", &self.session_id)
            .field("stream_url", &self.stream_url)
            .finish_non_exhaustive()
    }
}
