//! What `ondeck doctor` and `ondeck init` read from an account: who the caller is, the
//! clusters, the task definitions and how their containers log, log groups, subnets and
//! security groups. A trait of its own beside `Cloud`, so that the dashboard's backends need
//! none of it. Every call is a read.

use std::collections::BTreeMap;
use std::error::Error as StdError;

use async_trait::async_trait;
use aws_sdk_cloudwatchlogs as logs;
use aws_sdk_ecs as ecs;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use ecs::types::{AssignPublicIp, ClusterField, DesiredStatus};
use ondeck_core::CloudError;

use crate::error::{Api, classify};
use crate::query::{Element, QueryApi, QueryService};
use crate::{CONNECT_TIMEOUT, OPERATION_TIMEOUT, https_client, load_shared};

/// DescribeServices accepts at most 10 services per call.
const SERVICE_BATCH: usize = 10;

/// The caller as STS GetCallerIdentity sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInfo {
    pub arn: String,
    /// ACTIVE, PROVISIONING, DEPROVISIONING, FAILED, INACTIVE.
    pub status: String,
    /// FARGATE, FARGATE_SPOT and any Auto Scaling group providers.
    pub capacity_providers: Vec<String>,
}

/// A task definition, as far as launching it on Fargate and finding its logs go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionInfo {
    /// `family:revision`.
    pub name: String,
    pub requires_compatibilities: Vec<String>,
    /// What ECS found it compatible with (EC2, FARGATE, EXTERNAL).
    pub compatibilities: Vec<String>,
    pub network_mode: Option<String>,
    pub task_role_arn: Option<String>,
    pub containers: Vec<ContainerLogging>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerLogging {
    pub container: String,
    /// `awslogs`, `awsfirelens`, `splunk` …; None without a logConfiguration.
    pub log_driver: Option<String>,
    /// The driver's options: awslogs-group, awslogs-stream-prefix, awslogs-create-group …
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetInfo {
    pub id: String,
    pub vpc_id: String,
    pub availability_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityGroupInfo {
    pub id: String,
    pub name: String,
    pub vpc_id: String,
}

/// The networking something already running in a cluster uses: a good default for a new
/// profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSample {
    /// `service web` or `task 0f3c…`.
    pub source: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: bool,
}

#[async_trait]
pub trait Inspect: Send + Sync {
    /// STS GetCallerIdentity: the account and ARN behind the credentials.
    async fn caller_identity(&self) -> Result<CallerIdentity, CloudError>;
    /// The region's cluster ARNs.
    async fn list_clusters(&self) -> Result<Vec<String>, CloudError>;
    /// The cluster, or None when ECS does not know it.
    async fn describe_cluster(&self, cluster: &str) -> Result<Option<ClusterInfo>, CloudError>;
    /// The families with an ACTIVE revision.
    async fn task_definition_families(&self) -> Result<Vec<String>, CloudError>;
    /// `family`, `family:revision` or an ARN; NotFound when ECS does not know it.
    async fn task_definition(&self, name: &str) -> Result<DefinitionInfo, CloudError>;
    async fn log_group_exists(&self, group: &str) -> Result<bool, CloudError>;
    /// The subnet, or None when EC2 does not know it.
    async fn subnet(&self, id: &str) -> Result<Option<SubnetInfo>, CloudError>;
    /// The security group, or None when EC2 does not know it.
    async fn security_group(&self, id: &str) -> Result<Option<SecurityGroupInfo>, CloudError>;
    /// The subnets and security groups of a service of the cluster, else of a running task.
    async fn cluster_network(&self, cluster: &str) -> Result<Option<NetworkSample>, CloudError>;
}

/// The region the AWS environment names: AWS_REGION, AWS_DEFAULT_REGION, the AWS profile's
/// `region`, else the instance's (an instance role on a bastion).
pub async fn default_region(aws_profile: Option<&str>) -> Option<String> {
    let mut loader =
        aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(https_client());
    if let Some(name) = aws_profile {
        loader = loader.profile_name(name);
    }
    tokio::time::timeout(CONNECT_TIMEOUT, loader.load())
        .await
        .ok()?
        .region()
        .map(|region| region.to_string())
}

/// [`Inspect`] over the ECS and CloudWatch Logs SDK clients and signed STS and EC2 calls.
pub struct SdkInspector {
    ecs: ecs::Client,
    logs: logs::Client,
    query: QueryApi,
    endpoint: String,
    aws_profile: Option<String>,
}

impl SdkInspector {
    /// Load credentials for `region`; nothing is sent to AWS here.
    pub async fn connect(
        region: &str,
        aws_profile: Option<&str>,
        endpoint_url: Option<&str>,
    ) -> SdkInspector {
        let shared = load_shared(region, aws_profile, endpoint_url).await;
        SdkInspector {
            ecs: ecs::Client::new(&shared),
            logs: logs::Client::new(&shared),
            query: QueryApi::new(
                shared.credentials_provider(),
                region,
                endpoint_url,
                aws_profile,
                OPERATION_TIMEOUT,
            ),
            endpoint: endpoint_url
                .map(str::to_string)
                .unwrap_or_else(|| format!("ecs.{region}.amazonaws.com")),
            aws_profile: aws_profile.map(str::to_string),
        }
    }

    fn classify<E>(
        &self,
        api: Api,
        operation: &str,
        cluster: &str,
        err: SdkError<E, HttpResponse>,
    ) -> CloudError
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
            cluster,
            self.aws_profile.as_deref(),
            err,
        )
    }

    /// One item of an EC2 Describe call by id, or None when EC2 says it does not exist.
    async fn ec2_item(
        &self,
        operation: &str,
        id_param: &str,
        id: &str,
        set: &str,
    ) -> Result<Option<Element>, CloudError> {
        match self
            .query
            .call(QueryService::Ec2, operation, &[(id_param, id.to_string())])
            .await
        {
            Ok(root) => Ok(root
                .child(set)
                .and_then(|set| set.children("item").next())
                .cloned()),
            // InvalidSubnetID.NotFound, InvalidGroup.NotFound, InvalidGroupId.Malformed …
            Err(CloudError::Service { code, .. })
                if code.ends_with(".NotFound") || code.ends_with(".Malformed") =>
            {
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }

    async fn service_network(&self, cluster: &str) -> Result<Option<NetworkSample>, CloudError> {
        let mut pages = self
            .ecs
            .list_services()
            .cluster(cluster)
            .into_paginator()
            .send();
        let mut arns = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| self.classify(Api::Ecs, "ListServices", cluster, err))?;
            arns.extend(page.service_arns().iter().cloned());
        }
        for batch in arns.chunks(SERVICE_BATCH) {
            let answer = self
                .ecs
                .describe_services()
                .cluster(cluster)
                .set_services(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|err| self.classify(Api::Ecs, "DescribeServices", cluster, err))?;
            let found = answer.services().iter().find_map(|service| {
                let vpc = service.network_configuration()?.awsvpc_configuration()?;
                Some(NetworkSample {
                    source: format!("service {}", service.service_name().unwrap_or("?")),
                    subnets: vpc.subnets().to_vec(),
                    security_groups: vpc.security_groups().to_vec(),
                    assign_public_ip: vpc.assign_public_ip() == Some(&AssignPublicIp::Enabled),
                })
            });
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// A running task's subnet from its network interface attachment; its security groups
    /// from EC2's view of that interface.
    async fn task_network(&self, cluster: &str) -> Result<Option<NetworkSample>, CloudError> {
        let listed = self
            .ecs
            .list_tasks()
            .cluster(cluster)
            .desired_status(DesiredStatus::Running)
            .max_results(SERVICE_BATCH as i32)
            .send()
            .await
            .map_err(|err| self.classify(Api::Ecs, "ListTasks", cluster, err))?;
        if listed.task_arns().is_empty() {
            return Ok(None);
        }
        let answer = self
            .ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(listed.task_arns().to_vec()))
            .send()
            .await
            .map_err(|err| self.classify(Api::Ecs, "DescribeTasks", cluster, err))?;
        for task in answer.tasks() {
            let details: BTreeMap<&str, &str> = task
                .attachments()
                .iter()
                .filter(|attachment| attachment.r#type() == Some("ElasticNetworkInterface"))
                .flat_map(|attachment| attachment.details())
                .filter_map(|detail| Some((detail.name()?, detail.value()?)))
                .collect();
            let Some(subnet) = details.get("subnetId") else {
                continue;
            };
            let security_groups = match details.get("networkInterfaceId") {
                Some(eni) => self
                    .ec2_item(
                        "DescribeNetworkInterfaces",
                        "NetworkInterfaceId.1",
                        eni,
                        "networkInterfaceSet",
                    )
                    .await?
                    .map(|interface| group_ids(&interface))
                    .unwrap_or_default(),
                None => Vec::new(),
            };
            let task_id = task
                .task_arn()
                .and_then(|arn| arn.rsplit('/').next())
                .unwrap_or("?");
            return Ok(Some(NetworkSample {
                source: format!("task {task_id}"),
                subnets: vec![subnet.to_string()],
                security_groups,
                assign_public_ip: false,
            }));
        }
        Ok(None)
    }
}

/// `<groupSet><item><groupId>` of a network interface.
fn group_ids(interface: &Element) -> Vec<String> {
    interface
        .child("groupSet")
        .map(|set| {
            set.children("item")
                .filter_map(|item| item.text_of("groupId"))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[async_trait]
impl Inspect for SdkInspector {
    async fn caller_identity(&self) -> Result<CallerIdentity, CloudError> {
        let root = self
            .query
            .call(QueryService::Sts, "GetCallerIdentity", &[])
            .await?;
        let result = root.child("GetCallerIdentityResult");
        let field = |name: &str| {
            result
                .and_then(|result| result.text_of(name))
                .map(str::to_string)
                .ok_or_else(|| CloudError::Unreadable {
                    action: "sts:GetCallerIdentity".into(),
                    detail: format!("the answer has no {name}"),
                })
        };
        Ok(CallerIdentity {
            account: field("Account")?,
            arn: field("Arn")?,
        })
    }

    async fn list_clusters(&self) -> Result<Vec<String>, CloudError> {
        let mut pages = self.ecs.list_clusters().into_paginator().send();
        let mut arns = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| self.classify(Api::Ecs, "ListClusters", "", err))?;
            arns.extend(page.cluster_arns().iter().cloned());
        }
        Ok(arns)
    }

    async fn describe_cluster(&self, cluster: &str) -> Result<Option<ClusterInfo>, CloudError> {
        let answer = self
            .ecs
            .describe_clusters()
            .clusters(cluster)
            .include(ClusterField::Settings)
            .send()
            .await
            .map_err(|err| self.classify(Api::Ecs, "DescribeClusters", cluster, err))?;
        // An unknown cluster is a failure with reason MISSING, not an error.
        Ok(answer.clusters().first().map(|found| ClusterInfo {
            arn: found.cluster_arn().unwrap_or_default().to_string(),
            status: found.status().unwrap_or_default().to_string(),
            capacity_providers: found.capacity_providers().to_vec(),
        }))
    }

    async fn task_definition_families(&self) -> Result<Vec<String>, CloudError> {
        let mut pages = self
            .ecs
            .list_task_definition_families()
            .status(ecs::types::TaskDefinitionFamilyStatus::Active)
            .into_paginator()
            .send();
        let mut families = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|err| self.classify(Api::Ecs, "ListTaskDefinitionFamilies", "", err))?;
            families.extend(page.families().iter().cloned());
        }
        Ok(families)
    }

    async fn task_definition(&self, name: &str) -> Result<DefinitionInfo, CloudError> {
        let not_found = || CloudError::NotFound {
            what: format!("task definition `{name}`"),
            detail: "register it or fix task_definitions in the template".into(),
        };
        let answer = self
            .ecs
            .describe_task_definition()
            .task_definition(name)
            .send()
            .await
            .map_err(
                |err| match self.classify(Api::Ecs, "DescribeTaskDefinition", "", err) {
                    // ECS says "ClientException: Unable to describe task definition."
                    CloudError::Service { code, .. } if code == "ClientException" => not_found(),
                    other => other,
                },
            )?;
        let definition = answer.task_definition().ok_or_else(not_found)?;
        let strings = |values: &[ecs::types::Compatibility]| {
            values
                .iter()
                .map(|value| value.as_str().to_string())
                .collect()
        };
        Ok(DefinitionInfo {
            name: format!(
                "{}:{}",
                definition.family().unwrap_or(name),
                definition.revision()
            ),
            requires_compatibilities: strings(definition.requires_compatibilities()),
            compatibilities: strings(definition.compatibilities()),
            network_mode: definition
                .network_mode()
                .map(|mode| mode.as_str().to_string()),
            task_role_arn: definition
                .task_role_arn()
                .filter(|arn| !arn.is_empty())
                .map(str::to_string),
            containers: definition
                .container_definitions()
                .iter()
                .map(|container| ContainerLogging {
                    container: container.name().unwrap_or_default().to_string(),
                    log_driver: container
                        .log_configuration()
                        .map(|config| config.log_driver().as_str().to_string()),
                    options: container
                        .log_configuration()
                        .and_then(|config| config.options())
                        .map(|options| {
                            options
                                .iter()
                                .map(|(key, value)| (key.clone(), value.clone()))
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect(),
        })
    }

    async fn log_group_exists(&self, group: &str) -> Result<bool, CloudError> {
        let mut pages = self
            .logs
            .describe_log_groups()
            .log_group_name_prefix(group)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|err| self.classify(Api::Logs, "DescribeLogGroups", "", err))?;
            if page
                .log_groups()
                .iter()
                .any(|found| found.log_group_name() == Some(group))
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn subnet(&self, id: &str) -> Result<Option<SubnetInfo>, CloudError> {
        let item = self
            .ec2_item("DescribeSubnets", "SubnetId.1", id, "subnetSet")
            .await?;
        Ok(item.map(|item| SubnetInfo {
            id: item.text_of("subnetId").unwrap_or(id).to_string(),
            vpc_id: item.text_of("vpcId").unwrap_or_default().to_string(),
            availability_zone: item
                .text_of("availabilityZone")
                .unwrap_or_default()
                .to_string(),
        }))
    }

    async fn security_group(&self, id: &str) -> Result<Option<SecurityGroupInfo>, CloudError> {
        let item = self
            .ec2_item(
                "DescribeSecurityGroups",
                "GroupId.1",
                id,
                "securityGroupInfo",
            )
            .await?;
        Ok(item.map(|item| SecurityGroupInfo {
            id: item.text_of("groupId").unwrap_or(id).to_string(),
            name: item.text_of("groupName").unwrap_or_default().to_string(),
            vpc_id: item.text_of("vpcId").unwrap_or_default().to_string(),
        }))
    }

    async fn cluster_network(&self, cluster: &str) -> Result<Option<NetworkSample>, CloudError> {
        match self.service_network(cluster).await? {
            Some(sample) => Ok(Some(sample)),
            None => self.task_network(cluster).await,
        }
    }
}
