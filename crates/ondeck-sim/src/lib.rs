//! A simulated ECS Fargate cluster and CloudWatch Logs, inside the process, behind the same
//! [`Cloud`] trait as AWS. Nothing is stored as "current state": every task's life is planned
//! when it starts (or is stopped) and read off the plan at the clock's time, so the world
//! moves on by itself between calls without a background task.

mod catalog;
mod lifecycle;
mod logs;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use fastrand::Rng;

pub use catalog::demo_config;
use catalog::{FamilySpec, LogDriver, family_of_group, find_family};
use lifecycle::{Identity, Pace, SimTask};
use logs::{Ending, Pos, StreamSource, stream_seed};
use ondeck_core::instances::owner_key;
use ondeck_core::model::{
    LogPage, LogQuery, RawLogEvent, RunOutcome, RunRequest, Scope, Task, TaskDefinition, tags,
};
use ondeck_core::{Cloud, CloudError, LiveTail, LiveTailUpdate};

/// Where the demo reads the time. Any `Fn() -> DateTime<Utc>` is a clock, `Utc::now` included.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

impl<F: Fn() -> DateTime<Utc> + Send + Sync> Clock for F {
    fn now(&self) -> DateTime<Utc> {
        self()
    }
}

/// A clock that moves only when told to, for deterministic tests.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock(Mutex::new(start))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The simulated cluster `demo` in us-east-1, with a few instances already in it.
#[derive(Clone)]
pub struct DemoCloud {
    shared: Arc<Shared>,
}

struct Shared {
    clock: Arc<dyn Clock>,
    pace: Pace,
    world: Mutex<World>,
}

struct World {
    tasks: Vec<SimTask>,
    /// RunTask client tokens seen in the last day.
    launches: HashMap<String, Launch>,
    rng: Rng,
    hostile_lines: bool,
}

struct Launch {
    at: DateTime<Utc>,
    request: RunRequest,
    task_arns: Vec<String>,
}

/// Live Tail's cap on events in one update; above it CloudWatch sends a sample.
const LIVE_TAIL_MAX_EVENTS: usize = 500;
const LIVE_TAIL_MAX_STREAMS: usize = 100;
/// ECS remembers a RunTask client token this long.
const CLIENT_TOKEN_HOURS: i64 = 24;

impl DemoCloud {
    /// `speed` 1.0 runs lifecycles and logs in real time; 20.0 runs them twenty times faster.
    pub fn new(owner: &str, speed: f64) -> DemoCloud {
        DemoCloud::with_clock(owner, speed, Arc::new(Utc::now))
    }

    pub fn with_clock(owner: &str, speed: f64, clock: Arc<dyn Clock>) -> DemoCloud {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        let pace = Pace { speed };
        let mut world = World {
            tasks: Vec::new(),
            launches: HashMap::new(),
            rng: Rng::with_seed(0x0d3c_4d3e_0000_0001),
            hostile_lines: false,
        };
        world.populate(owner, clock.now(), pace);
        DemoCloud {
            shared: Arc::new(Shared {
                clock,
                pace,
                world: Mutex::new(world),
            }),
        }
    }

    /// Add `count` long-running instances of `owner` (`steady-0001` …) from `web-stack`,
    /// created between half an hour and seven hours ago, so all RUNNING and none expiring soon:
    /// a large, quiet fleet for measuring the dashboard.
    pub fn with_steady_instances(self, owner: &str, count: usize) -> DemoCloud {
        let now = self.shared.now();
        let pace = self.shared.pace;
        let mut world = self.shared.world();
        for index in 0..count {
            let age = Duration::minutes(30 + (index * 390 / count) as i64);
            let name = format!("steady-{:04}", index + 1);
            world.seed(owner, &name, "web-stack", now - age, None, pace);
        }
        drop(world);
        self
    }

    /// Mix terminal escape sequences (clipboard writes, title changes, screen clears …) into
    /// some log lines, to prove that whatever displays them sanitizes.
    pub fn with_hostile_lines(self, hostile: bool) -> DemoCloud {
        self.shared.world().hostile_lines = hostile;
        self
    }
}

impl Shared {
    fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

fn task_not_found(task: &str) -> CloudError {
    CloudError::NotFound {
        what: "task".into(),
        detail: format!("{task}: The referenced task was not found."),
    }
}

fn invalid(action: &str, detail: impl Into<String>) -> CloudError {
    CloudError::Invalid {
        action: action.into(),
        detail: detail.into(),
    }
}

/// "8h", "30m", "2d": the TTL forms the templates use.
fn parse_ttl(ttl: &str) -> Option<Duration> {
    let (digits, unit) = ttl.split_at(ttl.len().checked_sub(1)?);
    let amount: i64 = digits.parse().ok()?;
    match unit {
        "m" => Some(Duration::minutes(amount)),
        "h" => Some(Duration::hours(amount)),
        "d" => Some(Duration::days(amount)),
        _ => None,
    }
}

impl World {
    /// The instances a team member would find on a Monday morning.
    fn populate(&mut self, owner: &str, now: DateTime<Utc>, pace: Pace) {
        let other = if owner == "alice" { "bob" } else { "alice" };
        let seeds: [(&str, &str, &str, Duration, Option<Duration>); 6] = [
            (
                owner,
                "checkout-fix",
                "web-stack",
                Duration::minutes(192),
                None,
            ),
            (owner, "pair-review", "api-pair", pace.secs(2.0), None),
            (
                owner,
                "nightly-etl",
                "data-pipeline",
                Duration::minutes(125),
                Some(Duration::minutes(18)),
            ),
            (
                owner,
                "flaky-worker",
                "crash-loop",
                Duration::minutes(11),
                None,
            ),
            (
                other,
                "search-tuning",
                "web-stack",
                Duration::minutes(47),
                None,
            ),
            (other, "load-test", "api-pair", Duration::minutes(95), None),
        ];
        for (who, instance, template_name, age, stopped_ago) in seeds {
            let stopped_at = stopped_ago.map(|ago| now - ago);
            self.seed(who, instance, template_name, now - age, stopped_at, pace);
        }
    }

    /// Put an instance of `template_name` owned by `who` into the world, created at
    /// `created_at` and, when `stopped_at` is given, destroyed by its owner then.
    fn seed(
        &mut self,
        who: &str,
        instance: &str,
        template_name: &str,
        created_at: DateTime<Utc>,
        stopped_at: Option<DateTime<Utc>>,
        pace: Pace,
    ) {
        let config = demo_config(who);
        let template = &config.profiles["demo"].templates[template_name];
        let intent = format!("{:016x}", self.rng.u64(..));
        let mut tags = BTreeMap::from([
            (tags::OWNER.to_string(), who.to_string()),
            (tags::INSTANCE.to_string(), instance.to_string()),
            (tags::TEMPLATE.to_string(), template_name.to_string()),
            (tags::LAUNCH_TOKEN.to_string(), intent.clone()),
        ]);
        if let Some(ttl) = template.ttl.as_deref().and_then(parse_ttl) {
            tags.insert(
                tags::EXPIRES_AT.to_string(),
                (created_at + ttl).to_rfc3339_opts(SecondsFormat::Secs, true),
            );
        }
        for (index, task_definition) in template.task_definitions.iter().enumerate() {
            let family = find_family(task_definition).expect("demo templates use known families");
            let request = RunRequest {
                task_definition: task_definition.clone(),
                network: ondeck_core::model::NetworkConfig {
                    subnets: vec!["subnet-0demo1".into(), "subnet-0demo2".into()],
                    security_groups: vec!["sg-0demo".into()],
                    assign_public_ip: false,
                },
                started_by: owner_key(who),
                tags: tags.clone(),
                env: template.env.clone(),
                client_token: format!("{intent}-{index}"),
                spot: template.spot,
            };
            let arn = self.launch(&request, family, created_at, pace);
            if let Some(at) = stopped_at {
                let mut rng = Rng::with_seed(self.rng.u64(..));
                let task = self.task_mut(&arn).expect("just launched");
                task.tags.insert(
                    tags::STOP_REQUESTED.to_string(),
                    at.to_rfc3339_opts(SecondsFormat::Secs, true),
                );
                task.request_stop(at, &format!("ondeck: destroyed by {who}"), pace, &mut rng);
            }
        }
    }

    /// Start one task and return its ARN.
    fn launch(
        &mut self,
        request: &RunRequest,
        family: &'static FamilySpec,
        at: DateTime<Utc>,
        pace: Pace,
    ) -> String {
        let id = format!("{:016x}{:016x}", self.rng.u64(..), self.rng.u64(..));
        let identity = Identity {
            arn: format!(
                "arn:aws:ecs:{}:{}:task/{}/{id}",
                catalog::REGION,
                catalog::ACCOUNT,
                catalog::CLUSTER
            ),
            id,
            started_by: request.started_by.clone(),
            tags: request.tags.clone(),
            env: request.env.clone(),
            capacity_provider: if request.spot {
                "FARGATE_SPOT"
            } else {
                "FARGATE"
            },
            private_ip: self.free_ip(request.network.subnets.len()),
        };
        let mut rng = Rng::with_seed(self.rng.u64(..));
        let task = SimTask::launch(identity, family, at, pace, &mut rng);
        let arn = task.arn.clone();
        self.tasks.push(task);
        arn
    }

    /// An address in one of the subnets (10.0.16.0/20, 10.0.32.0/20, …) that no task holds.
    fn free_ip(&mut self, subnets: usize) -> String {
        let taken: HashSet<&str> = self
            .tasks
            .iter()
            .map(|task| task.private_ip.as_str())
            .collect();
        loop {
            let subnet = self.rng.usize(0..subnets.max(1)) as u8;
            let ip = format!(
                "10.0.{}.{}",
                16 * (subnet + 1) + self.rng.u8(0..16),
                self.rng.u8(4..=250)
            );
            if !taken.contains(ip.as_str()) {
                return ip;
            }
        }
    }

    fn task_mut(&mut self, arn_or_id: &str) -> Option<&mut SimTask> {
        self.tasks
            .iter_mut()
            .find(|task| task.arn == arn_or_id || task.id == arn_or_id)
    }

    /// A task ECS still knows at `now`.
    fn known_task_mut(
        &mut self,
        arn_or_id: &str,
        now: DateTime<Utc>,
    ) -> Result<&mut SimTask, CloudError> {
        self.task_mut(arn_or_id)
            .filter(|task| !task.is_forgotten(now))
            .ok_or_else(|| task_not_found(arn_or_id))
    }

    /// The awslogs stream `ecs/<container>/<task-id>` of `group`, once it has a first line.
    fn stream_source(
        &self,
        group: &str,
        stream: &str,
        now: DateTime<Utc>,
        pace: Pace,
    ) -> Result<StreamSource, CloudError> {
        let family = family_of_group(group).ok_or_else(|| CloudError::NotFound {
            what: "log group".into(),
            detail: format!("{group}: The specified log group does not exist."),
        })?;
        let not_found = || CloudError::NoLogStream {
            group: group.to_string(),
            stream: stream.to_string(),
        };
        let (container, task_id) = stream
            .strip_prefix(catalog::STREAM_PREFIX)
            .and_then(|rest| rest.strip_prefix('/'))
            .and_then(|rest| rest.split_once('/'))
            .ok_or_else(not_found)?;
        let task = self
            .tasks
            .iter()
            .find(|task| task.id == task_id && task.family.family == family.family)
            .ok_or_else(not_found)?;
        let index = family
            .containers
            .iter()
            .position(|spec| spec.name == container && spec.log == LogDriver::Awslogs)
            .ok_or_else(not_found)?;
        let start = task
            .container_start(index)
            .filter(|start| *start <= now)
            .ok_or_else(not_found)?;
        let spec = &family.containers[index];
        Ok(StreamSource {
            seed: stream_seed(&task.id, spec.name),
            kind: spec.kind,
            container: spec.name,
            start_ms: start.timestamp_millis(),
            end: task.container_exit(index).map(|exit| {
                let ending = match exit.code {
                    Some(137) => Ending::Killed,
                    Some(0) | None => Ending::Graceful,
                    Some(_) => Ending::Crashed,
                };
                (exit.at.timestamp_millis(), ending)
            }),
            env: task
                .env
                .get(spec.name)
                .map(|vars| vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            hostile: self.hostile_lines,
            slot_ms: 1000.0 / pace.speed,
        })
    }

    /// Every awslogs stream of `family` that exists at `now`.
    fn streams_of(&self, family: &FamilySpec, now: DateTime<Utc>) -> Vec<String> {
        self.tasks
            .iter()
            .filter(|task| task.family.family == family.family && !task.is_forgotten(now))
            .flat_map(|task| {
                family
                    .containers
                    .iter()
                    .enumerate()
                    .filter(move |(index, spec)| {
                        spec.log == LogDriver::Awslogs
                            && task
                                .container_start(*index)
                                .is_some_and(|start| start <= now)
                    })
                    .map(move |(_, spec)| {
                        format!("{}/{}/{}", catalog::STREAM_PREFIX, spec.name, task.id)
                    })
            })
            .collect()
    }
}

#[async_trait]
impl Cloud for DemoCloud {
    async fn list_tasks(&self, scope: &Scope) -> Result<Vec<Task>, CloudError> {
        let now = self.shared.now();
        let world = self.shared.world();
        Ok(world
            .tasks
            .iter()
            .filter(|task| !task.is_forgotten(now))
            .filter(|task| match scope {
                Scope::StartedBy(key) => task.started_by == *key,
                Scope::AllOwners => task.tags.contains_key(tags::INSTANCE),
            })
            .map(|task| task.view(now))
            .collect())
    }

    async fn describe_tasks(&self, task_arns: &[String]) -> Result<Vec<Task>, CloudError> {
        let now = self.shared.now();
        let world = self.shared.world();
        Ok(world
            .tasks
            .iter()
            .filter(|task| !task.is_forgotten(now) && task_arns.contains(&task.arn))
            .map(|task| task.view(now))
            .collect())
    }

    async fn describe_task_definition(&self, name: &str) -> Result<TaskDefinition, CloudError> {
        find_family(name)
            .map(FamilySpec::to_task_definition)
            .ok_or_else(|| CloudError::NotFound {
                what: "task definition".into(),
                detail: format!("{name}: Unable to describe task definition."),
            })
    }

    async fn run_task(&self, request: &RunRequest) -> Result<RunOutcome, CloudError> {
        let now = self.shared.now();
        let pace = self.shared.pace;
        let mut world = self.shared.world();
        if request.network.subnets.is_empty() {
            return Err(invalid("ecs:RunTask", "subnets can not be empty."));
        }
        if request.started_by.len() > 128 {
            return Err(invalid(
                "ecs:RunTask",
                "startedBy must be at most 128 characters.",
            ));
        }
        if request.client_token.len() > 64 {
            return Err(invalid(
                "ecs:RunTask",
                "clientToken must be at most 64 characters.",
            ));
        }
        if !request.client_token.is_empty()
            && let Some(launch) = world.launches.get(&request.client_token)
            && now - launch.at < Duration::hours(CLIENT_TOKEN_HOURS)
        {
            if launch.request != *request {
                return Err(invalid(
                    "ecs:RunTask",
                    "the client token was already used with different parameters.",
                ));
            }
            let tasks = world
                .tasks
                .iter()
                .filter(|task| launch.task_arns.contains(&task.arn))
                .map(|task| task.view(now))
                .collect();
            return Ok(RunOutcome {
                tasks,
                failures: Vec::new(),
            });
        }
        let family = find_family(&request.task_definition).ok_or_else(|| CloudError::NotFound {
            what: "task definition".into(),
            detail: format!(
                "{}: Unable to find task definition.",
                request.task_definition
            ),
        })?;
        if let Some(unknown) = request.env.keys().find(|name| {
            !family
                .containers
                .iter()
                .any(|spec| spec.name == name.as_str())
        }) {
            return Err(invalid(
                "ecs:RunTask",
                format!(
                    "Override for container named {unknown} is not a container in the TaskDefinition."
                ),
            ));
        }
        if request.tags.len() > ondeck_core::model::limits::TAGS_PER_TASK {
            return Err(invalid("ecs:RunTask", "a task can have at most 50 tags."));
        }
        let arn = world.launch(request, family, now, pace);
        if !request.client_token.is_empty() {
            world.launches.insert(
                request.client_token.clone(),
                Launch {
                    at: now,
                    request: request.clone(),
                    task_arns: vec![arn.clone()],
                },
            );
        }
        let task = world.tasks.last().expect("just launched").view(now);
        Ok(RunOutcome {
            tasks: vec![task],
            failures: Vec::new(),
        })
    }

    async fn stop_task(&self, task_arn: &str, reason: &str) -> Result<(), CloudError> {
        let now = self.shared.now();
        let pace = self.shared.pace;
        let mut world = self.shared.world();
        let mut rng = Rng::with_seed(world.rng.u64(..));
        world
            .known_task_mut(task_arn, now)?
            .request_stop(now, reason, pace, &mut rng);
        Ok(())
    }

    async fn tag_task(
        &self,
        task_arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), CloudError> {
        let now = self.shared.now();
        let mut world = self.shared.world();
        let task = world.known_task_mut(task_arn, now)?;
        let mut merged = task.tags.clone();
        merged.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        if merged.len() > 50 {
            return Err(invalid(
                "ecs:TagResource",
                "a task can have at most 50 tags.",
            ));
        }
        task.tags = merged;
        Ok(())
    }

    async fn get_log_events(&self, query: &LogQuery) -> Result<LogPage, CloudError> {
        let now = self.shared.now();
        let source = self.shared.world().stream_source(
            &query.stream.group,
            &query.stream.stream,
            now,
            self.shared.pace,
        )?;
        source.page(query, now.timestamp_millis())
    }

    async fn start_live_tail(
        &self,
        group: &str,
        streams: &[String],
    ) -> Result<LiveTail, CloudError> {
        let family = family_of_group(group).ok_or_else(|| CloudError::NotFound {
            what: "log group".into(),
            detail: format!("{group}: The specified log group does not exist."),
        })?;
        if streams.len() > LIVE_TAIL_MAX_STREAMS {
            return Err(invalid(
                "logs:StartLiveTail",
                format!("at most {LIVE_TAIL_MAX_STREAMS} log streams per session"),
            ));
        }
        let mut session = TailSession {
            shared: self.shared.clone(),
            family,
            streams: streams.to_vec(),
            cursors: HashMap::new(),
        };
        session.start();
        let period = std::time::Duration::from_secs_f64(1.0 / self.shared.pace.speed);
        let interval = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        let updates = futures::stream::unfold(
            (session, interval),
            |(mut session, mut interval)| async move {
                interval.tick().await;
                let update = session.poll();
                Some((Ok(update), (session, interval)))
            },
        );
        Ok(Box::pin(updates))
    }
}

/// One Live Tail session: where it has read each stream up to.
struct TailSession {
    shared: Arc<Shared>,
    family: &'static FamilySpec,
    /// Empty: every stream of the group, as Live Tail does without a stream filter.
    streams: Vec<String>,
    cursors: HashMap<String, Pos>,
}

impl TailSession {
    /// Live Tail has no history: streams that exist now are read from their newest line on.
    fn start(&mut self) {
        let now = self.shared.now();
        let world = self.shared.world();
        for name in self.stream_names(&world, now) {
            if let Ok(source) =
                world.stream_source(&self.family.log_group(), &name, now, self.shared.pace)
            {
                self.cursors
                    .insert(name, source.frontier(now.timestamp_millis()));
            }
        }
    }

    fn stream_names(&self, world: &World, now: DateTime<Utc>) -> Vec<String> {
        if self.streams.is_empty() {
            world.streams_of(self.family, now)
        } else {
            self.streams.clone()
        }
    }

    /// The events that appeared since the last poll, oldest first, sampled above the cap.
    fn poll(&mut self) -> LiveTailUpdate {
        let now = self.shared.now();
        let world = self.shared.world();
        let group = self.family.log_group();
        let mut events: Vec<(String, RawLogEvent)> = Vec::new();
        for name in self.stream_names(&world, now) {
            let Ok(source) = world.stream_source(&group, &name, now, self.shared.pace) else {
                continue;
            };
            // A stream that appeared during the session is new from its first line.
            let from = self.cursors.get(&name).copied().unwrap_or(Pos::HEAD);
            let (new, next) = source.read_forward(from, now.timestamp_millis(), usize::MAX);
            self.cursors.insert(name.clone(), next);
            events.extend(new.into_iter().map(|event| (name.clone(), event)));
        }
        events.sort_by_key(|(_, event)| event.timestamp);
        let sampled = events.len() > LIVE_TAIL_MAX_EVENTS;
        if sampled {
            let step = events.len() as f64 / LIVE_TAIL_MAX_EVENTS as f64;
            events = (0..LIVE_TAIL_MAX_EVENTS)
                .map(|i| events[(i as f64 * step) as usize].clone())
                .collect();
        }
        LiveTailUpdate { events, sampled }
    }
}

#[cfg(test)]
mod tests;
