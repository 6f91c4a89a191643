//! What an agent instance does to itself through its Auto Scaling group, with the instance
//! profile's credentials only (credentials in the environment or `~/.aws` are ignored: a job may
//! have left its own there).

use aws_config::imds::credentials::ImdsCredentialsProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_autoscaling::Client;

use crate::imds::Imds;
use crate::sdk::{timeouts, CallProfile};
use crate::Error;

/// The instance this program runs on: its metadata service, its id, and SDK configuration for
/// calls from it (the region from IMDS, the instance profile's credentials, `AWS_ENDPOINT_URL`
/// honoured as usual).
pub struct ThisInstance {
    pub imds: Imds,
    pub id: String,
    pub sdk: SdkConfig,
}

impl ThisInstance {
    /// Asks IMDS who and where this instance is.
    pub async fn discover() -> Result<Self, Error> {
        let imds = Imds::new();
        let id = imds.instance_id().await?;
        let sdk = instance_sdk_config(&imds, imds.region().await?).await;
        Ok(Self { imds, id, sdk })
    }
}

async fn instance_sdk_config(imds: &Imds, region: String) -> SdkConfig {
    let credentials = ImdsCredentialsProvider::builder().imds_client(imds.client()).build();
    let (timeout_config, retry_config) = timeouts(CallProfile::Command);
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(credentials)
        .timeout_config(timeout_config)
        .retry_config(retry_config)
        .load()
        .await
}

/// Marks the instance Unhealthy now (no grace period), so its group replaces it.
pub async fn mark_unhealthy(config: &SdkConfig, instance_id: &str) -> Result<(), Error> {
    Client::new(config)
        .set_instance_health()
        .instance_id(instance_id)
        .health_status("Unhealthy")
        .should_respect_grace_period(false)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| Error::from_sdk(format!("SetInstanceHealth {instance_id}"), &e))
}

/// Terminates the instance through its group, lowering the desired capacity when `decrement`.
/// When decrementing would take the group below its minimum size, AWS refuses with
/// `ValidationError` ([`Error::code`]).
pub async fn terminate_in_group(config: &SdkConfig, instance_id: &str, decrement: bool) -> Result<(), Error> {
    Client::new(config)
        .terminate_instance_in_auto_scaling_group()
        .instance_id(instance_id)
        .should_decrement_desired_capacity(decrement)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| Error::from_sdk(format!("TerminateInstanceInAutoScalingGroup {instance_id}"), &e))
}
