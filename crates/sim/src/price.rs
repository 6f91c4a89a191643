//! On-demand list prices of common agent instance types, for cost estimates.
//!
//! US East (N. Virginia), Linux, USD per hour, from the AWS EC2 on-demand price list; Windows adds
//! the license-included rate of 0.046 USD per vCPU-hour (not for burstable `t*` types, whose
//! license rate differs). macOS dedicated hosts bill per host with a 24-hour minimum, which
//! instance-minutes do not capture. Anything else: pass `--price-per-hour`.

use agent_stack_config::OperatingSystem;

/// Used when the instance type is not in the table (c6i.large, Linux).
pub const FALLBACK_PER_HOUR: f64 = 0.085;
const WINDOWS_PER_VCPU_HOUR: f64 = 0.046;

/// (instance type, vCPUs, Linux USD/hour).
const TABLE: &[(&str, u32, f64)] = &[
    ("t2.micro", 1, 0.0116),
    ("t3.micro", 2, 0.0104),
    ("t3.small", 2, 0.0208),
    ("t3.medium", 2, 0.0416),
    ("t3.large", 2, 0.0832),
    ("t3.xlarge", 4, 0.1664),
    ("t4g.medium", 2, 0.0336),
    ("t4g.large", 2, 0.0672),
    ("c5.large", 2, 0.085),
    ("c5.xlarge", 4, 0.17),
    ("c5.2xlarge", 8, 0.34),
    ("c6i.large", 2, 0.085),
    ("c6i.xlarge", 4, 0.17),
    ("c6i.2xlarge", 8, 0.34),
    ("c7i.large", 2, 0.08925),
    ("c6g.large", 2, 0.068),
    ("c6g.xlarge", 4, 0.136),
    ("c7g.large", 2, 0.0725),
    ("c7g.xlarge", 4, 0.145),
    ("m5.large", 2, 0.096),
    ("m5.xlarge", 4, 0.192),
    ("m6i.large", 2, 0.096),
    ("m6i.xlarge", 4, 0.192),
    ("m6g.large", 2, 0.077),
    ("m7g.large", 2, 0.0816),
    ("mac1.metal", 12, 1.083),
    ("mac2.metal", 8, 0.65),
    ("mac2-m2.metal", 8, 0.878),
    ("mac2-m2pro.metal", 12, 1.56),
];

/// The hourly price of `instance_type` on `os`, if known.
pub fn hourly(instance_type: &str, os: OperatingSystem) -> Option<f64> {
    let &(_, vcpus, linux) = TABLE.iter().find(|(name, _, _)| *name == instance_type)?;
    match os {
        OperatingSystem::Windows if instance_type.starts_with('t') => None,
        OperatingSystem::Windows => Some(linux + WINDOWS_PER_VCPU_HOUR * f64::from(vcpus)),
        _ => Some(linux),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_types() {
        assert_eq!(hourly("c6i.large", OperatingSystem::UbuntuNoble), Some(0.085));
        let windows = hourly("m6i.large", OperatingSystem::Windows).unwrap_or_default();
        assert!((windows - 0.188).abs() < 1e-9, "{windows}");
        assert_eq!(hourly("t3.medium", OperatingSystem::Windows), None);
        assert_eq!(hourly("x9.huge", OperatingSystem::UbuntuNoble), None);
    }
}
