//! The typed, validated stack configuration built from a [`RawConfig`].

use serde::Serialize;
use serde_json::Value;

use crate::contract::DEFAULT_INTERRUPTION_GRACE_PERIOD_S;
use crate::error::{quote, ConfigErrors};
use crate::fields::{Choice, Fields};
use crate::keys::name::*;
use crate::raw::RawConfig;
use crate::syntax;
use crate::types::*;

/// Longest stack name whose derived names still fit AWS limits
/// (`<stack>-az-rebalance-suspender-policy` is an inline IAM policy name, at most 128 characters).
pub const MAX_STACK_NAME: usize = 128 - "-az-rebalance-suspender-policy".len();

/// The root device of the stack's own images (Ubuntu, Windows and macOS alike).
pub const DEFAULT_ROOT_DEVICE: &str = "/dev/sda1";

/// Largest `SEMAPHORE_AGENT_ASG_MAX_INSTANCE_LIFETIME` AWS accepts (365 days).
const MAX_LIFETIME: u64 = 31_536_000;
const MIN_LIFETIME: u64 = 86_400;

/// A complete, valid stack configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    pub stack_name: String,
    pub token_parameter_name: String,
    pub endpoint: Endpoint,
    pub instance_type: String,
    pub os: OperatingSystem,
    pub arch: Arch,
    /// Explicit AMI; `None` = the stack's own image, resolved at deploy time.
    pub ami: Option<String>,
    pub asg: AsgSettings,
    pub agent: AgentSettings,
    pub placement: Placement,
    pub security_group_id: Option<String>,
    pub key_name: Option<String>,
    pub ssh_ingress_cidrs: Vec<String>,
    pub use_ipv6: bool,
    pub allow_public_subnet: bool,
    pub cache_bucket: Option<String>,
    pub token_kms_key: Option<KmsKey>,
    pub dynamic_scaling: bool,
    pub managed_policies: Vec<ManagedPolicy>,
    pub root_volume: Option<RootVolume>,
    pub tags: Vec<Tag>,
    pub mac: Option<MacHosts>,
    pub overprovision: Overprovision,
    pub scaling_policy: ScalingPolicy,
    /// Things worth telling the user that are not errors.
    pub notes: Vec<String>,
}

/// Auto Scaling group settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AsgSettings {
    pub min_size: u32,
    pub max_size: u32,
    pub desired: Option<u32>,
    pub metrics: Vec<AsgMetric>,
    /// `None` = unlimited.
    pub max_instance_lifetime: Option<u32>,
    /// CloudFormation `LaunchTemplateOverrides`, PascalCase.
    pub launch_template_overrides: Vec<Value>,
    pub capacity_rebalance: bool,
    pub new_instances_protected_from_scale_in: bool,
    pub distribution: InstancesDistribution,
    /// `None` without a pool. With one, the group launches from its launch template alone (AWS
    /// refuses warm pools with spot instances and mixed instances policies).
    pub warm_pool: Option<WarmPool>,
}

/// How each agent behaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentSettings {
    pub disconnect_after_job: bool,
    /// Seconds; 0 = never.
    pub disconnect_after_idle_timeout: u32,
    /// Seconds a running job may go on after its agent is interrupted (SIGTERM), before Semaphore
    /// stops it.
    pub interruption_grace_period: u32,
    pub use_pre_signed_url: bool,
    /// `VAR=VALUE` entries passed to the agent.
    pub env_vars: Vec<String>,
}

impl Config {
    /// `<stack>-config`: the SSM parameter with the agents' settings.
    pub fn agent_config_parameter_name(&self) -> String {
        format!("{}-config", self.stack_name)
    }

    /// `<stack>-ssh-public-keys`: the SSM parameter with GitHub's SSH host keys.
    pub fn ssh_keys_parameter_name(&self) -> String {
        format!("{}-ssh-public-keys", self.stack_name)
    }

    /// The SSM parameter holding the Auto Scaling group's name, for the instances' drain.
    pub fn group_name_parameter_name(&self) -> String {
        format!("{}-group-name", self.stack_name)
    }

    /// Whether the stack creates its own security group.
    pub fn creates_security_group(&self) -> bool {
        self.security_group_id.is_none()
    }
}

fn to_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl TryFrom<&RawConfig> for Config {
    type Error = ConfigErrors;

    fn try_from(raw: &RawConfig) -> Result<Self, ConfigErrors> {
        let mut f = Fields::new(raw);
        let mut notes = Vec::new();

        let stack_name = stack_name(&mut f);
        let token_parameter_name = f.required(TOKEN_PARAMETER_NAME, "the SSM parameter holding the registration token").and_then(|v| {
            f.checked(
                TOKEN_PARAMETER_NAME,
                |_| syntax::ssm_parameter_name(v),
                "an SSM parameter name ([a-zA-Z0-9_.-/], hierarchical names start with /, no aws/ssm prefix)",
            )
        });
        let endpoint = endpoint(&mut f, &mut notes);
        let os = f.choice::<OperatingSystem>(OS).unwrap_or(OperatingSystem::UbuntuFocal);
        let arch = f.choice::<Arch>(ARCH).unwrap_or(Arch::X86_64);
        if os.is_windows() && arch == Arch::Arm64 {
            f.error(ARCH, "arm64 is not available for windows; use x86_64");
        }
        let instance_type = f.checked(INSTANCE_TYPE, syntax::instance_type, "an EC2 instance type such as c5.large").unwrap_or_default();
        let ami = f.checked(AMI, syntax::ami_id, "an AMI id such as ami-0123456789abcdef0");

        let asg = asg_settings(&mut f, os, &mut notes);
        let agent = agent_settings(&mut f);
        let placement = placement(&mut f);
        let security_group_id = f.checked(SECURITY_GROUP_ID, syntax::security_group_id, "a security group id such as sg-0123456789abcdef0");
        let key_name = f.checked(KEY_NAME, syntax::key_pair_name, "an EC2 key pair name");
        let ssh_ingress_cidrs = f.checked_list(SSH_INGRESS_CIDRS, syntax::cidr, "a CIDR block such as 203.0.113.0/24");
        if !ssh_ingress_cidrs.is_empty() {
            if os.is_windows() {
                f.error(SSH_INGRESS_CIDRS, "SSH ingress is not opened on windows; reach Windows agents through SSM Session Manager");
            } else if security_group_id.is_some() {
                f.error(SSH_INGRESS_CIDRS, format!("has no effect with {SECURITY_GROUP_ID}: the stack does not create a security group then; add the rule to that group"));
            }
        } else if key_name.is_some() && !os.is_windows() && security_group_id.is_none() {
            notes.push(format!(
                "{KEY_NAME} is set but {SSH_INGRESS_CIDRS} is not: port 22 stays closed (agent-aws-stack opened it to 0.0.0.0/0); use SSM Session Manager or list your CIDRs"
            ));
        }
        let use_ipv6 = f.bool(USE_IPV6);
        let allow_public_subnet = f.bool(ALLOW_PUBLIC_SUBNET);
        if allow_public_subnet {
            notes.push(format!("{ALLOW_PUBLIC_SUBNET} has no effect: the scaler Lambda uses {SUBNETS} as given"));
        }
        let cache_bucket = f.checked(CACHE_BUCKET_NAME, syntax::bucket_name, "an S3 bucket name (3-63 of a-z, 0-9, '.', '-')");
        let token_kms_key = kms_key(&mut f, token_parameter_name.as_deref(), &mut notes);
        let dynamic_scaling = f.bool(USE_DYNAMIC_SCALING);
        let managed_policies = managed_policies(&mut f);
        let root_volume = root_volume(&mut f, ami.is_some(), &mut notes);
        if asg.warm_pool.is_some_and(|p| p.state == WarmPoolState::Hibernated) && root_volume.is_none() {
            f.error(
                WARM_POOL_STATE,
                format!("Hibernated needs {VOLUME_NAME} with {AMI}: hibernation needs an encrypted root volume large enough for the instance's memory, and the stack encrypts and sizes the root volume only when it names it"),
            );
        }
        let tags = tags(&mut f);
        let mac = mac_hosts(&mut f, os, arch, &instance_type);
        let overprovision = overprovision(&mut f);
        let scaling_policy = f.choice::<ScalingPolicy>(SCALING_POLICY).unwrap_or_default();
        if !dynamic_scaling && overprovision.strategy != OverprovisionStrategy::None {
            notes.push(format!("{OVERPROVISION_STRATEGY} has no effect with {USE_DYNAMIC_SCALING}=false"));
        }

        let mut env_vars = Vec::new();
        if let Some(bucket) = &cache_bucket {
            env_vars.extend([
                "SEMAPHORE_CACHE_BACKEND=s3".to_string(),
                format!("SEMAPHORE_CACHE_S3_BUCKET={bucket}"),
                "SEMAPHORE_CACHE_USE_EC2_INSTANCE_PROFILE=true".to_string(),
            ]);
        }

        if !f.errors.is_empty() {
            return Err(ConfigErrors(f.errors));
        }
        Ok(Config {
            stack_name: stack_name.unwrap_or_default(),
            token_parameter_name: token_parameter_name.unwrap_or_default(),
            endpoint: endpoint.unwrap_or_else(|| Endpoint { configured: String::new(), insecure_http: false, authority: String::new() }),
            instance_type,
            os,
            arch,
            ami,
            asg,
            agent: AgentSettings { env_vars, ..agent },
            placement,
            security_group_id,
            key_name,
            ssh_ingress_cidrs,
            use_ipv6,
            allow_public_subnet,
            cache_bucket,
            token_kms_key,
            dynamic_scaling,
            managed_policies,
            root_volume,
            tags,
            mac,
            overprovision,
            scaling_policy,
            notes,
        })
    }
}

fn stack_name(f: &mut Fields<'_>) -> Option<String> {
    let name = f.required(STACK_NAME, "the CloudFormation stack name")?;
    if !syntax::stack_name(name) {
        f.invalid(STACK_NAME, name, "a CloudFormation stack name: a letter, then letters, digits and hyphens");
        None
    } else if name.len() > MAX_STACK_NAME {
        f.error(
            STACK_NAME,
            format!(
                "{} is {} characters; at most {MAX_STACK_NAME} are allowed so that derived IAM policy names stay within 128",
                quote(name),
                name.len()
            ),
        );
        None
    } else {
        Some(name.to_string())
    }
}

fn endpoint(f: &mut Fields<'_>, notes: &mut Vec<String>) -> Option<Endpoint> {
    if let Some(configured) = f.get(ENDPOINT) {
        if f.get(ORGANIZATION).is_some() {
            notes.push(format!("{ORGANIZATION} is ignored because {ENDPOINT} is set"));
        }
        let parsed = Endpoint::parse(configured);
        if parsed.is_none() {
            f.invalid(ENDPOINT, configured, Endpoint::ALLOWED);
        }
        return parsed;
    }
    match f.get(ORGANIZATION) {
        Some(org) if syntax::organization(org) => {
            let host = format!("{org}.semaphoreci.com");
            Some(Endpoint { configured: host.clone(), insecure_http: false, authority: host })
        }
        Some(org) => {
            f.invalid(ORGANIZATION, org, "a Semaphore organization name (letters, digits, hyphens)");
            None
        }
        None => {
            f.error(ENDPOINT, format!("is required: set {ENDPOINT} (a host) or {ORGANIZATION}"));
            None
        }
    }
}

fn asg_settings(f: &mut Fields<'_>, os: OperatingSystem, notes: &mut Vec<String>) -> AsgSettings {
    let range = 0..=u64::from(u32::MAX);
    let min_size = f.uint(ASG_MIN_SIZE, range.clone());
    let max_size = f.uint(ASG_MAX_SIZE, range.clone());
    let desired = f.uint(ASG_DESIRED, range.clone());
    if let (Some(min), Some(max)) = (min_size, max_size) {
        if min > max {
            f.error(ASG_MIN_SIZE, format!("{min} is greater than {ASG_MAX_SIZE} ({max}); min must be at most max"));
        } else if let Some(d) = desired.filter(|d| !(min..=max).contains(d)) {
            f.error(ASG_DESIRED, format!("{d} is outside {ASG_MIN_SIZE}..{ASG_MAX_SIZE} ({min}..{max})"));
        }
    }
    let metrics = f
        .checked_list(ASG_METRICS, |m| AsgMetric::parse(m).is_some(), &format!("an ASG metric: {}", AsgMetric::allowed()))
        .iter()
        .filter_map(|m| AsgMetric::parse(m))
        .collect();
    let lifetime = match f.uint(ASG_MAX_INSTANCE_LIFETIME, 0..=MAX_LIFETIME) {
        Some(0) | None => None,
        Some(n) if n < MIN_LIFETIME => {
            f.error(ASG_MAX_INSTANCE_LIFETIME, format!("{n} is too short; use 0 (unlimited) or {MIN_LIFETIME} to {MAX_LIFETIME} seconds"));
            None
        }
        Some(n) => Some(to_u32(n)),
    };
    let launch_template_overrides = match f.get(ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON) {
        None => Vec::new(),
        Some(_) if os.is_macos() => {
            f.error(ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON, format!("is not used on macos; {MAC_FAMILY} decides the instance types"));
            Vec::new()
        }
        Some(text) => crate::overrides::parse(text).unwrap_or_else(|errors| {
            for e in errors {
                f.error(ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON, e);
            }
            Vec::new()
        }),
    };
    let distribution = InstancesDistribution {
        on_demand_base_capacity: to_u32(f.uint(ON_DEMAND_BASE_CAPACITY, range).unwrap_or(0)),
        on_demand_percentage_above_base: to_u32(f.uint(ON_DEMAND_PERCENTAGE_ABOVE_BASE, 0..=100).unwrap_or(100)),
        on_demand_allocation_strategy: f.choice(ON_DEMAND_ALLOCATION_STRATEGY),
        spot_allocation_strategy: f.choice(SPOT_ALLOCATION_STRATEGY),
    };
    if os.is_macos() && distribution.on_demand_percentage_above_base < 100 {
        f.error(ON_DEMAND_PERCENTAGE_ABOVE_BASE, "must be 100 on macos: dedicated hosts have no spot capacity");
    }
    let capacity_rebalance = f.bool(ASG_CAPACITY_REBALANCE);
    let warm_pool = warm_pool(f, os, max_size, &distribution, !launch_template_overrides.is_empty(), capacity_rebalance, notes);
    AsgSettings {
        min_size: to_u32(min_size.unwrap_or(0)),
        max_size: to_u32(max_size.unwrap_or(1)),
        desired: desired.map(to_u32),
        metrics,
        max_instance_lifetime: lifetime,
        launch_template_overrides,
        capacity_rebalance,
        new_instances_protected_from_scale_in: f.bool(ASG_NEW_INSTANCES_PROTECTED_FROM_SCALE_IN),
        distribution,
        warm_pool,
    }
}

/// The warm pool, checked against what AWS and the stack allow with one. A group with a warm pool
/// launches from its launch template alone: AWS refuses warm pools for groups that launch spot
/// instances, and for groups with a mixed instances policy (a relaxation announced in November 2025
/// is not relied on), so the settings that only a mixed instances policy carries are refused too.
fn warm_pool(
    f: &mut Fields<'_>,
    os: OperatingSystem,
    max_size: Option<u64>,
    distribution: &InstancesDistribution,
    overrides: bool,
    capacity_rebalance: bool,
    notes: &mut Vec<String>,
) -> Option<WarmPool> {
    let size = f.uint(WARM_POOL_SIZE, 0..=u64::from(u32::MAX))?;
    let state = f.choice::<WarmPoolState>(WARM_POOL_STATE).unwrap_or(WarmPoolState::Stopped);
    if size == 0 {
        // A note, not an error: turning the pool off with SEMAPHORE_AGENT_WARM_POOL_SIZE=0 in the
        // environment must work while the file still names a state.
        if f.is_explicit(WARM_POOL_STATE) {
            notes.push(format!("{WARM_POOL_STATE} has no effect without a warm pool ({WARM_POOL_SIZE} is 0)"));
        }
        return None;
    }
    let before = f.errors.len();
    let refuse = |f: &mut Fields<'_>, why: String| f.error(WARM_POOL_SIZE, format!("{size} {why}"));
    if let Some(max) = max_size.filter(|max| size > *max) {
        refuse(f, format!("is more than {ASG_MAX_SIZE} ({max}): the group can never take more than {max} instances from its pool"));
    }
    if os.is_macos() {
        refuse(f, "is not available on macos: a stopped Mac instance keeps its dedicated host busy (AWS scrubs the host for about an hour after a stop), and AWS documents no warm pools for Mac instances".into());
    }
    if distribution.on_demand_percentage_above_base < 100 {
        refuse(f, format!("cannot be combined with spot instances ({ON_DEMAND_PERCENTAGE_ABOVE_BASE}={}): AWS refuses warm pools for groups that launch spot instances", distribution.on_demand_percentage_above_base));
    }
    if overrides {
        refuse(f, format!("cannot be combined with {ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON}: a group with a warm pool launches its one instance type from the launch template (AWS refuses warm pools with mixed instances policies)"));
    }
    for key in [ON_DEMAND_BASE_CAPACITY, ON_DEMAND_ALLOCATION_STRATEGY, SPOT_ALLOCATION_STRATEGY] {
        if f.is_explicit(key) {
            refuse(f, format!("cannot be combined with {key}: a group with a warm pool launches from its launch template alone, which has no instances distribution"));
        }
    }
    if capacity_rebalance {
        refuse(f, format!("cannot be combined with {ASG_CAPACITY_REBALANCE}=true: capacity rebalancing is for spot instances, which a warm pool excludes"));
    }
    (f.errors.len() == before).then_some(WarmPool { size: to_u32(size), state })
}

fn agent_settings(f: &mut Fields<'_>) -> AgentSettings {
    AgentSettings {
        disconnect_after_job: f.bool(DISCONNECT_AFTER_JOB),
        disconnect_after_idle_timeout: to_u32(f.uint(DISCONNECT_AFTER_IDLE_TIMEOUT, 0..=u64::from(u32::MAX)).unwrap_or(300)),
        interruption_grace_period: to_u32(
            f.uint(INTERRUPTION_GRACE_PERIOD, 0..=u64::from(DEFAULT_INTERRUPTION_GRACE_PERIOD_S))
                .unwrap_or(u64::from(DEFAULT_INTERRUPTION_GRACE_PERIOD_S)),
        ),
        use_pre_signed_url: f.bool(USE_PRE_SIGNED_URL),
        env_vars: Vec::new(),
    }
}

fn placement(f: &mut Fields<'_>) -> Placement {
    let vpc_id = f.checked(VPC_ID, syntax::vpc_id, "a VPC id such as vpc-0abc1234def567890");
    let subnets = f.checked_list(SUBNETS, syntax::subnet_id, "a subnet id such as subnet-0abc1234def567890");
    let zones = f.checked_list(AZS, syntax::availability_zone, "an availability zone such as us-east-1a");
    match (vpc_id, f.is_explicit(VPC_ID)) {
        (Some(vpc_id), _) => {
            if f.list(SUBNETS).is_empty() {
                f.error(SUBNETS, format!("is required when {VPC_ID} is set: list the subnets the agents run in"));
            }
            if !zones.is_empty() {
                f.error(AZS, format!("cannot be combined with {VPC_ID}: the subnets decide the zones"));
            }
            Placement::Vpc { vpc_id, subnets }
        }
        (None, explicit_vpc) => {
            if !explicit_vpc && f.is_explicit(SUBNETS) {
                f.error(SUBNETS, format!("needs {VPC_ID}: subnets are only used in a VPC you name"));
            }
            Placement::DefaultVpc { zones }
        }
    }
}

fn kms_key(f: &mut Fields<'_>, token_parameter_name: Option<&str>, notes: &mut Vec<String>) -> Option<KmsKey> {
    let value = f.get(TOKEN_KMS_KEY)?;
    // Semaphore's guide for agent-aws-stack puts the token's parameter name here. agent-aws-stack
    // deploys it as is: a grant on a key that does not exist, while the token, encrypted with the
    // AWS managed aws/ssm key, still decrypts through SSM.
    if Some(value) == token_parameter_name {
        notes.push(format!(
            "{TOKEN_KMS_KEY} is {value:?}, the token's parameter name, not a KMS key: as with agent-aws-stack, instances get a \
             kms:Decrypt grant on a key of that id, which does not exist, and the token must be encrypted with the AWS managed key \
             aws/ssm (the default of `agent-stack token put`). Set a KMS key id, ARN or alias (alias/name), or leave it unset"
        ));
        return Some(KmsKey::Id(value.to_string()));
    }
    let key = if syntax::kms_key_id(value) {
        Some(KmsKey::Id(value.to_string()))
    } else if syntax::arn_of(value, "kms") {
        match value.split_once(":alias/") {
            Some((_, alias)) => Some(KmsKey::Alias(format!("alias/{alias}"))),
            None if value.contains(":key/") => Some(KmsKey::Arn(value.to_string())),
            None => None,
        }
    } else if value
        .strip_prefix("alias/")
        .is_some_and(|a| !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c)))
    {
        Some(KmsKey::Alias(value.to_string()))
    } else {
        None
    };
    if key.is_none() {
        f.invalid(TOKEN_KMS_KEY, value, "a KMS key id, key ARN, or alias (alias/name)");
    }
    key
}

fn managed_policies(f: &mut Fields<'_>) -> Vec<ManagedPolicy> {
    f.checked_list(MANAGED_POLICY_NAMES, |p| syntax::policy_name(p) || syntax::arn_of(p, "iam"), "an IAM managed policy name or ARN")
        .into_iter()
        .map(|p| if p.starts_with("arn:") { ManagedPolicy::Arn(p) } else { ManagedPolicy::Name(p) })
        .collect()
}

fn root_volume(f: &mut Fields<'_>, custom_ami: bool, notes: &mut Vec<String>) -> Option<RootVolume> {
    let device = f.checked(VOLUME_NAME, |d| d.starts_with("/dev/") || d.starts_with("xvd"), "a device name such as /dev/sda1");
    let configured = [VOLUME_TYPE, VOLUME_SIZE, VOLUME_IOPS, VOLUME_THROUGHPUT].into_iter().any(|k| f.is_explicit(k));
    let volume_type = f.choice::<VolumeType>(VOLUME_TYPE).unwrap_or(VolumeType::Gp2);
    let settings = volume_settings(f, volume_type);
    if f.is_explicit(VOLUME_NAME) && device.is_none() {
        return None;
    }
    match (device, custom_ami) {
        (Some(device_name), _) => Some(RootVolume { device_name, settings }),
        (None, false) => {
            Some(RootVolume { device_name: DEFAULT_ROOT_DEVICE.to_string(), settings: if configured { settings } else { None } })
        }
        (None, true) if configured => {
            f.error(VOLUME_NAME, format!("is required with {AMI} when volume settings are given: name the AMI's root device"));
            None
        }
        (None, true) => {
            notes.push(format!("{AMI} is set without {VOLUME_NAME}: root volume encryption follows the AMI"));
            None
        }
    }
}

fn volume_settings(f: &mut Fields<'_>, volume_type: VolumeType) -> Option<VolumeSettings> {
    use VolumeType::*;
    let (size_range, iops_range) = match volume_type {
        Gp2 => (1..=16_384, None),
        Gp3 => (1..=65_536, Some(3_000..=80_000)),
        Io1 => (4..=16_384, Some(100..=64_000)),
        Io2 => (4..=65_536, Some(100..=256_000)),
        St1 | Sc1 => (125..=16_384, None),
        Standard => (1..=1_024, None),
    };
    let size = f.uint(VOLUME_SIZE, size_range);
    let iops = match (&iops_range, f.get(VOLUME_IOPS)) {
        (_, None) => None,
        (None, Some(v)) => {
            f.error(VOLUME_IOPS, format!("{} is not allowed for {volume_type}; IOPS apply to gp3, io1 and io2", quote(v)));
            None
        }
        (Some(range), Some(_)) => f.uint(VOLUME_IOPS, range.clone()),
    };
    if matches!(volume_type, Io1 | Io2) && f.get(VOLUME_IOPS).is_none() {
        f.error(VOLUME_IOPS, format!("is required for {volume_type} volumes"));
    }
    let throughput = match f.get(VOLUME_THROUGHPUT) {
        None => None,
        Some(v) if volume_type != Gp3 => {
            f.error(VOLUME_THROUGHPUT, format!("{} is not allowed for {volume_type}; throughput applies to gp3 only", quote(v)));
            None
        }
        Some(_) => f.uint(VOLUME_THROUGHPUT, 125..=2_000),
    };
    if let (Some(size), Some(iops)) = (size, iops) {
        let per_gib = match volume_type {
            Gp3 => 500,
            Io1 => 50,
            _ => 1_000,
        };
        if iops > size * per_gib && !(volume_type == Gp3 && iops == 3_000) {
            f.error(VOLUME_IOPS, format!("{iops} is more than {per_gib} per GiB of {VOLUME_SIZE} ({size}) allows for {volume_type}"));
        }
    }
    if let (Some(t), Some(iops)) = (throughput, iops.or((volume_type == Gp3).then_some(3_000))) {
        if t * 4 > iops {
            f.error(
                VOLUME_THROUGHPUT,
                format!("{t} MiB/s needs at least {} IOPS on gp3 (0.25 MiB/s per IOPS); {VOLUME_IOPS} is {iops}", t * 4),
            );
        }
    }
    Some(VolumeSettings { volume_type, size_gib: to_u32(size?), iops: iops.map(to_u32), throughput_mibps: throughput.map(to_u32) })
}

fn tags(f: &mut Fields<'_>) -> Vec<Tag> {
    let mut tags: Vec<Tag> = Vec::new();
    for item in f.list(TAGS) {
        let Some((key, value)) = item.split_once(':') else {
            f.error(TAGS, format!("item {} has no ':'; write Key:Value", quote(item)));
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || key.chars().count() > 128 {
            f.error(TAGS, format!("item {}: the key must be 1 to 128 characters", quote(item)));
        } else if key.eq_ignore_ascii_case("aws") {
            // The key ends at the first ':', so "aws:..." always arrives here as the key "aws".
            f.error(TAGS, format!("item {}: keys starting with aws: are reserved by AWS", quote(item)));
        } else if value.chars().count() > 256 {
            f.error(TAGS, format!("item {}: the value must be at most 256 characters", quote(item)));
        } else if !key.chars().chain(value.chars()).all(tag_char) {
            f.error(TAGS, format!("item {}: tags may use letters, digits, spaces and _ . : / = + - @", quote(item)));
        } else if tags.iter().any(|t| t.key == key) || key == "application" {
            f.error(TAGS, format!("key {} is given twice or is reserved by the stack (application)", quote(key)));
        } else {
            tags.push(Tag { key: key.to_string(), value: value.to_string() });
        }
    }
    tags.sort();
    tags
}

/// Characters AWS allows in tag keys and values.
fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)
}

fn mac_hosts(f: &mut Fields<'_>, os: OperatingSystem, arch: Arch, instance_type: &str) -> Option<MacHosts> {
    const MAC_ONLY: [&str; 5] = [LICENSE_CONFIGURATION_ARN, MAC_FAMILY, MAC_DEDICATED_HOSTS, AUTO_ALLOCATE_HOST, AUTO_RELEASE_HOST];
    if !os.is_macos() {
        // A copied full config may carry the macOS defaults; only other values are a mistake.
        let given: Vec<&str> =
            MAC_ONLY.into_iter().filter(|k| f.is_explicit(k) && f.get(k) != crate::keys::find(k).and_then(|p| p.default)).collect();
        for key in given {
            f.error(key, format!("only applies when {OS} is macos"));
        }
        return None;
    }
    let license = f.required(LICENSE_CONFIGURATION_ARN, "macos instances run on dedicated hosts that need a License Manager configuration");
    let license = license.and_then(|l| {
        f.checked(LICENSE_CONFIGURATION_ARN, |_| syntax::arn_of(l, "license-manager"), "a License Manager configuration ARN")
    });
    let families = f.checked_list(MAC_FAMILY, syntax::mac_family, "a macOS instance family such as mac2 or mac2-m2");
    for family in &families {
        let family_arch = if family == "mac1" { Arch::X86_64 } else { Arch::Arm64 };
        if family_arch != arch {
            f.error(MAC_FAMILY, format!("{} runs {family_arch}, but {ARCH} is {arch}", quote(family)));
        }
    }
    if families.is_empty() {
        f.error(MAC_FAMILY, "is empty; list at least one family such as mac2");
    } else if !families.iter().any(|fam| format!("{fam}.metal") == instance_type) {
        let allowed: Vec<String> = families.iter().map(|fam| format!("{fam}.metal")).collect();
        f.error(INSTANCE_TYPE, format!("{} does not match {MAC_FAMILY}; on macos use one of {}", quote(instance_type), allowed.join(", ")));
    }
    let dedicated_hosts = f.checked_list(MAC_DEDICATED_HOSTS, syntax::dedicated_host_id, "a dedicated host id such as h-0123456789abcdef0");
    Some(MacHosts {
        license_configuration_arn: license.unwrap_or_default(),
        families,
        dedicated_hosts,
        auto_allocate: f.bool(AUTO_ALLOCATE_HOST),
        auto_release: f.bool(AUTO_RELEASE_HOST),
    })
}

fn overprovision(f: &mut Fields<'_>) -> Overprovision {
    let strategy = f.choice::<OverprovisionStrategy>(OVERPROVISION_STRATEGY).unwrap_or(OverprovisionStrategy::None);
    let factor = f.uint(OVERPROVISION_FACTOR, 0..=u64::from(u32::MAX));
    match (strategy, factor) {
        (OverprovisionStrategy::None, Some(n)) if n > 0 => {
            f.error(
                OVERPROVISION_FACTOR,
                format!("{n} has no effect with {OVERPROVISION_STRATEGY}=none; set a strategy (number, percentage) or remove the factor"),
            );
        }
        (OverprovisionStrategy::Number | OverprovisionStrategy::Percentage, Some(0)) => {
            f.error(OVERPROVISION_FACTOR, format!("must be at least 1 with {OVERPROVISION_STRATEGY}={strategy}"));
        }
        _ => {}
    }
    Overprovision { strategy, factor: to_u32(factor.unwrap_or(0)) }
}
