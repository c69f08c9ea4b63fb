//! A simulated ECS Fargate cluster and CloudWatch Logs, inside the process, behind the same
//! [`Cloud`](ondeck_core::Cloud) trait as AWS. Nothing is stored as "current state": every
//! task's life is planned when it starts (or is stopped) and read off the plan at the clock's
//! time, so the world moves on by itself between calls without a background task.

mod catalog;
mod cloud;
mod connect;
mod lifecycle;
mod logs;
mod registry;
mod services;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use fastrand::Rng;

pub use catalog::demo_config;
use catalog::{FamilySpec, LogDriver, family_of_group, find_family};
use lifecycle::{Identity, Pace, SimTask};
use logs::{Ending, StreamSource, stream_seed};
use ondeck_core::CloudError;
use ondeck_core::config::TemplateKind;
use ondeck_core::instances::{owner_key, service_name};
use ondeck_core::model::{RunRequest, ServiceRequest, tags};
pub use registry::demo_task_definitions;

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
    /// Started by the first shell or port forward.
    sessions: OnceLock<connect::Sessions>,
}

struct World {
    tasks: Vec<SimTask>,
    /// Every service created, deleted ones too until ECS forgets them.
    services: Vec<services::SimService>,
    /// RunTask client tokens seen in the last day.
    launches: HashMap<String, Launch>,
    rng: Rng,
    hostile_lines: bool,
    /// Container and compose templates registered in this process, oldest first.
    registered: Vec<registry::Revision>,
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
            services: Vec::new(),
            launches: HashMap::new(),
            rng: Rng::with_seed(0x0d3c_4d3e_0000_0001),
            hostile_lines: false,
            registered: Vec::new(),
        };
        world.populate(owner, clock.now(), pace);
        DemoCloud {
            shared: Arc::new(Shared {
                clock,
                pace,
                world: Mutex::new(world),
                sessions: OnceLock::new(),
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

    /// The world as it is now, its services having started every task due by then. The time
    /// is read under the lock, so that calls see the clock move on in the order they look.
    fn world_now(&self) -> (DateTime<Utc>, MutexGuard<'_, World>) {
        let mut world = self.world();
        let now = self.now();
        world.schedule_services(now, self.pace);
        (now, world)
    }

    fn sessions(&self) -> &connect::Sessions {
        self.sessions.get_or_init(connect::Sessions::start)
    }
}

fn task_not_found(task: &str) -> CloudError {
    CloudError::NotFound {
        what: "task".into(),
        detail: format!("{task}: The referenced task was not found."),
    }
}

fn task_definition_not_found(name: &str) -> CloudError {
    CloudError::NotFound {
        what: "task definition".into(),
        detail: format!("{name}: Unable to find task definition."),
    }
}

fn invalid(action: &str, detail: impl Into<String>) -> CloudError {
    CloudError::Invalid {
        action: action.into(),
        detail: detail.into(),
    }
}

impl World {
    /// The instances a team member would find on a Monday morning.
    fn populate(&mut self, owner: &str, now: DateTime<Utc>, pace: Pace) {
        let other = if owner == "alice" { "bob" } else { "alice" };
        let seeds: [(&str, &str, &str, Duration, Option<Duration>); 7] = [
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
            // Its worker runs out of memory every few minutes; its service starts another.
            (
                owner,
                "queue-workers",
                "workers",
                Duration::minutes(7),
                None,
            ),
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
        if let Some(ttl) = template.ttl {
            tags.insert(
                tags::EXPIRES_AT.to_string(),
                (created_at + ttl).to_rfc3339_opts(SecondsFormat::Secs, true),
            );
        }
        for (index, task_definition) in template.task_definitions().iter().enumerate() {
            let family = find_family(task_definition).expect("demo templates use known families");
            let network = ondeck_core::model::NetworkConfig {
                subnets: vec!["subnet-0demo1".into(), "subnet-0demo2".into()],
                security_groups: vec!["sg-0demo".into()],
                assign_public_ip: false,
            };
            if template.kind == TemplateKind::Service {
                let request = ServiceRequest {
                    name: service_name(who, instance, family.family),
                    task_definition: task_definition.clone(),
                    network,
                    tags: tags.clone(),
                    client_token: format!("{intent}-{index}"),
                    spot: template.spot,
                    enable_exec: template.exec.unwrap_or(true),
                };
                self.create_service(&request, created_at)
                    .expect("demo services are valid");
                continue;
            }
            let request = RunRequest {
                // As the engine decides it: the demo's task definitions all have a task role.
                enable_exec: template.exec.unwrap_or(true),
                task_definition: task_definition.clone(),
                network,
                started_by: owner_key(who),
                tags: tags.clone(),
                env: template.env.clone(),
                client_token: format!("{intent}-{index}"),
                spot: template.spot,
            };
            let arn = self.launch(&request, None, family, created_at, pace);
            if let Some(at) = stopped_at {
                let mut rng = Rng::with_seed(self.rng.u64(..));
                let task = self.task_mut(&arn).expect("just launched");
                task.tags.insert(
                    tags::STOP_REQUESTED.to_string(),
                    at.to_rfc3339_opts(SecondsFormat::Secs, true),
                );
                let reason = format!("ondeck: destroyed by {who}");
                task.request_stop(at, "UserInitiated", &reason, pace, &mut rng);
            }
        }
    }

    /// Start one task (for `service`, when one starts it) and return its ARN.
    fn launch(
        &mut self,
        request: &RunRequest,
        service: Option<&str>,
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
            exec_enabled: request.enable_exec,
            service: service.map(str::to_string),
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
    fn known_task(&self, arn_or_id: &str, now: DateTime<Utc>) -> Result<&SimTask, CloudError> {
        self.tasks
            .iter()
            .find(|task| (task.arn == arn_or_id || task.id == arn_or_id) && !task.is_forgotten(now))
            .ok_or_else(|| task_not_found(arn_or_id))
    }

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
                let ending = match (exit.code, &exit.reason) {
                    (Some(137), Some(_)) => Ending::OutOfMemory,
                    (Some(137), None) => Ending::Killed,
                    (Some(0) | None, _) => Ending::Graceful,
                    (Some(_), _) => Ending::Crashed,
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

#[cfg(test)]
mod tests;
