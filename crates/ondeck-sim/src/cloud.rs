//! The [`Cloud`] trait over the simulated world: the ECS and CloudWatch Logs calls, and
//! Live Tail sessions read off the same generated streams.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use fastrand::Rng;

use super::catalog::{CLUSTER, FamilySpec, family_of_group};
use super::connect::{exec_unavailable, target_not_connected};
use super::logs::{Pos, filter_page};
use super::{
    CLIENT_TOKEN_HOURS, DemoCloud, LIVE_TAIL_MAX_EVENTS, LIVE_TAIL_MAX_STREAMS, Launch, Shared,
    World, invalid, task_definition_not_found,
};
use ondeck_core::instances::owner_key;
use ondeck_core::model::SessionGrant;
use ondeck_core::model::{
    FilteredPage, LogFilter, LogPage, LogQuery, RawLogEvent, RunOutcome, RunRequest, Scope,
    Service, ServiceRequest, Task, TaskDefinition, tags,
};
use ondeck_core::{Cloud, CloudError, LiveTail, LiveTailUpdate};

#[async_trait]
impl Cloud for DemoCloud {
    async fn list_tasks(&self, scope: &Scope) -> Result<Vec<Task>, CloudError> {
        let (now, world) = self.shared.world_now();
        Ok(world
            .tasks
            .iter()
            .filter(|task| !task.is_forgotten(now))
            .filter(|task| match scope {
                Scope::StartedBy(key) => task.started_by == *key,
                Scope::AllOwners => task.tags.contains_key(tags::INSTANCE),
                Scope::Service(name) => task.service.as_deref() == Some(name.as_str()),
            })
            .map(|task| task.view(now))
            .collect())
    }

    async fn list_services(&self, scope: &Scope) -> Result<Vec<Service>, CloudError> {
        let (now, world) = self.shared.world_now();
        let mut services = world.services_in_view(now);
        services.retain(|service| match scope {
            Scope::StartedBy(key) => service
                .tag(tags::OWNER)
                .is_some_and(|owner| owner_key(owner) == *key),
            Scope::AllOwners => service.tags.contains_key(tags::INSTANCE),
            Scope::Service(name) => service.name == *name,
        });
        Ok(services)
    }

    async fn create_service(&self, request: &ServiceRequest) -> Result<Service, CloudError> {
        let (now, mut world) = self.shared.world_now();
        world.create_service(request, now)
    }

    async fn scale_service(&self, name: &str, desired_count: i32) -> Result<(), CloudError> {
        let (now, mut world) = self.shared.world_now();
        world.scale_service(name, desired_count, now, self.shared.pace)
    }

    async fn delete_service(&self, name: &str) -> Result<(), CloudError> {
        let (now, mut world) = self.shared.world_now();
        world.delete_service(name, now, self.shared.pace)
    }

    async fn describe_tasks(&self, task_arns: &[String]) -> Result<Vec<Task>, CloudError> {
        let (now, world) = self.shared.world_now();
        Ok(world
            .tasks
            .iter()
            .filter(|task| !task.is_forgotten(now) && task_arns.contains(&task.arn))
            .map(|task| task.view(now))
            .collect())
    }

    async fn describe_task_definition(&self, name: &str) -> Result<TaskDefinition, CloudError> {
        self.shared
            .world()
            .family(name)
            .map(FamilySpec::to_task_definition)
            .ok_or_else(|| CloudError::NotFound {
                what: "task definition".into(),
                detail: format!("{name}: Unable to describe task definition."),
            })
    }

    async fn run_task(&self, request: &RunRequest) -> Result<RunOutcome, CloudError> {
        let pace = self.shared.pace;
        let (now, mut world) = self.shared.world_now();
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
        let family = world
            .family(&request.task_definition)
            .ok_or_else(|| task_definition_not_found(&request.task_definition))?;
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
        let arn = world.launch(request, None, family, now, pace);
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
        let pace = self.shared.pace;
        let (now, mut world) = self.shared.world_now();
        let mut rng = Rng::with_seed(world.rng.u64(..));
        world.known_task_mut(task_arn, now)?.request_stop(
            now,
            "UserInitiated",
            reason,
            pace,
            &mut rng,
        );
        Ok(())
    }

    async fn tag_resource(
        &self,
        task_arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), CloudError> {
        let (now, mut world) = self.shared.world_now();
        if let Some(tagged) = world.tag_service(task_arn, tags) {
            return tagged;
        }
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
        let (now, world) = self.shared.world_now();
        let source = world.stream_source(
            &query.stream.group,
            &query.stream.stream,
            now,
            self.shared.pace,
        )?;
        source.page(query, now.timestamp_millis())
    }

    async fn filter_log_events(&self, filter: &LogFilter) -> Result<FilteredPage, CloudError> {
        let (now, world) = self.shared.world_now();
        let mut sources = Vec::new();
        for stream in &filter.streams {
            match world.stream_source(&filter.group, stream, now, self.shared.pace) {
                Ok(source) => sources.push(Some(source)),
                Err(CloudError::NoLogStream { .. }) => sources.push(None),
                Err(error) => return Err(error),
            }
        }
        filter_page(filter, &sources, now.timestamp_millis())
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

    async fn execute_command(
        &self,
        task_arn: &str,
        container: &str,
        command: &str,
    ) -> Result<SessionGrant, CloudError> {
        let (task, index) = {
            let (now, world) = self.shared.world_now();
            let task = world.known_task(task_arn, now)?;
            let index = task
                .family
                .containers
                .iter()
                .position(|spec| spec.name == container)
                .ok_or_else(|| {
                    invalid(
                        "ecs:ExecuteCommand",
                        format!("The container {container} does not exist in the task."),
                    )
                })?;
            if task.view(now).containers[index].exec_agent.as_deref() != Some("RUNNING") {
                return Err(exec_unavailable());
            }
            (task.clone(), index)
        };
        Ok(self.shared.sessions().open_shell(&task, index, command))
    }

    async fn start_port_forward(
        &self,
        task_arn: &str,
        runtime_id: &str,
        port: u16,
    ) -> Result<SessionGrant, CloudError> {
        let (task, index) = {
            let (now, world) = self.shared.world_now();
            let task = world.known_task(task_arn, now)?;
            let view = task.view(now);
            let index = view
                .containers
                .iter()
                .position(|c| {
                    c.runtime_id.as_deref() == Some(runtime_id)
                        && c.exec_agent.as_deref() == Some("RUNNING")
                })
                .ok_or_else(|| {
                    target_not_connected(&format!("ecs:{CLUSTER}_{}_{runtime_id}", task.id))
                })?;
            (task.clone(), index)
        };
        Ok(self.shared.sessions().open_forward(&task, index, port))
    }

    async fn end_session(&self, session_id: &str) -> Result<(), CloudError> {
        // Nothing was ever opened when the agent has not started: nothing to end.
        if let Some(sessions) = self.shared.sessions.get() {
            sessions.terminate(session_id);
        }
        Ok(())
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
        let (now, world) = self.shared.world_now();
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
        let (now, world) = self.shared.world_now();
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
