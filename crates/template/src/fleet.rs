//! The Auto Scaling group, and for macOS the dedicated-host resource group it launches into.

use agent_stack_config::launch::{LAUNCH_HEARTBEAT_TIMEOUT_S, LAUNCH_HOOK_NAME};
use agent_stack_config::{Choice, Config, Placement, WarmPool};
use serde_json::{json, Value};

use crate::cfn::{depends_on, get_att, ref_, resource, sub, tag_list, with_tags};
use crate::ids;
use crate::instances::{drain_hook, ssm_string};
use crate::Template;

pub fn add(t: &mut Template, config: &Config) {
    if let Some(group) = host_resource_group(config) {
        t.add(ids::HOST_RESOURCE_GROUP, group);
    }
    t.add(ids::AUTO_SCALING_GROUP, auto_scaling_group(config));
    t.add(ids::GROUP_NAME_PARAMETER, group_name_parameter(config));
    if let Some(pool) = config.asg.warm_pool {
        t.add(ids::LAUNCH_HOOK, launch_hook());
        t.add(ids::WARM_POOL, depends_on(warm_pool(pool), &[ids::LAUNCH_HOOK]));
    }
}

/// With a warm pool, every launch waits in `Warmed:Pending:Wait` (into the pool) or `Pending:Wait`
/// (into service) until `boot start` has prepared the instance, or started its agent, and
/// completes the action; at the heartbeat timeout AWS goes on (CONTINUE).
///
/// A resource of its own, made after the group's name parameter that instances need to complete
/// the action: as part of the group it would also hold the instances launched at the group's
/// creation, which cannot read that parameter before the group is complete, so the stack's
/// creation would wait out the timeout. The pool is made after the hook, so its first instances
/// are held too.
fn launch_hook() -> Value {
    depends_on(
        resource(
            "AWS::AutoScaling::LifecycleHook",
            json!({
                "AutoScalingGroupName": ref_(ids::AUTO_SCALING_GROUP),
                "DefaultResult": "CONTINUE",
                "HeartbeatTimeout": LAUNCH_HEARTBEAT_TIMEOUT_S,
                "LifecycleHookName": LAUNCH_HOOK_NAME,
                "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING",
            }),
        ),
        &[ids::GROUP_NAME_PARAMETER],
    )
}

/// A pool of exactly `size` prepared instances (`MinSize` = `MaxGroupPreparedCapacity`, so the
/// desired capacity does not shrink it). Instances never return to it after a job.
fn warm_pool(pool: WarmPool) -> Value {
    resource(
        "AWS::AutoScaling::WarmPool",
        json!({
            "AutoScalingGroupName": ref_(ids::AUTO_SCALING_GROUP),
            "InstanceReusePolicy": { "ReuseOnScaleIn": false },
            "MaxGroupPreparedCapacity": pool.size,
            "MinSize": pool.size,
            "PoolState": pool.state.as_str(),
        }),
    )
}

/// The group's name for its instances, which need it to heartbeat and complete their lifecycle
/// actions; made after the group, long before any instance needs it.
fn group_name_parameter(config: &Config) -> Value {
    ssm_string(config, "Name of the agents' Auto Scaling group", config.group_name_parameter_name(), ref_(ids::AUTO_SCALING_GROUP))
}

/// Every termination the group starts waits in `Terminating:Wait` until the instance's agent has
/// finished its job and completes the action (CONTINUE), or until the heartbeats stop for a
/// heartbeat timeout, when AWS goes on with the termination (CONTINUE too).
fn drain_hook_specification(config: &Config) -> Value {
    let hook = drain_hook(config);
    json!([{
        "DefaultResult": "CONTINUE",
        "HeartbeatTimeout": hook.heartbeat_timeout,
        "LifecycleHookName": hook.lifecycle_hook_name,
        "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
    }])
}

fn auto_scaling_group(config: &Config) -> Value {
    let asg = &config.asg;
    let d = &asg.distribution;
    let mut distribution = json!({
        "OnDemandBaseCapacity": d.on_demand_base_capacity,
        "OnDemandPercentageAboveBaseCapacity": d.on_demand_percentage_above_base,
    });
    if let Some(s) = d.on_demand_allocation_strategy {
        distribution["OnDemandAllocationStrategy"] = json!(s.as_str());
    }
    if let Some(s) = d.spot_allocation_strategy {
        distribution["SpotAllocationStrategy"] = json!(s.as_str());
    }
    let mut launch_template = json!({
        "LaunchTemplateSpecification": {
            "LaunchTemplateId": ref_(ids::LAUNCH_TEMPLATE),
            "Version": get_att(ids::LAUNCH_TEMPLATE, "LatestVersionNumber"),
        }
    });
    let overrides: Vec<Value> = match &config.mac {
        Some(mac) => mac.families.iter().map(|f| json!({ "InstanceType": format!("{f}.metal") })).collect(),
        None => asg.launch_template_overrides.clone(),
    };
    if !overrides.is_empty() {
        launch_template["Overrides"] = Value::Array(overrides);
    }

    let mut tags = vec![json!({ "Key": "application", "PropagateAtLaunch": true, "Value": "semaphore-agent" })];
    tags.extend(config.tags.iter().map(|t| json!({ "Key": t.key, "PropagateAtLaunch": true, "Value": t.value })));

    let mut props = json!({
        "CapacityRebalance": asg.capacity_rebalance,
        "Cooldown": "60",
        "LifecycleHookSpecificationList": drain_hook_specification(config),
        "MaxSize": asg.max_size.to_string(),
        "MinSize": asg.min_size.to_string(),
        "NewInstancesProtectedFromScaleIn": asg.new_instances_protected_from_scale_in,
        "Tags": tags,
    });
    // AWS refuses warm pools with a mixed instances policy: the group then launches from its
    // launch template alone (config refuses what only a mixed instances policy could carry).
    if asg.warm_pool.is_some() {
        props["LaunchTemplate"] = launch_template["LaunchTemplateSpecification"].clone();
    } else {
        props["MixedInstancesPolicy"] = json!({ "InstancesDistribution": distribution, "LaunchTemplate": launch_template });
    }
    match &config.placement {
        Placement::DefaultVpc { zones } if zones.is_empty() => props["AvailabilityZones"] = json!({ "Fn::GetAZs": "" }),
        Placement::DefaultVpc { zones } => props["AvailabilityZones"] = json!(zones),
        Placement::Vpc { subnets, .. } => props["VPCZoneIdentifier"] = json!(subnets),
    }
    if let Some(desired) = asg.desired {
        props["DesiredCapacity"] = json!(desired.to_string());
    }
    if let Some(lifetime) = asg.max_instance_lifetime {
        props["MaxInstanceLifetime"] = json!(lifetime);
    }
    let metrics = crate::dashboard::collected_group_metrics(config);
    props["MetricsCollection"] = json!([{ "Granularity": "1Minute", "Metrics": metrics }]);
    resource("AWS::AutoScaling::AutoScalingGroup", props)
}

fn host_resource_group(config: &Config) -> Option<Value> {
    let mac = config.mac.as_ref()?;
    let hosts: Vec<Value> = mac
        .dedicated_hosts
        .iter()
        .map(|h| sub(format!("arn:${{AWS::Partition}}:ec2:${{AWS::Region}}:${{AWS::AccountId}}:dedicated-host/{h}")))
        .collect();
    let group = resource(
        "AWS::ResourceGroups::Group",
        json!({
            "Configuration": [
                {
                    "Parameters": [
                        { "Name": "allowed-host-based-license-configurations", "Values": [mac.license_configuration_arn] },
                        { "Name": "allowed-host-families", "Values": mac.families },
                        { "Name": "auto-allocate-host", "Values": [mac.auto_allocate.to_string()] },
                        { "Name": "auto-release-host", "Values": [mac.auto_release.to_string()] },
                        { "Name": "auto-host-recovery", "Values": ["true"] },
                    ],
                    "Type": "AWS::EC2::HostManagement",
                },
                {
                    "Parameters": [
                        { "Name": "allowed-resource-types", "Values": ["AWS::EC2::Host"] },
                        { "Name": "deletion-protection", "Values": ["UNLESS_EMPTY"] },
                    ],
                    "Type": "AWS::ResourceGroups::Generic",
                },
            ],
            "Name": config.stack_name,
            "Resources": hosts,
        }),
    );
    Some(with_tags(group, tag_list(&config.tags)))
}

/// ARN of the host resource group, for outputs and `destroy`'s hints.
pub fn host_resource_group_arn() -> Value {
    get_att(ids::HOST_RESOURCE_GROUP, "Arn")
}
