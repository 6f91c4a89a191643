//! The agents' Auto Scaling group as the scaler's [`Fleet`].

use agent_stack_scaler::{AsgCapacity, Fleet, Instances, SourceError};
use aws_sdk_autoscaling::Client;

use crate::group::describe;
use crate::Error;

/// One Auto Scaling group, by name.
#[derive(Debug, Clone)]
pub struct AsgFleet {
    client: Client,
    name: String,
}

impl AsgFleet {
    pub fn new(config: &aws_config::SdkConfig, name: impl Into<String>) -> Self {
        Self { client: Client::new(config), name: name.into() }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Desired, min and max of the group.
    pub async fn capacity(&self) -> Result<AsgCapacity, SourceError> {
        let group = describe(&self.client, &self.name)
            .await
            .map_err(|e| SourceError::auto_scaling(e.to_string()))?
            .ok_or_else(|| SourceError::auto_scaling(format!("Auto Scaling group {} not found", self.name)))?;
        Ok(AsgCapacity {
            desired: i64::from(group.desired),
            min: i64::from(group.min),
            max: i64::from(group.max),
            instances: Instances {
                warm: group.warm_pool.as_ref().map_or(0, |p| i64::from(p.instances)),
                ..Instances::count(group.members.iter().map(|m| m.lifecycle_state.as_str()))
            },
        })
    }

    /// Sets the desired capacity now, ignoring the cooldown.
    pub async fn set_desired(&self, desired: i64) -> Result<(), SourceError> {
        let value = i32::try_from(desired).map_err(|_| SourceError::auto_scaling(format!("desired capacity {desired} is out of range")))?;
        self.client
            .set_desired_capacity()
            .auto_scaling_group_name(&self.name)
            .desired_capacity(value)
            .honor_cooldown(false)
            .send()
            .await
            .map_err(|e| SourceError::auto_scaling(Error::from_sdk(format!("SetDesiredCapacity {} to {value}", self.name), &e).to_string()))?;
        Ok(())
    }
}

impl Fleet for AsgFleet {
    async fn capacity(&self) -> Result<AsgCapacity, SourceError> {
        AsgFleet::capacity(self).await
    }

    async fn set_desired(&self, desired: i64) -> Result<(), SourceError> {
        AsgFleet::set_desired(self, desired).await
    }
}

/// Suspends the AZRebalance process, so rebalancing never terminates an instance running a job.
pub async fn suspend_az_rebalance(config: &aws_config::SdkConfig, group: &str) -> Result<(), Error> {
    Client::new(config)
        .suspend_processes()
        .auto_scaling_group_name(group)
        .scaling_processes("AZRebalance")
        .send()
        .await
        .map(|_| ())
        .map_err(|e| Error::from_sdk(format!("SuspendProcesses AZRebalance on {group}"), &e))
}
