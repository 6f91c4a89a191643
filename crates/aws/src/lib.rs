//! AWS adapters: one place that builds the SDK configuration (honouring `AWS_ENDPOINT_URL`,
//! `AWS_REGION` and the usual credential chain, with bounded timeouts), and thin wrappers that
//! turn SDK calls into the scaler's traits and messages that name the resource and the next step.
//! The `operator` feature adds CloudFormation, S3 and EC2 for the CLI's stack commands.

#[cfg(feature = "operator")]
pub mod cfn;
#[cfg(feature = "operator")]
pub mod ec2;
mod fleet;
pub mod group;
pub mod imds;
pub mod instance;
pub mod presign;
#[cfg(feature = "operator")]
pub mod s3;
mod sdk;
mod ssm;
#[cfg(feature = "operator")]
pub mod stack;

pub use fleet::{suspend_az_rebalance, AsgFleet};
pub use sdk::{error_text, sdk_config, CallProfile};
pub use ssm::{get_string, put_string, put_token, read_token, TokenError};

pub use aws_config::SdkConfig;
pub use aws_sdk_autoscaling as autoscaling;
#[cfg(feature = "operator")]
pub use aws_sdk_cloudformation as cloudformation;
#[cfg(feature = "operator")]
pub use aws_sdk_ec2 as ec2_sdk;
pub use aws_sdk_ssm as ssm_sdk;
