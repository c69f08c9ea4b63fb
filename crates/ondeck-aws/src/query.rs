//! STS and EC2, the two AWS query-protocol services `ondeck doctor` and `ondeck init` read
//! from, as signed form POSTs through the SDK's HTTP connector with the SDK's credentials (an
//! instance role on a bastion included). Their SDK clients would add cold-build minutes for a
//! handful of read-only calls; the answers are small XML documents read with quick-xml.

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
use ondeck_core::backoff::Backoff;

use crate::error::{classify_code, credentials_fix, innermost};

mod xml;

pub(crate) use xml::Element;

/// Reads are safe to ask again: a throttled or dropped call is tried this many times in all.
const ATTEMPTS: u32 = 3;
const RETRY_BACKOFF: Backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(2));

/// A query-protocol service and the API version its requests name.
#[derive(Debug, Clone, Copy)]
pub(crate) enum QueryService {
    Sts,
    Ec2,
}

impl QueryService {
    fn signing_name(self) -> &'static str {
        match self {
            QueryService::Sts => "sts",
            QueryService::Ec2 => "ec2",
        }
    }

    fn version(self) -> &'static str {
        match self {
            QueryService::Sts => "2011-06-15",
            QueryService::Ec2 => "2016-11-15",
        }
    }
}

/// The connector every hand-signed call goes through: the SDK's own, with rustls on ring.
pub(crate) fn connector(timeout: Duration) -> Connector {
    Connector::builder()
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
        .build()
}

/// What signing one POST needs besides its body.
pub(crate) struct SigningContext<'a> {
    pub(crate) credentials: Option<&'a SharedCredentialsProvider>,
    pub(crate) aws_profile: Option<&'a str>,
    pub(crate) region: &'a str,
    /// The signing name of the service: `ssm`, `sts`, `ec2`.
    pub(crate) service: &'a str,
    pub(crate) url: &'a str,
    /// IAM's name for the call (`sts:GetCallerIdentity`), for error messages.
    pub(crate) action: &'a str,
}

/// A SigV4-signed POST of `body` with `headers` (host is added).
pub(crate) async fn signed_post(
    context: &SigningContext<'_>,
    headers: &[(&str, &str)],
    body: String,
) -> Result<HttpRequest, CloudError> {
    let credentials_fix = credentials_fix(context.aws_profile);
    let provider = context.credentials.ok_or_else(|| CloudError::Credentials {
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
    let host = host_of(context.url);
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .copied()
        .chain([("host", host.as_str())])
        .collect();
    let identity: Identity = credentials.into();
    let invalid = |detail: String| CloudError::Invalid {
        action: context.action.to_string(),
        detail,
    };
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(context.region)
        .name(context.service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|err| invalid(err.to_string()))?
        .into();
    let signable = SignableRequest::new(
        "POST",
        context.url,
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|err| invalid(err.to_string()))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|err| invalid(err.to_string()))?
        .into_parts();
    let mut request = HttpRequest::new(SdkBody::from(body));
    request
        .set_uri(context.url)
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

/// An answer as it came: status, the `x-amzn-errortype` header, the body.
pub(crate) struct RawAnswer {
    pub(crate) status: u16,
    pub(crate) error_type: Option<String>,
    pub(crate) body: Vec<u8>,
}

/// Send `request`, bounded by `timeout`.
pub(crate) async fn send(
    connector: &Connector,
    timeout: Duration,
    request: HttpRequest,
    action: &str,
    url: &str,
) -> Result<RawAnswer, CloudError> {
    let answer = tokio::time::timeout(timeout, connector.call(request)).await;
    let response = match answer {
        Err(_elapsed) => {
            return Err(CloudError::Timeout {
                action: action.to_string(),
            });
        }
        Ok(Err(err)) if err.is_timeout() => {
            return Err(CloudError::Timeout {
                action: action.to_string(),
            });
        }
        Ok(Err(err)) => {
            return Err(CloudError::Unreachable {
                endpoint: url.to_string(),
                detail: innermost(&err),
            });
        }
        Ok(Ok(response)) => response,
    };
    let status = response.status().as_u16();
    let error_type = response
        .headers()
        .get("x-amzn-errortype")
        .map(str::to_string);
    let body = tokio::time::timeout(timeout, ByteStream::new(response.into_body()).collect())
        .await
        .map_err(|_elapsed| CloudError::Timeout {
            action: action.to_string(),
        })?
        .map_err(|err| CloudError::Unreachable {
            endpoint: url.to_string(),
            detail: innermost(&err),
        })?;
    Ok(RawAnswer {
        status,
        error_type,
        body: body.into_bytes().to_vec(),
    })
}

/// Signed query-protocol calls to STS and EC2 in one region.
pub(crate) struct QueryApi {
    connector: Connector,
    credentials: Option<SharedCredentialsProvider>,
    region: String,
    /// The profile's endpoint_url: every service behind one address (a local emulator).
    endpoint_url: Option<String>,
    aws_profile: Option<String>,
    timeout: Duration,
}

impl QueryApi {
    pub(crate) fn new(
        credentials: Option<SharedCredentialsProvider>,
        region: &str,
        endpoint_url: Option<&str>,
        aws_profile: Option<&str>,
        timeout: Duration,
    ) -> QueryApi {
        QueryApi {
            connector: connector(timeout),
            credentials,
            region: region.to_string(),
            endpoint_url: endpoint_url.map(|url| format!("{}/", url.trim_end_matches('/'))),
            aws_profile: aws_profile.map(str::to_string),
            timeout,
        }
    }

    fn url(&self, service: QueryService) -> String {
        match &self.endpoint_url {
            Some(url) => url.clone(),
            None => format!(
                "https://{}.{}.amazonaws.com/",
                service.signing_name(),
                self.region
            ),
        }
    }

    /// `Action` with `params`, answered with the document's root element. Transient failures
    /// are tried again a few times; an error AWS answered with is returned at once.
    pub(crate) async fn call(
        &self,
        service: QueryService,
        operation: &str,
        params: &[(&str, String)],
    ) -> Result<Element, CloudError> {
        let mut attempt = 0;
        loop {
            match self.call_once(service, operation, params).await {
                Err(err) if err.is_transient() && attempt + 1 < ATTEMPTS => {
                    tokio::time::sleep(RETRY_BACKOFF.delay(attempt)).await;
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    async fn call_once(
        &self,
        service: QueryService,
        operation: &str,
        params: &[(&str, String)],
    ) -> Result<Element, CloudError> {
        let action = format!("{}:{operation}", service.signing_name());
        let url = self.url(service);
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("Action", operation)
            .append_pair("Version", service.version())
            .extend_pairs(params.iter().map(|(key, value)| (*key, value.as_str())))
            .finish();
        let context = SigningContext {
            credentials: self.credentials.as_ref(),
            aws_profile: self.aws_profile.as_deref(),
            region: &self.region,
            service: service.signing_name(),
            url: &url,
            action: &action,
        };
        let headers = [(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )];
        let request = signed_post(&context, &headers, body).await?;
        let answer = send(&self.connector, self.timeout, request, &action, &url).await?;
        let document = std::str::from_utf8(&answer.body)
            .ok()
            .and_then(|text| xml::parse(text).ok());
        if (200..300).contains(&answer.status) {
            return document.ok_or_else(|| CloudError::Unreadable {
                action,
                detail: format!("HTTP {} without an XML body", answer.status),
            });
        }
        // STS: <ErrorResponse><Error><Code>; EC2: <Response><Errors><Error><Code>.
        let error = document.as_ref().and_then(|root| root.find("Error"));
        let code = error
            .and_then(|error| error.text_of("Code"))
            .map(str::to_string)
            .or(answer.error_type)
            .unwrap_or_else(|| {
                if answer.status >= 500 {
                    "ServiceUnavailable".to_string()
                } else {
                    format!("HTTP{}", answer.status)
                }
            });
        let message = error
            .and_then(|error| error.text_of("Message"))
            .unwrap_or_default();
        Err(classify_code(
            &action,
            &code,
            message,
            "",
            self.aws_profile.as_deref(),
        ))
    }
}

pub(crate) fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest).to_string()
}

#[cfg(test)]
mod tests;
