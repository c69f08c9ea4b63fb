//! The task definitions ondeck registers for container and compose templates: described with
//! their tags, registered with the content hash, and their log groups created.

use async_trait::async_trait;
use aws_sdk_ecs as ecs;
use ecs::types::{Compatibility, NetworkMode, Tag, TaskDefinitionField};
use logs::operation::create_log_group::CreateLogGroupError;

use ondeck_core::CloudError;
use ondeck_core::model::tags;
use ondeck_templates::hash::HASH_TAG;
use ondeck_templates::model::TaskDefinition;
use ondeck_templates::registry::{Registered, Registry};

use crate::SdkCloud;
use crate::error::Api;
use crate::logs;
use crate::register_shape::{container_to_sdk, definition_to_model, runtime_platform};

#[async_trait]
impl Registry for SdkCloud {
    async fn registered(&self, family: &str) -> Result<Option<Registered>, CloudError> {
        let answer = self
            .ecs
            .describe_task_definition()
            .task_definition(family)
            .include(TaskDefinitionField::Tags)
            .send()
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(err) => {
                return match self.classify(Api::Ecs, "DescribeTaskDefinition", err) {
                    // ECS: "ClientException: Unable to describe task definition." — no revision
                    // of the family is active, so nothing is registered yet.
                    CloudError::Service { code, message, .. }
                        if code == "ClientException"
                            && message.to_ascii_lowercase().contains("task definition") =>
                    {
                        Ok(None)
                    }
                    other => Err(other),
                };
            }
        };
        let Some(definition) = answer.task_definition() else {
            return Ok(None);
        };
        Ok(Some(registered_from_sdk(definition, answer.tags())))
    }

    async fn register(
        &self,
        task_definition: &TaskDefinition,
        content_hash: &str,
    ) -> Result<Registered, CloudError> {
        let action = Api::Ecs.action("RegisterTaskDefinition");
        let containers = task_definition
            .containers
            .iter()
            .map(container_to_sdk)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| CloudError::Invalid {
                action: action.clone(),
                detail: err.0,
            })?;
        let tag = |key: &str, value: &str| Tag::builder().key(key).value(value).build();
        let answer = self
            .ecs
            .register_task_definition()
            .family(&task_definition.family)
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .cpu(task_definition.size.cpu.to_string())
            .memory(task_definition.size.memory.to_string())
            .set_runtime_platform(task_definition.cpu_architecture.map(runtime_platform))
            .set_execution_role_arn(task_definition.execution_role_arn.clone())
            .set_task_role_arn(task_definition.task_role_arn.clone())
            .set_container_definitions(Some(containers))
            .tags(tag(HASH_TAG, content_hash))
            .tags(tag(tags::OWNER, &self.owner))
            .send()
            .await
            .map_err(|err| {
                match self.classify(Api::Ecs, "RegisterTaskDefinition", err) {
                    // ECS checks that the caller may hand the profile's roles to it.
                    CloudError::AccessDenied { detail, .. }
                    | CloudError::Service {
                        message: detail, ..
                    } if detail.contains("iam:PassRole") => CloudError::AccessDenied {
                        action: "iam:PassRole".into(),
                        detail: format!(
                            "{detail}; allow iam:PassRole on execution_role_arn and \
                             task_role_arn of the profile"
                        ),
                    },
                    other => other,
                }
            })?;
        let definition = answer
            .task_definition()
            .ok_or_else(|| CloudError::Unreadable {
                action,
                detail: "the answer has no taskDefinition".into(),
            })?;
        let mut registered = registered_from_sdk(definition, answer.tags());
        // Not every server echoes the tags it stored; this registration carries this hash.
        registered.content_hash = Some(content_hash.to_string());
        Ok(registered)
    }

    async fn ensure_log_group(&self, name: &str) -> Result<(), CloudError> {
        match self
            .logs
            .create_log_group()
            .log_group_name(name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(CreateLogGroupError::ResourceAlreadyExistsException(_))
                ) =>
            {
                Ok(())
            }
            Err(err) => Err(self.classify(Api::Logs, "CreateLogGroup", err)),
        }
    }
}

fn registered_from_sdk(definition: &ecs::types::TaskDefinition, tags: &[Tag]) -> Registered {
    Registered {
        arn: definition
            .task_definition_arn()
            .unwrap_or_default()
            .to_string(),
        revision: definition.revision(),
        content_hash: tags
            .iter()
            .find(|tag| tag.key() == Some(HASH_TAG))
            .and_then(|tag| tag.value().map(str::to_string)),
        task_definition: definition_to_model(definition),
    }
}
