//! `agent-stack boot watch`: polls IMDS for a spot interruption notice (two minutes before the
//! instance is stopped or terminated) or a rebalance recommendation, and interrupts the agent with
//! SIGTERM. The agent reports the interruption to Semaphore, which stops the job cleanly (after
//! the agent type's interruption grace period) instead of losing it with the instance.

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

/// Watches for as long as the instance lives; interrupts the agent once. (It keeps running after
/// that, so a service manager that restarts it does not interrupt the agent again.)
pub async fn watch(options: &WatchOptions) -> Result<(), String> {
    let imds = Imds::new();
    say("watching for spot interruption notices and rebalance recommendations");
    let acts_on = |notice: &Interruption| !(options.ignore_rebalance && matches!(notice, Interruption::Rebalance(_)));
    let mut interrupted = false;
    loop {
        match imds.interruption().await {
            Ok(Some(notice)) if !interrupted && acts_on(&notice) => {
                interrupted = interrupt_agent(&options.layout, &notice)?;
            }
            Ok(_) => {}
            Err(e) => say(&format!("{e}; asking again")),
        }
        tokio::time::sleep(options.poll).await;
    }
}

/// Sends SIGTERM to the agent; false when no agent runs yet (the notice is acted on later).
fn interrupt_agent(layout: &Layout, notice: &Interruption) -> Result<bool, String> {
    let pids = agent_pids(layout)?;
    if pids.is_empty() {
        say(&format!("{notice:?}, but no agent is running yet"));
        return Ok(false);
    }
    for pid in pids {
        say(&format!("{notice:?}: interrupting the agent (pid {pid}) so its job stops cleanly"));
        interrupt(pid)?;
    }
    Ok(true)
}
