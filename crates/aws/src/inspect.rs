//! Read-only look-ups for `agent-stack doctor`: who the caller is, and the facts about the
//! parameters, images, instance types and network a stack depends on, as plain values the
//! checks judge. `Ok(None)` / `false` mean "does not exist"; anything else AWS says is an error.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{Filter, LocationType};
use aws_sdk_ssm::types::ParameterStringFilter;

use crate::Error;

/// The caller of STS GetCallerIdentity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub arn: String,
}

/// An SSM parameter's type and, for a SecureString, its KMS key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterFacts {
    /// `String`, `StringList` or `SecureString`.
    pub kind: String,
    /// As DescribeParameters gives it: `alias/aws/ssm`, a key id or a key ARN.
    pub key_id: Option<String>,
}

/// An image visible to the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    pub id: String,
    pub name: String,
    /// `x86_64`, `arm64`, `x86_64_mac` or `arm64_mac`.
    pub architecture: String,
    /// `available`, `pending`, `failed`…
    pub state: String,
}

/// An instance type's size and what it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceTypeFacts {
    pub vcpus: u32,
    pub architectures: Vec<String>,
}

/// A subnet and what its instances get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetFacts {
    pub id: String,
    pub vpc_id: String,
    pub zone: String,
    pub public_ip_on_launch: bool,
}

/// A route table, the subnets it serves and where its default route (`0.0.0.0/0`) goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTableFacts {
    /// The VPC's main table serves every subnet without a table of its own.
    pub main: bool,
    pub subnet_ids: Vec<String>,
    /// Targets of the default route: `igw-…`, `nat-…`, `eni-…`, `tgw-…`, `pcx-…`…
    pub default_route: Option<String>,
}

fn ec2(config: &aws_config::SdkConfig) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(config)
}

/// `None` for a not-found error (one of `codes`), the error otherwise.
fn absent<T>(err: Error) -> Result<Option<T>, Error> {
    if err.is_not_found() {
        Ok(None)
    } else {
        Err(err)
    }
}

/// STS GetCallerIdentity: the account and principal of the credentials in use.
pub async fn identity(config: &aws_config::SdkConfig) -> Result<Identity, Error> {
    let out = aws_sdk_sts::Client::new(config).get_caller_identity().send().await.map_err(|e| Error::from_sdk("GetCallerIdentity", &e))?;
    Ok(Identity { account: out.account().unwrap_or_default().to_string(), arn: out.arn().unwrap_or_default().to_string() })
}

/// SSM DescribeParameters for exactly `name` (no value is read).
pub async fn parameter(config: &aws_config::SdkConfig, name: &str) -> Result<Option<ParameterFacts>, Error> {
    let filter = ParameterStringFilter::builder()
        .key("Name")
        .option("Equals")
        .values(name)
        .build()
        .map_err(|e| Error::new(format!("DescribeParameters {name}"), crate::Kind::Setup(e.to_string())))?;
    let out = aws_sdk_ssm::Client::new(config)
        .describe_parameters()
        .parameter_filters(filter)
        .send()
        .await
        .map_err(|e| Error::from_sdk(format!("DescribeParameters {name}"), &e))?;
    Ok(out.parameters().iter().find(|p| p.name() == Some(name)).map(|p| ParameterFacts {
        kind: p.r#type().map(|t| t.as_str().to_string()).unwrap_or_default(),
        key_id: p.key_id().map(str::to_string),
    }))
}

/// One image by id.
pub async fn image(config: &aws_config::SdkConfig, id: &str) -> Result<Option<ImageFacts>, Error> {
    let out = match ec2(config).describe_images().image_ids(id).send().await {
        Ok(out) => out,
        Err(e) => {
            return absent(Error::from_sdk_with(
                format!("DescribeImages {id}"),
                &e,
                &["InvalidAMIID.NotFound", "InvalidAMIID.Malformed", "InvalidAMIID.Unavailable"],
            ))
        }
    };
    Ok(out.images().first().map(|i| ImageFacts {
        id: i.image_id().unwrap_or(id).to_string(),
        name: i.name().unwrap_or_default().to_string(),
        architecture: i.architecture().map(|a| a.as_str().to_string()).unwrap_or_default(),
        state: i.state().map(|s| s.as_str().to_string()).unwrap_or_default(),
    }))
}

/// One instance type, if the region has it.
pub async fn instance_type(config: &aws_config::SdkConfig, name: &str) -> Result<Option<InstanceTypeFacts>, Error> {
    let kind = aws_sdk_ec2::types::InstanceType::from(name);
    let out = match ec2(config).describe_instance_types().instance_types(kind).send().await {
        Ok(out) => out,
        Err(e) => return absent(Error::from_sdk_with(format!("DescribeInstanceTypes {name}"), &e, &["InvalidInstanceType"])),
    };
    Ok(out.instance_types().first().map(|t| InstanceTypeFacts {
        vcpus: t.v_cpu_info().and_then(|v| v.default_v_cpus()).and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
        architectures: t
            .processor_info()
            .map(|p| p.supported_architectures().iter().map(|a| a.as_str().to_string()).collect())
            .unwrap_or_default(),
    }))
}

/// The zones of the region that offer `instance_type`.
pub async fn offered_zones(config: &aws_config::SdkConfig, instance_type: &str) -> Result<BTreeSet<String>, Error> {
    let mut zones = BTreeSet::new();
    let mut pages = ec2(config)
        .describe_instance_type_offerings()
        .location_type(LocationType::AvailabilityZone)
        .filters(Filter::builder().name("instance-type").values(instance_type).build())
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::from_sdk(format!("DescribeInstanceTypeOfferings {instance_type}"), &e))?;
        zones.extend(page.instance_type_offerings().iter().filter_map(|o| o.location()).map(str::to_string));
    }
    Ok(zones)
}

/// Whether the VPC exists.
pub async fn vpc_exists(config: &aws_config::SdkConfig, id: &str) -> Result<bool, Error> {
    match ec2(config).describe_vpcs().vpc_ids(id).send().await {
        Ok(out) => Ok(!out.vpcs().is_empty()),
        Err(e) => {
            absent::<()>(Error::from_sdk_with(format!("DescribeVpcs {id}"), &e, &["InvalidVpcID.NotFound", "InvalidVpcID.Malformed"]))
                .map(|_| false)
        }
    }
}

fn subnet_facts(s: &aws_sdk_ec2::types::Subnet) -> SubnetFacts {
    SubnetFacts {
        id: s.subnet_id().unwrap_or_default().to_string(),
        vpc_id: s.vpc_id().unwrap_or_default().to_string(),
        zone: s.availability_zone().unwrap_or_default().to_string(),
        public_ip_on_launch: s.map_public_ip_on_launch().unwrap_or(false),
    }
}

/// One subnet by id.
pub async fn subnet(config: &aws_config::SdkConfig, id: &str) -> Result<Option<SubnetFacts>, Error> {
    match ec2(config).describe_subnets().subnet_ids(id).send().await {
        Ok(out) => Ok(out.subnets().first().map(subnet_facts)),
        Err(e) => {
            absent(Error::from_sdk_with(format!("DescribeSubnets {id}"), &e, &["InvalidSubnetID.NotFound", "InvalidSubnetID.Malformed"]))
        }
    }
}

/// The subnets of a VPC.
pub async fn vpc_subnets(config: &aws_config::SdkConfig, vpc_id: &str) -> Result<Vec<SubnetFacts>, Error> {
    let out = ec2(config)
        .describe_subnets()
        .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
        .send()
        .await
        .map_err(|e| Error::from_sdk(format!("DescribeSubnets vpc-id={vpc_id}"), &e))?;
    Ok(out.subnets().iter().map(subnet_facts).collect())
}

/// The route tables of a VPC.
pub async fn route_tables(config: &aws_config::SdkConfig, vpc_id: &str) -> Result<Vec<RouteTableFacts>, Error> {
    let out = ec2(config)
        .describe_route_tables()
        .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
        .send()
        .await
        .map_err(|e| Error::from_sdk(format!("DescribeRouteTables vpc-id={vpc_id}"), &e))?;
    Ok(out
        .route_tables()
        .iter()
        .map(|t| RouteTableFacts {
            main: t.associations().iter().any(|a| a.main() == Some(true)),
            subnet_ids: t.associations().iter().filter_map(|a| a.subnet_id()).map(str::to_string).collect(),
            default_route: t.routes().iter().find(|r| r.destination_cidr_block() == Some("0.0.0.0/0")).and_then(|r| {
                r.gateway_id()
                    .or(r.nat_gateway_id())
                    .or(r.transit_gateway_id())
                    .or(r.network_interface_id())
                    .or(r.vpc_peering_connection_id())
                    .map(str::to_string)
            }),
        })
        .collect())
}

/// The VPC of a security group, or `None` when the group does not exist.
pub async fn security_group_vpc(config: &aws_config::SdkConfig, id: &str) -> Result<Option<String>, Error> {
    match ec2(config).describe_security_groups().group_ids(id).send().await {
        Ok(out) => Ok(out.security_groups().first().map(|g| g.vpc_id().unwrap_or_default().to_string())),
        Err(e) => {
            absent(Error::from_sdk_with(format!("DescribeSecurityGroups {id}"), &e, &["InvalidGroup.NotFound", "InvalidGroupId.Malformed"]))
        }
    }
}

/// Whether the key pair exists.
pub async fn key_pair_exists(config: &aws_config::SdkConfig, name: &str) -> Result<bool, Error> {
    match ec2(config).describe_key_pairs().key_names(name).send().await {
        Ok(out) => Ok(!out.key_pairs().is_empty()),
        Err(e) => absent::<()>(Error::from_sdk_with(format!("DescribeKeyPairs {name}"), &e, &["InvalidKeyPair.NotFound"])).map(|_| false),
    }
}

/// An applied service quota's value; `None` when Service Quotas does not know it.
pub async fn service_quota(config: &aws_config::SdkConfig, service: &str, code: &str) -> Result<Option<f64>, Error> {
    match aws_sdk_servicequotas::Client::new(config).get_service_quota().service_code(service).quota_code(code).send().await {
        Ok(out) => Ok(out.quota().and_then(|q| q.value())),
        Err(e) => absent(Error::from_sdk_with(format!("GetServiceQuota {service} {code}"), &e, &["NoSuchResourceException"])),
    }
}

/// A running (or pending) instance of the account in this region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningInstance {
    pub instance_type: String,
    pub spot: bool,
    /// Its Auto Scaling group (`aws:autoscaling:groupName`), if any.
    pub group: Option<String>,
}

/// Every running or pending instance of the account in this region.
pub async fn running_instances(config: &aws_config::SdkConfig) -> Result<Vec<RunningInstance>, Error> {
    let mut out = Vec::new();
    let mut pages = ec2(config)
        .describe_instances()
        .filters(Filter::builder().name("instance-state-name").values("pending").values("running").build())
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::from_sdk("DescribeInstances instance-state-name=pending,running", &e))?;
        out.extend(page.reservations().iter().flat_map(|r| r.instances()).map(|i| RunningInstance {
            instance_type: i.instance_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
            spot: i.instance_lifecycle().is_some_and(|l| l.as_str() == "spot"),
            group: i.tags().iter().find(|t| t.key() == Some("aws:autoscaling:groupName")).and_then(|t| t.value()).map(str::to_string),
        }));
    }
    Ok(out)
}

/// The default vCPUs of each of `types` the region knows.
pub async fn vcpus(config: &aws_config::SdkConfig, types: &BTreeSet<String>) -> Result<std::collections::BTreeMap<String, u32>, Error> {
    let mut vcpus = std::collections::BTreeMap::new();
    let all: Vec<String> = types.iter().cloned().collect();
    for batch in all.chunks(100) {
        let kinds = batch.iter().map(|t| aws_sdk_ec2::types::InstanceType::from(t.as_str())).collect();
        let out = ec2(config)
            .describe_instance_types()
            .set_instance_types(Some(kinds))
            .send()
            .await
            .map_err(|e| Error::from_sdk(format!("DescribeInstanceTypes {}", batch.join(", ")), &e))?;
        for t in out.instance_types() {
            if let (Some(kind), Some(n)) = (t.instance_type(), t.v_cpu_info().and_then(|v| v.default_v_cpus())) {
                vcpus.insert(kind.as_str().to_string(), u32::try_from(n).unwrap_or(0));
            }
        }
    }
    Ok(vcpus)
}

/// Whether the IAM managed policy exists.
pub async fn policy_exists(config: &aws_config::SdkConfig, arn: &str) -> Result<bool, Error> {
    match aws_sdk_iam::Client::new(config).get_policy().policy_arn(arn).send().await {
        Ok(out) => Ok(out.policy().is_some()),
        Err(e) => absent::<()>(Error::from_sdk_with(format!("GetPolicy {arn}"), &e, &["NoSuchEntity"])).map(|_| false),
    }
}

/// A dedicated host: its instance family and when it was allocated (seconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFacts {
    pub id: String,
    pub state: String,
    pub instance_family: String,
    pub zone: String,
    pub allocated_at: Option<i64>,
}

/// The dedicated hosts with these ids (all of the account's when empty).
pub async fn hosts(config: &aws_config::SdkConfig, ids: &[String]) -> Result<Vec<HostFacts>, Error> {
    let out = match ec2(config).describe_hosts().set_host_ids((!ids.is_empty()).then(|| ids.to_vec())).send().await {
        Ok(out) => out,
        Err(e) => {
            return absent(Error::from_sdk_with("DescribeHosts", &e, &["InvalidHostID.NotFound", "InvalidHostId.Malformed"]))
                .map(|_: Option<()>| Vec::new())
        }
    };
    Ok(out
        .hosts()
        .iter()
        .map(|h| HostFacts {
            id: h.host_id().unwrap_or_default().to_string(),
            state: h.state().map(|s| s.as_str().to_string()).unwrap_or_default(),
            instance_family: h
                .host_properties()
                .and_then(|p| p.instance_family().or(p.instance_type()))
                .unwrap_or_default()
                .split('.')
                .next()
                .unwrap_or_default()
                .to_string(),
            zone: h.availability_zone().unwrap_or_default().to_string(),
            allocated_at: h.allocation_time().map(|t| t.secs()),
        })
        .collect())
}

/// A License Manager configuration's counting type and status; `None` when it does not exist.
pub async fn license_configuration(config: &aws_config::SdkConfig, arn: &str) -> Result<Option<(String, String)>, Error> {
    match aws_sdk_licensemanager::Client::new(config).get_license_configuration().license_configuration_arn(arn).send().await {
        Ok(out) => Ok(Some((
            out.license_counting_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
            out.status().unwrap_or_default().to_string(),
        ))),
        Err(e) => absent(Error::from_sdk_with(format!("GetLicenseConfiguration {arn}"), &e, &["ResourceNotFoundException"])),
    }
}
