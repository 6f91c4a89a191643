//! `agent-stack boot shutdown-hook`: the agent has disconnected; the instance leaves through its
//! Auto Scaling group. Only an idle agent in service lowers the desired capacity, and with a warm
//! pool one whose job finished (`lowerDesiredAfterJob` in `<stack>-config`); after any other
//! reason (interrupted, requested, unable to sync) the group launches a fresh instance. An instance in Standby (`agent-stack rotate`) never lowers it: it no longer counts
//! towards the desired capacity, and its replacement is already running.
//!
//! In a stack with the drain hook every termination waits in `Terminating:Wait` for this hook: an
//! instance the group is already terminating completes its lifecycle action (CONTINUE) instead of
//! calling TerminateInstanceInAutoScalingGroup; one that terminates itself completes the action
//! that call starts.

use agent_stack_aws::instance::{terminate_in_group, ThisInstance};
use agent_stack_aws::states::LifecycleState;
use agent_stack_aws::SdkConfig;

use crate::action;
use crate::drain;
use crate::retry::with_jitter;
use crate::{say, Layout};

/// What completing the drain's action does.
const TERMINATES: &str = "it terminates now";

/// The variable the agent sets for its shutdown hook.
pub const REASON_VAR: &str = "SEMAPHORE_AGENT_SHUTDOWN_REASON";

/// Whether the desired capacity goes down with this shutdown reason, given the instance's target
/// lifecycle state (`None` when IMDS has none) and whether the stack lowers it after a job (it
/// does with a warm pool: demand pulls the next instance from the pool; docs/scaler.md).
pub fn lowers_desired_capacity(reason: &str, lifecycle_state: Option<&LifecycleState>, after_job: bool) -> bool {
    let lowering = reason == "IDLE" || (after_job && reason == "JOB_FINISHED");
    lowering && lifecycle_state != Some(&LifecycleState::Standby)
}

/// Terminates this instance; `reason` is the agent's shutdown reason (absent: UNKNOWN).
pub async fn shutdown_hook(reason: Option<&str>, attempts: u32, layout: &Layout) -> Result<(), String> {
    let reason = reason.filter(|r| !r.is_empty()).unwrap_or("UNKNOWN");
    let ThisInstance { id: instance_id, sdk, imds } = ThisInstance::discover().await?;
    let lifecycle_state = imds.target_lifecycle_state().await.unwrap_or_else(|e| {
        say(&format!("{e}; taking the instance as in service"));
        None
    });
    let param = match drain::saved(&sdk, layout).await {
        Ok(param) => Some(param),
        Err(e) => {
            say(&format!("could not read the stack's config parameter: {e}; a pending lifecycle action ends at its heartbeat timeout"));
            None
        }
    };
    let hold = match &param {
        Some(param) => drain::find_in(&sdk, param, &instance_id).await.unwrap_or_else(|e| {
            say(&format!("could not find the drain hook: {e}; a pending lifecycle action ends at its heartbeat timeout"));
            None
        }),
        None => None,
    };
    let after_job = param.as_ref().is_some_and(|p| p.lower_desired_after_job);
    let hold = hold.map(|h| h.action);
    if lifecycle_state == Some(LifecycleState::Terminated) {
        let Some(action) = hold else {
            say(&format!("agent shut down ({reason}); {instance_id} is already being terminated by its Auto Scaling group"));
            return Ok(());
        };
        say(&format!("agent shut down ({reason}) while its Auto Scaling group terminates {instance_id}: completing the drain"));
        return action::complete(&sdk, &action, attempts, false, TERMINATES).await;
    }
    terminate(&sdk, reason, &instance_id, lifecycle_state.as_ref(), after_job, attempts).await?;
    match hold {
        Some(action) => action::complete(&sdk, &action, attempts, true, TERMINATES).await,
        None => Ok(()),
    }
}

async fn terminate(
    sdk: &SdkConfig,
    reason: &str,
    instance_id: &str,
    lifecycle_state: Option<&LifecycleState>,
    after_job: bool,
    attempts: u32,
) -> Result<(), String> {
    let decrement = lowers_desired_capacity(reason, lifecycle_state, after_job);
    let how = match (decrement, lifecycle_state) {
        (true, _) => "lowering the desired capacity",
        (false, Some(LifecycleState::Standby)) => "in Standby: its replacement is already running",
        (false, _) => "keeping the desired capacity, so a fresh instance replaces it",
    };
    say(&format!("agent shut down ({reason}): terminating {instance_id} through its Auto Scaling group, {how}"));
    let result = with_jitter("terminating the instance", attempts, || async move {
        match terminate_in_group(sdk, instance_id, decrement).await {
            // AWS refuses a decrement below the group's minimum size with ValidationError: the group
            // then keeps its capacity and replaces this instance. Any other ValidationError fails
            // again below and is reported.
            Err(e) if decrement && e.code() == Some("ValidationError") => {
                say(&format!("{e}; terminating without lowering the desired capacity"));
                terminate_in_group(sdk, instance_id, false).await.map_err(String::from)
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
        assert!(lowers_desired_capacity("IDLE", Some(&LifecycleState::InService), false) && lowers_desired_capacity("IDLE", None, false));
        assert!(!lowers_desired_capacity("IDLE", Some(&LifecycleState::Standby), false));
        for reason in ["JOB_FINISHED", "REQUESTED", "INTERRUPTED", "UNKNOWN", "UNABLE_TO_SYNC", "idle", ""] {
            assert!(!lowers_desired_capacity(reason, Some(&LifecycleState::InService), false), "{reason}");
        }
    }

    #[test]
    fn with_a_warm_pool_a_finished_job_lowers_it_too() {
        assert!(lowers_desired_capacity("JOB_FINISHED", Some(&LifecycleState::InService), true));
        assert!(lowers_desired_capacity("IDLE", Some(&LifecycleState::InService), true));
        assert!(!lowers_desired_capacity("JOB_FINISHED", Some(&LifecycleState::Standby), true), "rotate's replacement runs already");
        for reason in ["REQUESTED", "INTERRUPTED", "UNKNOWN", "UNABLE_TO_SYNC"] {
            assert!(!lowers_desired_capacity(reason, Some(&LifecycleState::InService), true), "{reason}: replaced");
        }
    }
}
