//! SDK failures to errors a user can act on.

use std::error::Error as StdError;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use ondeck_core::CloudError;

/// The service a call belongs to. IAM names an action `ecs:RunTask` or `logs:GetLogEvents`, and
/// an error carries that full name, so that "ask for …" hints name the permission that is missing.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Api {
    Ecs,
    Logs,
}

impl Api {
    pub(crate) fn action(self, operation: &str) -> String {
        let service = match self {
            Api::Ecs => "ecs",
            Api::Logs => "logs",
        };
        format!("{service}:{operation}")
    }
}

/// Turn an SDK failure into something a user can act on. Never a debug dump. `answered_ok`:
/// the HTTP answer said success, so a failure is in decoding it.
pub(crate) fn classify<E, R>(
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
    let credentials_fix = || credentials_fix(aws_profile);
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
    classify_code(action, &code, &message, cluster, aws_profile)
}

/// What to run when credentials are missing or expired.
pub(crate) fn credentials_fix(aws_profile: Option<&str>) -> String {
    match aws_profile {
        Some(profile) => format!(
            "run `aws sso login --profile {profile}` (or refresh that profile's credentials)"
        ),
        None => "run `aws sso login`, set AWS_PROFILE, or set aws_profile in the ondeck profile"
            .to_string(),
    }
}

/// An error AWS answered with, by its code: one table for the SDK clients and the signed calls.
pub(crate) fn classify_code(
    action: &str,
    code: &str,
    message: &str,
    cluster: &str,
    aws_profile: Option<&str>,
) -> CloudError {
    let message = message.to_string();
    let lower = message.to_ascii_lowercase();
    match code {
        "ExpiredTokenException"
        | "ExpiredToken"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "InvalidSignatureException"
        | "MissingAuthenticationToken" => CloudError::Credentials {
            detail: format!("{code}: {message}"),
            fix: credentials_fix(aws_profile),
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
        // A service deleted meanwhile (by a teammate, a reap, the console): look again.
        "ServiceNotFoundException" | "ServiceNotActiveException" => CloudError::NotFound {
            what: "service".into(),
            detail: format!("{message}; it was deleted; refresh to see what is left"),
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
            code: code.to_string(),
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
pub(crate) fn innermost(err: &(dyn StdError + 'static)) -> String {
    let mut current = err;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}
