//! `agent-stack boot watch`: polls IMDS and asks the agent to leave (SIGTERM) when the instance is
//! going away or taken out of service:
//! - `autoscaling/target-lifecycle-state` is `Standby` (`agent-stack rotate`) or `Terminated`;
//! - a spot interruption notice (two minutes before AWS stops or terminates the instance);
//! - a rebalance recommendation (unless ignored).
//!
//! The agent reports the interruption to Semaphore at once. An idle agent then shuts down and gets
//! no new job; a busy one finishes its job, within the stack's interruption grace period, and shuts
//! down after it. Its shutdown hook then terminates the instance.

use std::time::Duration;

use agent_stack_aws::imds::{Imds, Interruption};

use crate::process::{agent_pids, interrupt};
use crate::{say, Layout};

/// How `watch` runs.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub layout: Layout,
    pub poll: Duration,
    /// Act on spot interruption notices only, not on rebalance recommendations.
    pub ignore_rebalance: bool,
}

/// Target lifecycle states in which the agent must leave: out of service (`Standby`, as `rotate`
/// puts an instance) or on its way out.
pub fn leaves_service(target_lifecycle_state: &str) -> bool {
    matches!(target_lifecycle_state, "Standby" | "Terminated")
}

/// Watches for as long as the instance lives; asks the agent to leave once. (It keeps running
/// after that, so a service manager that restarts it does not signal the agent again.)
pub async fn watch(options: &WatchOptions) -> Result<(), String> {
    let imds = Imds::new();
    say("watching the lifecycle state, spot interruption notices and rebalance recommendations");
    let mut asked = false;
    loop {
        match why_leave(&imds, options.ignore_rebalance).await {
            Ok(Some(why)) if !asked => asked = ask_agent_to_leave(&options.layout, &why)?,
            Ok(_) => {}
            Err(e) => say(&format!("{e}; asking again")),
        }
        tokio::time::sleep(options.poll).await;
    }
}

/// Why the agent should leave now, if it should.
async fn why_leave(imds: &Imds, ignore_rebalance: bool) -> Result<Option<String>, String> {
    if let Some(state) = imds.target_lifecycle_state().await?.filter(|s| leaves_service(s)) {
        return Ok(Some(format!("the instance is leaving service (target lifecycle state {state})")));
    }
    Ok(match imds.interruption().await? {
        Some(Interruption::InstanceAction(action)) => Some(format!("spot interruption notice {action}")),
        Some(Interruption::Rebalance(_)) if ignore_rebalance => None,
        Some(Interruption::Rebalance(notice)) => Some(format!("rebalance recommendation {notice}")),
        None => None,
    })
}

/// Sends SIGTERM to the agent; false when no agent runs yet (the reason is acted on later).
fn ask_agent_to_leave(layout: &Layout, why: &str) -> Result<bool, String> {
    let pids = agent_pids(layout)?;
    if pids.is_empty() {
        say(&format!("{why}, but no agent is running yet"));
        return Ok(false);
    }
    for pid in pids {
        say(&format!("{why}: asking the agent (pid {pid}) to finish its job and leave"));
        interrupt(pid)?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_leaves_in_standby_and_on_termination_only() {
        assert!(leaves_service("Standby") && leaves_service("Terminated"));
        for state in ["InService", "Pending", "Warmed:Running", "Warmed:Stopped", "Detached", "standby", ""] {
            assert!(!leaves_service(state), "{state}");
        }
    }
}
