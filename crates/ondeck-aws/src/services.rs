//! ECS services over the SDK: listing (only the owner's are described), CreateService,
//! UpdateService's desired count and DeleteService.

use aws_config::retry::RetryConfig;
use aws_sdk_ecs as ecs;
use ecs::types::{
    DeploymentCircuitBreaker, DeploymentConfiguration, LaunchType, PropagateTags, ServiceField,
};

use super::convert::service_from_sdk;
use super::error::Api;
use super::{SdkCloud, network_configuration, sdk_tags, spot_strategy};
use ondeck_core::CloudError;
use ondeck_core::instances::{owner_key, service_name_prefix};
use ondeck_core::model::{Scope, Service, ServiceRequest, tags};

/// DescribeServices accepts at most 10 services per call.
const DESCRIBE_SERVICES_BATCH: usize = 10;

impl SdkCloud {
    /// DescribeServices with tags, ten at a time (its limit).
    pub(crate) async fn describe_services(
        &self,
        arns: &[String],
    ) -> Result<Vec<Service>, CloudError> {
        let mut services = Vec::with_capacity(arns.len());
        for batch in arns.chunks(DESCRIBE_SERVICES_BATCH) {
            let answer = self
                .ecs
                .describe_services()
                .cluster(&self.cluster)
                .set_services(Some(batch.to_vec()))
                .include(ServiceField::Tags)
                .send()
                .await
                .map_err(|err| self.classify(Api::Ecs, "DescribeServices", err))?;
            services.extend(answer.services().iter().map(service_from_sdk));
        }
        Ok(services)
    }

    pub(crate) async fn services_in(&self, scope: &Scope) -> Result<Vec<Service>, CloudError> {
        if let Scope::Service(name) = scope {
            // By name: one DescribeServices, which is what a launch asks before a retry.
            let mut found = self.describe_services(std::slice::from_ref(name)).await?;
            found.retain(|service| service.tags.contains_key(tags::INSTANCE));
            return Ok(found);
        }
        let mut pages = self
            .ecs
            .list_services()
            .cluster(&self.cluster)
            .into_paginator()
            .send();
        // Only ondeck's (and, scoped, only the owner's) are described: a cluster with no
        // service of mine costs one ListServices a refresh.
        let prefix = match scope {
            Scope::StartedBy(key) => {
                service_name_prefix(key.strip_prefix("ondeck/").unwrap_or(key))
            }
            Scope::AllOwners | Scope::Service(_) => "ondeck-".to_string(),
        };
        let mut arns = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| self.classify(Api::Ecs, "ListServices", err))?;
            arns.extend(
                page.service_arns()
                    .iter()
                    .filter(|arn| arn.rsplit('/').next().unwrap_or("").starts_with(&prefix))
                    .cloned(),
            );
        }
        let mut services = self.describe_services(&arns).await?;
        services.retain(|service| {
            let owner = service.tag(tags::OWNER);
            service.tags.contains_key(tags::INSTANCE)
                && match scope {
                    Scope::StartedBy(key) => owner.is_some_and(|owner| &owner_key(owner) == key),
                    Scope::AllOwners | Scope::Service(_) => true,
                }
        });
        Ok(services)
    }

    pub(crate) async fn create(&self, request: &ServiceRequest) -> Result<Service, CloudError> {
        let mut call = self
            .ecs
            .create_service()
            .cluster(&self.cluster)
            .service_name(&request.name)
            .task_definition(&request.task_definition)
            .desired_count(1)
            .client_token(&request.client_token)
            .enable_execute_command(request.enable_exec)
            .network_configuration(network_configuration("CreateService", &request.network)?)
            .propagate_tags(PropagateTags::Service)
            .deployment_configuration(
                DeploymentConfiguration::builder()
                    .deployment_circuit_breaker(
                        DeploymentCircuitBreaker::builder()
                            .enable(true)
                            .rollback(false)
                            .build(),
                    )
                    .build(),
            )
            .set_tags(Some(sdk_tags(&request.tags)));
        call = if request.spot {
            call.capacity_provider_strategy(spot_strategy("CreateService")?)
        } else {
            call.launch_type(LaunchType::Fargate)
        };
        // As for RunTask: the launcher looks for the service by name before it retries.
        let answer = call
            .customize()
            .config_override(ecs::config::Builder::default().retry_config(RetryConfig::disabled()))
            .send()
            .await
            .map_err(|err| self.classify(Api::Ecs, "CreateService", err))?;
        let service = answer.service().ok_or_else(|| CloudError::Unreadable {
            action: Api::Ecs.action("CreateService"),
            detail: "the answer has no service".into(),
        })?;
        Ok(service_from_sdk(service))
    }

    pub(crate) async fn scale(&self, name: &str, desired_count: i32) -> Result<(), CloudError> {
        self.ecs
            .update_service()
            .cluster(&self.cluster)
            .service(name)
            .desired_count(desired_count)
            .send()
            .await
            .map_err(|err| self.classify(Api::Ecs, "UpdateService", err))?;
        Ok(())
    }

    pub(crate) async fn delete(&self, name: &str) -> Result<(), CloudError> {
        self.ecs
            .delete_service()
            .cluster(&self.cluster)
            .service(name)
            .force(true)
            .send()
            .await
            .map_err(|err| self.classify(Api::Ecs, "DeleteService", err))?;
        Ok(())
    }
}
