//! The agents' Auto Scaling group as one description (capacity, launch template, members) for the
//! scaler, `status` and `rotate`, and taking members out of service.

use aws_sdk_autoscaling::types::{AutoScalingGroup, LaunchTemplateSpecification};
use aws_sdk_autoscaling::Client;

use crate::states::LifecycleState;
use crate::Error;

/// A launch template and version, as the group or one of its instances names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateVersion {
    /// The template's id (or, when only that is known, its name).
    pub template: String,
    /// A version number, or `$Latest` / `$Default`.
    pub version: String,
}

/// One instance of the group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Member {
    pub id: String,
    pub lifecycle_state: LifecycleState,
    pub health: String,
    pub availability_zone: String,
    pub instance_type: String,
    pub protected_from_scale_in: bool,
    /// The launch template it was launched from; `None` when the group does not say.
    #[serde(skip)]
    pub launched_from: Option<TemplateVersion>,
}

/// The group's warm pool: what its instances wait as, the size it keeps, and how many are in it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WarmPoolView {
    pub state: String,
    pub size: i32,
    pub instances: i32,
}

/// The group's capacity, launch template and members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupView {
    pub name: String,
    pub desired: i32,
    pub min: i32,
    pub max: i32,
    /// What new instances are launched from.
    pub launches_from: Option<TemplateVersion>,
    pub members: Vec<Member>,
    /// `None` without a warm pool. Pool instances are not members.
    pub warm_pool: Option<WarmPoolView>,
}

fn template_version(spec: &LaunchTemplateSpecification) -> Option<TemplateVersion> {
    let template = spec.launch_template_id().or(spec.launch_template_name())?;
    Some(TemplateVersion { template: template.to_string(), version: spec.version().unwrap_or("$Default").to_string() })
}

fn view(name: &str, g: &AutoScalingGroup) -> GroupView {
    let launches_from = g
        .launch_template()
        .or_else(|| g.mixed_instances_policy()?.launch_template()?.launch_template_specification())
        .and_then(template_version);
    let members = g
        .instances()
        .iter()
        .map(|i| Member {
            id: i.instance_id().unwrap_or_default().to_string(),
            lifecycle_state: LifecycleState::parse(i.lifecycle_state().map(|s| s.as_str()).unwrap_or_default()),
            health: i.health_status().unwrap_or_default().to_string(),
            availability_zone: i.availability_zone().unwrap_or_default().to_string(),
            instance_type: i.instance_type().unwrap_or_default().to_string(),
            protected_from_scale_in: i.protected_from_scale_in().unwrap_or(false),
            launched_from: i.launch_template().and_then(template_version),
        })
        .collect();
    GroupView {
        name: name.to_string(),
        desired: g.desired_capacity().unwrap_or(0),
        min: g.min_size().unwrap_or(0),
        max: g.max_size().unwrap_or(0),
        launches_from,
        members,
        warm_pool: g.warm_pool_configuration().map(|c| WarmPoolView {
            state: c.pool_state().map(|s| s.as_str().to_string()).unwrap_or_default(),
            size: c.min_size().unwrap_or(0),
            instances: g.warm_pool_size().unwrap_or(0),
        }),
    }
}

/// Describes the group; `None` when it does not exist.
pub async fn describe_group(config: &aws_config::SdkConfig, name: &str) -> Result<Option<GroupView>, Error> {
    describe(&Client::new(config), name).await
}

/// [`describe_group`] with a client at hand.
pub(crate) async fn describe(client: &Client, name: &str) -> Result<Option<GroupView>, Error> {
    let out = client
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .map_err(|e| Error::from_sdk(format!("DescribeAutoScalingGroups {name}"), &e))?;
    Ok(out.auto_scaling_groups().iter().find(|g| g.auto_scaling_group_name() == Some(name)).map(|g| view(name, g)))
}

/// EnterStandby accepts at most this many instances per call.
const STANDBY_BATCH: usize = 20;

/// Moves instances to Standby without lowering the desired capacity: the group launches their
/// replacements at once, and each instance sees `Standby` as its target lifecycle state in IMDS.
pub async fn enter_standby(config: &aws_config::SdkConfig, group: &str, instance_ids: &[String]) -> Result<(), Error> {
    let client = Client::new(config);
    for batch in instance_ids.chunks(STANDBY_BATCH) {
        client
            .enter_standby()
            .auto_scaling_group_name(group)
            .set_instance_ids(Some(batch.to_vec()))
            .should_decrement_desired_capacity(false)
            .send()
            .await
            .map_err(|e| Error::from_sdk(format!("EnterStandby {} in {group}", batch.join(", ")), &e))?;
    }
    Ok(())
}

/// Sets the group's minimum, maximum and desired capacity: `destroy` empties the group this way,
/// so that the drain hook lets busy agents finish and the scaler cannot raise it again.
pub async fn resize(config: &aws_config::SdkConfig, group: &str, min: i32, max: i32, desired: i32) -> Result<(), Error> {
    Client::new(config)
        .update_auto_scaling_group()
        .auto_scaling_group_name(group)
        .min_size(min)
        .max_size(max)
        .desired_capacity(desired)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| Error::from_sdk(format!("UpdateAutoScalingGroup {group} to min {min}, max {max}, desired {desired}"), &e))
}

/// Deletes the group's warm pool and its instances at once, with their pending lifecycle actions
/// (nothing runs on a pool instance, so there is nothing to drain).
pub async fn delete_warm_pool(config: &aws_config::SdkConfig, group: &str) -> Result<(), Error> {
    Client::new(config)
        .delete_warm_pool()
        .auto_scaling_group_name(group)
        .force_delete(true)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| Error::from_sdk(format!("DeleteWarmPool {group}"), &e))
}
