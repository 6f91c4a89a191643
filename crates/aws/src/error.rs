//! The AWS edge's one error type: which operation failed, and how, classified from the SDK's error
//! codes and error types (never from message text). Its `Display` is one line naming the operation
//! and the next step; no SDK Debug dump reaches the user.

use std::fmt;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};

/// What kind of failure it was: what callers act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// What the call names does not exist.
    NotFound,
    /// The credential chain found no usable credentials (the provider's own short reason).
    NoCredentials(String),
    /// AWS still throttled the call after the SDK's retries.
    Throttled { code: String, message: String },
    /// AWS refused the call.
    Rejected { code: String, message: String },
    /// No answer in time.
    Timeout,
    /// The connection failed or the response could not be read.
    Transport(String),
    /// The request could not be made here (no region, signing failed, …).
    Setup(String),
}

/// A failed AWS call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The API operation and what it was about, e.g. `DescribeStacks my-stack`.
    pub operation: String,
    pub kind: Kind,
}

/// Error codes AWS services use for throttling.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "PriorRequestNotComplete",
];

/// Error codes that mean "not found" whatever the operation.
const NOT_FOUND_CODES: &[&str] = &["ParameterNotFound", "NotFound", "NoSuchKey", "NoSuchBucket", "ResourceNotFoundException"];

/// Error codes that mean the credentials lack a permission.
const ACCESS_DENIED_CODES: &[&str] = &["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"];

impl Error {
    pub fn new(operation: impl Into<String>, kind: Kind) -> Self {
        Self { operation: operation.into(), kind }
    }

    /// Classifies an SDK error.
    pub fn from_sdk<E, R>(operation: impl Into<String>, err: &SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: fmt::Debug + 'static,
    {
        Self::from_sdk_with(operation, err, &[])
    }

    /// Classifies an SDK error; `not_found_codes` are the operation's own codes for "does not
    /// exist" (CloudFormation says `ValidationError` for a stack that does not exist).
    pub fn from_sdk_with<E, R>(operation: impl Into<String>, err: &SdkError<E, R>, not_found_codes: &[&str]) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: fmt::Debug + 'static,
    {
        let kind = match err {
            SdkError::ServiceError(s) => {
                let e = s.err();
                let code = e.code().unwrap_or("UnknownError").to_string();
                let message = e.message().unwrap_or("no message").to_string();
                if NOT_FOUND_CODES.contains(&code.as_str()) || not_found_codes.contains(&code.as_str()) {
                    Kind::NotFound
                } else if THROTTLING_CODES.contains(&code.as_str()) {
                    Kind::Throttled { code, message }
                } else {
                    Kind::Rejected { code, message }
                }
            }
            SdkError::TimeoutError(_) => Kind::Timeout,
            SdkError::DispatchFailure(d) if d.is_timeout() => Kind::Timeout,
            SdkError::DispatchFailure(d) if d.is_io() => Kind::Transport("connection failed".into()),
            SdkError::ResponseError(_) => Kind::Transport("the response could not be read".into()),
            other => match credentials_error(other) {
                Some(reason) => Kind::NoCredentials(reason),
                None => match other {
                    SdkError::ConstructionFailure(_) => Kind::Setup(innermost(other)),
                    _ => Kind::Transport(innermost(other)),
                },
            },
        };
        Self { operation: operation.into(), kind }
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == Kind::NotFound
    }

    /// The service's error code, when AWS answered with one.
    pub fn code(&self) -> Option<&str> {
        match &self.kind {
            Kind::Throttled { code, .. } | Kind::Rejected { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// The credential provider's reason, when the chain of causes holds a credentials error.
fn credentials_error(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if let Some(c) = e.downcast_ref::<CredentialsError>() {
            return Some(match c {
                CredentialsError::CredentialsNotLoaded(_) => "no AWS credentials found".to_string(),
                other => format!("AWS credentials could not be loaded ({})", innermost(other)),
            });
        }
        cause = e.source();
    }
    None
}

/// The last message in an error's chain of causes: the most specific, and free of Debug dumps.
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = &self.operation;
        match &self.kind {
            Kind::NotFound => write!(f, "{op}: not found"),
            Kind::NoCredentials(reason) => write!(
                f,
                "{op}: {reason}: set AWS_PROFILE (and run `aws sso login` if it uses SSO) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            ),
            Kind::Throttled { code, message } => write!(f, "{op}: throttled by AWS ({code}: {message}); try again in a minute"),
            Kind::Rejected { code, message } if ACCESS_DENIED_CODES.contains(&code.as_str()) => {
                write!(f, "{op}: {code}: {message}; grant this permission to the credentials in use")
            }
            Kind::Rejected { code, message } => write!(f, "{op}: {code}: {message}"),
            Kind::Timeout => write!(f, "{op}: timed out; check the network path to AWS (and AWS_ENDPOINT_URL if set)"),
            Kind::Transport(cause) => write!(f, "{op}: {cause}; check the network path to AWS (and AWS_ENDPOINT_URL if set)"),
            Kind::Setup(cause) => write!(f, "{op}: {cause}"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ssm::operation::get_parameter::GetParameterError;
    use aws_smithy_types::error::ErrorMetadata;

    fn service(code: &str, message: &str) -> SdkError<GetParameterError, ()> {
        let meta = ErrorMetadata::builder().code(code).message(message).build();
        SdkError::service_error(GetParameterError::generic(meta), ())
    }

    #[test]
    fn codes_decide_the_kind() {
        assert_eq!(Error::from_sdk("GetParameter /x", &service("ParameterNotFound", "gone")).kind, Kind::NotFound);
        let throttled = Error::from_sdk("GetParameter /x", &service("ThrottlingException", "Rate exceeded"));
        assert!(matches!(throttled.kind, Kind::Throttled { .. }), "{throttled:?}");
        let validation = service("ValidationError", "Stack with id s does not exist");
        assert!(matches!(Error::from_sdk("DescribeStacks s", &validation).kind, Kind::Rejected { .. }));
        assert!(Error::from_sdk_with("DescribeStacks s", &validation, &["ValidationError"]).is_not_found());
    }

    #[test]
    fn display_names_the_operation_and_the_next_step() {
        let denied = Error::from_sdk("GetParameter /ci/token", &service("AccessDeniedException", "not allowed"));
        assert_eq!(denied.code(), Some("AccessDeniedException"));
        assert_eq!(
            denied.to_string(),
            "GetParameter /ci/token: AccessDeniedException: not allowed; grant this permission to the credentials in use"
        );
        let timeout: SdkError<GetParameterError, ()> = SdkError::timeout_error("slow");
        assert!(Error::from_sdk("GetParameter /x", &timeout).to_string().starts_with("GetParameter /x: timed out; check"));
        let none = Error::new("DescribeStacks s", Kind::NoCredentials("no AWS credentials found".into())).to_string();
        assert!(none.contains("AWS_PROFILE") && !none.contains('{'), "{none}");
    }
}
