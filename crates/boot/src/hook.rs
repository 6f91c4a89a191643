//! `agent-stack boot shutdown-hook`: the agent has disconnected; the instance leaves through its
//! Auto Scaling group. Only an idle agent lowers the desired capacity; after any other reason
//! (job finished, interrupted, requested, unable to sync) the group launches a fresh instance.

use agent_stack_aws::instance::{terminate_in_group, TerminateError, ThisInstance};

use crate::retry::with_jitter;
use crate::say;

/// The variable the agent sets for its shutdown hook.
pub const REASON_VAR: &str = "SEMAPHORE_AGENT_SHUTDOWN_REASON";

/// Whether the desired capacity goes down with this shutdown reason.
pub fn lowers_desired_capacity(reason: &str) -> bool {
    reason == "IDLE"
}

/// Terminates this instance; `reason` is the agent's shutdown reason (absent: UNKNOWN).
pub async fn shutdown_hook(reason: Option<&str>, attempts: u32) -> Result<(), String> {
    let reason = reason.filter(|r| !r.is_empty()).unwrap_or("UNKNOWN");
    let decrement = lowers_desired_capacity(reason);
    let ThisInstance { id: instance_id, sdk, .. } = ThisInstance::discover().await?;
    let how = if decrement { "lowering the desired capacity" } else { "keeping the desired capacity, so a fresh instance replaces it" };
    say(&format!("agent shut down ({reason}): terminating {instance_id} through its Auto Scaling group, {how}"));
    let (sdk, id) = (&sdk, instance_id.as_str());
    let result = with_jitter("terminating the instance", attempts, || async move {
        match terminate_in_group(sdk, id, decrement).await {
            Err(TerminateError::AtMinSize(e)) => {
                // The group is at its minimum: it keeps the capacity and replaces this instance.
                say(&format!("{e}; terminating without lowering the desired capacity"));
                terminate_in_group(sdk, id, false).await.map_err(|e| format!("{e:?}"))
            }
            Err(TerminateError::Other(e)) => Err(e),
            Ok(()) => Ok(()),
        }
    })
    .await;
    if result.is_ok() {
        say(&format!("{instance_id} is terminating"));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_idle_agents_lower_the_desired_capacity() {
        assert!(lowers_desired_capacity("IDLE"));
        for reason in ["JOB_FINISHED", "REQUESTED", "INTERRUPTED", "UNKNOWN", "UNABLE_TO_SYNC", "idle", ""] {
            assert!(!lowers_desired_capacity(reason), "{reason}");
        }
    }
}
