//! SSM `StartSession` and `TerminateSession`, the only Session Manager operations ondeck calls,
//! sent as signed AWS JSON 1.1 requests through the SDK's own HTTP connector. aws-sdk-ssm
//! would add about 80 CPU-seconds to a cold build for these two calls; SigV4 and the connector
//! are already in the build for the other SDK clients.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::Connector;
use ondeck_core::CloudError;
use ondeck_core::model::SessionGrant;
use serde_json::{Value, json};

use crate::error::classify_code;
use crate::query::{SigningContext, connector, send, signed_post};

/// The port-forwarding document of Session Manager: one remote port to one local port.
const PORT_FORWARD_DOCUMENT: &str = "AWS-StartPortForwardingSession";

pub(crate) struct SsmApi {
    connector: Connector,
    credentials: Option<SharedCredentialsProvider>,
    region: String,
    /// `https://ssm.<region>.amazonaws.com/`, or the profile's endpoint_url.
    url: String,
    cluster: String,
    aws_profile: Option<String>,
    timeout: Duration,
}

impl SsmApi {
    pub(crate) fn new(
        credentials: Option<SharedCredentialsProvider>,
        region: &str,
        endpoint_url: Option<&str>,
        cluster: &str,
        aws_profile: Option<&str>,
        timeout: Duration,
    ) -> SsmApi {
        let connector = connector(timeout);
        let url = match endpoint_url {
            Some(url) => format!("{}/", url.trim_end_matches('/')),
            None => format!("https://ssm.{region}.amazonaws.com/"),
        };
        SsmApi {
            connector,
            credentials,
            region: region.to_string(),
            url,
            cluster: cluster.to_string(),
            aws_profile: aws_profile.map(str::to_string),
            timeout,
        }
    }

    /// A port-forwarding session to `remote_port` of the container behind `target`
    /// (`ecs:<cluster>_<task-id>_<runtime-id>`).
    pub(crate) async fn start_port_forward(
        &self,
        target: &str,
        remote_port: u16,
    ) -> Result<SessionGrant, CloudError> {
        let parameters: BTreeMap<&str, Vec<String>> =
            BTreeMap::from([("portNumber", vec![remote_port.to_string()])]);
        let answer = self
            .call(
                "StartSession",
                json!({
                    "Target": target,
                    "DocumentName": PORT_FORWARD_DOCUMENT,
                    "Parameters": parameters,
                    "Reason": "ondeck forward",
                }),
            )
            .await?;
        session_grant(
            "ssm:StartSession",
            &answer,
            ["SessionId", "StreamUrl", "TokenValue"],
        )
    }

    pub(crate) async fn terminate_session(&self, session_id: &str) -> Result<(), CloudError> {
        self.call("TerminateSession", json!({ "SessionId": session_id }))
            .await
            .map(drop)
    }

    async fn call(&self, operation: &str, body: Value) -> Result<Value, CloudError> {
        let action = format!("ssm:{operation}");
        let target = format!("AmazonSSM.{operation}");
        let context = SigningContext {
            credentials: self.credentials.as_ref(),
            aws_profile: self.aws_profile.as_deref(),
            region: &self.region,
            service: "ssm",
            url: &self.url,
            action: &action,
        };
        let headers = [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", target.as_str()),
        ];
        let request = signed_post(&context, &headers, body.to_string()).await?;
        let answer = send(&self.connector, self.timeout, request, &action, &self.url).await?;
        let status = answer.status;
        let body: Option<Value> = serde_json::from_slice(&answer.body).ok();
        if (200..300).contains(&status) {
            return body.ok_or_else(|| CloudError::Unreadable {
                action,
                detail: format!("HTTP {status} without a JSON body"),
            });
        }
        let code = body
            .as_ref()
            .and_then(|b| b.get("__type"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .or(answer.error_type)
            .map(|code| error_code(&code).to_string())
            .unwrap_or_else(|| format!("HTTP{status}"));
        let message = body
            .as_ref()
            .and_then(|b| b.get("message").or_else(|| b.get("Message")))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Err(classify_code(
            &action,
            &code,
            &message,
            &self.cluster,
            self.aws_profile.as_deref(),
        ))
    }
}

/// `com.amazonaws.ssm#AccessDeniedException` or `AccessDeniedException:http://…` → the code.
fn error_code(raw: &str) -> &str {
    let code = raw.rsplit('#').next().unwrap_or(raw);
    code.split(':').next().unwrap_or(code)
}

/// The three values a data channel opens with, all required.
pub(crate) fn session_grant(
    action: &str,
    answer: &Value,
    [id, url, token]: [&str; 3],
) -> Result<SessionGrant, CloudError> {
    let field = |name: &str| {
        answer
            .get(name)
            .and_then(Value::as_str)
            .filter(|value| !value.is_empty())
            .map(str::to_string)
            .ok_or_else(|| CloudError::Unreadable {
                action: action.to_string(),
                detail: format!("the answer has no {name}"),
            })
    };
    Ok(SessionGrant {
        session_id: field(id)?,
        stream_url: field(url)?,
        token: field(token)?,
    })
}

#[cfg(test)]
mod tests;
