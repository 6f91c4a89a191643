//! EC2 look-ups: the default VPC and the agents' image (deploy), the instances' images (rotate).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::Filter;
use aws_sdk_ec2::Client;

use crate::Error;

/// The region's default VPC, if it has one.
pub async fn default_vpc_id(config: &aws_config::SdkConfig) -> Result<Option<String>, Error> {
    let out = Client::new(config)
        .describe_vpcs()
        .filters(Filter::builder().name("is-default").values("true").build())
        .send()
        .await
        .map_err(|e| Error::from_sdk("DescribeVpcs".to_string(), &e))?;
    Ok(out.vpcs().first().and_then(|v| v.vpc_id()).map(str::to_string))
}

/// The newest image owned by this account whose name matches one of `patterns` (tried in order).
pub async fn newest_own_image(config: &aws_config::SdkConfig, patterns: &[String]) -> Result<Option<(String, String)>, Error> {
    let client = Client::new(config);
    for pattern in patterns {
        let out = client
            .describe_images()
            .owners("self")
            .filters(Filter::builder().name("name").values(pattern).build())
            .send()
            .await
            .map_err(|e| Error::from_sdk(format!("DescribeImages {pattern}"), &e))?;
        let newest = out
            .images()
            .iter()
            .filter_map(|i| Some((i.creation_date()?.to_string(), i.image_id()?.to_string(), i.name().unwrap_or_default().to_string())))
            .max();
        if let Some((_, id, name)) = newest {
            return Ok(Some((id, name)));
        }
    }
    Ok(None)
}

/// The image each instance runs: instance id → (image id, image name when the image is still
/// visible to this account).
pub async fn instance_images(
    config: &aws_config::SdkConfig,
    instance_ids: &[String],
) -> Result<BTreeMap<String, (String, Option<String>)>, Error> {
    let client = Client::new(config);
    let mut images = BTreeMap::new();
    for batch in instance_ids.chunks(100) {
        let out = client
            .describe_instances()
            .set_instance_ids(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|e| Error::from_sdk(format!("DescribeInstances {}", batch.join(", ")), &e))?;
        for instance in out.reservations().iter().flat_map(|r| r.instances()) {
            if let (Some(id), Some(image)) = (instance.instance_id(), instance.image_id()) {
                images.insert(id.to_string(), (image.to_string(), None));
            }
        }
    }
    let distinct: BTreeSet<String> = images.values().map(|(image, _)| image.clone()).collect();
    for image in distinct {
        // One image at a time: a deregistered image fails only its own look-up.
        let name = match client.describe_images().image_ids(&image).send().await {
            Ok(out) => out.images().first().and_then(|i| i.name()).map(str::to_string),
            Err(_) => None,
        };
        for entry in images.values_mut().filter(|(id, _)| *id == image) {
            entry.1 = name.clone();
        }
    }
    Ok(images)
}

/// The instances an Auto Scaling group launched, by its `aws:autoscaling:groupName` tag: current
/// members and those terminated within about the last hour (EC2 still lists them then).
pub async fn group_instance_ids(config: &aws_config::SdkConfig, group: &str) -> Result<Vec<String>, Error> {
    launched_by(config, group, |i| i.instance_id()).await
}

/// The dedicated hosts the group's instances (current, and terminated within about an hour) run
/// or ran on.
pub async fn group_instance_hosts(config: &aws_config::SdkConfig, group: &str) -> Result<Vec<String>, Error> {
    launched_by(config, group, |i| i.placement()?.host_id()).await
}

/// `pick` of each instance the group launched, sorted and without repeats.
async fn launched_by(
    config: &aws_config::SdkConfig,
    group: &str,
    pick: impl Fn(&aws_sdk_ec2::types::Instance) -> Option<&str>,
) -> Result<Vec<String>, Error> {
    let mut found = BTreeSet::new();
    let mut pages = Client::new(config)
        .describe_instances()
        .filters(Filter::builder().name("tag:aws:autoscaling:groupName").values(group).build())
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::from_sdk(format!("DescribeInstances tag:aws:autoscaling:groupName={group}"), &e))?;
        found.extend(page.reservations().iter().flat_map(|r| r.instances()).filter_map(&pick).map(str::to_string));
    }
    Ok(found.into_iter().collect())
}

/// Releases dedicated hosts; returns the ones AWS did not release, with its reason.
pub async fn release_hosts(config: &aws_config::SdkConfig, ids: &[String]) -> Result<Vec<(String, String)>, Error> {
    let out = Client::new(config)
        .release_hosts()
        .set_host_ids(Some(ids.to_vec()))
        .send()
        .await
        .map_err(|e| Error::from_sdk(format!("ReleaseHosts {}", ids.join(", ")), &e))?;
    Ok(out
        .unsuccessful()
        .iter()
        .map(|u| {
            let id = u.resource_id().unwrap_or_default().to_string();
            let why =
                u.error().map(|e| format!("{}: {}", e.code().unwrap_or_default(), e.message().unwrap_or_default())).unwrap_or_default();
            (id, why)
        })
        .collect())
}
