//! `agent-stack boot health-check`, every minute: once the agent has been started, an instance
//! without an agent process powers itself off (through the OS, since a job may have broken IMDS
//! or the AWS credentials), and its group replaces it.

use crate::layout::run_command;
use crate::process::agent_pids;
use crate::{say, Layout};

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// `boot start` has not started the agent yet: nothing to check.
    NotStarted,
    Running(Vec<u32>),
    Gone,
}

/// Looks for the agent process.
pub fn check(layout: &Layout) -> Result<Health, String> {
    if !layout.started_marker().exists() {
        return Ok(Health::NotStarted);
    }
    let pids = agent_pids(layout)?;
    Ok(if pids.is_empty() { Health::Gone } else { Health::Running(pids) })
}

/// Checks, logs one line, and runs `poweroff_command` when the agent is gone.
pub fn health_check(layout: &Layout, poweroff_command: &str) -> Result<Health, String> {
    let health = check(layout)?;
    match &health {
        Health::NotStarted => say("the agent has not been started yet"),
        Health::Running(pids) => {
            say(&format!("the agent is running (pid {})", pids.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")))
        }
        Health::Gone => {
            say(&format!("the agent is not running: powering off ({poweroff_command})"));
            run_command(poweroff_command)?;
        }
    }
    Ok(health)
}
