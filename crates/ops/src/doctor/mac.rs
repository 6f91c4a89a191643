//! The macOS checks: the License Manager configuration the hosts are launched with, the families
//! in the group's zones, and the dedicated hosts the config names.

use std::collections::BTreeSet;

use agent_stack_aws::inspect::HostFacts;
use agent_stack_aws::Error as AwsError;
use agent_stack_config::MacHosts;

use super::Check;

const NAME: &str = "macOS hosts";

/// What AWS said about the config's macOS settings.
pub struct MacFacts {
    /// The license configuration's counting type and status, `None` when it does not exist.
    pub license: Result<Option<(String, String)>, AwsError>,
    /// Each family's zones that offer `<family>.metal`.
    pub offered: Vec<(String, Result<BTreeSet<String>, AwsError>)>,
    /// Each named dedicated host.
    pub hosts: Vec<(String, Result<Option<HostFacts>, AwsError>)>,
}

pub fn mac_hosts(mac: &MacHosts, facts: &MacFacts, zones: &BTreeSet<String>, max_size: u32) -> Check {
    let mut failed = Vec::new();
    let mut warnings = Vec::new();
    let arn = &mac.license_configuration_arn;
    match &facts.license {
        Err(e) => failed.push(e.to_string()),
        Ok(None) => failed.push(format!("License Manager configuration {arn} does not exist in this region")),
        Ok(Some((_, status))) if status != "AVAILABLE" => warnings.push(format!("License Manager configuration {arn} is {status}")),
        Ok(Some(_)) => {}
    }
    for (family, offered) in &facts.offered {
        match offered {
            Err(e) => failed.push(e.to_string()),
            Ok(o) if !zones.is_empty() && zones.is_disjoint(o) => failed.push(format!(
                "{family}.metal is offered in none of the group's zones ({})",
                zones.iter().cloned().collect::<Vec<_>>().join(", ")
            )),
            Ok(_) => {}
        }
    }
    for (id, host) in &facts.hosts {
        match host {
            Err(e) => failed.push(e.to_string()),
            Ok(None) => failed.push(format!("dedicated host {id} does not exist")),
            Ok(Some(h)) if !mac.families.contains(&h.instance_family) => {
                failed.push(format!("dedicated host {id} is for {}, not for {}", h.instance_family, mac.families.join(", ")))
            }
            Ok(Some(h)) if h.state != "available" => warnings.push(format!("dedicated host {id} is {}", h.state)),
            Ok(Some(h)) if !zones.is_empty() && !zones.contains(&h.zone) => {
                warnings.push(format!("dedicated host {id} is in {}, outside the group's zones", h.zone))
            }
            Ok(Some(_)) => {}
        }
    }
    if mac.dedicated_hosts.is_empty() && !mac.auto_allocate {
        failed.push("no dedicated hosts are named and host auto-allocation is off: the group has nothing to launch on".to_string());
    } else if !mac.auto_allocate && (mac.dedicated_hosts.len() as u64) < u64::from(max_size) {
        warnings.push(format!(
            "{} dedicated host(s) for a maximum of {max_size}: one Mac instance per host, and auto-allocation is off",
            mac.dedicated_hosts.len()
        ));
    }
    Check::from_findings(
        NAME,
        (
            &failed,
            "fix SEMAPHORE_AGENT_LICENSE_CONFIGURATION_ARN, SEMAPHORE_AGENT_MAC_FAMILY or SEMAPHORE_AGENT_MAC_DEDICATED_HOSTS (docs/parameters.md)",
        ),
        (&warnings, "allocate more hosts, or turn on SEMAPHORE_AGENT_AUTO_ALLOCATE_HOST"),
        || format!("license configuration available; {} in the group's zones", mac.families.join(", ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    fn mac(hosts: &[&str], auto_allocate: bool) -> MacHosts {
        MacHosts {
            license_configuration_arn: "arn:aws:license-manager:eu-west-1:123456789012:license-configuration:lic-1".into(),
            families: vec!["mac2".into()],
            dedicated_hosts: hosts.iter().map(|h| h.to_string()).collect(),
            auto_allocate,
            auto_release: false,
        }
    }

    fn host(id: &str, family: &str, state: &str) -> Result<Option<HostFacts>, AwsError> {
        Ok(Some(HostFacts {
            id: id.into(),
            state: state.into(),
            instance_family: family.into(),
            zone: "eu-west-1a".into(),
            allocated_at: Some(0),
        }))
    }

    fn facts(license: Option<&str>, hosts: Vec<(String, Result<Option<HostFacts>, AwsError>)>) -> MacFacts {
        MacFacts {
            license: Ok(license.map(|s| ("Core".to_string(), s.to_string()))),
            offered: vec![("mac2".into(), Ok(["eu-west-1a".to_string()].into()))],
            hosts,
        }
    }

    #[test]
    fn license_families_and_hosts_must_fit_together() {
        let zones: BTreeSet<String> = ["eu-west-1a".to_string()].into();
        let ok = mac_hosts(&mac(&[], true), &facts(Some("AVAILABLE"), vec![]), &zones, 2);
        assert_eq!(ok.status, Status::Passed, "{ok:?}");
        let no_license = mac_hosts(&mac(&[], true), &facts(None, vec![]), &zones, 2);
        assert!(no_license.status == Status::Failed && no_license.detail.contains("does not exist"));
        let nothing = mac_hosts(&mac(&[], false), &facts(Some("AVAILABLE"), vec![]), &zones, 2);
        assert!(nothing.detail.contains("nothing to launch on"), "{nothing:?}");
        let wrong =
            mac_hosts(&mac(&["h-1"], false), &facts(Some("AVAILABLE"), vec![("h-1".into(), host("h-1", "mac1", "available"))]), &zones, 1);
        assert!(wrong.status == Status::Failed && wrong.detail.contains("is for mac1"), "{wrong:?}");
        let few =
            mac_hosts(&mac(&["h-1"], false), &facts(Some("AVAILABLE"), vec![("h-1".into(), host("h-1", "mac2", "available"))]), &zones, 3);
        assert!(few.status == Status::Warning && few.detail.contains("maximum of 3"), "{few:?}");
        let gone = mac_hosts(&mac(&["h-2"], true), &facts(Some("AVAILABLE"), vec![("h-2".into(), Ok(None))]), &zones, 1);
        assert!(gone.detail.contains("h-2 does not exist"));
        let elsewhere: BTreeSet<String> = ["eu-west-1c".to_string()].into();
        assert!(mac_hosts(&mac(&[], true), &facts(Some("AVAILABLE"), vec![]), &elsewhere, 1).detail.contains("none of the group's zones"));
    }
}
