//! SSM `StartSession` and `TerminateSession`, the only Session Manager operations ondeck calls,
//! sent as signed AWS JSON 1.1 requests through the SDK's own HTTP connector. aws-sdk-ssm
//! would add about 80 CPU-seconds to a cold build for these two calls; SigV4 and the connector
//! are already in the build for the other SDK clients.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_http_client::{Connector, tls};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use ondeck_core::CloudError;
use ondeck_core::model::SessionGrant;
use serde_json::{Value, json};

use crate::error::{classify_code, credentials_fix, innermost};

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
        let connector = Connector::builder()
            .connector_settings(
                HttpConnectorSettings::builder()
                    .connect_timeout(timeout)
                    .read_timeout(timeout)
                    .build(),
            )
            .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new())
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build();
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
        let request = self
            .signed_request(operation, &action, body.to_string())
            .await?;
        let answer = tokio::time::timeout(self.timeout, self.connector.call(request)).await;
        let response = match answer {
            Err(_elapsed) => return Err(CloudError::Timeout { action }),
            Ok(Err(err)) if err.is_timeout() => return Err(CloudError::Timeout { action }),
            Ok(Err(err)) => {
                return Err(CloudError::Unreachable {
                    endpoint: self.url.clone(),
                    detail: innermost(&err),
                });
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status().as_u16();
        let header_code = response
            .headers()
            .get("x-amzn-errortype")
            .map(str::to_string);
        let bytes = ByteStream::new(response.into_body()).collect().await;
        let body: Option<Value> = bytes
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes.into_bytes()).ok());
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
            .or(header_code)
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

    async fn signed_request(
        &self,
        operation: &str,
        action: &str,
        body: String,
    ) -> Result<HttpRequest, CloudError> {
        let credentials_fix = credentials_fix(self.aws_profile.as_deref());
        let provider = self
            .credentials
            .as_ref()
            .ok_or_else(|| CloudError::Credentials {
                detail: "no credentials provider is configured".into(),
                fix: credentials_fix.clone(),
            })?;
        let credentials =
            provider
                .provide_credentials()
                .await
                .map_err(|err| CloudError::Credentials {
                    detail: innermost(&err),
                    fix: credentials_fix,
                })?;
        let target = format!("AmazonSSM.{operation}");
        let host = host_of(&self.url);
        let headers = [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", target.as_str()),
            ("host", host.as_str()),
        ];
        let identity: Identity = credentials.into();
        let invalid = |detail: String| CloudError::Invalid {
            action: action.to_string(),
            detail,
        };
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("ssm")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|err| invalid(err.to_string()))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            self.url.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|err| invalid(err.to_string()))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|err| invalid(err.to_string()))?
            .into_parts();
        let mut request = HttpRequest::new(SdkBody::from(body));
        request
            .set_uri(self.url.as_str())
            .map_err(|err| invalid(err.to_string()))?;
        request
            .set_method("POST")
            .map_err(|err| invalid(err.to_string()))?;
        for (name, value) in headers.iter().copied().chain(instructions.headers()) {
            request
                .headers_mut()
                .insert(name.to_string(), value.to_string());
        }
        Ok(request)
    }
}

/// `com.amazonaws.ssm#AccessDeniedException` or `AccessDeniedException:http://…` → the code.
fn error_code(raw: &str) -> &str {
    let code = raw.rsplit('#').next().unwrap_or(raw);
    code.split(':').next().unwrap_or(code)
}

fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest).to_string()
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
