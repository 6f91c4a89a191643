//! AWS adapters: one place that builds the SDK configuration (honouring `AWS_ENDPOINT_URL`,
//! `AWS_REGION` and the usual credential chain, with bounded timeouts), and thin wrappers that
//! turn SDK calls into the scaler's traits and typed values, failing with one [`Error`] type whose
//! kind comes from the SDK's error codes and whose text names the operation and the next step.
//! The `operator` feature adds CloudFormation, S3 and EC2 for the CLI's stack commands.

#[cfg(feature = "operator")]
pub mod cfn;
#[cfg(feature = "operator")]
pub mod ec2;
mod error;
mod fleet;
pub mod group;
pub mod imds;
#[cfg(feature = "operator")]
pub mod inspect;
pub mod instance;
pub mod lifecycle;
#[cfg(feature = "operator")]
pub mod logs;
pub mod presign;
#[cfg(feature = "operator")]
pub mod s3;
mod sdk;
mod ssm;
pub mod states;

pub use error::{Error, Kind};
pub use fleet::{suspend_az_rebalance, AsgFleet};
pub use sdk::{preload_trust_store, sdk_config, CallProfile};
pub use ssm::{get_string, put_string, put_token, read_token, TokenError};

pub use aws_config::SdkConfig;
pub use aws_sdk_autoscaling as autoscaling;
#[cfg(feature = "operator")]
pub use aws_sdk_cloudformation as cloudformation;
#[cfg(feature = "operator")]
pub use aws_sdk_cloudwatchlogs as logs_sdk;
#[cfg(feature = "operator")]
pub use aws_sdk_ec2 as ec2_sdk;
#[cfg(feature = "operator")]
pub use aws_sdk_iam as iam_sdk;
pub use aws_sdk_ssm as ssm_sdk;

/// For callers whose errors are one line of text (the instance side).
impl From<Error> for String {
    fn from(err: Error) -> String {
        err.to_string()
    }
}
