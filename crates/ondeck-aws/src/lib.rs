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
use ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem, ContainerOverride,
    DesiredStatus, KeyValuePair, LaunchType, NetworkConfiguration, Tag, TaskField, TaskOverride,
};

use ondeck_core::config::Profile;
use ondeck_core::model::{
    FilteredPage, LogFilter, LogPage, LogQuery, NetworkConfig, RawLogEvent, RunFailure, RunOutcome,
    RunRequest, Scope, Service, ServiceRequest, SessionGrant, Task, TaskDefinition, tags,
};
use ondeck_core::{Cloud, CloudError, LiveTail};

use convert::{definition_from_sdk, task_from_sdk};
use error::{Api, classify};

mod convert;
mod error;
mod inspect;
mod live_tail;
mod query;
mod register;
mod register_shape;
mod services;
mod ssm;

pub use inspect::{
    CallerIdentity, ClusterInfo, ContainerLogging, DefinitionInfo, Inspect, NetworkSample,
    SdkInspector, SecurityGroupInfo, SubnetInfo, default_region,
};
use ssm::SsmApi;

/// A dead endpoint must fail in seconds, not minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(25);
const MAX_BACKOFF: Duration = Duration::from_secs(4);
/// DescribeTasks accepts at most 100 tasks per call.
const DESCRIBE_BATCH: usize = 100;

pub struct SdkCloud {
    ecs: ecs::Client,
    logs: logs::Client,
    cluster: String,
    region: String,
    /// Tagged on the task definitions this profile registers.
    owner: String,
    endpoint: String,
    aws_profile: Option<String>,
    /// A local AWS-API server (endpoint_url): it speaks no event streams, so no Live Tail.
    custom_endpoint: bool,
    /// What the previous listing of each scope found, so that a steady refresh needs only two
    /// requests per scope.
    listing: Mutex<BTreeMap<Scope, Listed>>,
    /// Learnt from task ARNs; Live Tail wants log group ARNs.
    account_id: Mutex<Option<String>>,
    /// Session Manager's StartSession and TerminateSession, signed by hand.
    ssm: SsmApi,
}

impl SdkCloud {
    /// Load credentials and region for the profile. Nothing is sent to AWS here.
    pub async fn connect(profile: &Profile) -> SdkCloud {
        let shared = load_shared(
            &profile.region,
            profile.aws_profile.as_deref(),
            profile.endpoint_url.as_deref(),
        )
        .await;
        let mut cloud = SdkCloud::from_clients(
            ecs::Client::new(&shared),
            logs::Client::new(&shared),
            profile,
        );
        cloud.ssm = SsmApi::new(
            shared.credentials_provider(),
            &profile.region,
            profile.endpoint_url.as_deref(),
            &profile.cluster,
            profile.aws_profile.as_deref(),
            OPERATION_TIMEOUT,
        );
        cloud
    }

    fn from_clients(ecs: ecs::Client, logs: logs::Client, profile: &Profile) -> SdkCloud {
        SdkCloud {
            ssm: SsmApi::new(
                None,
                &profile.region,
                profile.endpoint_url.as_deref(),
                &profile.cluster,
                profile.aws_profile.as_deref(),
                OPERATION_TIMEOUT,
            ),
            ecs,
            logs,
            cluster: profile.cluster.clone(),
            region: profile.region.clone(),
            owner: profile.owner.clone(),
            endpoint: profile
                .endpoint_url
                .clone()
                .unwrap_or_else(|| format!("ecs.{}.amazonaws.com", profile.region)),
            aws_profile: profile.aws_profile.clone(),
            custom_endpoint: profile.endpoint_url.is_some(),
            account_id: Mutex::new(None),
            listing: Mutex::new(BTreeMap::new()),
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
        match scope {
            Scope::StartedBy(key) => request = request.started_by(key),
            Scope::Service(name) => request = request.service_name(name),
            Scope::AllOwners => {}
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
}

/// The SDK's HTTPS client, on rustls with ring.
pub(crate) fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// Credentials, region, retries and timeouts, as every client of ondeck uses them.
pub(crate) async fn load_shared(
    region: &str,
    aws_profile: Option<&str>,
    endpoint_url: Option<&str>,
) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .region(aws_config::Region::new(region.to_string()))
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
    if let Some(name) = aws_profile {
        loader = loader.profile_name(name);
    }
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// A log group that is not there is lasting: the task definition or the region is wrong.
fn no_log_group(group: &str) -> CloudError {
    CloudError::NotFound {
        what: format!("log group {group}"),
        detail: "check awslogs-group in the task definition and the profile's region".into(),
    }
}

fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect()
}

/// The profile's subnets and security groups as RunTask and CreateService take them.
fn network_configuration(
    operation: &str,
    network: &NetworkConfig,
) -> Result<NetworkConfiguration, CloudError> {
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(network.subnets.clone()))
        .set_security_groups(Some(network.security_groups.clone()))
        .assign_public_ip(if network.assign_public_ip {
            AssignPublicIp::Enabled
        } else {
            AssignPublicIp::Disabled
        })
        .build()
        .map_err(|err| CloudError::Invalid {
            action: Api::Ecs.action(operation),
            detail: err.to_string(),
        })?;
    Ok(NetworkConfiguration::builder()
        .awsvpc_configuration(vpc)
        .build())
}

fn spot_strategy(operation: &str) -> Result<CapacityProviderStrategyItem, CloudError> {
    CapacityProviderStrategyItem::builder()
        .capacity_provider("FARGATE_SPOT")
        .weight(1)
        .build()
        .map_err(|err| CloudError::Invalid {
            action: Api::Ecs.action(operation),
            detail: err.to_string(),
        })
}

#[derive(Clone)]
struct Listed {
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
            .get(scope)
            .cloned();
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
        self.listing.lock().expect("listing lock").insert(
            scope.clone(),
            Listed {
                running,
                // ECS forgets stopped tasks after about an hour; those drop out here.
                described: tasks.iter().map(|task| task.task_arn.clone()).collect(),
            },
        );
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
        let network = network_configuration("RunTask", &request.network)?;
        let mut call = self
            .ecs
            .run_task()
            .cluster(&self.cluster)
            .task_definition(&request.task_definition)
            .count(1)
            .started_by(&request.started_by)
            .client_token(&request.client_token)
            .enable_execute_command(request.enable_exec)
            .network_configuration(network)
            .overrides(overrides)
            .set_tags(Some(sdk_tags(&request.tags)));
        call = if request.spot {
            call.capacity_provider_strategy(spot_strategy("RunTask")?)
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

    async fn execute_command(
        &self,
        task_arn: &str,
        container: &str,
        command: &str,
    ) -> Result<SessionGrant, CloudError> {
        let answer = self
            .ecs
            .execute_command()
            .cluster(&self.cluster)
            .task(task_arn)
            .container(container)
            .command(command)
            .interactive(true)
            .send()
            .await
            .map_err(|err| self.classify(Api::Ecs, "ExecuteCommand", err))?;
        let unreadable = |what: &str| CloudError::Unreadable {
            action: "ecs:ExecuteCommand".into(),
            detail: format!("the answer has no {what}"),
        };
        let session = answer.session().ok_or_else(|| unreadable("session"))?;
        let field = |value: Option<&str>, what: &str| {
            value
                .filter(|value| !value.is_empty())
                .map(str::to_string)
                .ok_or_else(|| unreadable(what))
        };
        Ok(SessionGrant {
            session_id: field(session.session_id(), "sessionId")?,
            stream_url: field(session.stream_url(), "streamUrl")?,
            token: field(session.token_value(), "tokenValue")?,
        })
    }

    async fn start_port_forward(
        &self,
        task_arn: &str,
        runtime_id: &str,
        port: u16,
    ) -> Result<SessionGrant, CloudError> {
        let task_id = task_arn.rsplit('/').next().unwrap_or(task_arn);
        // The target names the cluster by name, also when the profile gives its ARN.
        let cluster = self.cluster.rsplit('/').next().unwrap_or(&self.cluster);
        let target = format!("ecs:{cluster}_{task_id}_{runtime_id}");
        self.ssm.start_port_forward(&target, port).await
    }

    async fn end_session(&self, session_id: &str) -> Result<(), CloudError> {
        self.ssm.terminate_session(session_id).await
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

    async fn tag_resource(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), CloudError> {
        self.ecs
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(sdk_tags(tags)))
            .send()
            .await
            .map_err(|err| self.classify(Api::Ecs, "TagResource", err))?;
        Ok(())
    }

    async fn list_services(&self, scope: &Scope) -> Result<Vec<Service>, CloudError> {
        self.services_in(scope).await
    }

    async fn create_service(&self, request: &ServiceRequest) -> Result<Service, CloudError> {
        self.create(request).await
    }

    async fn scale_service(&self, name: &str, desired_count: i32) -> Result<(), CloudError> {
        self.scale(name, desired_count).await
    }

    async fn delete_service(&self, name: &str) -> Result<(), CloudError> {
        self.delete(name).await
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
                    no_log_group(&query.stream.group)
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

    async fn filter_log_events(&self, filter: &LogFilter) -> Result<FilteredPage, CloudError> {
        let answer = self
            .logs
            .filter_log_events()
            .log_group_name(&filter.group)
            .set_log_stream_names(Some(filter.streams.clone()))
            .set_start_time(filter.start_time)
            .set_next_token(filter.next_token.clone())
            .send()
            .await
            .map_err(
                |err| match self.classify(Api::Logs, "FilterLogEvents", err) {
                    // Streams not there yet are left out of the answer: what is missing is the group.
                    CloudError::NotFound { .. } => no_log_group(&filter.group),
                    other => other,
                },
            )?;
        Ok(FilteredPage {
            events: answer
                .events()
                .iter()
                .map(|event| {
                    let stream = event.log_stream_name().unwrap_or_default().to_string();
                    let raw = RawLogEvent {
                        timestamp: event.timestamp().unwrap_or_default(),
                        ingestion_time: event.ingestion_time().unwrap_or_default(),
                        message: event.message().unwrap_or_default().to_string(),
                    };
                    (stream, raw)
                })
                .collect(),
            next_token: answer.next_token().map(str::to_string),
        })
    }

    async fn start_live_tail(
        &self,
        group: &str,
        streams: &[String],
    ) -> Result<LiveTail, CloudError> {
        self.open_live_tail(group, streams).await
    }
}

#[cfg(test)]
mod tests;
