//! The vCPU quotas a group's instances count against (EC2's per-family, per-market "Running
//! On-Demand … instances" and "All … Spot Instance Requests" quotas), and the check.

use agent_stack_aws::Error as AwsError;

use super::Check;

/// A family of instance types that share one vCPU quota per market.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaClass {
    pub name: &'static str,
    pub on_demand: &'static str,
    pub spot: &'static str,
}

const STANDARD: QuotaClass = QuotaClass { name: "Standard (A, C, D, H, I, M, R, T, Z)", on_demand: "L-1216C47A", spot: "L-34B43A08" };
const G_AND_VT: QuotaClass = QuotaClass { name: "G and VT", on_demand: "L-DB2E81BA", spot: "L-3819A6DF" };
const P: QuotaClass = QuotaClass { name: "P", on_demand: "L-417A185B", spot: "L-7212CCBC" };

/// The quota class of an instance type, by the letters of its family (`c6i.large` → `c`);
/// `None` for the families this check does not know (F, X, Inf, Trn, DL, HPC, high memory, Mac).
pub fn quota_class(instance_type: &str) -> Option<QuotaClass> {
    let family: String = instance_type.chars().take_while(|c| c.is_ascii_lowercase()).collect();
    match family.as_str() {
        "a" | "c" | "d" | "h" | "i" | "m" | "r" | "t" | "z" => Some(STANDARD),
        "g" | "vt" => Some(G_AND_VT),
        "p" => Some(P),
        _ => None,
    }
}

/// How many of `max` instances may be on-demand and spot at most, from the instances distribution.
pub fn split(max: u32, base: u32, percentage_above_base: u32) -> (u32, u32) {
    let base = base.min(max);
    let above = max - base;
    let on_demand = base + (above * percentage_above_base).div_ceil(100).min(above);
    (on_demand, max - on_demand)
}

/// What one market needs of its quota.
#[derive(Debug)]
pub struct Need {
    pub market: &'static str,
    pub code: &'static str,
    /// vCPUs at the group's maximum.
    pub vcpus: u64,
    /// vCPUs the account's other running instances of the class use now, or why they were not counted.
    pub others: Result<u64, String>,
    pub quota: Result<Option<f64>, AwsError>,
}

pub fn vcpu_quota(instance_type: &str, class: Option<QuotaClass>, needs: &[Need]) -> Check {
    const NAME: &str = "vCPU quota";
    let Some(class) = class else {
        return Check::warning(
            NAME,
            format!("{instance_type}: this check does not know its family's quota"),
            "check EC2's vCPU quotas for it in the Service Quotas console",
        );
    };
    let mut failed = Vec::new();
    let mut tight = Vec::new();
    let mut fine = Vec::new();
    for need in needs.iter().filter(|n| n.vcpus > 0) {
        let about = format!("{} {} ({})", need.market, class.name, need.code);
        match &need.quota {
            Err(e) => tight.push(format!("{about}: not read ({e})")),
            Ok(None) => tight.push(format!("{about}: Service Quotas does not know it")),
            Ok(Some(quota)) => {
                let quota = quota.max(0.0).floor() as u64;
                match &need.others {
                    _ if need.vcpus > quota => failed.push(format!("{about} is {quota} vCPUs; the group's maximum needs {}", need.vcpus)),
                    Err(why) => tight.push(format!(
                        "{about} is {quota} vCPUs; the group's maximum needs {}, but what other instances use was not read ({why})",
                        need.vcpus
                    )),
                    Ok(others) if need.vcpus + others > quota => tight.push(format!(
                        "{about} is {quota} vCPUs; the group's maximum needs {} and other instances use {others} now",
                        need.vcpus
                    )),
                    Ok(others) => fine.push(format!("{about}: {} of {quota} vCPUs at the maximum, {others} in use by others", need.vcpus)),
                }
            }
        }
    }
    Check::from_findings(
        NAME,
        (&failed, "request a quota increase (Service Quotas → EC2), or lower SEMAPHORE_AGENT_ASG_MAX_SIZE"),
        (&tight, "the group may not reach its maximum: request a quota increase, or lower SEMAPHORE_AGENT_ASG_MAX_SIZE"),
        || fine.join("; "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    #[test]
    fn families_map_to_their_quotas() {
        assert_eq!(quota_class("c6i.large").map(|c| c.on_demand), Some("L-1216C47A"));
        assert_eq!(quota_class("t3.micro").map(|c| c.spot), Some("L-34B43A08"));
        assert_eq!(quota_class("g5.xlarge").map(|c| c.on_demand), Some("L-DB2E81BA"));
        assert_eq!(quota_class("vt1.3xlarge").map(|c| c.spot), Some("L-3819A6DF"));
        assert_eq!(quota_class("p4d.24xlarge").map(|c| c.on_demand), Some("L-417A185B"));
        for unknown in ["mac2.metal", "inf2.xlarge", "x2idn.16xlarge", "u-6tb1.metal", "hpc6a.48xlarge", "f1.2xlarge"] {
            assert_eq!(quota_class(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn the_distribution_splits_the_maximum_between_markets() {
        assert_eq!(split(10, 0, 100), (10, 0));
        assert_eq!(split(10, 0, 0), (0, 10));
        assert_eq!(split(10, 2, 50), (6, 4));
        assert_eq!(split(10, 20, 0), (10, 0));
        assert_eq!(split(3, 0, 50), (2, 1), "AWS rounds the on-demand share up");
    }

    fn need(market: &'static str, vcpus: u64, others: u64, quota: Option<f64>) -> Need {
        Need { market, code: "L-1216C47A", vcpus, others: Ok(others), quota: Ok(quota) }
    }

    #[test]
    fn the_maximum_must_fit_the_quota() {
        let class = quota_class("c6i.large");
        assert_eq!(vcpu_quota("c6i.large", class, &[need("On-Demand", 20, 0, Some(640.0))]).status, Status::Passed);
        let over = vcpu_quota("c6i.large", class, &[need("On-Demand", 200, 0, Some(32.0))]);
        assert_eq!(over.status, Status::Failed);
        assert!(over.detail.contains("32 vCPUs") && over.detail.contains("needs 200"), "{over:?}");
        let shared = vcpu_quota("c6i.large", class, &[need("On-Demand", 20, 20, Some(32.0))]);
        assert_eq!(shared.status, Status::Warning);
        assert!(shared.detail.contains("other instances use 20"));
        assert_eq!(vcpu_quota("c6i.large", class, &[need("On-Demand", 20, 0, None)]).status, Status::Warning);
        // A market the group never uses is not asked about.
        assert_eq!(
            vcpu_quota("c6i.large", class, &[need("On-Demand", 20, 0, Some(64.0)), need("Spot", 0, 0, Some(0.0))]).status,
            Status::Passed
        );
        assert_eq!(vcpu_quota("mac2.metal", None, &[]).status, Status::Warning);
    }

    #[test]
    fn other_instances_not_counted_is_a_warning_unless_the_group_alone_is_over() {
        let class = quota_class("c6i.large");
        let unread =
            |vcpus, quota| Need { others: Err("DescribeInstances: AccessDenied".into()), ..need("On-Demand", vcpus, 0, Some(quota)) };
        let check = vcpu_quota("c6i.large", class, &[unread(20, 640.0)]);
        assert_eq!(check.status, Status::Warning);
        assert!(check.detail.contains("not read (DescribeInstances: AccessDenied)"), "{}", check.detail);
        assert_eq!(vcpu_quota("c6i.large", class, &[unread(200, 32.0)]).status, Status::Failed);
    }
}
