//! `agent-stack boot shutdown-hook`: the agent has disconnected; the instance leaves through its
//! Auto Scaling group. Only an idle agent in service lowers the desired capacity; after any other
//! reason (job finished, interrupted, requested, unable to sync) the group launches a fresh
//! instance. An instance in Standby (`agent-stack rotate`) never lowers it: it no longer counts
//! towards the desired capacity, and its replacement is already running.

use agent_stack_aws::instance::{terminate_in_group, ThisInstance};
use agent_stack_aws::states::LifecycleState;

use crate::retry::with_jitter;
use crate::say;

/// The variable the agent sets for its shutdown hook.
pub const REASON_VAR: &str = "SEMAPHORE_AGENT_SHUTDOWN_REASON";

/// Whether the desired capacity goes down with this shutdown reason, given the instance's target
/// lifecycle state (`None` when IMDS has none).
pub fn lowers_desired_capacity(reason: &str, lifecycle_state: Option<&LifecycleState>) -> bool {
    reason == "IDLE" && lifecycle_state != Some(&LifecycleState::Standby)
}

/// Terminates this instance; `reason` is the agent's shutdown reason (absent: UNKNOWN).
pub async fn shutdown_hook(reason: Option<&str>, attempts: u32) -> Result<(), String> {
    let reason = reason.filter(|r| !r.is_empty()).unwrap_or("UNKNOWN");
    let ThisInstance { id: instance_id, sdk, imds } = ThisInstance::discover().await?;
    let lifecycle_state = imds.target_lifecycle_state().await.unwrap_or_else(|e| {
        say(&format!("{e}; taking the instance as in service"));
        None
    });
    if lifecycle_state == Some(LifecycleState::Terminated) {
        say(&format!("agent shut down ({reason}); {instance_id} is already being terminated by its Auto Scaling group"));
        return Ok(());
    }
    let decrement = lowers_desired_capacity(reason, lifecycle_state.as_ref());
    let how = match (decrement, lifecycle_state.as_ref()) {
        (true, _) => "lowering the desired capacity",
        (false, Some(LifecycleState::Standby)) => "in Standby: its replacement is already running",
        (false, _) => "keeping the desired capacity, so a fresh instance replaces it",
    };
    say(&format!("agent shut down ({reason}): terminating {instance_id} through its Auto Scaling group, {how}"));
    let (sdk, id) = (&sdk, instance_id.as_str());
    let result = with_jitter("terminating the instance", attempts, || async move {
        match terminate_in_group(sdk, id, decrement).await {
            // AWS refuses a decrement below the group's minimum size with ValidationError: the group
            // then keeps its capacity and replaces this instance. Any other ValidationError fails
            // again below and is reported.
            Err(e) if decrement && e.code() == Some("ValidationError") => {
                say(&format!("{e}; terminating without lowering the desired capacity"));
                terminate_in_group(sdk, id, false).await.map_err(String::from)
            }
            other => other.map_err(String::from),
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
    fn only_idle_agents_in_service_lower_the_desired_capacity() {
        assert!(lowers_desired_capacity("IDLE", Some(&LifecycleState::InService)) && lowers_desired_capacity("IDLE", None));
        assert!(!lowers_desired_capacity("IDLE", Some(&LifecycleState::Standby)));
        for reason in ["JOB_FINISHED", "REQUESTED", "INTERRUPTED", "UNKNOWN", "UNABLE_TO_SYNC", "idle", ""] {
            assert!(!lowers_desired_capacity(reason, Some(&LifecycleState::InService)), "{reason}");
        }
    }
}
