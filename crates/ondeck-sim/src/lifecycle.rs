//! One simulated task: its whole life is planned up front (and re-planned when someone stops
//! it), and what ECS would report is read off that plan at any instant.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use fastrand::Rng;

use super::catalog::{Behaviour, CANNOT_PULL, FamilySpec, OUT_OF_MEMORY};
use super::logs::stream_seed;
use ondeck_core::model::{Container, Task, TaskState, TaskTimes};

/// Simulated seconds at the demo's speed, as wall-clock time.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pace {
    pub speed: f64,
}

impl Pace {
    pub fn secs(self, seconds: f64) -> Duration {
        Duration::milliseconds((seconds * 1000.0 / self.speed).round() as i64)
    }

    /// A jittered span between `low` and `high` simulated seconds.
    pub fn between(self, rng: &mut Rng, low: f64, high: f64) -> Duration {
        self.secs(low + rng.f64() * (high - low))
    }
}

/// How a container's life ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ContainerExit {
    pub at: DateTime<Utc>,
    pub code: Option<i32>,
    pub reason: Option<String>,
}

/// The way down, from the moment the desired status becomes STOPPED.
#[derive(Debug, Clone)]
pub(super) struct StopPlan {
    /// ECS's stoppingAt: the desired status turns STOPPED here.
    pub at: DateTime<Utc>,
    pub code: &'static str,
    pub reason: String,
    pub phases: Vec<(DateTime<Utc>, TaskState)>,
    pub execution_stopped_at: DateTime<Utc>,
    pub stopped_at: DateTime<Utc>,
    /// One per container, in task definition order.
    pub exits: Vec<ContainerExit>,
}

#[derive(Debug, Clone)]
pub(super) struct SimTask {
    pub arn: String,
    pub id: String,
    pub family: &'static FamilySpec,
    pub started_by: String,
    pub tags: BTreeMap<String, String>,
    pub env: BTreeMap<String, BTreeMap<String, String>>,
    pub capacity_provider: &'static str,
    pub private_ip: String,
    /// RunTask's enableExecuteCommand: each container then runs an ExecuteCommandAgent.
    pub exec_enabled: bool,
    /// The service that started it, if one did.
    pub service: Option<String>,
    pub created_at: DateTime<Utc>,
    pub pending_at: DateTime<Utc>,
    pub pull_started_at: DateTime<Utc>,
    pub pull_stopped_at: Option<DateTime<Utc>>,
    pub activating_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    /// Per container: when it starts running, and when its health check first passes.
    pub container_started_at: Vec<Option<DateTime<Utc>>>,
    pub healthy_at: Vec<Option<DateTime<Utc>>>,
    /// Planned, possibly in the future: a crash or failed pull is known from the start.
    pub stop: Option<StopPlan>,
}

/// Everything a new task needs besides its plan.
pub(super) struct Identity {
    pub arn: String,
    pub id: String,
    pub started_by: String,
    pub tags: BTreeMap<String, String>,
    pub env: BTreeMap<String, BTreeMap<String, String>>,
    pub capacity_provider: &'static str,
    pub private_ip: String,
    pub exec_enabled: bool,
    pub service: Option<String>,
}

impl SimTask {
    /// Plan a task created at `created_at`: PROVISIONING → PENDING → ACTIVATING → RUNNING in
    /// 10–30 simulated seconds, or a failure where the task definition calls for one.
    pub fn launch(
        identity: Identity,
        family: &'static FamilySpec,
        created_at: DateTime<Utc>,
        pace: Pace,
        rng: &mut Rng,
    ) -> SimTask {
        let pending_at = created_at + pace.between(rng, 3.0, 7.0);
        let pull_started_at = pending_at + pace.between(rng, 1.0, 2.0);
        let mut task = SimTask {
            arn: identity.arn,
            id: identity.id,
            family,
            started_by: identity.started_by,
            tags: identity.tags,
            env: identity.env,
            capacity_provider: identity.capacity_provider,
            private_ip: identity.private_ip,
            exec_enabled: identity.exec_enabled,
            service: identity.service,
            created_at,
            pending_at,
            pull_started_at,
            pull_stopped_at: None,
            activating_at: None,
            started_at: None,
            container_started_at: vec![None; family.containers.len()],
            healthy_at: vec![None; family.containers.len()],
            stop: None,
        };
        let image_missing = family
            .containers
            .iter()
            .any(|spec| spec.behaviour == Behaviour::ImageMissing);
        if image_missing {
            // The agent retries the pull five times before it gives up on the task.
            let failed_at = pull_started_at + pace.between(rng, 8.0, 15.0);
            task.stop = Some(task.failed_to_start(failed_at, pace, rng));
            return task;
        }
        let pull_stopped_at = pull_started_at + pace.between(rng, 4.0, 14.0);
        let activating_at = pull_stopped_at + pace.between(rng, 1.0, 3.0);
        let mut last_container = activating_at;
        for (index, spec) in family.containers.iter().enumerate() {
            let started = activating_at + pace.between(rng, 0.0, 1.0);
            last_container = last_container.max(started);
            task.container_started_at[index] = Some(started);
            if spec.health_check {
                task.healthy_at[index] = Some(started + pace.between(rng, 5.0, 25.0));
            }
        }
        let started_at = last_container + pace.between(rng, 0.5, 3.0);
        task.pull_stopped_at = Some(pull_stopped_at);
        task.activating_at = Some(activating_at);
        task.started_at = Some(started_at);
        if let Some((index, after)) =
            family
                .containers
                .iter()
                .enumerate()
                .find_map(|(index, spec)| match spec.behaviour {
                    Behaviour::CrashesAfter(after) => Some((index, (after, 1, None))),
                    Behaviour::RunsOutOfMemoryAfter(after) => {
                        Some((index, (after, 137, Some(OUT_OF_MEMORY))))
                    }
                    _ => None,
                })
        {
            let (after, code, reason) = after;
            let crash_at = started_at + pace.between(rng, after * 0.75, after * 1.25);
            let exit = ContainerExit {
                at: crash_at,
                code: Some(code),
                reason: reason.map(str::to_string),
            };
            task.stop = Some(task.essential_exited(index, exit, pace, rng));
        }
        task
    }

    /// StopTask at `at` (`UserInitiated`), or a service scaling in (`ServiceSchedulerInitiated`).
    /// A task already on its way down keeps its plan, as ECS does.
    pub fn request_stop(
        &mut self,
        at: DateTime<Utc>,
        code: &'static str,
        reason: &str,
        pace: Pace,
        rng: &mut Rng,
    ) {
        if self.stop.as_ref().is_some_and(|stop| stop.at <= at) {
            return;
        }
        let mut plan = self.shutdown(at, None, pace, rng);
        plan.code = code;
        plan.reason = reason.to_string();
        self.stop = Some(plan);
    }

    /// Alive at `now`: not yet on its way down.
    pub fn is_alive(&self, now: DateTime<Utc>) -> bool {
        self.stop.as_ref().is_none_or(|stop| stop.at > now)
    }

    fn failed_to_start(&self, at: DateTime<Utc>, pace: Pace, rng: &mut Rng) -> StopPlan {
        let stopped_at = at + pace.between(rng, 3.0, 6.0);
        StopPlan {
            at,
            code: "TaskFailedToStart",
            reason: CANNOT_PULL.to_string(),
            phases: vec![
                (at, TaskState::Deprovisioning),
                (stopped_at, TaskState::Stopped),
            ],
            execution_stopped_at: at,
            stopped_at,
            exits: self
                .family
                .containers
                .iter()
                .map(|spec| ContainerExit {
                    at,
                    code: None,
                    reason: (spec.behaviour == Behaviour::ImageMissing)
                        .then(|| CANNOT_PULL.to_string()),
                })
                .collect(),
        }
    }

    fn essential_exited(
        &self,
        index: usize,
        exit: ContainerExit,
        pace: Pace,
        rng: &mut Rng,
    ) -> StopPlan {
        let at = exit.at;
        let mut plan = self.shutdown(at, Some((index, exit)), pace, rng);
        plan.code = "EssentialContainerExited";
        plan.reason = "Essential container in task exited".to_string();
        plan
    }

    /// DEACTIVATING → STOPPING → DEPROVISIONING → STOPPED in 10–20 simulated seconds;
    /// `crashed` (container index, its exit) already ended at `at`, the others get SIGTERM.
    fn shutdown(
        &self,
        at: DateTime<Utc>,
        crashed: Option<(usize, ContainerExit)>,
        pace: Pace,
        rng: &mut Rng,
    ) -> StopPlan {
        let stopping = at + pace.between(rng, 1.0, 2.0);
        let execution_stopped_at = stopping + pace.between(rng, 4.0, 7.0);
        let stopped_at = execution_stopped_at + pace.between(rng, 5.0, 10.0);
        let exits = self
            .family
            .containers
            .iter()
            .enumerate()
            .map(|(index, spec)| {
                let ran = self.container_started_at[index].is_some_and(|started| started < at);
                if let Some((_, exit)) = crashed.as_ref().filter(|(which, _)| *which == index) {
                    return exit.clone();
                }
                if !ran {
                    return ContainerExit {
                        at: execution_stopped_at,
                        code: None,
                        reason: None,
                    };
                }
                // At least 1.5 s into STOPPING: a container's last log second (its
                // farewell lines) then always begins after the stop request, so the
                // re-plan never rewrites lines someone may already have read.
                let (code, exit_at) = if spec.behaviour == Behaviour::IgnoresSigterm {
                    (137, execution_stopped_at)
                } else {
                    (0, stopping + pace.between(rng, 1.5, 4.0))
                };
                ContainerExit {
                    at: exit_at,
                    code: Some(code),
                    reason: None,
                }
            })
            .collect();
        StopPlan {
            at,
            code: "",
            reason: String::new(),
            phases: vec![
                (at, TaskState::Deactivating),
                (stopping, TaskState::Stopping),
                (execution_stopped_at, TaskState::Deprovisioning),
                (stopped_at, TaskState::Stopped),
            ],
            execution_stopped_at,
            stopped_at,
            exits,
        }
    }

    /// The stop plan if it has begun by `now`.
    fn stop_by(&self, now: DateTime<Utc>) -> Option<&StopPlan> {
        self.stop.as_ref().filter(|stop| stop.at <= now)
    }

    /// A moment of the start plan that happens, i.e. comes before any stop.
    fn happens(&self, at: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        at.filter(|at| self.stop.as_ref().is_none_or(|stop| *at < stop.at))
    }

    fn status_at(&self, now: DateTime<Utc>) -> TaskState {
        let start = [
            (Some(self.created_at), TaskState::Provisioning),
            (Some(self.pending_at), TaskState::Pending),
            (self.activating_at, TaskState::Activating),
            (self.started_at, TaskState::Running),
        ];
        let start = start
            .into_iter()
            .filter_map(|(at, state)| self.happens(at).map(|at| (at, state)));
        let stop = self
            .stop
            .iter()
            .flat_map(|stop| stop.phases.iter().cloned());
        start
            .chain(stop)
            .take_while(|(at, _)| *at <= now)
            .last()
            .map_or(TaskState::Provisioning, |(_, state)| state)
    }

    /// When container `index` starts running, if it ever does.
    pub fn container_start(&self, index: usize) -> Option<DateTime<Utc>> {
        self.happens(self.container_started_at[index])
    }

    pub fn container_exit(&self, index: usize) -> Option<&ContainerExit> {
        self.stop.as_ref().map(|stop| &stop.exits[index])
    }

    /// ECS's runtimeId of container `index`: the task id and a number of its own.
    pub fn runtime_id(&self, index: usize) -> String {
        let spec = &self.family.containers[index];
        format!(
            "{}-{:010}",
            self.id,
            stream_seed(&self.id, spec.name) % 10_000_000_000
        )
    }

    /// Stopped for more than an hour: ECS no longer lists or describes it.
    pub fn is_forgotten(&self, now: DateTime<Utc>) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|stop| stop.stopped_at + Duration::hours(1) <= now)
    }

    /// What DescribeTasks would say at `now`.
    pub fn view(&self, now: DateTime<Utc>) -> Task {
        let seen = |at: Option<DateTime<Utc>>| at.filter(|at| *at <= now);
        let stop = self.stop_by(now);
        let containers = self
            .family
            .containers
            .iter()
            .enumerate()
            .map(|(index, spec)| {
                let started = seen(self.container_start(index));
                let exit = stop
                    .map(|stop| &stop.exits[index])
                    .filter(|exit| exit.at <= now);
                let last_status = match (exit, started) {
                    (Some(_), _) => "STOPPED",
                    (None, Some(_)) => "RUNNING",
                    (None, None) => "PENDING",
                };
                let healthy =
                    exit.is_none() && started.is_some() && seen(self.healthy_at[index]).is_some();
                Container {
                    // The agent starts with its container and stops with it.
                    exec_agent: self.exec_enabled.then(|| last_status.to_string()),
                    runtime_id: started.map(|_| self.runtime_id(index)),
                    name: spec.name.to_string(),
                    last_status: last_status.to_string(),
                    exit_code: exit.and_then(|exit| exit.code),
                    health: spec
                        .health_check
                        .then(|| if healthy { "HEALTHY" } else { "UNKNOWN" }.to_string()),
                    reason: exit.and_then(|exit| exit.reason.clone()),
                }
            })
            .collect();
        Task {
            exec_enabled: self.exec_enabled,
            group: self.service.as_ref().map(|name| format!("service:{name}")),
            env_overrides: self.env.clone(),
            task_arn: self.arn.clone(),
            task_definition_arn: self.family.arn(),
            last_status: self.status_at(now),
            desired_status: if stop.is_some() { "STOPPED" } else { "RUNNING" }.to_string(),
            stop_code: stop.map(|stop| stop.code.to_string()),
            stopped_reason: stop.map(|stop| stop.reason.clone()),
            started_by: Some(self.started_by.clone()),
            containers,
            tags: self.tags.clone(),
            cpu: Some(self.family.cpu.to_string()),
            memory: Some(self.family.memory.to_string()),
            private_ip: seen(self.happens(Some(self.pending_at))).map(|_| self.private_ip.clone()),
            capacity_provider: Some(self.capacity_provider.to_string()),
            times: TaskTimes {
                created_at: Some(self.created_at),
                pull_started_at: seen(self.happens(Some(self.pull_started_at))),
                pull_stopped_at: seen(self.happens(self.pull_stopped_at)),
                started_at: seen(self.happens(self.started_at)),
                stopping_at: stop.map(|stop| stop.at),
                execution_stopped_at: stop.and_then(|stop| seen(Some(stop.execution_stopped_at))),
                stopped_at: stop.and_then(|stop| seen(Some(stop.stopped_at))),
            },
        }
    }
}
