//! Errors from the cloud, each phrased as what happened and what to do about it.

use std::fmt;

/// A failure talking to AWS, already classified. `Display` is what a user reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloudError {
    /// No credentials, or they expired. `fix` is the command that helps (`aws sso login --profile X`).
    Credentials { detail: String, fix: String },
    /// The caller may not perform `action`. Actions here are named as IAM names them,
    /// `service:Operation` (`logs:GetLogEvents`), so that the hint asks for that permission.
    AccessDenied { action: String, detail: String },
    /// A named resource does not exist (cluster, subnet, task definition, log group …).
    NotFound { what: String, detail: String },
    /// A log stream does not exist: awslogs creates it with the container's first line, so
    /// early in a task's life this is normal and worth asking again.
    NoLogStream { group: String, stream: String },
    /// AWS asked us to slow down and the SDK's retries ran out.
    Throttled { action: String },
    /// The endpoint could not be reached at all.
    Unreachable { endpoint: String, detail: String },
    /// The call took longer than we allow; the outcome on the server is unknown.
    Timeout { action: String },
    /// AWS rejected the request's parameters.
    Invalid { action: String, detail: String },
    /// An answer came but could not be decoded: not what AWS sends, so asking again would
    /// bring the same.
    Unreadable { action: String, detail: String },
    /// Anything else AWS said, with its code.
    Service {
        action: String,
        code: String,
        message: String,
    },
    /// A refusal by ondeck itself (read-only mode, foreign owner …).
    Refused(String),
}

impl CloudError {
    /// Worth retrying later without the user changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            CloudError::Throttled { .. }
                | CloudError::Unreachable { .. }
                | CloudError::Timeout { .. }
        ) || matches!(self, CloudError::Service { code, .. } if code.starts_with('5') || code == "ServerException" || code == "InternalError" || code == "ServiceUnavailable" || code == "ServiceUnavailableException")
    }

    /// AWS answered and said no (a 4xx, throttling included): the call changed nothing. A
    /// timeout, a dropped connection or a server error leaves the outcome unknown.
    pub fn is_refusal(&self) -> bool {
        match self {
            CloudError::Credentials { .. }
            | CloudError::AccessDenied { .. }
            | CloudError::NotFound { .. }
            | CloudError::Throttled { .. }
            | CloudError::Invalid { .. }
            | CloudError::NoLogStream { .. }
            | CloudError::Refused(_) => true,
            CloudError::Service { code, .. } => !self.is_transient() && code != "UnknownError",
            // An answer that could not be read may well have been a success.
            CloudError::Unreachable { .. }
            | CloudError::Timeout { .. }
            | CloudError::Unreadable { .. } => false,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            CloudError::NotFound { .. } | CloudError::NoLogStream { .. }
        )
    }

    pub fn is_throttled(&self) -> bool {
        matches!(self, CloudError::Throttled { .. })
    }
}

impl fmt::Display for CloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloudError::Credentials { detail, fix } => {
                write!(
                    f,
                    "AWS credentials are missing or expired ({detail}); {fix}"
                )
            }
            CloudError::AccessDenied { action, detail } => write!(
                f,
                "access denied for {action} ({detail}); ask for {action} in your IAM policy (see assets/iam-policy.json)"
            ),
            CloudError::NotFound { what, detail } => {
                if detail.is_empty() {
                    write!(f, "{what} not found")
                } else {
                    write!(f, "{what} not found ({detail})")
                }
            }
            CloudError::NoLogStream { group, stream } => write!(
                f,
                "log stream {stream} of {group} does not exist yet: the container has not written a line"
            ),
            CloudError::Throttled { action } => write!(
                f,
                "AWS is throttling {action}; ondeck backs off and retries — if it persists, fewer people/tools on this account are polling"
            ),
            CloudError::Unreachable { endpoint, detail } => write!(
                f,
                "cannot reach {endpoint} ({detail}); check the network, proxy settings, or endpoint_url in the profile"
            ),
            CloudError::Timeout { action } => write!(
                f,
                "{action} timed out: AWS is slow or unreachable; try again, and check the network or endpoint_url if it persists"
            ),
            CloudError::Invalid { action, detail } => {
                write!(f, "AWS rejected {action}: {detail}")
            }
            CloudError::Unreadable { action, detail } => write!(
                f,
                "the answer to {action} could not be read ({detail}); check endpoint_url or a proxy in between, and report it if neither is there"
            ),
            CloudError::Service {
                action,
                code,
                message,
            } => {
                write!(f, "{action} failed: {code}: {message}")?;
                if self.is_transient() {
                    f.write_str("; the fault is on AWS's side, try again in a moment")?;
                }
                Ok(())
            }
            CloudError::Refused(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for CloudError {}
