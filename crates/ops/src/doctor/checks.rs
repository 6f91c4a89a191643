//! The doctor's judgements: each takes what AWS (or Semaphore) answered and says passed, warning
//! or failed, with what to do. Pure, so each is tested on answers shaped like AWS's.

use std::collections::BTreeSet;

use agent_stack_aws::cfn::StackInfo;
use agent_stack_aws::inspect::{Identity, ImageFacts, InstanceTypeFacts, ParameterFacts, RouteTableFacts, SubnetFacts};
use agent_stack_aws::{Error as AwsError, Kind, TokenError};
use agent_stack_config::{KmsKey, RegistrationToken};
use agent_stack_scaler::Metrics;

use super::Check;

/// The AWS managed key SSM uses for a SecureString when none is named.
pub const SSM_DEFAULT_KEY: &str = "alias/aws/ssm";

pub fn credentials(identity: &Result<Identity, AwsError>, region: Option<&str>) -> Check {
    match (identity, region) {
        (Err(e), _) => {
            Check::failed("AWS credentials", e.to_string(), next_for(e, "set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"))
        }
        (Ok(_), None) => Check::failed("AWS credentials", "no AWS region", "set AWS_REGION (or a region in the AWS profile)"),
        (Ok(id), Some(region)) => Check::passed("AWS credentials", format!("account {} as {} in {region}", id.account, id.arn)),
    }
}

fn next_for(e: &AwsError, no_credentials: &str) -> String {
    match &e.kind {
        Kind::NoCredentials(_) => no_credentials.to_string(),
        Kind::Timeout | Kind::Transport(_) => "check the network path to AWS (and AWS_ENDPOINT_URL if set)".to_string(),
        Kind::Throttled { .. } => "run doctor again in a minute".to_string(),
        _ => "check the credentials' permissions for this call".to_string(),
    }
}

/// The per-account, per-region assets stack of `agent-stack bootstrap`.
pub fn bootstrap(stack: &str, info: &Result<Option<StackInfo>, AwsError>) -> Check {
    const NAME: &str = "bootstrap stack";
    match info {
        Err(e) => Check::failed(NAME, e.to_string(), next_for(e, "fix the AWS credentials first")),
        Ok(None) => Check::failed(NAME, format!("no {stack} stack in this account and region"), "run `agent-stack bootstrap`"),
        Ok(Some(i)) if i.status.is_deployed() => Check::passed(NAME, format!("{stack} is {}", i.status)),
        Ok(Some(i)) => Check::failed(NAME, format!("{stack} is {}", i.status), "run `agent-stack bootstrap` again once it has settled"),
    }
}

/// The registration token's parameter: there, a SecureString, decrypts, and encrypted with the
/// key the stack lets its instances use.
pub fn token_parameter(
    name: &str,
    facts: &Result<Option<ParameterFacts>, AwsError>,
    read: &Result<RegistrationToken, TokenError>,
    configured_key: Option<&KmsKey>,
) -> Check {
    const NAME: &str = "token parameter";
    let put = format!("store the agent type's registration token: `agent-stack token put --name {name}`");
    let facts = match facts {
        Err(e) => return Check::failed(NAME, e.to_string(), next_for(e, "fix the AWS credentials first")),
        Ok(None) => return Check::failed(NAME, format!("SSM parameter {name} does not exist"), put),
        Ok(Some(f)) => f,
    };
    if facts.kind != "SecureString" {
        return Check::failed(NAME, format!("SSM parameter {name} is a {}, not a SecureString", facts.kind), put);
    }
    if let Err(e) = read {
        return Check::failed(NAME, e.to_string(), put);
    }
    let used = facts.key_id.as_deref().unwrap_or(SSM_DEFAULT_KEY);
    match configured_key {
        None if used == SSM_DEFAULT_KEY => Check::passed(NAME, format!("{name} is a SecureString (key {used}) and decrypts")),
        None => Check::failed(
            NAME,
            format!("{name} is encrypted with KMS key {used}, but SEMAPHORE_AGENT_TOKEN_KMS_KEY is not set: the instances may not decrypt it"),
            format!("set SEMAPHORE_AGENT_TOKEN_KMS_KEY={used}, or put the token again with the default key"),
        ),
        Some(KmsKey::Id(id)) if id == name => Check::warning(
            NAME,
            format!("SEMAPHORE_AGENT_TOKEN_KMS_KEY is the token's parameter name, not a KMS key (as Semaphore's guide for agent-aws-stack shows it); {name} is encrypted with {used}"),
            if used == SSM_DEFAULT_KEY {
                "it works with the default key aws/ssm; unset SEMAPHORE_AGENT_TOKEN_KMS_KEY to say so".to_string()
            } else {
                format!("set SEMAPHORE_AGENT_TOKEN_KMS_KEY={used}")
            },
        ),
        Some(key) => match same_key(key, used) {
            Some(true) => Check::passed(NAME, format!("{name} is a SecureString encrypted with {used}, the configured key, and decrypts")),
            Some(false) => Check::failed(
                NAME,
                format!("{name} is encrypted with {used}, but SEMAPHORE_AGENT_TOKEN_KMS_KEY is {}: the instances may decrypt with that key only", key_text(key)),
                format!("set SEMAPHORE_AGENT_TOKEN_KMS_KEY={used}, or put the token again with --kms-key {}", key_text(key)),
            ),
            None => Check::warning(
                NAME,
                format!("{name} is encrypted with {used}; SEMAPHORE_AGENT_TOKEN_KMS_KEY is {}, and the two forms cannot be compared without KMS", key_text(key)),
                "check that both name the same key: `aws kms describe-key --key-id …`",
            ),
        },
    }
}

fn key_text(key: &KmsKey) -> &str {
    match key {
        KmsKey::Id(s) | KmsKey::Arn(s) | KmsKey::Alias(s) => s,
    }
}

/// Whether the configured key and the parameter's key id are the same; `None` when their forms
/// differ (an alias and a key id) and only KMS could tell.
fn same_key(configured: &KmsKey, used: &str) -> Option<bool> {
    let used_id = used.rsplit_once(":key/").map_or(used, |(_, id)| id);
    let used_alias = used.split_once(":alias/").map(|(_, a)| format!("alias/{a}")).unwrap_or_else(|| used.to_string());
    match configured {
        // The AWS managed key is never a customer key, whatever form names it.
        _ if used == SSM_DEFAULT_KEY => Some(matches!(configured, KmsKey::Alias(a) if a == SSM_DEFAULT_KEY)),
        KmsKey::Alias(alias) if used_alias.starts_with("alias/") => Some(*alias == used_alias),
        KmsKey::Id(id) if !used_alias.starts_with("alias/") => Some(id == used_id),
        KmsKey::Arn(arn) if !used_alias.starts_with("alias/") => Some(arn.rsplit_once(":key/").map(|(_, id)| id) == Some(used_id)),
        _ => None,
    }
}

/// Semaphore's metrics API with the stack's token: the endpoint resolves, answers over HTTPS and
/// takes the token. `answer` is `None` when the token could not be read.
pub fn semaphore(url: &str, answer: Option<Result<Metrics, String>>) -> Check {
    const NAME: &str = "Semaphore";
    match answer {
        None => Check::failed(NAME, format!("{url} not asked: the token could not be read"), "fix the token parameter first"),
        Some(Ok(m)) => Check::passed(
            NAME,
            format!(
                "{url} answers and accepts the token: {} jobs queued, {} running; {} agents idle, {} busy",
                m.jobs.queued, m.jobs.running, m.agents.idle, m.agents.occupied
            ),
        ),
        Some(Err(e)) => Check::failed(NAME, e, "check SEMAPHORE_ENDPOINT and that the token is the agent type's registration token"),
    }
}

/// Where the image comes from: the configured id, or the newest of this account's images named
/// after the OS and architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    Configured(String),
    Named([String; 2]),
}

pub fn image(source: &ImageSource, found: &Result<Option<ImageFacts>, AwsError>, arch: &str, type_archs: Option<&[String]>) -> Check {
    const NAME: &str = "image";
    let image = match (found, source) {
        (Err(e), _) => return Check::failed(NAME, e.to_string(), next_for(e, "fix the AWS credentials first")),
        (Ok(None), ImageSource::Configured(id)) => {
            return Check::failed(
                NAME,
                format!("SEMAPHORE_AGENT_AMI {id} does not exist in this region (or is not shared with this account)"),
                "copy the image to this region, or set another SEMAPHORE_AGENT_AMI",
            )
        }
        (Ok(None), ImageSource::Named([ours, legacy])) => {
            return Check::failed(
                NAME,
                format!("no image of this account is named {ours} or {legacy} in this region"),
                "build one (docs/images.md) or set SEMAPHORE_AGENT_AMI",
            )
        }
        (Ok(Some(i)), _) => i,
    };
    if image.state != "available" {
        return Check::failed(
            NAME,
            format!("{} ({}) is {}", image.id, image.name, image.state),
            "wait until it is available, or build it again",
        );
    }
    if image.architecture.is_empty() {
        // AWS always says; a stand-in may not. Nothing to compare then.
        return Check::passed(NAME, format!("{} ({}), available", image.id, image.name));
    }
    let image_arch = image.architecture.trim_end_matches("_mac");
    if image_arch != arch {
        return Check::failed(
            NAME,
            format!("{} ({}) is {}, the stack is {arch}", image.id, image.name, image.architecture),
            "set SEMAPHORE_AGENT_AMI to an image of the stack's architecture, or change SEMAPHORE_AGENT_INSTANCE_TYPE",
        );
    }
    if let Some(archs) = type_archs.filter(|a| !a.iter().any(|t| t == &image.architecture)) {
        return Check::failed(
            NAME,
            format!("{} ({}) is {}, but the instance type runs {}", image.id, image.name, image.architecture, archs.join(", ")),
            "pick an instance type of the image's architecture (SEMAPHORE_AGENT_INSTANCE_TYPE)",
        );
    }
    Check::passed(NAME, format!("{} ({}), {}, available", image.id, image.name, image.architecture))
}

/// The instance type exists in the region and is offered in every zone the group launches into.
pub fn instance_type(
    name: &str,
    facts: &Result<Option<InstanceTypeFacts>, AwsError>,
    offered: &Result<BTreeSet<String>, AwsError>,
    zones: &BTreeSet<String>,
) -> Check {
    const NAME: &str = "instance type";
    let facts = match facts {
        Err(e) => return Check::failed(NAME, e.to_string(), next_for(e, "fix the AWS credentials first")),
        Ok(None) => {
            return Check::failed(
                NAME,
                format!("{name} does not exist in this region"),
                "set SEMAPHORE_AGENT_INSTANCE_TYPE to a type the region offers",
            )
        }
        Ok(Some(f)) => f,
    };
    let offered = match offered {
        Err(e) => return Check::failed(NAME, e.to_string(), next_for(e, "fix the AWS credentials first")),
        Ok(o) => o,
    };
    let missing: Vec<&str> = zones.iter().filter(|z| !offered.contains(*z)).map(String::as_str).collect();
    let about = format!("{name} ({} vCPU{}, {})", facts.vcpus, if facts.vcpus == 1 { "" } else { "s" }, facts.architectures.join(", "));
    if !zones.is_empty() && missing.len() == zones.len() {
        return Check::failed(
            NAME,
            format!("{about} is offered in none of the group's zones ({})", missing.join(", ")),
            "choose subnets or zones where it is offered, or another instance type",
        );
    }
    if !missing.is_empty() {
        return Check::warning(
            NAME,
            format!("{about} is not offered in {}: the group launches only in the other zones", missing.join(", ")),
            "drop those zones' subnets or zones from the config",
        );
    }
    Check::passed(
        NAME,
        format!(
            "{about}, offered in {}",
            if zones.is_empty() { "the region".to_string() } else { zones.iter().cloned().collect::<Vec<_>>().join(", ") }
        ),
    )
}

/// How a subnet's instances reach Semaphore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WayOut {
    Yes(String),
    Unsure(String),
    No(String),
}

/// The subnet's default route (its own route table's, or the VPC's main table's) and public IPs.
pub fn way_out(subnet: &SubnetFacts, tables: &[RouteTableFacts]) -> WayOut {
    let table = tables.iter().find(|t| t.subnet_ids.contains(&subnet.id)).or_else(|| tables.iter().find(|t| t.main));
    match table.and_then(|t| t.default_route.as_deref()) {
        None => WayOut::No(format!("{}: no default route (0.0.0.0/0)", subnet.id)),
        Some(igw) if igw.starts_with("igw-") && subnet.public_ip_on_launch => {
            WayOut::Yes(format!("{}: internet gateway, public IPs", subnet.id))
        }
        Some(igw) if igw.starts_with("igw-") => {
            WayOut::No(format!("{}: routes to {igw} but gives instances no public IP (MapPublicIpOnLaunch is off)", subnet.id))
        }
        Some(nat) if nat.starts_with("nat-") => WayOut::Yes(format!("{}: NAT gateway {nat}", subnet.id)),
        Some(other) => WayOut::Unsure(format!("{}: default route through {other}", subnet.id)),
    }
}

/// The VPC and subnets exist, belong together, and give instances a way to Semaphore.
pub fn network(vpc: &str, vpc_found: bool, subnets: &[(String, Option<SubnetFacts>)], tables: &[RouteTableFacts]) -> Check {
    const NAME: &str = "network";
    if !vpc_found {
        return Check::failed(NAME, format!("VPC {vpc} does not exist in this region"), "set SEMAPHORE_AGENT_VPC_ID to an existing VPC");
    }
    let mut problems = Vec::new();
    let mut unsure = Vec::new();
    let mut fine = Vec::new();
    for (id, facts) in subnets {
        match facts {
            None => problems.push(format!("subnet {id} does not exist")),
            Some(s) if s.vpc_id != vpc => problems.push(format!("subnet {id} is in {}, not in {vpc}", s.vpc_id)),
            Some(s) => match way_out(s, tables) {
                WayOut::Yes(how) => fine.push(how),
                WayOut::Unsure(how) => unsure.push(how),
                WayOut::No(why) => problems.push(why),
            },
        }
    }
    if subnets.is_empty() {
        return Check::failed(
            NAME,
            format!("{vpc} has no subnets to launch into"),
            "create subnets, or list them in SEMAPHORE_AGENT_SUBNETS",
        );
    }
    Check::from_findings(
        NAME,
        (&problems, "agents must reach Semaphore: use subnets of the VPC with a NAT gateway, or with an internet gateway and public IPs"),
        (&unsure, "make sure that route reaches the internet (agents must reach Semaphore)"),
        || format!("{vpc}: {}", fine.join("; ")),
    )
}

/// A security group named in the config exists, in the stack's VPC.
pub fn security_group(id: &str, vpc_of_group: &Result<Option<String>, AwsError>, vpc: Option<&str>) -> Check {
    const NAME: &str = "security group";
    match vpc_of_group {
        Err(e) => Check::failed(NAME, e.to_string(), next_for(e, "fix the AWS credentials first")),
        Ok(None) => Check::failed(NAME, format!("{id} does not exist"), "set SEMAPHORE_AGENT_SECURITY_GROUP_ID to an existing group"),
        Ok(Some(g)) if vpc.is_some_and(|v| v != g) => Check::failed(
            NAME,
            format!("{id} is in {g}, not in the stack's VPC {}", vpc.unwrap_or_default()),
            "use a security group of the stack's VPC",
        ),
        Ok(Some(g)) => Check::passed(NAME, format!("{id} in {g}")),
    }
}

/// Something named in the config exists (key pair, cache bucket).
pub fn exists(name: &'static str, key: &str, value: &str, found: &Result<bool, AwsError>) -> Check {
    match found {
        Err(e) => Check::failed(name, e.to_string(), next_for(e, "fix the AWS credentials first")),
        Ok(false) => Check::failed(
            name,
            format!("{value} does not exist (or this account may not use it)"),
            format!("create it, or set {key} to an existing one"),
        ),
        Ok(true) => Check::passed(name, format!("{value} exists")),
    }
}

/// The managed policies the instance role gets exist (`(ARN, exists)` each).
pub fn managed_policies(found: &[(String, Result<bool, AwsError>)]) -> Check {
    const NAME: &str = "managed policies";
    let problems: Vec<String> = found
        .iter()
        .filter_map(|(arn, f)| match f {
            Ok(true) => None,
            Ok(false) => Some(format!("{arn} does not exist")),
            Err(e) => Some(e.to_string()),
        })
        .collect();
    if problems.is_empty() {
        let names: Vec<&str> = found.iter().map(|(a, _)| a.as_str()).collect();
        return Check::passed(NAME, format!("{} exist", names.join(", ")));
    }
    Check::failed(NAME, problems.join("; "), "create them, or fix SEMAPHORE_AGENT_MANAGED_POLICY_NAMES")
}

/// The ARN of a managed policy the config names, in the caller's partition and account.
pub fn policy_arn(policy: &agent_stack_config::ManagedPolicy, identity: &Identity) -> String {
    match policy {
        agent_stack_config::ManagedPolicy::Arn(arn) => arn.clone(),
        agent_stack_config::ManagedPolicy::Name(name) => {
            let partition = identity.arn.split(':').nth(1).unwrap_or("aws");
            format!("arn:{partition}:iam::{}:policy/{name}", identity.account)
        }
    }
}

#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;
