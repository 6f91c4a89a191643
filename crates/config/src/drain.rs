//! Draining on every termination the Auto Scaling group starts (scale-in, max instance lifetime,
//! capacity rebalancing, health replacement): the group's termination lifecycle hook holds the
//! instance in `Terminating:Wait` while its agent finishes its job. Shared by the template, which
//! creates the hook, and the instances, which record heartbeats and complete the action.

use serde::{Deserialize, Serialize};

/// Name of the termination lifecycle hook on the agents' group.
pub const DRAIN_HOOK_NAME: &str = "semaphore-agent-drain";

/// AWS ends a lifecycle action after 100 heartbeat timeouts or 48 hours, whichever is smaller.
pub const GLOBAL_TIMEOUT_CAP_S: u32 = 172_800;

/// Time a job needs after Semaphore stops it at the end of the grace period (stop the commands,
/// flush the log: the agent waits up to 60 s for that) and for the agent to disconnect and run its
/// shutdown hook, with room to spare.
pub const STOP_MARGIN_S: u32 = 900;

/// What an instance needs to hold and release its own termination: `drain` in `<stack>-config`.
/// Absent in a stack without the hook; an instance then leaves terminations to the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrainHook {
    /// The group's termination lifecycle hook.
    pub lifecycle_hook_name: String,
    /// SSM parameter holding the group's name. CloudFormation names the group, and the group
    /// launches from a template that depends on `<stack>-config`, so the name cannot be in it.
    pub group_name_parameter_name: String,
    /// Seconds without a heartbeat before AWS goes on with the termination.
    pub heartbeat_timeout: u32,
}

/// The heartbeat timeout for an interruption grace period: the smallest whole number of minutes
/// (at least one) whose global timeout (100 ×) outlasts the longest drain, which is the grace
/// period plus [`STOP_MARGIN_S`]; Semaphore stops the job when the grace period ends. The smaller
/// the timeout, the sooner an instance whose agent or watcher died is released. The 24 h default
/// grace period gives 900 s (global timeout 25 h).
pub fn heartbeat_timeout_s(grace_period_s: u32) -> u32 {
    let needed = grace_period_s.saturating_add(STOP_MARGIN_S).div_ceil(100);
    needed.div_ceil(60).max(1).saturating_mul(60)
}

/// How long AWS holds a terminating instance at most, however many heartbeats it gets.
pub fn global_timeout_s(heartbeat_timeout_s: u32) -> u32 {
    heartbeat_timeout_s.saturating_mul(100).min(GLOBAL_TIMEOUT_CAP_S)
}

/// How often a draining instance records a heartbeat: a third of the timeout, so one lost or
/// throttled heartbeat never lets the action time out.
pub fn heartbeat_interval_s(heartbeat_timeout_s: u32) -> u32 {
    (heartbeat_timeout_s / 3).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEFAULT_INTERRUPTION_GRACE_PERIOD_S;

    #[test]
    fn the_global_timeout_outlasts_every_grace_period_by_the_stop_margin() {
        assert_eq!(heartbeat_timeout_s(DEFAULT_INTERRUPTION_GRACE_PERIOD_S), 900);
        assert_eq!(global_timeout_s(900), 90_000);
        assert_eq!(heartbeat_timeout_s(0), 60);
        for grace in [0, 1, 59, 3_600, 5_999, 6_000, 43_200, 86_399, DEFAULT_INTERRUPTION_GRACE_PERIOD_S] {
            let timeout = heartbeat_timeout_s(grace);
            assert!(global_timeout_s(timeout) >= grace + STOP_MARGIN_S, "{grace}");
            assert!((30..=7_200).contains(&timeout) && timeout.is_multiple_of(60), "{grace} → {timeout}: AWS allows 30–7200 s");
        }
        assert_eq!(global_timeout_s(7_200), GLOBAL_TIMEOUT_CAP_S);
        assert_eq!(heartbeat_interval_s(900), 300);
    }
}
