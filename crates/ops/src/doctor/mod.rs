//! `agent-stack doctor`: pre-flight checks of what a deploy and a working fleet depend on. Every
//! check runs, whatever the others found; each says passed, warning or failed, and what to do.

mod checks;
mod port;

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
    let mut checks = vec![checks::credentials(&cloud.identity().await, region.as_deref())];
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
