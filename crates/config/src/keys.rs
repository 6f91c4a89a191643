//! The table of stack parameters: every key agent-stack accepts, its default and a one-line meaning.
//!
//! One table serves the unknown-key check, `validate` output and the parameter docs test, so the
//! three can never disagree.

/// One accepted configuration key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parameter {
    /// The key as written in config.json or the environment.
    pub name: &'static str,
    /// Default value as the user would write it; `None` means unset.
    pub default: Option<&'static str>,
    /// One line for humans.
    pub help: &'static str,
}

const fn p(name: &'static str, default: Option<&'static str>, help: &'static str) -> Parameter {
    Parameter { name, default, help }
}

/// Names used by code; kept as constants so a typo is a compile error.
pub mod name {
    pub const STACK_NAME: &str = "SEMAPHORE_AGENT_STACK_NAME";
    pub const TOKEN_PARAMETER_NAME: &str = "SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME";
    pub const ENDPOINT: &str = "SEMAPHORE_ENDPOINT";
    pub const ORGANIZATION: &str = "SEMAPHORE_ORGANIZATION";
    pub const INSTANCE_TYPE: &str = "SEMAPHORE_AGENT_INSTANCE_TYPE";
    pub const ASG_MIN_SIZE: &str = "SEMAPHORE_AGENT_ASG_MIN_SIZE";
    pub const ASG_MAX_SIZE: &str = "SEMAPHORE_AGENT_ASG_MAX_SIZE";
    pub const ASG_DESIRED: &str = "SEMAPHORE_AGENT_ASG_DESIRED";
    pub const ASG_METRICS: &str = "SEMAPHORE_AGENT_ASG_METRICS";
    pub const ASG_MAX_INSTANCE_LIFETIME: &str = "SEMAPHORE_AGENT_ASG_MAX_INSTANCE_LIFETIME";
    pub const ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON: &str = "SEMAPHORE_AGENT_ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON";
    pub const ASG_CAPACITY_REBALANCE: &str = "SEMAPHORE_AGENT_ASG_CAPACITY_REBALANCE";
    pub const ASG_NEW_INSTANCES_PROTECTED_FROM_SCALE_IN: &str = "SEMAPHORE_AGENT_ASG_NEW_INSTANCES_PROTECTED_FROM_SCALE_IN";
    pub const DISCONNECT_AFTER_JOB: &str = "SEMAPHORE_AGENT_DISCONNECT_AFTER_JOB";
    pub const DISCONNECT_AFTER_IDLE_TIMEOUT: &str = "SEMAPHORE_AGENT_DISCONNECT_AFTER_IDLE_TIMEOUT";
    pub const INTERRUPTION_GRACE_PERIOD: &str = "SEMAPHORE_AGENT_INTERRUPTION_GRACE_PERIOD";
    pub const OS: &str = "SEMAPHORE_AGENT_OS";
    pub const ARCH: &str = "SEMAPHORE_AGENT_ARCH";
    pub const AMI: &str = "SEMAPHORE_AGENT_AMI";
    pub const SECURITY_GROUP_ID: &str = "SEMAPHORE_AGENT_SECURITY_GROUP_ID";
    pub const KEY_NAME: &str = "SEMAPHORE_AGENT_KEY_NAME";
    pub const SSH_INGRESS_CIDRS: &str = "SEMAPHORE_AGENT_SSH_INGRESS_CIDRS";
    pub const CACHE_BUCKET_NAME: &str = "SEMAPHORE_AGENT_CACHE_BUCKET_NAME";
    pub const TOKEN_KMS_KEY: &str = "SEMAPHORE_AGENT_TOKEN_KMS_KEY";
    pub const VPC_ID: &str = "SEMAPHORE_AGENT_VPC_ID";
    pub const SUBNETS: &str = "SEMAPHORE_AGENT_SUBNETS";
    pub const USE_DYNAMIC_SCALING: &str = "SEMAPHORE_AGENT_USE_DYNAMIC_SCALING";
    pub const MANAGED_POLICY_NAMES: &str = "SEMAPHORE_AGENT_MANAGED_POLICY_NAMES";
    pub const VOLUME_NAME: &str = "SEMAPHORE_AGENT_VOLUME_NAME";
    pub const VOLUME_TYPE: &str = "SEMAPHORE_AGENT_VOLUME_TYPE";
    pub const VOLUME_SIZE: &str = "SEMAPHORE_AGENT_VOLUME_SIZE";
    pub const VOLUME_IOPS: &str = "SEMAPHORE_AGENT_VOLUME_IOPS";
    pub const VOLUME_THROUGHPUT: &str = "SEMAPHORE_AGENT_VOLUME_THROUGHPUT";
    pub const TAGS: &str = "SEMAPHORE_AGENT_TAGS";
    pub const LICENSE_CONFIGURATION_ARN: &str = "SEMAPHORE_AGENT_LICENSE_CONFIGURATION_ARN";
    pub const MAC_FAMILY: &str = "SEMAPHORE_AGENT_MAC_FAMILY";
    pub const MAC_DEDICATED_HOSTS: &str = "SEMAPHORE_AGENT_MAC_DEDICATED_HOSTS";
    pub const AUTO_ALLOCATE_HOST: &str = "SEMAPHORE_AGENT_AUTO_ALLOCATE_HOST";
    pub const AUTO_RELEASE_HOST: &str = "SEMAPHORE_AGENT_AUTO_RELEASE_HOST";
    pub const AZS: &str = "SEMAPHORE_AGENT_AZS";
    pub const USE_PRE_SIGNED_URL: &str = "SEMAPHORE_AGENT_USE_PRE_SIGNED_URL";
    pub const OVERPROVISION_STRATEGY: &str = "SEMAPHORE_AGENT_OVERPROVISION_STRATEGY";
    pub const OVERPROVISION_FACTOR: &str = "SEMAPHORE_AGENT_OVERPROVISION_FACTOR";
    pub const SCALING_POLICY: &str = "SEMAPHORE_AGENT_SCALING_POLICY";
    pub const USE_IPV6: &str = "SEMAPHORE_AGENT_USE_IPV6";
    pub const ALLOW_PUBLIC_SUBNET: &str = "SEMAPHORE_AGENT_ALLOW_PUBLIC_SUBNET";
    pub const ON_DEMAND_BASE_CAPACITY: &str = "SEMAPHORE_AGENT_ON_DEMAND_BASE_CAPACITY";
    pub const ON_DEMAND_PERCENTAGE_ABOVE_BASE: &str = "SEMAPHORE_AGENT_ON_DEMAND_PERCENTAGE_ABOVE_BASE";
    pub const ON_DEMAND_ALLOCATION_STRATEGY: &str = "SEMAPHORE_AGENT_ON_DEMAND_ALLOCATION_STRATEGY";
    pub const SPOT_ALLOCATION_STRATEGY: &str = "SEMAPHORE_AGENT_SPOT_ALLOCATION_STRATEGY";
    pub const WARM_POOL_SIZE: &str = "SEMAPHORE_AGENT_WARM_POOL_SIZE";
    pub const WARM_POOL_STATE: &str = "SEMAPHORE_AGENT_WARM_POOL_STATE";
}

use name::*;

/// Every accepted key, in the order `validate` prints them.
pub const PARAMETERS: &[Parameter] = &[
    p(STACK_NAME, None, "CloudFormation stack name (required)"),
    p(TOKEN_PARAMETER_NAME, None, "SSM SecureString parameter holding the agent type registration token (required)"),
    p(ENDPOINT, None, "Semaphore host, used as is (this or SEMAPHORE_ORGANIZATION is required)"),
    p(ORGANIZATION, None, "Semaphore organization; endpoint becomes <org>.semaphoreci.com"),
    p(INSTANCE_TYPE, Some("t2.micro"), "EC2 instance type"),
    p(ASG_MIN_SIZE, Some("0"), "minimum number of instances"),
    p(ASG_MAX_SIZE, Some("1"), "maximum number of instances"),
    p(ASG_DESIRED, None, "initial desired capacity (unset keeps the scaler's value on updates)"),
    p(ASG_METRICS, None, "comma list of ASG group metrics collected at 1Minute granularity"),
    p(ASG_MAX_INSTANCE_LIFETIME, Some("0"), "seconds an instance may live; 0 = unlimited, else at least 86400"),
    p(ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON, None, "MixedInstancesPolicy override object (or list of them), PascalCase or camelCase"),
    p(ASG_CAPACITY_REBALANCE, Some("false"), "spot capacity rebalancing"),
    p(ASG_NEW_INSTANCES_PROTECTED_FROM_SCALE_IN, Some("false"), "protect new instances from scale-in"),
    p(DISCONNECT_AFTER_JOB, Some("true"), "agent exits after one job and its instance terminates"),
    p(DISCONNECT_AFTER_IDLE_TIMEOUT, Some("300"), "seconds idle before the agent exits and its instance goes away; 0 = never"),
    p(
        INTERRUPTION_GRACE_PERIOD,
        Some("86400"),
        "seconds a running job may go on after its agent is asked to leave (rotate, spot notice); 0 = stop it at once",
    ),
    p(OS, Some("ubuntu-focal"), "ubuntu-focal, ubuntu-jammy, ubuntu-noble, windows or macos"),
    p(ARCH, Some("x86_64"), "x86_64 or arm64"),
    p(AMI, None, "explicit AMI id instead of the stack's own image"),
    p(SECURITY_GROUP_ID, None, "use this security group instead of creating one"),
    p(KEY_NAME, None, "EC2 key pair for the instances"),
    p(SSH_INGRESS_CIDRS, None, "comma list of CIDRs allowed to reach port 22 (not on Windows); none by default"),
    p(CACHE_BUCKET_NAME, None, "S3 bucket for the Semaphore cache"),
    p(TOKEN_KMS_KEY, None, "KMS key (id, ARN or alias) encrypting the token parameter; unset = alias/aws/ssm"),
    p(VPC_ID, None, "VPC for the instances (needs SEMAPHORE_AGENT_SUBNETS)"),
    p(SUBNETS, None, "comma list of subnet ids"),
    p(USE_DYNAMIC_SCALING, Some("true"), "false = static fleet, no scaler Lambda"),
    p(MANAGED_POLICY_NAMES, None, "comma list of extra IAM managed policies (names or ARNs) for the instance role"),
    p(VOLUME_NAME, None, "root EBS device name (default /dev/sda1 for the stack's own images)"),
    p(VOLUME_TYPE, Some("gp2"), "EBS volume type"),
    p(VOLUME_SIZE, Some("64"), "EBS volume size in GiB"),
    p(VOLUME_IOPS, None, "EBS IOPS (gp3, io1, io2)"),
    p(VOLUME_THROUGHPUT, None, "EBS throughput in MiB/s (gp3 only)"),
    p(TAGS, None, "Key:Value,Key2:Value2 applied to all resources"),
    p(LICENSE_CONFIGURATION_ARN, None, "macOS: License Manager configuration ARN"),
    p(MAC_FAMILY, Some("mac2"), "macOS: comma list of families (mac1, mac2, mac2-m2, ...)"),
    p(MAC_DEDICATED_HOSTS, None, "macOS: comma list of dedicated host ids"),
    p(AUTO_ALLOCATE_HOST, Some("true"), "macOS: host resource group allocates hosts"),
    p(AUTO_RELEASE_HOST, Some("true"), "macOS: host resource group releases hosts"),
    p(AZS, None, "comma list of availability zones"),
    p(USE_PRE_SIGNED_URL, Some("false"), "agent name is a pre-signed STS GetCallerIdentity URL"),
    p(OVERPROVISION_STRATEGY, Some("none"), "none, number or percentage"),
    p(OVERPROVISION_FACTOR, Some("0"), "extra agents (number) or percent of jobs (percentage); at least 1 unless none"),
    p(SCALING_POLICY, Some("agent-aws-stack"), "agent-aws-stack or predictive (keeps a buffer sized by the recent arrival rate)"),
    p(USE_IPV6, Some("false"), "one IPv6 address per instance"),
    p(ALLOW_PUBLIC_SUBNET, Some("false"), "accepted for compatibility; no effect (the scaler uses SEMAPHORE_AGENT_SUBNETS as given)"),
    p(ON_DEMAND_BASE_CAPACITY, Some("0"), "instances always on-demand"),
    p(ON_DEMAND_PERCENTAGE_ABOVE_BASE, Some("100"), "percent on-demand above the base; 100 = no spot"),
    p(ON_DEMAND_ALLOCATION_STRATEGY, None, "lowest-price or prioritized"),
    p(SPOT_ALLOCATION_STRATEGY, None, "lowest-price, capacity-optimized, capacity-optimized-prioritized or price-capacity-optimized"),
    p(WARM_POOL_SIZE, Some("0"), "instances kept prepared in a warm pool, started for service in place of a cold launch; 0 = no pool"),
    p(WARM_POOL_STATE, Some("Stopped"), "what pool instances wait as: Stopped (EBS cost only), Hibernated or Running (full price)"),
];

/// Looks a key up in [`PARAMETERS`].
pub fn find(name: &str) -> Option<&'static Parameter> {
    PARAMETERS.iter().find(|p| p.name == name)
}

/// The known key closest to `unknown`, when it is close enough to be a likely typo.
pub fn suggest(unknown: &str) -> Option<&'static str> {
    let unknown = unknown.to_ascii_uppercase();
    PARAMETERS
        .iter()
        .map(|p| (edit_distance(&unknown, p.name), p.name))
        .filter(|(d, name)| *d <= (name.len() / 4).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name)
}

/// Levenshtein distance over bytes (keys are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_prefixed() {
        let mut seen = std::collections::BTreeSet::new();
        for p in PARAMETERS {
            assert!(seen.insert(p.name), "duplicate {}", p.name);
            assert!(p.name.starts_with("SEMAPHORE_"), "{}", p.name);
        }
    }

    #[test]
    fn suggests_the_nearest_key_for_typos() {
        assert_eq!(suggest("SEMAPHORE_AGENT_INSTANCE_TPYE"), Some(INSTANCE_TYPE));
        assert_eq!(suggest("SEMAPHORE_AGENT_ASG_MAXSIZE"), Some(ASG_MAX_SIZE));
        assert_eq!(suggest("semaphore_agent_os"), Some(OS));
        assert_eq!(suggest("SEMAPHORE_AGENT_SOMETHING_ELSE_ENTIRELY"), None);
    }

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
