//! Simulated ECS services: each keeps its desired count of tasks running, starting a new task
//! a little while after one stops, as ECS's scheduler does. What DescribeServices says (counts,
//! status, events) is read off the service's tasks at any instant.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use fastrand::Rng;

use super::catalog::{self, FamilySpec};
use super::lifecycle::Pace;
use super::{CLIENT_TOKEN_HOURS, World, invalid};
use ondeck_core::CloudError;
use ondeck_core::model::{RunRequest, Service, ServiceEvent, ServiceRequest, TaskState};

/// DescribeServices returns at most this many events of a service, newest first.
const EVENTS_KEPT: usize = 20;
/// ECS forgets an INACTIVE service after about an hour.
const INACTIVE_KEPT_HOURS: i64 = 1;
/// A scheduler round that never ends (a task that dies at once) stops here.
const MAX_STARTS_PER_LOOK: usize = 1000;

pub(super) struct SimService {
    pub arn: String,
    pub name: String,
    pub family: &'static FamilySpec,
    pub request: ServiceRequest,
    pub created_at: DateTime<Utc>,
    pub desired: i32,
    /// When the desired count last went up (creation or a resume): the next start is due then.
    pub scaled_up_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// The tasks it started, oldest first.
    pub task_arns: Vec<String>,
    /// `ecs-svc/…`: its tasks' `startedBy`.
    pub deployment: String,
    pub tags: BTreeMap<String, String>,
}

/// How ECS answers a call about a service it does not have (or no longer has).
fn not_found(action: &str, name: &str) -> CloudError {
    CloudError::NotFound {
        what: format!("service {name}"),
        detail: format!("{action}: ServiceNotFoundException: Service not found."),
    }
}

impl World {
    /// Launch the tasks every service is owed up to `now`: one after each stop that left it
    /// short, a few simulated seconds later.
    pub(super) fn schedule_services(&mut self, now: DateTime<Utc>, pace: Pace) {
        for index in 0..self.services.len() {
            for _ in 0..MAX_STARTS_PER_LOOK {
                let Some(at) = self.next_start(index, now, pace) else {
                    break;
                };
                let service = &self.services[index];
                let request = RunRequest {
                    task_definition: service.request.task_definition.clone(),
                    network: service.request.network.clone(),
                    started_by: service.deployment.clone(),
                    tags: service.tags.clone(),
                    env: BTreeMap::new(),
                    client_token: String::new(),
                    spot: service.request.spot,
                    enable_exec: service.request.enable_exec,
                };
                let (name, family) = (service.name.clone(), service.family);
                let arn = self.launch(&request, Some(&name), family, at, pace);
                self.services[index].task_arns.push(arn);
            }
        }
    }

    /// When service `index` starts its next task, if that is due by `now`.
    fn next_start(&self, index: usize, now: DateTime<Utc>, pace: Pace) -> Option<DateTime<Utc>> {
        let service = &self.services[index];
        if service.deleted_at.is_some() || service.desired <= 0 {
            return None;
        }
        let tasks: Vec<_> = self.tasks_of(service).collect();
        // Alive at the moment the next one would start: counted from the last event that
        // changed the count (a stop, or the scale-up).
        let last_stop = tasks
            .iter()
            .filter_map(|task| task.stop.as_ref().map(|stop| stop.at))
            .filter(|at| *at <= now)
            .max();
        let since = last_stop.map_or(service.scaled_up_at, |at| at.max(service.scaled_up_at));
        let alive = tasks.iter().filter(|task| task.is_alive(since)).count() as i32;
        if alive >= service.desired {
            return None;
        }
        let mut rng = Rng::with_seed(since.timestamp_millis() as u64 ^ tasks.len() as u64);
        let at = since + pace.between(&mut rng, 8.0, 15.0);
        (at <= now).then_some(at)
    }

    fn tasks_of<'a>(
        &'a self,
        service: &'a SimService,
    ) -> impl Iterator<Item = &'a super::lifecycle::SimTask> + 'a {
        self.tasks
            .iter()
            .filter(move |task| task.service.as_deref() == Some(service.name.as_str()))
    }

    fn service_index(&self, name: &str, now: DateTime<Utc>) -> Option<usize> {
        self.services
            .iter()
            .rposition(|service| service.name == name && !self.is_forgotten(service, now))
    }

    fn is_forgotten(&self, service: &SimService, now: DateTime<Utc>) -> bool {
        self.inactive_since(service, now)
            .is_some_and(|at| at + Duration::hours(INACTIVE_KEPT_HOURS) <= now)
    }

    /// Deleted and every task stopped: INACTIVE from then on.
    fn inactive_since(&self, service: &SimService, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let deleted = service.deleted_at?;
        let mut last = deleted;
        for task in self.tasks_of(service) {
            let stopped = task.stop.as_ref()?.stopped_at;
            if stopped > now {
                return None;
            }
            last = last.max(stopped);
        }
        Some(last)
    }

    pub(super) fn create_service(
        &mut self,
        request: &ServiceRequest,
        now: DateTime<Utc>,
        pace: Pace,
    ) -> Result<Service, CloudError> {
        const ACTION: &str = "ecs:CreateService";
        if request.network.subnets.is_empty() {
            return Err(invalid(ACTION, "subnets can not be empty."));
        }
        if request.client_token.len() > 36 {
            return Err(invalid(
                ACTION,
                "clientToken must be at most 36 characters.",
            ));
        }
        if request.name.len() > 255
            || !request
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid(
                ACTION,
                "service names may hold up to 255 letters, numbers, hyphens and underscores.",
            ));
        }
        if let Some(index) = self.service_index(&request.name, now)
            && self.inactive_since(&self.services[index], now).is_none()
        {
            let existing = &self.services[index];
            let same_token = existing.request.client_token == request.client_token
                && now - existing.created_at < Duration::hours(CLIENT_TOKEN_HOURS);
            if same_token && existing.request == *request {
                return Ok(self.service_view(index, now));
            }
            return Err(invalid(ACTION, "Creation of service was not idempotent."));
        }
        let family =
            catalog::find_family(&request.task_definition).ok_or_else(|| CloudError::NotFound {
                what: "task definition".into(),
                detail: format!(
                    "{}: Unable to find task definition.",
                    request.task_definition
                ),
            })?;
        let deployment = format!("ecs-svc/{}", self.rng.u64(..10u64.pow(18)));
        self.services.push(SimService {
            arn: format!(
                "arn:aws:ecs:{}:{}:service/{}/{}",
                catalog::REGION,
                catalog::ACCOUNT,
                catalog::CLUSTER,
                request.name
            ),
            name: request.name.clone(),
            family,
            request: request.clone(),
            created_at: now,
            desired: 1,
            scaled_up_at: now,
            deleted_at: None,
            task_arns: Vec::new(),
            deployment,
            tags: request.tags.clone(),
        });
        self.schedule_services(now, pace);
        Ok(self.service_view(self.services.len() - 1, now))
    }

    /// UpdateService's desired count; scaling in stops the newest tasks first, as ECS does.
    pub(super) fn scale_service(
        &mut self,
        name: &str,
        desired: i32,
        now: DateTime<Utc>,
        pace: Pace,
    ) -> Result<(), CloudError> {
        const ACTION: &str = "ecs:UpdateService";
        let index = self
            .service_index(name, now)
            .filter(|index| self.services[*index].deleted_at.is_none())
            .ok_or_else(|| not_found(ACTION, name))?;
        self.schedule_services(now, pace);
        let service = &mut self.services[index];
        if desired > service.desired {
            service.scaled_up_at = now;
        }
        service.desired = desired.max(0);
        let reason = format!(
            "Scaling activity initiated by (deployment {})",
            service.deployment
        );
        self.stop_excess(index, now, pace, &reason);
        Ok(())
    }

    /// DeleteService with force: no task is wanted any more; it is DRAINING until they stop.
    pub(super) fn delete_service(
        &mut self,
        name: &str,
        now: DateTime<Utc>,
        pace: Pace,
    ) -> Result<(), CloudError> {
        let index = self
            .service_index(name, now)
            .filter(|index| self.services[*index].deleted_at.is_none())
            .ok_or_else(|| not_found("ecs:DeleteService", name))?;
        self.schedule_services(now, pace);
        let service = &mut self.services[index];
        service.desired = 0;
        service.deleted_at = Some(now);
        self.stop_excess(index, now, pace, "ECS is deleting this service");
        Ok(())
    }

    fn stop_excess(&mut self, index: usize, now: DateTime<Utc>, pace: Pace, reason: &str) {
        let service = &self.services[index];
        let alive: Vec<String> = service
            .task_arns
            .iter()
            .rev()
            .filter(|arn| {
                self.tasks
                    .iter()
                    .any(|task| &task.arn == *arn && task.is_alive(now))
            })
            .cloned()
            .collect();
        let excess = alive.len().saturating_sub(service.desired.max(0) as usize);
        for arn in alive.into_iter().take(excess) {
            let mut rng = Rng::with_seed(self.rng.u64(..));
            if let Some(task) = self.task_mut(&arn) {
                task.request_stop(now, "ServiceSchedulerInitiated", reason, pace, &mut rng);
            }
        }
    }

    pub(super) fn services_in_view(&self, now: DateTime<Utc>) -> Vec<Service> {
        (0..self.services.len())
            .filter(|index| {
                let service = &self.services[*index];
                !self.is_forgotten(service, now)
                    && self.service_index(&service.name, now) == Some(*index)
            })
            .map(|index| self.service_view(index, now))
            .collect()
    }

    pub(super) fn tag_service(
        &mut self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Option<Result<(), CloudError>> {
        let service = self.services.iter_mut().rev().find(|s| s.arn == arn)?;
        let mut merged = service.tags.clone();
        merged.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        if merged.len() > 50 {
            return Some(Err(invalid(
                "ecs:TagResource",
                "a service can have at most 50 tags.",
            )));
        }
        service.tags = merged;
        Some(Ok(()))
    }

    /// What DescribeServices says of service `index` at `now`.
    fn service_view(&self, index: usize, now: DateTime<Utc>) -> Service {
        let service = &self.services[index];
        let views: Vec<_> = self
            .tasks_of(service)
            .filter(|task| task.created_at <= now)
            .map(|task| task.view(now))
            .collect();
        let alive = |task: &&ondeck_core::model::Task| task.desired_status != "STOPPED";
        let running = views
            .iter()
            .filter(alive)
            .filter(|task| task.last_status == TaskState::Running)
            .count() as i32;
        let pending = views.iter().filter(alive).count() as i32 - running;
        let status = match (service.deleted_at, self.inactive_since(service, now)) {
            (None, _) => "ACTIVE",
            (Some(_), None) => "DRAINING",
            (Some(_), Some(_)) => "INACTIVE",
        };
        Service {
            arn: service.arn.clone(),
            name: service.name.clone(),
            status: status.to_string(),
            task_definition_arn: service.family.arn(),
            desired_count: service.desired,
            running_count: running,
            pending_count: pending,
            tags: service.tags.clone(),
            created_at: Some(service.created_at),
            rollout_failed: None,
            events: self.events(service, now),
        }
    }

    /// ECS's event messages, derived from the tasks' lives: a start for each task, a stop for
    /// each that stopped, and a steady state once a task has run for a while.
    fn events(&self, service: &SimService, now: DateTime<Utc>) -> Vec<ServiceEvent> {
        let name = &service.name;
        let mut events = Vec::new();
        for task in self.tasks_of(service).filter(|task| task.created_at <= now) {
            let view = task.view(now);
            let id = &task.id;
            events.push(ServiceEvent {
                id: format!("{id}-started"),
                created_at: task.created_at,
                message: format!("(service {name}) has started 1 tasks: (task {id})."),
            });
            if let Some(started) = view.times.started_at {
                let steady = started + Duration::seconds(30);
                if steady <= now && task.is_alive(steady) {
                    events.push(ServiceEvent {
                        id: format!("{id}-steady"),
                        created_at: steady,
                        message: format!("(service {name}) has reached a steady state."),
                    });
                }
            }
            if let Some(stop) = task.stop.as_ref().filter(|stop| stop.at <= now) {
                events.push(ServiceEvent {
                    id: format!("{id}-stopped"),
                    created_at: stop.at,
                    message: format!("(service {name}) has stopped 1 running tasks: (task {id})."),
                });
            }
        }
        events.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        events.truncate(EVENTS_KEPT);
        events
    }
}
