//! `agent-stack doctor`: pre-flight checks of what a deploy and a working fleet depend on. Every
//! check runs, whatever the others found; each says passed, warning or failed, and what to do.

mod checks;
mod mac;
mod port;
mod quota;

use std::collections::BTreeSet;
use std::fmt;

use agent_stack_config::{Config, Placement, RegistrationToken};
use agent_stack_scaler::JobQueue;
use serde::Serialize;

pub use checks::{way_out, ImageSource, WayOut};
pub use port::Inspect;

use crate::deploy::image_patterns;
use crate::ASSETS_STACK;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Warning,
    Failed,
}

/// One check's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do, unless passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl Check {
    pub fn passed(name: &'static str, detail: impl Into<String>) -> Check {
        Check { name, status: Status::Passed, detail: detail.into(), next: None }
    }
    pub fn warning(name: &'static str, detail: impl Into<String>, next: impl Into<String>) -> Check {
        Check { name, status: Status::Warning, detail: detail.into(), next: Some(next.into()) }
    }
    pub fn failed(name: &'static str, detail: impl Into<String>, next: impl Into<String>) -> Check {
        Check { name, status: Status::Failed, detail: detail.into(), next: Some(next.into()) }
    }

    /// The verdict of a check that collects findings: failed with every failure when there is one,
    /// else a warning with every doubt when there is one, else passed with `passed`.
    pub fn from_findings(
        name: &'static str,
        (failures, fix): (&[String], &str),
        (doubts, check): (&[String], &str),
        passed: impl FnOnce() -> String,
    ) -> Check {
        if !failures.is_empty() {
            Check::failed(name, failures.join("; "), fix)
        } else if !doubts.is_empty() {
            Check::warning(name, doubts.join("; "), check)
        } else {
            Check::passed(name, passed())
        }
    }
}

/// Every check, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub stack: String,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }

    pub fn failed(&self) -> bool {
        self.count(Status::Failed) > 0
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            let status = match c.status {
                Status::Passed => "passed ",
                Status::Warning => "warning",
                Status::Failed => "FAILED ",
            };
            write!(f, "{status}  {}: {}", c.name, c.detail)?;
            match &c.next {
                Some(next) => writeln!(f, " → {next}")?,
                None => writeln!(f)?,
            }
        }
        let warnings = self.count(Status::Warning);
        let plural = if warnings == 1 { "" } else { "s" };
        write!(
            f,
            "{}: {} passed, {warnings} warning{plural}, {} failed",
            self.stack,
            self.count(Status::Passed),
            self.count(Status::Failed)
        )
    }
}

/// Runs every check for `config`; `queue_for` makes the Semaphore client from the token.
pub async fn doctor<C, Q, E>(cloud: &C, config: &Config, queue_for: impl FnOnce(RegistrationToken) -> Result<Q, E>) -> Report
where
    C: Inspect,
    Q: JobQueue,
    E: fmt::Display,
{
    let region = cloud.region();
    let identity = cloud.identity().await;
    let mut checks = vec![checks::credentials(&identity, region.as_deref())];
    checks.push(checks::bootstrap(ASSETS_STACK, &cloud.describe_stack(ASSETS_STACK).await));

    let name = &config.token_parameter_name;
    let token = cloud.read_token(name).await;
    checks.push(checks::token_parameter(name, &cloud.parameter(name).await, &token, config.token_kms_key.as_ref()));
    let answer = match token {
        Ok(token) => Some(match queue_for(token) {
            Ok(queue) => queue.metrics().await.map_err(|e| e.message),
            Err(e) => Err(e.to_string()),
        }),
        Err(_) => None,
    };
    checks.push(checks::semaphore(&config.endpoint.base_url(), answer));

    let type_facts = cloud.instance_type(&config.instance_type).await;
    let type_archs = type_facts.as_ref().ok().and_then(|f| f.as_ref()).map(|f| f.architectures.clone());
    let (source, image) = match &config.ami {
        Some(id) => (ImageSource::Configured(id.clone()), cloud.image(id).await),
        None => {
            let patterns = image_patterns(config);
            let image = match cloud.newest_own_image(&patterns).await {
                Ok(Some((id, _))) => cloud.image(&id).await,
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            };
            (ImageSource::Named(patterns), image)
        }
    };
    checks.push(checks::image(&source, &image, &config.arch.to_string(), type_archs.as_deref()));

    let (network, zones, vpc) = network(cloud, config).await;
    checks.push(checks::instance_type(&config.instance_type, &type_facts, &cloud.offered_zones(&config.instance_type).await, &zones));
    checks.push(network);
    // Mac instances count against dedicated hosts, not vCPU quotas.
    if config.mac.is_none() {
        let vcpus = type_facts.as_ref().ok().and_then(|f| f.as_ref()).map(|f| f.vcpus);
        checks.push(vcpu_quota(cloud, config, vcpus).await);
    }
    if let Some(mac) = &config.mac {
        checks.push(mac_hosts(cloud, mac, &zones, config.asg.max_size).await);
    }
    if let (false, Ok(identity)) = (config.managed_policies.is_empty(), &identity) {
        let mut found = Vec::new();
        for policy in &config.managed_policies {
            let arn = checks::policy_arn(policy, identity);
            let exists = cloud.policy_exists(&arn).await;
            found.push((arn, exists));
        }
        checks.push(checks::managed_policies(&found));
    }
    if let Some(id) = &config.security_group_id {
        checks.push(checks::security_group(id, &cloud.security_group_vpc(id).await, vpc.as_deref()));
    }
    if let Some(key) = &config.key_name {
        checks.push(checks::exists("key pair", "SEMAPHORE_AGENT_KEY_NAME", key, &cloud.key_pair_exists(key).await));
    }
    if let Some(bucket) = &config.cache_bucket {
        checks.push(checks::exists("cache bucket", "SEMAPHORE_AGENT_CACHE_BUCKET_NAME", bucket, &cloud.bucket_exists(bucket).await));
    }
    Report { stack: config.stack_name.clone(), checks }
}

/// The group's maximum (and a running warm pool) against the vCPU quotas of its instance type's
/// family, minus what the account's other running instances of that family use.
async fn vcpu_quota<C: Inspect>(cloud: &C, config: &Config, vcpus: Option<u32>) -> Check {
    let class = quota::quota_class(&config.instance_type);
    let (Some(class), Some(vcpus)) = (class, vcpus) else {
        return quota::vcpu_quota(&config.instance_type, None, &[]);
    };
    let asg = &config.asg;
    let running_pool = asg.warm_pool.filter(|p| p.state == agent_stack_config::WarmPoolState::Running).map_or(0, |p| p.size);
    let d = &asg.distribution;
    let (on_demand, spot) = quota::split(asg.max_size, d.on_demand_base_capacity, d.on_demand_percentage_above_base);
    let ours = cloud.physical_id(&config.stack_name, agent_stack_template::ids::AUTO_SCALING_GROUP).await.ok().flatten();
    let others = cloud.running_instances().await.map(|all| {
        all.into_iter()
            .filter(|i| i.group.is_none() || i.group != ours)
            .filter(|i| quota::quota_class(&i.instance_type) == Some(class))
            .collect::<Vec<_>>()
    });
    let others = match others {
        Ok(others) => {
            let types = others.iter().map(|i| i.instance_type.clone()).collect();
            cloud.vcpus(&types).await.map(|sizes| (others, sizes)).map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    };
    let used = |spot: bool| -> Result<u64, String> {
        let (others, sizes) = others.as_ref().map_err(String::clone)?;
        Ok(others.iter().filter(|i| i.spot == spot).map(|i| u64::from(sizes.get(&i.instance_type).copied().unwrap_or(0))).sum())
    };
    let per = u64::from(vcpus);
    let mut needs = vec![quota::Need {
        market: "On-Demand",
        code: class.on_demand,
        vcpus: u64::from(on_demand + running_pool) * per,
        others: used(false),
        quota: cloud.service_quota("ec2", class.on_demand).await,
    }];
    if spot > 0 {
        let quota = cloud.service_quota("ec2", class.spot).await;
        needs.push(quota::Need { market: "Spot", code: class.spot, vcpus: u64::from(spot) * per, others: used(true), quota });
    }
    quota::vcpu_quota(&config.instance_type, Some(class), &needs)
}

async fn mac_hosts<C: Inspect>(cloud: &C, mac: &agent_stack_config::MacHosts, zones: &BTreeSet<String>, max_size: u32) -> Check {
    let mut facts = mac::MacFacts {
        license: cloud.license_configuration(&mac.license_configuration_arn).await,
        offered: Vec::new(),
        hosts: Vec::new(),
    };
    for family in &mac.families {
        facts.offered.push((family.clone(), cloud.offered_zones(&format!("{family}.metal")).await));
    }
    for id in &mac.dedicated_hosts {
        facts.hosts.push((id.clone(), cloud.host(id).await));
    }
    mac::mac_hosts(mac, &facts, zones, max_size)
}

/// The network check, the zones the group launches into, and the VPC (when known).
async fn network<C: Inspect>(cloud: &C, config: &Config) -> (Check, BTreeSet<String>, Option<String>) {
    let (vpc, subnets) = match &config.placement {
        Placement::Vpc { vpc_id, subnets } => {
            let found = match cloud.vpc_exists(vpc_id).await {
                Ok(found) => found,
                Err(e) => {
                    return (Check::failed("network", e.to_string(), "check the credentials' EC2 permissions"), BTreeSet::new(), None)
                }
            };
            let mut facts = Vec::new();
            for id in subnets {
                match cloud.subnet(id).await {
                    Ok(s) => facts.push((id.clone(), s)),
                    Err(e) => {
                        return (Check::failed("network", e.to_string(), "check the credentials' EC2 permissions"), BTreeSet::new(), None)
                    }
                }
            }
            (found.then(|| vpc_id.clone()).ok_or(vpc_id.clone()), facts)
        }
        Placement::DefaultVpc { zones } => match cloud.default_vpc_id().await {
            Ok(Some(vpc)) => match cloud.vpc_subnets(&vpc).await {
                Ok(all) => {
                    let chosen =
                        all.into_iter().filter(|s| zones.is_empty() || zones.contains(&s.zone)).map(|s| (s.id.clone(), Some(s))).collect();
                    (Ok(vpc), chosen)
                }
                Err(e) => {
                    return (Check::failed("network", e.to_string(), "check the credentials' EC2 permissions"), BTreeSet::new(), None)
                }
            },
            Ok(None) => {
                let check =
                    Check::failed("network", "this region has no default VPC", "set SEMAPHORE_AGENT_VPC_ID and SEMAPHORE_AGENT_SUBNETS");
                return (check, BTreeSet::new(), None);
            }
            Err(e) => return (Check::failed("network", e.to_string(), "check the credentials' EC2 permissions"), BTreeSet::new(), None),
        },
    };
    let zones = subnets.iter().filter_map(|(_, s)| s.as_ref()).map(|s| s.zone.clone()).collect();
    let check = match &vpc {
        Err(missing) => checks::network(missing, false, &subnets, &[]),
        Ok(vpc) => match cloud.route_tables(vpc).await {
            Ok(tables) => checks::network(vpc, true, &subnets, &tables),
            Err(e) => Check::failed("network", e.to_string(), "check the credentials' EC2 permissions"),
        },
    };
    (check, zones, vpc.ok())
}
