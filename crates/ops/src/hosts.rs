//! A macOS stack's dedicated hosts after `destroy`: they are not part of the stack, and AWS bills
//! a Mac host for at least 24 hours from its allocation, refusing to release it before. So destroy
//! finds them (the ones the config names, and the ones the group's instances ran on), releases
//! those past the minimum and says when the others can go.

use agent_stack_aws::inspect::HostFacts;
use agent_stack_aws::Error as AwsError;
use serde::Serialize;

/// AWS's minimum allocation period of a Mac dedicated host.
pub const MAC_MINIMUM_ALLOCATION_S: i64 = 86_400;

/// What can happen to each host now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HostPlan {
    /// Past the minimum: release now.
    pub due: Vec<String>,
    /// Not yet: (host, seconds since the epoch from which it can be released).
    pub later: Vec<(String, i64)>,
    /// Released already, or unknown.
    pub gone: Vec<String>,
}

/// Sorts hosts by whether they can be released at `now_s`.
pub fn plan(hosts: &[(String, Option<HostFacts>)], now_s: i64) -> HostPlan {
    let mut plan = HostPlan::default();
    for (id, facts) in hosts {
        match facts {
            None => plan.gone.push(id.clone()),
            Some(h) if h.state.starts_with("released") => plan.gone.push(id.clone()),
            Some(h) => match h.allocated_at.map(|t| t + MAC_MINIMUM_ALLOCATION_S) {
                Some(at) if at > now_s => plan.later.push((id.clone(), at)),
                _ => plan.due.push(id.clone()),
            },
        }
    }
    plan.later.sort_by_key(|(_, at)| *at);
    plan
}

/// The command that releases `ids`.
pub fn release_command(ids: &[String]) -> String {
    format!("aws ec2 release-hosts --host-ids {}", ids.join(" "))
}

/// The dedicated-host calls destroy makes.
pub trait Hosts {
    /// Hosts the instances of the group ran on (current, and terminated within about an hour).
    async fn group_instance_hosts(&self, group: &str) -> Result<Vec<String>, AwsError>;
    async fn host(&self, id: &str) -> Result<Option<HostFacts>, AwsError>;
    /// Releases hosts; returns those AWS did not release, with its reason.
    async fn release_hosts(&self, ids: &[String]) -> Result<Vec<(String, String)>, AwsError>;
}

/// Looks each host up and plans its release.
pub async fn look_up<C: Hosts>(cloud: &C, ids: &[String], now_s: i64) -> Result<HostPlan, AwsError> {
    let mut hosts = Vec::new();
    for id in ids {
        hosts.push((id.clone(), cloud.host(id).await?));
    }
    Ok(plan(&hosts, now_s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(state: &str, allocated_at: Option<i64>) -> Option<HostFacts> {
        Some(HostFacts { id: "h".into(), state: state.into(), instance_family: "mac2".into(), zone: "z".into(), allocated_at })
    }

    #[test]
    fn hosts_past_the_minimum_go_now_the_others_later() {
        let now = 1_000_000;
        let hosts = vec![
            ("h-old".to_string(), host("available", Some(now - MAC_MINIMUM_ALLOCATION_S - 1))),
            ("h-new".to_string(), host("available", Some(now - 3_600))),
            ("h-newer".to_string(), host("pending", Some(now - 60))),
            ("h-gone".to_string(), None),
            ("h-done".to_string(), host("released", Some(0))),
            ("h-exact".to_string(), host("available", Some(now - MAC_MINIMUM_ALLOCATION_S))),
        ];
        let p = plan(&hosts, now);
        assert_eq!(p.due, ["h-old", "h-exact"]);
        assert_eq!(
            p.later,
            [("h-new".to_string(), now - 3_600 + MAC_MINIMUM_ALLOCATION_S), ("h-newer".to_string(), now - 60 + MAC_MINIMUM_ALLOCATION_S)]
        );
        assert_eq!(p.gone, ["h-gone", "h-done"]);
        assert_eq!(release_command(&["h-1".into(), "h-2".into()]), "aws ec2 release-hosts --host-ids h-1 h-2");
    }
}
