//! SDK shapes to ondeck's own: tasks and task definitions.

use aws_sdk_ecs as ecs;
use chrono::{DateTime, Utc};

use ondeck_core::model::{
    Container, ContainerDefinition, LogConfig, Service, ServiceEvent, Task, TaskDefinition,
    TaskState, TaskTimes,
};

fn time(value: Option<&aws_smithy_types::DateTime>) -> Option<DateTime<Utc>> {
    let value = value?;
    DateTime::from_timestamp(value.secs(), value.subsec_nanos())
}

pub(crate) fn task_from_sdk(task: &ecs::types::Task) -> Task {
    let private_ip = task
        .containers()
        .iter()
        .flat_map(|container| container.network_interfaces())
        .find_map(|eni| eni.private_ipv4_address().map(str::to_string))
        .or_else(|| {
            task.attachments()
                .iter()
                .flat_map(|attachment| attachment.details())
                .find(|detail| detail.name() == Some("privateIPv4Address"))
                .and_then(|detail| detail.value().map(str::to_string))
        });
    Task {
        task_arn: task.task_arn().unwrap_or_default().to_string(),
        task_definition_arn: task.task_definition_arn().unwrap_or_default().to_string(),
        last_status: TaskState::parse(task.last_status().unwrap_or("UNKNOWN")),
        desired_status: task.desired_status().unwrap_or_default().to_string(),
        stop_code: task.stop_code().map(|code| code.as_str().to_string()),
        stopped_reason: task.stopped_reason().map(str::to_string),
        started_by: task.started_by().map(str::to_string),
        containers: task
            .containers()
            .iter()
            .map(|container| Container {
                name: container.name().unwrap_or_default().to_string(),
                last_status: container.last_status().unwrap_or_default().to_string(),
                exit_code: container.exit_code(),
                health: container
                    .health_status()
                    .map(|health| health.as_str().to_string()),
                reason: container.reason().map(str::to_string),
                runtime_id: container.runtime_id().map(str::to_string),
                exec_agent: container
                    .managed_agents()
                    .iter()
                    .find(|agent| {
                        agent.name().map(|name| name.as_str()) == Some("ExecuteCommandAgent")
                    })
                    .and_then(|agent| agent.last_status().map(str::to_string)),
            })
            .collect(),
        tags: task
            .tags()
            .iter()
            .filter_map(|tag| Some((tag.key()?.to_string(), tag.value()?.to_string())))
            .collect(),
        cpu: task.cpu().map(str::to_string),
        memory: task.memory().map(str::to_string),
        private_ip,
        capacity_provider: task.capacity_provider_name().map(str::to_string),
        times: TaskTimes {
            created_at: time(task.created_at()),
            pull_started_at: time(task.pull_started_at()),
            pull_stopped_at: time(task.pull_stopped_at()),
            started_at: time(task.started_at()),
            stopping_at: time(task.stopping_at()),
            execution_stopped_at: time(task.execution_stopped_at()),
            stopped_at: time(task.stopped_at()),
        },
        exec_enabled: task.enable_execute_command(),
        group: task.group().map(str::to_string),
        env_overrides: task
            .overrides()
            .map(|overrides| overrides.container_overrides())
            .unwrap_or_default()
            .iter()
            .filter(|container| !container.environment().is_empty())
            .filter_map(|container| {
                let vars = container
                    .environment()
                    .iter()
                    .filter_map(|pair| Some((pair.name()?.to_string(), pair.value()?.to_string())))
                    .collect();
                Some((container.name()?.to_string(), vars))
            })
            .collect(),
    }
}

/// How many of a service's events are kept: the timeline shows the recent ones, and ECS
/// returns up to 100 per service on every describe.
const SERVICE_EVENTS_KEPT: usize = 20;

pub(crate) fn service_from_sdk(service: &ecs::types::Service) -> Service {
    let rollout_failed = service
        .deployments()
        .iter()
        .find(|deployment| deployment.status() == Some("PRIMARY"))
        .filter(|deployment| {
            deployment.rollout_state() == Some(&ecs::types::DeploymentRolloutState::Failed)
        })
        .map(|deployment| {
            deployment
                .rollout_state_reason()
                .unwrap_or("the deployment circuit breaker stopped the rollout")
                .to_string()
        });
    Service {
        arn: service.service_arn().unwrap_or_default().to_string(),
        name: service.service_name().unwrap_or_default().to_string(),
        status: service.status().unwrap_or_default().to_string(),
        task_definition_arn: service.task_definition().unwrap_or_default().to_string(),
        desired_count: service.desired_count(),
        running_count: service.running_count(),
        pending_count: service.pending_count(),
        tags: service
            .tags()
            .iter()
            .filter_map(|tag| Some((tag.key()?.to_string(), tag.value()?.to_string())))
            .collect(),
        created_at: time(service.created_at()),
        rollout_failed,
        events: service
            .events()
            .iter()
            .take(SERVICE_EVENTS_KEPT)
            .filter_map(|event| {
                Some(ServiceEvent {
                    id: event.id()?.to_string(),
                    created_at: time(event.created_at())?,
                    message: event.message()?.to_string(),
                })
            })
            .collect(),
    }
}

pub(crate) fn definition_from_sdk(definition: &ecs::types::TaskDefinition) -> TaskDefinition {
    TaskDefinition {
        arn: definition
            .task_definition_arn()
            .unwrap_or_default()
            .to_string(),
        family: definition.family().unwrap_or_default().to_string(),
        revision: definition.revision(),
        cpu: definition.cpu().map(str::to_string),
        memory: definition.memory().map(str::to_string),
        cpu_architecture: definition
            .runtime_platform()
            .and_then(|platform| platform.cpu_architecture())
            .map(|arch| arch.as_str().to_string()),
        task_role_arn: definition.task_role_arn().map(str::to_string),
        containers: definition
            .container_definitions()
            .iter()
            .map(|container| {
                let log = container.log_configuration().map(|log| {
                    let option =
                        |key: &str| log.options().and_then(|options| options.get(key)).cloned();
                    LogConfig {
                        driver: log.log_driver().as_str().to_string(),
                        group: option("awslogs-group"),
                        region: option("awslogs-region"),
                        stream_prefix: option("awslogs-stream-prefix"),
                        create_group: option("awslogs-create-group")
                            .is_some_and(|value| value.eq_ignore_ascii_case("true")),
                    }
                });
                ContainerDefinition {
                    name: container.name().unwrap_or_default().to_string(),
                    essential: container.essential().unwrap_or(true),
                    container_ports: container
                        .port_mappings()
                        .iter()
                        .filter_map(|mapping| mapping.container_port())
                        .filter_map(|port| u16::try_from(port).ok())
                        .collect(),
                    cpu: u32::try_from(container.cpu()).ok().filter(|cpu| *cpu > 0),
                    memory: container
                        .memory()
                        .or(container.memory_reservation())
                        .and_then(|mib| u32::try_from(mib).ok()),
                    log,
                }
            })
            .collect(),
    }
}
