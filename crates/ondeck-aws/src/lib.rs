//! The real backend: aws-config for credentials and region, the ECS and CloudWatch Logs SDK
//! clients for the calls, and the mapping from SDK shapes and errors to ondeck's own.

use std::collections::BTreeMap;
use std::error::Error as StdError;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_cloudwatchlogs as logs;
use aws_sdk_ecs as ecs;
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, Utc};
use ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem, ContainerOverride,
    DesiredStatus, KeyValuePair, LaunchType, NetworkConfiguration, Tag, TaskField, TaskOverride,
};

use ondeck_core::config::Profile;
use ondeck_core::model::{
    Container, ContainerDefinition, LogConfig, LogPage, LogQuery, RawLogEvent, RunFailure,
    RunOutcome, RunRequest, Scope, Task, TaskDefinition, TaskState, TaskTimes, tags,
};
use ondeck_core::{Cloud, CloudError, LiveTail, LiveTailUpdate};

/// A dead endpoint must fail in seconds, not minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(25);
const MAX_BACKOFF: Duration = Duration::from_secs(4);
/// DescribeTasks accepts at most 100 tasks per call.
const DESCRIBE_BATCH: usize = 100;

/// The service a call belongs to. IAM names an action `ecs:RunTask` or `logs:GetLogEvents`, and
/// an error carries that full name, so that "ask for …" hints name the permission that is missing.
#[derive(Debug, Clone, Copy)]
enum Api {
    Ecs,
    Logs,
}

impl Api {
    fn action(self, operation: &str) -> String {
        let service = match self {
            Api::Ecs => "ecs",
            Api::Logs => "logs",
        };
        format!("{service}:{operation}")
    }
}

pub struct SdkCloud {
    ecs: ecs::Client,
    logs: logs::Client,
    cluster: String,
    region: String,
    endpoint: String,
    aws_profile: Option<String>,
    /// A local AWS-API server (endpoint_url): it speaks no event streams, so no Live Tail.
    custom_endpoint: bool,
    /// What the previous listing found, so that a steady refresh needs only two requests.
    listing: Mutex<Option<Listed>>,
    /// Learnt from task ARNs; Live Tail wants log group ARNs.
    account_id: Mutex<Option<String>>,
}

impl SdkCloud {
    /// Load credentials and region for the profile. Nothing is sent to AWS here.
    pub async fn connect(profile: &Profile) -> SdkCloud {
        let http_client = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(http_client)
            .region(aws_config::Region::new(profile.region.clone()))
            .retry_config(
                // Adaptive: backs off and paces requests when AWS throttles; the cap keeps a
                // throttled call within the operation timeout, so it ends as "throttled".
                RetryConfig::adaptive()
                    .with_max_attempts(3)
                    .with_max_backoff(MAX_BACKOFF),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                    .operation_timeout(OPERATION_TIMEOUT)
                    .build(),
            );
        if let Some(name) = &profile.aws_profile {
            loader = loader.profile_name(name);
        }
        if let Some(url) = &profile.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let shared = loader.load().await;
        SdkCloud::from_clients(
            ecs::Client::new(&shared),
            logs::Client::new(&shared),
            profile,
        )
    }

    fn from_clients(ecs: ecs::Client, logs: logs::Client, profile: &Profile) -> SdkCloud {
        SdkCloud {
            ecs,
            logs,
            cluster: profile.cluster.clone(),
            region: profile.region.clone(),
            endpoint: profile
                .endpoint_url
                .clone()
                .unwrap_or_else(|| format!("ecs.{}.amazonaws.com", profile.region)),
            aws_profile: profile.aws_profile.clone(),
            custom_endpoint: profile.endpoint_url.is_some(),
            account_id: Mutex::new(None),
            listing: Mutex::new(None),
        }
    }

    fn classify<E>(&self, api: Api, operation: &str, err: SdkError<E, HttpResponse>) -> CloudError
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let answered_ok = err
            .raw_response()
            .is_some_and(|raw| raw.status().is_success());
        classify(
            &api.action(operation),
            answered_ok,
            &self.endpoint,
            &self.cluster,
            self.aws_profile.as_deref(),
            err,
        )
    }

    async fn task_arns(
        &self,
        scope: &Scope,
        desired: DesiredStatus,
    ) -> Result<Vec<String>, CloudError> {
        let mut request = self
            .ecs
            .list_tasks()
            .cluster(&self.cluster)
            .desired_status(desired);
        if let Scope::StartedBy(key) = scope {
            request = request.started_by(key);
        }
        let mut pages = request.into_paginator().send();
        let mut arns = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| self.classify(Api::Ecs, "ListTasks", err))?;
            arns.extend(page.task_arns().iter().cloned());
        }
        Ok(arns)
    }

    fn remember_account(&self, task_arn: &str) {
        let mut account = self.account_id.lock().expect("account lock");
        if account.is_none() {
            *account = task_arn.split(':').nth(4).map(str::to_string);
        }
    }

    fn log_group_arn(&self, group: &str) -> Option<String> {
        let account = self.account_id.lock().expect("account lock").clone()?;
        let partition = if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        };
        Some(format!(
            "arn:{partition}:logs:{}:{account}:log-group:{group}",
            self.region
        ))
    }
}

#[derive(Clone)]
struct Listed {
    scope: Scope,
    /// ListTasks(RUNNING) as it was, sorted as ECS returned it.
    running: Vec<String>,
    described: Vec<String>,
}

#[async_trait]
impl Cloud for SdkCloud {
    async fn list_tasks(&self, scope: &Scope) -> Result<Vec<Task>, CloudError> {
        let running = self.task_arns(scope, DesiredStatus::Running).await?;
        let previous = self
            .listing
            .lock()
            .expect("listing lock")
            .clone()
            .filter(|listed| &listed.scope == scope);
        // ListTasks filters on one desired status at a time. Stopped tasks are listed on the
        // first call and whenever the running set changes; in between, the tasks seen last
        // time are described again, so a task that stops shows as STOPPED with its reason
        // while a steady refresh costs two requests.
        let mut arns = running.clone();
        if let Some(listed) = &previous {
            arns.extend(listed.described.iter().cloned());
        }
        if previous.is_none_or(|listed| listed.running != running) {
            arns.extend(self.task_arns(scope, DesiredStatus::Stopped).await?);
        }
        arns.sort();
        arns.dedup();
        let mut tasks = self.describe_tasks(&arns).await?;
        if scope == &Scope::AllOwners {
            tasks.retain(|task| task.tags.contains_key(tags::INSTANCE));
        }
        *self.listing.lock().expect("listing lock") = Some(Listed {
            scope: scope.clone(),
            running,
            // ECS forgets stopped tasks after about an hour; those drop out here.
            described: tasks.iter().map(|task| task.task_arn.clone()).collect(),
        });
        Ok(tasks)
    }

    async fn describe_tasks(&self, task_arns: &[String]) -> Result<Vec<Task>, CloudError> {
        let mut tasks = Vec::with_capacity(task_arns.len());
        for batch in task_arns.chunks(DESCRIBE_BATCH) {
            let answer = self
                .ecs
                .describe_tasks()
                .cluster(&self.cluster)
                .set_tasks(Some(batch.to_vec()))
                .include(TaskField::Tags)
                .send()
                .await
                .map_err(|err| self.classify(Api::Ecs, "DescribeTasks", err))?;
            tasks.extend(answer.tasks().iter().map(task_from_sdk));
        }
        if let Some(task) = tasks.first() {
            self.remember_account(&task.task_arn);
        }
        Ok(tasks)
    }

    async fn describe_task_definition(&self, name: &str) -> Result<TaskDefinition, CloudError> {
        let answer = self
            .ecs
            .describe_task_definition()
            .task_definition(name)
            .send()
            .await
            .map_err(|err| {
                match self.classify(Api::Ecs, "DescribeTaskDefinition", err) {
                    // ECS says "ClientException: Unable to describe task definition."
                    CloudError::Service { code, .. } | CloudError::Invalid { action: code, .. }
                        if code == "ClientException" || code == "ecs:DescribeTaskDefinition" =>
                    {
                        CloudError::NotFound {
                            what: format!("task definition `{name}`"),
                            detail: "register it or fix task_definitions in the template".into(),
                        }
                    }
                    other => other,
                }
            })?;
        let definition = answer
            .task_definition()
            .ok_or_else(|| CloudError::NotFound {
                what: format!("task definition `{name}`"),
                detail: String::new(),
            })?;
        Ok(definition_from_sdk(definition))
    }

    async fn run_task(&self, request: &RunRequest) -> Result<RunOutcome, CloudError> {
        let overrides = TaskOverride::builder()
            .set_container_overrides(Some(
                request
                    .env
                    .iter()
                    .map(|(container, vars)| {
                        ContainerOverride::builder()
                            .name(container)
                            .set_environment(Some(
                                vars.iter()
                                    .map(|(key, value)| {
                                        KeyValuePair::builder().name(key).value(value).build()
                                    })
                                    .collect(),
                            ))
                            .build()
                    })
                    .collect(),
            ))
            .build();
        let network = NetworkConfiguration::builder()
            .awsvpc_configuration(
                AwsVpcConfiguration::builder()
                    .set_subnets(Some(request.network.subnets.clone()))
                    .set_security_groups(Some(request.network.security_groups.clone()))
                    .assign_public_ip(if request.network.assign_public_ip {
                        AssignPublicIp::Enabled
                    } else {
                        AssignPublicIp::Disabled
                    })
                    .build()
                    .map_err(|err| CloudError::Invalid {
                        action: Api::Ecs.action("RunTask"),
                        detail: err.to_string(),
                    })?,
            )
            .build();
        let mut call = self
            .ecs
            .run_task()
            .cluster(&self.cluster)
            .task_definition(&request.task_definition)
            .count(1)
            .started_by(&request.started_by)
            .client_token(&request.client_token)
            .network_configuration(network)
            .overrides(overrides)
            .set_tags(Some(
                request
                    .tags
                    .iter()
                    .map(|(key, value)| Tag::builder().key(key).value(value).build())
                    .collect(),
            ));
        call = if request.spot {
            call.capacity_provider_strategy(
                CapacityProviderStrategyItem::builder()
                    .capacity_provider("FARGATE_SPOT")
                    .weight(1)
                    .build()
                    .map_err(|err| CloudError::Invalid {
                        action: Api::Ecs.action("RunTask"),
                        detail: err.to_string(),
                    })?,
            )
        } else {
            call.launch_type(LaunchType::Fargate)
        };
        // No SDK retries: the launcher reconciles by tag before it retries, because a lost
        // answer may hide a task that did start (and not every server honours clientToken).
        let answer = call
            .customize()
            .config_override(ecs::config::Builder::default().retry_config(RetryConfig::disabled()))
            .send()
            .await
            .map_err(|err| self.classify(Api::Ecs, "RunTask", err))?;
        let tasks: Vec<Task> = answer.tasks().iter().map(task_from_sdk).collect();
        if let Some(task) = tasks.first() {
            self.remember_account(&task.task_arn);
        }
        Ok(RunOutcome {
            tasks,
            failures: answer
                .failures()
                .iter()
                .map(|failure| RunFailure {
                    arn: failure.arn().map(str::to_string),
                    reason: failure.reason().map(str::to_string),
                    detail: failure.detail().map(str::to_string),
                })
                .collect(),
        })
    }

    async fn stop_task(&self, task_arn: &str, reason: &str) -> Result<(), CloudError> {
        self.ecs
            .stop_task()
            .cluster(&self.cluster)
            .task(task_arn)
            .reason(reason)
            .send()
            .await
            .map_err(|err| self.classify(Api::Ecs, "StopTask", err))?;
        Ok(())
    }

    async fn tag_task(
        &self,
        task_arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), CloudError> {
        self.ecs
            .tag_resource()
            .resource_arn(task_arn)
            .set_tags(Some(
                tags.iter()
                    .map(|(key, value)| Tag::builder().key(key).value(value).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(|err| self.classify(Api::Ecs, "TagResource", err))?;
        Ok(())
    }

    async fn get_log_events(&self, query: &LogQuery) -> Result<LogPage, CloudError> {
        let answer = self
            .logs
            .get_log_events()
            .log_group_name(&query.stream.group)
            .log_stream_name(&query.stream.stream)
            // With a token CloudWatch reads on from it; some local servers also need the start.
            .set_start_time(query.start_time)
            .set_next_token(query.next_token.clone())
            .start_from_head(query.start_from_head)
            .set_limit(query.limit)
            .send()
            .await
            .map_err(|err| match self.classify(Api::Logs, "GetLogEvents", err) {
                // CloudWatch says which: "The specified log group does not exist." is lasting,
                // a missing stream only means no line yet.
                CloudError::NotFound { detail, .. }
                    if detail.to_ascii_lowercase().contains("log group") =>
                {
                    CloudError::NotFound {
                        what: format!("log group {}", query.stream.group),
                        detail: "check awslogs-group in the task definition and the profile's \
                                 region"
                            .into(),
                    }
                }
                CloudError::NotFound { .. } => CloudError::NoLogStream {
                    group: query.stream.group.clone(),
                    stream: query.stream.stream.clone(),
                },
                other => other,
            })?;
        Ok(LogPage {
            events: answer
                .events()
                .iter()
                .map(|event| RawLogEvent {
                    timestamp: event.timestamp().unwrap_or_default(),
                    ingestion_time: event.ingestion_time().unwrap_or_default(),
                    message: event.message().unwrap_or_default().to_string(),
                })
                .collect(),
            next_forward_token: answer.next_forward_token().map(str::to_string),
        })
    }

    async fn start_live_tail(
        &self,
        group: &str,
        streams: &[String],
    ) -> Result<LiveTail, CloudError> {
        if self.custom_endpoint {
            return Err(CloudError::Refused(format!(
                "Live Tail is not offered by {}; polling instead",
                self.endpoint
            )));
        }
        let group_arn = self.log_group_arn(group).ok_or_else(|| {
            CloudError::Refused("Live Tail needs the account id; polling instead".into())
        })?;
        let answer = self
            .logs
            .start_live_tail()
            .log_group_identifiers(group_arn)
            .set_log_stream_names(Some(streams.iter().take(100).cloned().collect()))
            .send()
            .await
            .map_err(|err| self.classify(Api::Logs, "StartLiveTail", err))?;
        let receiver = answer.response_stream;
        let endpoint = self.endpoint.clone();
        let cluster = self.cluster.clone();
        let aws_profile = self.aws_profile.clone();
        let updates = futures::stream::unfold(receiver, move |mut receiver| {
            let endpoint = endpoint.clone();
            let cluster = cluster.clone();
            let aws_profile = aws_profile.clone();
            async move {
                loop {
                    match receiver.recv().await {
                        Ok(Some(logs::types::StartLiveTailResponseStream::SessionUpdate(
                            update,
                        ))) => {
                            let sampled =
                                update.session_metadata().is_some_and(|meta| meta.sampled());
                            let events = update
                                .session_results()
                                .iter()
                                .map(|event| {
                                    (
                                        event.log_stream_name().unwrap_or_default().to_string(),
                                        RawLogEvent {
                                            timestamp: event.timestamp().unwrap_or_default(),
                                            ingestion_time: event
                                                .ingestion_time()
                                                .unwrap_or_default(),
                                            message: event
                                                .message()
                                                .unwrap_or_default()
                                                .to_string(),
                                        },
                                    )
                                })
                                .collect();
                            return Some((Ok(LiveTailUpdate { events, sampled }), receiver));
                        }
                        Ok(Some(_)) => continue,
                        Ok(None) => return None,
                        Err(err) => {
                            let err = classify(
                                &Api::Logs.action("StartLiveTail"),
                                false,
                                &endpoint,
                                &cluster,
                                aws_profile.as_deref(),
                                err,
                            );
                            return Some((Err(err), receiver));
                        }
                    }
                }
            }
        });
        Ok(Box::pin(updates))
    }

    fn describe_endpoint(&self) -> String {
        self.endpoint.clone()
    }
}

fn time(value: Option<&aws_smithy_types::DateTime>) -> Option<DateTime<Utc>> {
    let value = value?;
    DateTime::from_timestamp(value.secs(), value.subsec_nanos())
}

fn task_from_sdk(task: &ecs::types::Task) -> Task {
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
    }
}

fn definition_from_sdk(definition: &ecs::types::TaskDefinition) -> TaskDefinition {
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

/// Turn an SDK failure into something a user can act on. Never a debug dump. `answered_ok`:
/// the HTTP answer said success, so a failure is in decoding it.
fn classify<E, R>(
    action: &str,
    answered_ok: bool,
    endpoint: &str,
    cluster: &str,
    aws_profile: Option<&str>,
    err: SdkError<E, R>,
) -> CloudError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let credentials_fix = || match aws_profile {
        Some(profile) => format!(
            "run `aws sso login --profile {profile}` (or refresh that profile's credentials)"
        ),
        None => "run `aws sso login`, set AWS_PROFILE, or set aws_profile in the ondeck profile"
            .to_string(),
    };
    match &err {
        SdkError::TimeoutError(_) => {
            return CloudError::Timeout {
                action: action.to_string(),
            };
        }
        SdkError::DispatchFailure(failure) => {
            if let Some(detail) = credentials_in_chain(&err) {
                return CloudError::Credentials {
                    detail,
                    fix: credentials_fix(),
                };
            }
            if failure.is_timeout() {
                return CloudError::Timeout {
                    action: action.to_string(),
                };
            }
            return CloudError::Unreachable {
                endpoint: endpoint.to_string(),
                detail: innermost(&err),
            };
        }
        SdkError::ConstructionFailure(_) => {
            if let Some(detail) = credentials_in_chain(&err) {
                return CloudError::Credentials {
                    detail,
                    fix: credentials_fix(),
                };
            }
            return CloudError::Invalid {
                action: action.to_string(),
                detail: innermost(&err),
            };
        }
        _ => {}
    }
    let code = err.code().unwrap_or("").to_string();
    let message = err.message().unwrap_or("").to_string();
    if code.is_empty() {
        if let Some(detail) = credentials_in_chain(&err) {
            return CloudError::Credentials {
                detail,
                fix: credentials_fix(),
            };
        }
        // A success whose body does not decode: the service never says that itself.
        if answered_ok {
            return CloudError::Unreadable {
                action: action.to_string(),
                detail: innermost(&err),
            };
        }
        return CloudError::Service {
            action: action.to_string(),
            code: "UnknownError".into(),
            message: innermost(&err),
        };
    }
    let lower = message.to_ascii_lowercase();
    match code.as_str() {
        "ExpiredTokenException"
        | "ExpiredToken"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "InvalidSignatureException"
        | "MissingAuthenticationToken" => CloudError::Credentials {
            detail: format!("{code}: {message}"),
            fix: credentials_fix(),
        },
        "AccessDeniedException" | "AccessDenied" => CloudError::AccessDenied {
            action: action.to_string(),
            detail: message,
        },
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "LimitExceededException" => CloudError::Throttled {
            action: action.to_string(),
        },
        "ClusterNotFoundException" => CloudError::NotFound {
            what: format!("cluster `{cluster}`"),
            detail: "fix `cluster` in the profile".into(),
        },
        "ResourceNotFoundException" => CloudError::NotFound {
            what: "resource".into(),
            detail: message,
        },
        "ClientException" if lower.contains("cluster") && lower.contains("not found") => {
            CloudError::NotFound {
                what: format!("cluster `{cluster}`"),
                detail: "fix `cluster` in the profile".into(),
            }
        }
        "InvalidParameterException" | "ClientException"
            if lower.contains("subnet") || lower.contains("security group") =>
        {
            CloudError::NotFound {
                what: "a subnet or security group of the profile".into(),
                detail: format!("{message}; fix `subnets` / `security_groups`"),
            }
        }
        "InvalidParameterException" | "ValidationException" => CloudError::Invalid {
            action: action.to_string(),
            detail: message,
        },
        _ => CloudError::Service {
            action: action.to_string(),
            code,
            message,
        },
    }
}

/// The credentials provider's complaint, if that is what failed.
fn credentials_in_chain(err: &(dyn StdError + 'static)) -> Option<String> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(error) = current {
        if error
            .downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
            .is_some()
        {
            return Some(innermost(error));
        }
        current = error.source();
    }
    None
}

/// The most specific message in an error chain: "Connection refused (os error 111)".
fn innermost(err: &(dyn StdError + 'static)) -> String {
    let mut current = err;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

/// Shapes moto cannot produce — several containers, timestamps, pagination, `failures[]`,
/// expired credentials, access denied — answered by recorded-style responses.
#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use aws_credential_types::Credentials;
    use aws_smithy_mocks::{
        MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock,
    };
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;
    use ecs::operation::describe_tasks::DescribeTasksOutput;
    use ecs::operation::list_tasks::ListTasksOutput;
    use ecs::operation::run_task::RunTaskOutput;
    use ecs::types::{Attachment, Failure, KeyValuePair as Detail};

    use futures::StreamExt;

    use super::*;
    use ondeck_core::model::NetworkConfig;

    fn profile() -> Profile {
        Profile {
            name: "dev".into(),
            aws_profile: Some("dev-sso".into()),
            region: "eu-west-1".into(),
            endpoint_url: None,
            cluster: "review".into(),
            owner: "ana".into(),
            subnets: vec!["subnet-1".into()],
            security_groups: vec!["sg-1".into()],
            assign_public_ip: false,
            templates: BTreeMap::new(),
            refresh_busy_secs: 2,
            refresh_steady_secs: 30,
            log_buffer_lines: 1000,
            prices: None,
        }
    }

    fn cloud(rules: &[&Rule]) -> SdkCloud {
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for rule in rules {
            interceptor = interceptor.with_rule(rule);
        }
        let config = ecs::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .credentials_provider(Credentials::new("a", "b", None, None, "test"))
            .http_client(create_mock_http_client())
            .interceptor(interceptor)
            .build();
        let logs = logs_client(MockResponseInterceptor::new());
        SdkCloud::from_clients(ecs::Client::from_conf(config), logs, &profile())
    }

    fn logs_client(interceptor: MockResponseInterceptor) -> logs::Client {
        logs::Client::from_conf(
            logs::Config::builder()
                .behavior_version(aws_config::BehaviorVersion::latest())
                .region(aws_config::Region::new("eu-west-1"))
                .credentials_provider(Credentials::new("a", "b", None, None, "test"))
                .http_client(create_mock_http_client())
                .interceptor(interceptor)
                .build(),
        )
    }

    fn error_response(status: u16, kind: &str, message: &str) -> Response {
        Response::new(
            StatusCode::try_from(status).expect("status"),
            SdkBody::from(format!(r#"{{"__type":"{kind}","message":"{message}"}}"#)),
        )
    }

    fn sdk_task(arn: &str) -> ecs::types::Task {
        let container = |name: &str, status: &str| {
            ecs::types::Container::builder()
                .name(name)
                .last_status(status)
                .health_status(ecs::types::HealthStatus::Healthy)
                .build()
        };
        ecs::types::Task::builder()
            .task_arn(arn)
            .task_definition_arn("arn:aws:ecs:eu-west-1:123456789012:task-definition/shop:7")
            .last_status("RUNNING")
            .desired_status("RUNNING")
            .containers(container("web", "RUNNING"))
            .containers(container("api", "RUNNING"))
            .containers(container("db", "PENDING"))
            .tags(Tag::builder().key(tags::INSTANCE).value("shop-1").build())
            .tags(Tag::builder().key(tags::OWNER).value("ana").build())
            .created_at(aws_smithy_types::DateTime::from_secs(1_700_000_000))
            .started_at(aws_smithy_types::DateTime::from_secs(1_700_000_030))
            .attachments(
                Attachment::builder()
                    .details(
                        Detail::builder()
                            .name("privateIPv4Address")
                            .value("10.0.1.23")
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    #[tokio::test]
    async fn every_page_is_listed_and_described_in_batches_of_100() {
        let arns: Vec<String> = (0..150)
            .map(|i| format!("arn:aws:ecs:eu-west-1:123456789012:task/review/t{i:03}"))
            .collect();
        let (first, second) = (arns[..100].to_vec(), arns[100..].to_vec());
        let page_one = mock!(ecs::Client::list_tasks)
            .match_requests(|r| {
                r.desired_status() == Some(&DesiredStatus::Running) && r.next_token().is_none()
            })
            .then_output(move || {
                ListTasksOutput::builder()
                    .set_task_arns(Some(first.clone()))
                    .next_token("page-2")
                    .build()
            });
        let page_two = mock!(ecs::Client::list_tasks)
            .match_requests(|r| r.next_token() == Some("page-2"))
            .then_output(move || {
                ListTasksOutput::builder()
                    .set_task_arns(Some(second.clone()))
                    .build()
            });
        let stopped = mock!(ecs::Client::list_tasks)
            .match_requests(|r| r.desired_status() == Some(&DesiredStatus::Stopped))
            .then_output(|| ListTasksOutput::builder().build());
        let describe = mock!(ecs::Client::describe_tasks)
            .match_requests(|r| {
                r.cluster() == Some("review")
                    && r.tasks().len() <= DESCRIBE_BATCH
                    && r.include() == [TaskField::Tags]
            })
            .then_compute_output(|r| {
                DescribeTasksOutput::builder()
                    .set_tasks(Some(r.tasks().iter().map(|arn| sdk_task(arn)).collect()))
                    .build()
            });
        let cloud = cloud(&[&page_one, &page_two, &stopped, &describe]);
        let tasks = cloud
            .list_tasks(&Scope::StartedBy("ondeck/ana".into()))
            .await
            .unwrap();
        assert_eq!(tasks.len(), 150);
        assert_eq!(page_two.num_calls(), 1, "the second page was read");
        assert_eq!(
            describe.num_calls(),
            2,
            "150 tasks in two DescribeTasks calls"
        );
        let task = &tasks[0];
        assert_eq!(task.containers.len(), 3);
        assert_eq!(task.containers[2].last_status, "PENDING");
        assert_eq!(task.containers[0].health.as_deref(), Some("HEALTHY"));
        assert_eq!(task.private_ip.as_deref(), Some("10.0.1.23"));
        assert_eq!(task.task_definition(), "shop:7");
        assert_eq!(task.tag(tags::INSTANCE), Some("shop-1"));
        assert_eq!(
            task.times.started_at.map(|at| at.timestamp()),
            Some(1_700_000_030)
        );
        assert_eq!(
            cloud.log_group_arn("/ecs/shop").as_deref(),
            Some("arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/shop")
        );
    }

    #[tokio::test]
    async fn a_steady_refresh_costs_two_requests_and_still_sees_stops() {
        let arn = |i: u32| format!("arn:aws:ecs:eu-west-1:123456789012:task/review/t{i}");
        let running_calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let calls = running_calls.clone();
        let running = mock!(ecs::Client::list_tasks)
            .match_requests(|r| r.desired_status() == Some(&DesiredStatus::Running))
            .then_compute_output(move |_| {
                // Two tasks for two refreshes, then t2 stops.
                let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let arns = if n < 2 {
                    vec![arn(1), arn(2)]
                } else {
                    vec![arn(1)]
                };
                ListTasksOutput::builder().set_task_arns(Some(arns)).build()
            });
        let stopped = mock!(ecs::Client::list_tasks)
            .match_requests(|r| r.desired_status() == Some(&DesiredStatus::Stopped))
            .then_output(|| ListTasksOutput::builder().build());
        let describe = mock!(ecs::Client::describe_tasks).then_compute_output(move |r| {
            let tasks = r
                .tasks()
                .iter()
                .map(|requested| {
                    let mut task = sdk_task(requested);
                    if requested.ends_with("t2")
                        && running_calls.load(std::sync::atomic::Ordering::SeqCst) > 2
                    {
                        task.last_status = Some("STOPPED".into());
                        task.desired_status = Some("STOPPED".into());
                        task.stopped_reason = Some("Essential container in task exited".into());
                    }
                    task
                })
                .collect();
            DescribeTasksOutput::builder()
                .set_tasks(Some(tasks))
                .build()
        });
        let cloud = cloud(&[&running, &stopped, &describe]);
        let scope = Scope::StartedBy("ondeck/ana".into());

        cloud.list_tasks(&scope).await.unwrap();
        assert_eq!(
            (
                running.num_calls(),
                stopped.num_calls(),
                describe.num_calls()
            ),
            (1, 1, 1)
        );
        cloud.list_tasks(&scope).await.unwrap();
        assert_eq!(
            (
                running.num_calls(),
                stopped.num_calls(),
                describe.num_calls()
            ),
            (2, 1, 2),
            "steady: ListTasks(RUNNING) and DescribeTasks only"
        );
        let tasks = cloud.list_tasks(&scope).await.unwrap();
        assert_eq!(
            stopped.num_calls(),
            2,
            "the running set changed: stopped tasks listed again"
        );
        let t2 = tasks
            .iter()
            .find(|t| t.task_arn.ends_with("t2"))
            .expect("the stopped task is still described");
        assert_eq!(t2.last_status, TaskState::Stopped);
        assert_eq!(
            t2.stopped_reason.as_deref(),
            Some("Essential container in task exited")
        );
    }

    fn run_request() -> RunRequest {
        RunRequest {
            task_definition: "shop:7".into(),
            network: NetworkConfig {
                subnets: vec!["subnet-1".into()],
                security_groups: vec!["sg-1".into()],
                assign_public_ip: false,
            },
            started_by: "ondeck/ana".into(),
            tags: BTreeMap::from([(tags::INSTANCE.to_string(), "shop-1".to_string())]),
            env: BTreeMap::new(),
            client_token: "abc-0".into(),
            spot: false,
        }
    }

    #[tokio::test]
    async fn run_task_failures_come_back_verbatim() {
        let run = mock!(ecs::Client::run_task)
            .match_requests(|r| {
                r.client_token() == Some("abc-0") && r.started_by() == Some("ondeck/ana")
            })
            .then_output(|| {
                RunTaskOutput::builder()
                    .failures(
                        Failure::builder()
                            .arn("arn:aws:ecs:eu-west-1:123456789012:container-instance/x")
                            .reason("RESOURCE:ENI")
                            .detail("no free ENI in subnet-1")
                            .build(),
                    )
                    .build()
            });
        let outcome = cloud(&[&run]).run_task(&run_request()).await.unwrap();
        assert!(outcome.tasks.is_empty());
        assert_eq!(outcome.failures.len(), 1);
        assert_eq!(
            outcome.failures[0].to_string(),
            "RESOURCE:ENI (arn:aws:ecs:eu-west-1:123456789012:container-instance/x): no free ENI in subnet-1"
        );
    }

    #[tokio::test]
    async fn expired_credentials_name_the_sso_login() {
        let expired = mock!(ecs::Client::list_tasks).then_http_response(|| {
            error_response(
                400,
                "ExpiredTokenException",
                "The security token included in the request is expired",
            )
        });
        let err = cloud(&[&expired])
            .list_tasks(&Scope::AllOwners)
            .await
            .unwrap_err();
        assert!(matches!(err, CloudError::Credentials { .. }), "{err:?}");
        assert!(
            err.to_string().contains("aws sso login --profile dev-sso"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn access_denied_names_the_action() {
        let denied = mock!(ecs::Client::run_task).then_http_response(|| {
            error_response(400, "AccessDeniedException", "User: arn:aws:sts::1:assumed-role/dev/ana is not authorized to perform: ecs:RunTask")
        });
        let err = cloud(&[&denied])
            .run_task(&run_request())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CloudError::AccessDenied { action, .. } if action == "ecs:RunTask"),
            "{err:?}"
        );
        assert!(err.to_string().contains("ecs:RunTask"), "{err}");
    }

    /// GetLogEvents of `/ecs/shop` `ecs/web/t1`, answered by `response`.
    async fn read_log_stream(response: fn() -> Response) -> CloudError {
        let answer = mock!(logs::Client::get_log_events).then_http_response(response);
        let logs = logs_client(MockResponseInterceptor::new().with_rule(&answer));
        let cloud = SdkCloud::from_clients(cloud(&[]).ecs, logs, &profile());
        let query = LogQuery {
            stream: ondeck_core::model::LogStreamRef {
                group: "/ecs/shop".into(),
                stream: "ecs/web/t1".into(),
            },
            start_time: None,
            next_token: None,
            start_from_head: true,
            limit: None,
        };
        cloud.get_log_events(&query).await.unwrap_err()
    }

    #[tokio::test]
    async fn a_denied_log_read_asks_for_the_logs_permission() {
        let err = read_log_stream(|| {
            error_response(400, "AccessDeniedException", "User: arn:aws:sts::1:assumed-role/dev/ana is not authorized to perform: logs:GetLogEvents")
        })
        .await;
        assert!(
            matches!(&err, CloudError::AccessDenied { action, .. } if action == "logs:GetLogEvents"),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("ask for logs:GetLogEvents in your IAM policy"),
            "{message}"
        );
        assert!(!message.contains("ecs:"), "{message}");
    }

    #[tokio::test]
    async fn a_missing_log_stream_is_told_apart_from_a_missing_group() {
        let stream = read_log_stream(|| {
            error_response(
                400,
                "ResourceNotFoundException",
                "The specified log stream does not exist.",
            )
        })
        .await;
        assert_eq!(
            stream,
            CloudError::NoLogStream {
                group: "/ecs/shop".into(),
                stream: "ecs/web/t1".into()
            }
        );
        let group = read_log_stream(|| {
            error_response(
                400,
                "ResourceNotFoundException",
                "The specified log group does not exist.",
            )
        })
        .await;
        assert!(
            matches!(&group, CloudError::NotFound { what, .. } if what == "log group /ecs/shop"),
            "{group:?}"
        );
        assert!(!group.is_transient());
    }

    #[tokio::test]
    async fn bad_subnets_and_clusters_point_at_the_profile_key() {
        let subnet = mock!(ecs::Client::run_task).then_http_response(|| {
            error_response(400, "InvalidParameterException", "Error retrieving subnet information for [subnet-1]: The subnet ID 'subnet-1' does not exist")
        });
        let err = cloud(&[&subnet])
            .run_task(&run_request())
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("subnet-1") && err.to_string().contains("`subnets`"),
            "{err}"
        );

        let cluster = mock!(ecs::Client::list_tasks).then_http_response(|| {
            error_response(400, "ClusterNotFoundException", "Cluster not found.")
        });
        let err = cloud(&[&cluster])
            .list_tasks(&Scope::AllOwners)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cluster `review` not found (fix `cluster` in the profile)"
        );
    }

    #[tokio::test]
    async fn throttling_that_outlasts_the_retries_says_throttled() {
        let throttled = mock!(ecs::Client::list_tasks)
            .then_http_response(|| error_response(400, "ThrottlingException", "Rate exceeded"));
        let err = cloud(&[&throttled])
            .list_tasks(&Scope::AllOwners)
            .await
            .unwrap_err();
        assert!(err.is_throttled(), "{err:?}");
    }

    /// One event-stream frame as CloudWatch Logs sends it.
    fn frame(message_type: &str, kind: &str, payload: &str) -> Vec<u8> {
        use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
        let kind_header = if message_type == "exception" {
            ":exception-type"
        } else {
            ":event-type"
        };
        let message = Message::new(payload.as_bytes().to_vec())
            .add_header(Header::new(
                ":message-type",
                HeaderValue::String(message_type.to_string().into()),
            ))
            .add_header(Header::new(
                kind_header,
                HeaderValue::String(kind.to_string().into()),
            ))
            .add_header(Header::new(
                ":content-type",
                HeaderValue::String("application/json".into()),
            ));
        let mut bytes = Vec::new();
        aws_smithy_eventstream::frame::write_message_to(&message, &mut bytes).expect("frame");
        bytes
    }

    #[tokio::test]
    async fn live_tail_frames_become_updates_and_a_session_end_an_error() {
        let mut body = frame(
            "event",
            "sessionStart",
            r#"{"sessionId":"s-1","logGroupIdentifiers":["/ecs/shop"]}"#,
        );
        body.extend(frame(
            "event",
            "sessionUpdate",
            r#"{"sessionMetadata":{"sampled":false},"sessionResults":[
                {"logStreamName":"ecs/web/t1","message":"GET / 200","timestamp":1700000000000,"ingestionTime":1700000000100},
                {"logStreamName":"ecs/api/t1","message":"\u001b[31mboom\u001b[0m","timestamp":1700000000001,"ingestionTime":1700000000101}
            ]}"#,
        ));
        body.extend(frame(
            "event",
            "sessionUpdate",
            r#"{"sessionMetadata":{"sampled":true},"sessionResults":[
                {"logStreamName":"ecs/web/t1","message":"busy","timestamp":1700000000002,"ingestionTime":1700000000102}
            ]}"#,
        ));
        body.extend(frame(
            "exception",
            "SessionTimeoutException",
            r#"{"message":"The session has timed out"}"#,
        ));
        let tail = mock!(logs::Client::start_live_tail)
            .match_requests(|r| {
                r.log_group_identifiers()
                    == ["arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/shop"]
                    && r.log_stream_names().len() == 100
            })
            .then_http_response(move || {
                Response::new(
                    StatusCode::try_from(200).expect("200"),
                    SdkBody::from(body.clone()),
                )
            });
        let logs = logs_client(MockResponseInterceptor::new().with_rule(&tail));
        let ecs = cloud(&[]).ecs;
        let cloud = SdkCloud::from_clients(ecs, logs, &profile());
        *cloud.account_id.lock().expect("account lock") = Some("123456789012".into());
        // More streams than one session takes: the first 100 are asked for.
        let streams: Vec<String> = (0..150).map(|n| format!("ecs/web/t{n}")).collect();

        let mut updates = cloud.start_live_tail("/ecs/shop", &streams).await.unwrap();
        let first = updates.next().await.expect("an update").expect("events");
        assert!(!first.sampled);
        let seen: Vec<(&str, i64, &str)> = first
            .events
            .iter()
            .map(|(stream, event)| (stream.as_str(), event.timestamp, event.message.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("ecs/web/t1", 1_700_000_000_000, "GET / 200"),
                ("ecs/api/t1", 1_700_000_000_001, "\u{1b}[31mboom\u{1b}[0m"),
            ]
        );
        assert_eq!(first.events[0].1.ingestion_time, 1_700_000_000_100);
        let second = updates.next().await.expect("an update").expect("events");
        assert!(second.sampled, "the sampled flag is carried");
        assert_eq!(second.events.len(), 1);
        let ended = updates.next().await.expect("the session's end");
        assert!(
            ended.is_err(),
            "a timed-out session is an error the tail renews from"
        );
        assert_eq!(tail.num_calls(), 1);
    }
}
