//! Simulated ECS services: each keeps its desired count of tasks running, starting a new task
//! a little while after one stops, as ECS's scheduler does. What DescribeServices says (counts,
//! status, events) is read off the service's tasks at any instant.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use fastrand::Rng;

use super::catalog::{self, FamilySpec};
use super::lifecycle::{Pace, SimTask};
use super::{CLIENT_TOKEN_HOURS, World, invalid, task_definition_not_found};
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
    /// `ecs-svc/…`: its tasks' `startedBy`, which tells them from those of an earlier
    /// service of the same name.
    pub deployment: String,
    pub tags: BTreeMap<String, String>,
}

impl World {
    /// Launch the tasks every service is owed up to `now`, one after each stop that left it
    /// short, a few simulated seconds later. Oldest first across services, so ids and plans
    /// drawn from the world's generator do not depend on how often anyone looked.
    pub(super) fn schedule_services(&mut self, now: DateTime<Utc>, pace: Pace) {
        for _ in 0..MAX_STARTS_PER_LOOK {
            let Some((at, index)) = (0..self.services.len())
                .filter_map(|index| Some((self.next_start(index, now, pace)?, index)))
                .min()
            else {
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
            self.launch(&request, Some(&name), family, at, pace);
        }
    }

    /// When service `index` starts its next task, if that is due by `now`: a few simulated
    /// seconds after the first moment since its last scale-up that it had fewer tasks than it
    /// wants, each task started since filling the earliest such gap. Read off the timeline,
    /// so it does not matter how often anyone looked in between.
    fn next_start(&self, index: usize, now: DateTime<Utc>, pace: Pace) -> Option<DateTime<Utc>> {
        let service = &self.services[index];
        if service.deleted_at.is_some() || service.desired <= 0 {
            return None;
        }
        let started = self.tasks_of(service).count();
        let mut stops: Vec<DateTime<Utc>> = self
            .tasks_of(service)
            .filter_map(|task| task.stop.as_ref().map(|stop| stop.at))
            .collect();
        stops.sort();
        // The count can only fall at the scale-up itself or at a stop after it.
        let mut falls = std::iter::once(service.scaled_up_at).chain(
            stops
                .iter()
                .copied()
                .filter(|at| *at > service.scaled_up_at && *at <= now),
        );
        let short_since = falls.find(|moment| {
            let stopped = stops.partition_point(|at| at <= moment);
            ((started - stopped) as i32) < service.desired
        })?;
        let mut rng = Rng::with_seed(short_since.timestamp_millis() as u64 ^ started as u64);
        let at = short_since + pace.between(&mut rng, 8.0, 15.0);
        (at <= now).then_some(at)
    }

    fn tasks_of<'a>(&'a self, service: &'a SimService) -> impl Iterator<Item = &'a SimTask> + 'a {
        self.tasks
            .iter()
            .filter(move |task| task.started_by == service.deployment)
    }

    fn service_index(&self, name: &str, now: DateTime<Utc>) -> Option<usize> {
        self.services
            .iter()
            .rposition(|service| service.name == name && !self.is_forgotten(service, now))
    }

    /// The ACTIVE service `name`, as UpdateService and DeleteService want it: ECS answers
    /// ServiceNotFoundException for a name it does not know (or has forgotten) and
    /// ServiceNotActiveException for one being deleted or deleted.
    fn active_service(
        &self,
        action: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, CloudError> {
        let refused = |detail: &str| CloudError::NotFound {
            what: format!("service {name}"),
            detail: format!("{action}: {detail}"),
        };
        let index = self
            .service_index(name, now)
            .ok_or_else(|| refused("ServiceNotFoundException: Service not found."))?;
        if self.services[index].deleted_at.is_some() {
            return Err(refused(
                "ServiceNotActiveException: Service was not ACTIVE.",
            ));
        }
        Ok(index)
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

    /// CreateService; its first task starts at a later look, as the scheduler gets to it.
    pub(super) fn create_service(
        &mut self,
        request: &ServiceRequest,
        now: DateTime<Utc>,
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
        let family = self
            .family(&request.task_definition)
            .ok_or_else(|| task_definition_not_found(&request.task_definition))?;
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
            deployment,
            tags: request.tags.clone(),
        });
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
        let index = self.active_service(ACTION, name, now)?;
        if desired < 0 {
            return Err(invalid(ACTION, "desiredCount can not be negative."));
        }
        let service = &mut self.services[index];
        if desired > service.desired {
            service.scaled_up_at = now;
        }
        service.desired = desired;
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
        let index = self.active_service("ecs:DeleteService", name, now)?;
        let service = &mut self.services[index];
        service.desired = 0;
        service.deleted_at = Some(now);
        let reason = format!(
            "Scaling activity initiated by (deployment {})",
            service.deployment
        );
        self.stop_excess(index, now, pace, &reason);
        Ok(())
    }

    fn stop_excess(&mut self, index: usize, now: DateTime<Utc>, pace: Pace, reason: &str) {
        let service = &self.services[index];
        let mut alive: Vec<String> = self
            .tasks_of(service)
            .filter(|task| task.is_alive(now))
            .map(|task| task.arn.clone())
            .collect();
        // Newest first: the world holds tasks in the order they started.
        alive.reverse();
        let excess = alive.len().saturating_sub(service.desired as usize);
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
        let views: Vec<_> = self.tasks_of(service).map(|task| task.view(now)).collect();
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
        for task in self.tasks_of(service) {
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
