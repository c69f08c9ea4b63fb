//! ondeck's task definition model to RegisterTaskDefinition's shapes, and a described task
//! definition back into the model so that `templates diff` compares like with like.

use std::collections::BTreeMap;

use aws_sdk_ecs as ecs;
use ecs::types::{
    ContainerCondition, ContainerDefinition, ContainerDependency, CpuArchitecture as SdkArch,
    HealthCheck as SdkHealthCheck, KernelCapabilities, KeyValuePair, LinuxParameters,
    LogConfiguration as SdkLog, LogDriver, OsFamily, PortMapping as SdkPort, RuntimePlatform,
    Secret, TransportProtocol,
};
use ondeck_templates::model::{
    Container, CpuArchitecture, DependencyCondition, HealthCheck, LogConfiguration, PortMapping,
    Protocol, TaskDefinition,
};
use ondeck_templates::size::TaskSize;

/// A builder refused a value the model always has: a bug, reported with the field.
#[derive(Debug)]
pub(crate) struct ShapeError(pub(crate) String);

/// Every field of the model on its SDK container definition, nothing else.
pub(crate) fn container_to_sdk(container: &Container) -> Result<ContainerDefinition, ShapeError> {
    let log = &container.log_configuration;
    let log_configuration = SdkLog::builder()
        .log_driver(LogDriver::Awslogs)
        .options("awslogs-group", &log.awslogs_group)
        .options("awslogs-region", &log.awslogs_region)
        .options("awslogs-stream-prefix", &log.awslogs_stream_prefix)
        .build()
        .map_err(|err| ShapeError(format!("logConfiguration: {err}")))?;
    let mut definition = ContainerDefinition::builder()
        .name(&container.name)
        .image(&container.image)
        .essential(container.essential)
        .set_cpu(container.cpu.map(to_i32))
        .set_memory(container.memory.map(to_i32))
        .set_memory_reservation(container.memory_reservation.map(to_i32))
        .set_entry_point(container.entry_point.clone())
        .set_command(container.command.clone())
        .set_user(container.user.clone())
        .set_working_directory(container.working_directory.clone())
        .set_stop_timeout(container.stop_timeout.map(to_i32))
        .log_configuration(log_configuration);
    for port in &container.port_mappings {
        definition = definition.port_mappings(
            SdkPort::builder()
                .container_port(i32::from(port.container_port))
                .protocol(match port.protocol {
                    Protocol::Tcp => TransportProtocol::Tcp,
                    Protocol::Udp => TransportProtocol::Udp,
                })
                .build(),
        );
    }
    for (name, value) in &container.environment {
        definition =
            definition.environment(KeyValuePair::builder().name(name).value(value).build());
    }
    for (name, value_from) in &container.secrets {
        definition = definition.secrets(
            Secret::builder()
                .name(name)
                .value_from(value_from)
                .build()
                .map_err(|err| ShapeError(format!("secrets.{name}: {err}")))?,
        );
    }
    for (name, condition) in &container.depends_on {
        definition = definition.depends_on(
            ContainerDependency::builder()
                .container_name(name)
                .condition(ContainerCondition::from(condition_name(*condition)))
                .build()
                .map_err(|err| ShapeError(format!("dependsOn.{name}: {err}")))?,
        );
    }
    if let Some(health) = &container.health_check {
        definition = definition.health_check(
            SdkHealthCheck::builder()
                .set_command(Some(health.command.clone()))
                .interval(to_i32(health.interval))
                .timeout(to_i32(health.timeout))
                .retries(to_i32(health.retries))
                .start_period(to_i32(health.start_period))
                .build()
                .map_err(|err| ShapeError(format!("healthCheck: {err}")))?,
        );
    }
    // Unset and false are one registration; only what is on is sent.
    if container.readonly_root_filesystem {
        definition = definition.readonly_root_filesystem(true);
    }
    if container.pseudo_terminal {
        definition = definition.pseudo_terminal(true);
    }
    if container.interactive {
        definition = definition.interactive(true);
    }
    let capabilities =
        !container.capabilities_add.is_empty() || !container.capabilities_drop.is_empty();
    if container.init_process_enabled || capabilities {
        let mut linux = LinuxParameters::builder();
        if container.init_process_enabled {
            linux = linux.init_process_enabled(true);
        }
        if capabilities {
            linux = linux.capabilities(
                KernelCapabilities::builder()
                    .set_add(Some(container.capabilities_add.clone()))
                    .set_drop(Some(container.capabilities_drop.clone()))
                    .build(),
            );
        }
        definition = definition.linux_parameters(linux.build());
    }
    Ok(definition.build())
}

pub(crate) fn runtime_platform(architecture: CpuArchitecture) -> RuntimePlatform {
    RuntimePlatform::builder()
        .cpu_architecture(match architecture {
            CpuArchitecture::X86_64 => SdkArch::X8664,
            CpuArchitecture::Arm64 => SdkArch::Arm64,
        })
        .operating_system_family(OsFamily::Linux)
        .build()
}

/// A described task definition in the model. What ECS fills in on its own (cpu 0, hostPort,
/// empty lists) reads as unset, like the model writes it.
pub(crate) fn definition_to_model(definition: &ecs::types::TaskDefinition) -> TaskDefinition {
    let number = |text: Option<&str>| text.and_then(|text| text.parse().ok()).unwrap_or(0);
    TaskDefinition {
        family: definition.family().unwrap_or_default().to_string(),
        size: TaskSize {
            cpu: number(definition.cpu()),
            memory: number(definition.memory()),
        },
        cpu_architecture: definition
            .runtime_platform()
            .and_then(|platform| platform.cpu_architecture())
            .and_then(|arch| match arch {
                SdkArch::X8664 => Some(CpuArchitecture::X86_64),
                SdkArch::Arm64 => Some(CpuArchitecture::Arm64),
                _ => None,
            }),
        execution_role_arn: definition.execution_role_arn().map(str::to_string),
        task_role_arn: definition.task_role_arn().map(str::to_string),
        containers: definition
            .container_definitions()
            .iter()
            .map(container_to_model)
            .collect(),
    }
    .normalized()
}

fn container_to_model(definition: &ContainerDefinition) -> Container {
    let log = definition.log_configuration();
    let option = |key: &str| {
        log.and_then(|log| log.options())
            .and_then(|options| options.get(key))
            .cloned()
            .unwrap_or_default()
    };
    let mut container = Container::new(
        definition.name().unwrap_or_default(),
        definition.image().unwrap_or_default(),
        LogConfiguration {
            awslogs_group: option("awslogs-group"),
            awslogs_region: option("awslogs-region"),
            awslogs_stream_prefix: option("awslogs-stream-prefix"),
        },
    );
    let unsigned = |value: Option<i32>| value.and_then(|value| u32::try_from(value).ok());
    let list = |values: &[String]| (!values.is_empty()).then(|| values.to_vec());
    container.essential = definition.essential().unwrap_or(true);
    container.cpu = unsigned(Some(definition.cpu())).filter(|cpu| *cpu > 0);
    container.memory = unsigned(definition.memory());
    container.memory_reservation = unsigned(definition.memory_reservation());
    container.port_mappings = definition
        .port_mappings()
        .iter()
        .filter_map(|port| {
            Some(PortMapping {
                container_port: u16::try_from(port.container_port()?).ok()?,
                protocol: match port.protocol() {
                    Some(TransportProtocol::Udp) => Protocol::Udp,
                    _ => Protocol::Tcp,
                },
            })
        })
        .collect();
    container.environment = definition
        .environment()
        .iter()
        .filter_map(|pair| Some((pair.name()?.to_string(), pair.value()?.to_string())))
        .collect();
    container.secrets = definition
        .secrets()
        .iter()
        .map(|secret| (secret.name().to_string(), secret.value_from().to_string()))
        .collect();
    container.entry_point = list(definition.entry_point());
    container.command = list(definition.command());
    container.depends_on = definition
        .depends_on()
        .iter()
        .filter_map(|dependency| {
            let condition = DependencyCondition::from_name(dependency.condition().as_str())?;
            Some((dependency.container_name().to_string(), condition))
        })
        .collect::<BTreeMap<_, _>>();
    container.health_check = definition.health_check().map(|health| HealthCheck {
        command: health.command().to_vec(),
        interval: unsigned(health.interval()).unwrap_or(HealthCheck::DEFAULT_INTERVAL),
        timeout: unsigned(health.timeout()).unwrap_or(HealthCheck::DEFAULT_TIMEOUT),
        retries: unsigned(health.retries()).unwrap_or(HealthCheck::DEFAULT_RETRIES),
        start_period: unsigned(health.start_period()).unwrap_or(HealthCheck::DEFAULT_START_PERIOD),
    });
    container.user = definition.user().map(str::to_string);
    container.working_directory = definition.working_directory().map(str::to_string);
    container.stop_timeout = unsigned(definition.stop_timeout());
    container.readonly_root_filesystem = definition.readonly_root_filesystem().unwrap_or(false);
    container.pseudo_terminal = definition.pseudo_terminal().unwrap_or(false);
    container.interactive = definition.interactive().unwrap_or(false);
    if let Some(linux) = definition.linux_parameters() {
        container.init_process_enabled = linux.init_process_enabled().unwrap_or(false);
        if let Some(capabilities) = linux.capabilities() {
            container.capabilities_add = capabilities.add().to_vec();
            container.capabilities_drop = capabilities.drop().to_vec();
        }
    }
    container
}

fn condition_name(condition: DependencyCondition) -> &'static str {
    match condition {
        DependencyCondition::Start => "START",
        DependencyCondition::Complete => "COMPLETE",
        DependencyCondition::Success => "SUCCESS",
        DependencyCondition::Healthy => "HEALTHY",
    }
}

/// The model's numbers are Fargate-sized (at most 122 880 MiB), far within an i32.
fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}
