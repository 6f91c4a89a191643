//! Domain types of the stack configuration.

use serde::Serialize;

use crate::fields::Choice;

macro_rules! choice {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl Choice for $name {
            const ALL: &'static [(&'static str, Self)] = &[$(($text, Self::$variant)),+];
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(Choice::as_str(*self))
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(Choice::as_str(*self))
            }
        }
    };
}

choice!(
    /// The operating system of the agent instances.
    OperatingSystem {
        UbuntuFocal = "ubuntu-focal",
        UbuntuJammy = "ubuntu-jammy",
        UbuntuNoble = "ubuntu-noble",
        Windows = "windows",
        MacOs = "macos",
    }
);

impl OperatingSystem {
    pub fn is_windows(self) -> bool {
        self == Self::Windows
    }

    pub fn is_macos(self) -> bool {
        self == Self::MacOs
    }
}

choice!(
    /// CPU architecture of the agent instances.
    Arch { X86_64 = "x86_64", Arm64 = "arm64" }
);

choice!(
    /// How the scaler adds capacity beyond the jobs it sees.
    OverprovisionStrategy { None = "none", Number = "number", Percentage = "percentage" }
);

choice!(
    /// How the scaler decides (docs/scaler.md, docs/simulate.md).
    ScalingPolicy { AgentAwsStack = "agent-aws-stack", Predictive = "predictive" }
);

// `choice!` declares the enum and takes no `#[default]`, so the impl is written out.
#[allow(clippy::derivable_impls)]
impl Default for ScalingPolicy {
    fn default() -> Self {
        Self::AgentAwsStack
    }
}

impl ScalingPolicy {
    /// Every policy, in documentation order.
    pub const POLICIES: [ScalingPolicy; 2] = [ScalingPolicy::AgentAwsStack, ScalingPolicy::Predictive];

    pub fn name(self) -> &'static str {
        Choice::as_str(self)
    }
}

choice!(
    /// What warm pool instances wait as (AWS's `PoolState`).
    WarmPoolState { Stopped = "Stopped", Hibernated = "Hibernated", Running = "Running" }
);

/// Instances kept prepared for service in the group's warm pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WarmPool {
    /// Instances in the pool, whatever the group's desired capacity.
    pub size: u32,
    pub state: WarmPoolState,
}

choice!(
    /// EBS volume types.
    VolumeType {
        Gp2 = "gp2",
        Gp3 = "gp3",
        Io1 = "io1",
        Io2 = "io2",
        St1 = "st1",
        Sc1 = "sc1",
        Standard = "standard",
    }
);

choice!(
    /// EC2 Auto Scaling on-demand allocation strategies.
    OnDemandAllocationStrategy { LowestPrice = "lowest-price", Prioritized = "prioritized" }
);

choice!(
    /// EC2 Auto Scaling spot allocation strategies.
    SpotAllocationStrategy {
        LowestPrice = "lowest-price",
        CapacityOptimized = "capacity-optimized",
        CapacityOptimizedPrioritized = "capacity-optimized-prioritized",
        PriceCapacityOptimized = "price-capacity-optimized",
    }
);

choice!(
    /// Auto Scaling group metrics that can be collected.
    AsgMetric {
        GroupMinSize = "GroupMinSize",
        GroupMaxSize = "GroupMaxSize",
        GroupDesiredCapacity = "GroupDesiredCapacity",
        GroupInServiceInstances = "GroupInServiceInstances",
        GroupPendingInstances = "GroupPendingInstances",
        GroupStandbyInstances = "GroupStandbyInstances",
        GroupTerminatingInstances = "GroupTerminatingInstances",
        GroupTotalInstances = "GroupTotalInstances",
        GroupInServiceCapacity = "GroupInServiceCapacity",
        GroupPendingCapacity = "GroupPendingCapacity",
        GroupStandbyCapacity = "GroupStandbyCapacity",
        GroupTerminatingCapacity = "GroupTerminatingCapacity",
        GroupTotalCapacity = "GroupTotalCapacity",
        WarmPoolDesiredCapacity = "WarmPoolDesiredCapacity",
        WarmPoolWarmedCapacity = "WarmPoolWarmedCapacity",
        WarmPoolPendingCapacity = "WarmPoolPendingCapacity",
        WarmPoolTerminatingCapacity = "WarmPoolTerminatingCapacity",
        WarmPoolTotalCapacity = "WarmPoolTotalCapacity",
        GroupAndWarmPoolDesiredCapacity = "GroupAndWarmPoolDesiredCapacity",
        GroupAndWarmPoolTotalCapacity = "GroupAndWarmPoolTotalCapacity",
    }
);

/// Extra capacity the scaler keeps beyond the jobs it sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Overprovision {
    pub strategy: OverprovisionStrategy,
    /// Extra agents (`Number`) or percent of jobs (`Percentage`); 0 with `None`.
    pub factor: u32,
}

/// The Semaphore server the agents and scaler talk to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// As configured (or `<org>.semaphoreci.com`); passed to the agents unchanged.
    pub configured: String,
    /// Whether the configured value names plain `http://` (loopback hosts only).
    pub insecure_http: bool,
    /// Host and optional port, without scheme.
    pub authority: String,
}

impl Endpoint {
    /// What [`Endpoint::parse`] accepts, for error messages.
    pub const ALLOWED: &'static str =
        "a host[:port] such as my-org.semaphoreci.com, or https://host[:port] (http:// only for loopback hosts)";

    /// Parses `host[:port]`, `https://host[:port]` or, for loopback hosts only, `http://host[:port]`.
    pub fn parse(configured: &str) -> Option<Endpoint> {
        let (insecure_http, authority) = match configured.split_once("://") {
            Some(("https", rest)) => (false, rest.trim_end_matches('/')),
            Some(("http", rest)) => (true, rest.trim_end_matches('/')),
            Some(_) => return None,
            None => (false, configured),
        };
        let valid = crate::syntax::host_port(authority) && (!insecure_http || crate::syntax::is_loopback_host(authority));
        valid.then(|| Endpoint { configured: configured.to_string(), insecure_http, authority: authority.to_string() })
    }

    /// The base URL for API calls: `https://` unless plain http was configured for a loopback host.
    pub fn base_url(&self) -> String {
        let scheme = if self.insecure_http { "http" } else { "https" };
        format!("{scheme}://{}", self.authority)
    }
}

/// A resource tag from `SEMAPHORE_AGENT_TAGS`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// The KMS key that encrypts the token parameter, as the user named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum KmsKey {
    /// A key id (UUID or `mrk-…`).
    Id(String),
    /// A full key ARN.
    Arn(String),
    /// An alias name, `alias/…`.
    Alias(String),
}

/// An IAM managed policy attached to the instance role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum ManagedPolicy {
    /// A customer managed policy name in the stack's account.
    Name(String),
    /// A full policy ARN (AWS managed or another path).
    Arn(String),
}

/// Where the instances run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Placement {
    /// The region's default VPC, in the given zones or all of them.
    DefaultVpc { zones: Vec<String> },
    /// A user VPC and its subnets.
    Vpc { vpc_id: String, subnets: Vec<String> },
}

/// EBS settings of the root device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeSettings {
    pub volume_type: VolumeType,
    pub size_gib: u32,
    pub iops: Option<u32>,
    pub throughput_mibps: Option<u32>,
}

/// The root device mapping: always encrypted; size and type only when configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RootVolume {
    pub device_name: String,
    pub settings: Option<VolumeSettings>,
}

/// macOS dedicated host settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MacHosts {
    pub license_configuration_arn: String,
    pub families: Vec<String>,
    pub dedicated_hosts: Vec<String>,
    pub auto_allocate: bool,
    pub auto_release: bool,
}

/// Spot / on-demand mix of the Auto Scaling group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstancesDistribution {
    pub on_demand_base_capacity: u32,
    pub on_demand_percentage_above_base: u32,
    pub on_demand_allocation_strategy: Option<OnDemandAllocationStrategy>,
    pub spot_allocation_strategy: Option<SpotAllocationStrategy>,
}
