//! `agent-stack boot shutdown-hook`: the agent has disconnected; the instance leaves through its
//! Auto Scaling group. Only an idle agent in service lowers the desired capacity; after any other
//! reason (job finished, interrupted, requested, unable to sync) the group launches a fresh
//! instance. An instance in Standby (`agent-stack rotate`) never lowers it: it no longer counts
//! towards the desired capacity, and its replacement is already running.
//!
//! In a stack with the drain hook every termination waits in `Terminating:Wait` for this hook: an
//! instance the group is already terminating completes its lifecycle action (CONTINUE) instead of
//! calling TerminateInstanceInAutoScalingGroup; one that terminates itself completes the action
//! that call starts.

use std::time::Duration;

use agent_stack_aws::instance::{terminate_in_group, ThisInstance};
use agent_stack_aws::lifecycle::{ActionResult, LifecycleAction};
use agent_stack_aws::states::LifecycleState;
use agent_stack_aws::SdkConfig;

use crate::drain::{self, Answer};
use crate::retry::with_jitter;
use crate::{say, Layout};

/// The variable the agent sets for its shutdown hook.
pub const REASON_VAR: &str = "SEMAPHORE_AGENT_SHUTDOWN_REASON";

/// How long to wait between looks for the action a self-termination starts, and how many looks
/// (AWS starts it within seconds).
const ACTION_POLL: Duration = Duration::from_secs(2);
const ACTION_LOOKS: u32 = 15;

/// Whether the desired capacity goes down with this shutdown reason, given the instance's target
/// lifecycle state (`None` when IMDS has none).
pub fn lowers_desired_capacity(reason: &str, lifecycle_state: Option<&LifecycleState>) -> bool {
    reason == "IDLE" && lifecycle_state != Some(&LifecycleState::Standby)
}

/// Terminates this instance; `reason` is the agent's shutdown reason (absent: UNKNOWN).
pub async fn shutdown_hook(reason: Option<&str>, attempts: u32, layout: &Layout) -> Result<(), String> {
    let reason = reason.filter(|r| !r.is_empty()).unwrap_or("UNKNOWN");
    let ThisInstance { id: instance_id, sdk, imds } = ThisInstance::discover().await?;
    let lifecycle_state = imds.target_lifecycle_state().await.unwrap_or_else(|e| {
        say(&format!("{e}; taking the instance as in service"));
        None
    });
    let hold = match drain::find(&sdk, layout, &instance_id).await {
        Ok(hold) => hold.map(|h| h.action),
        Err(e) => {
            say(&format!("could not find the drain hook: {e}; a pending lifecycle action ends at its heartbeat timeout"));
            None
        }
    };
    if lifecycle_state == Some(LifecycleState::Terminated) {
        let Some(action) = hold else {
            say(&format!("agent shut down ({reason}); {instance_id} is already being terminated by its Auto Scaling group"));
            return Ok(());
        };
        say(&format!("agent shut down ({reason}) while its Auto Scaling group terminates {instance_id}: completing the drain"));
        return complete(&sdk, &action, attempts, false).await;
    }
    terminate(&sdk, reason, &instance_id, lifecycle_state.as_ref(), attempts).await?;
    match hold {
        Some(action) => complete(&sdk, &action, attempts, true).await,
        None => Ok(()),
    }
}

async fn terminate(
    sdk: &SdkConfig,
    reason: &str,
    instance_id: &str,
    lifecycle_state: Option<&LifecycleState>,
    attempts: u32,
) -> Result<(), String> {
    let decrement = lowers_desired_capacity(reason, lifecycle_state);
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

/// What to do after an answer to CompleteLifecycleAction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Completed,
    /// Right after the instance's own TerminateInstanceInAutoScalingGroup the action may not be
    /// pending yet: look again shortly.
    LookAgain,
    /// Completed already, or timed out: nothing left to do.
    NothingPending,
    TryAgain(String),
    GiveUp(String),
}

/// Counts of the answers so far, this one included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub no_action: u32,
    pub failed: u32,
}

/// Decides on `answer`; `just_terminated`: the instance has just terminated itself, so "no
/// action" may only mean "not yet"; `attempts` bounds the failures.
pub fn after_completing(answer: Answer, just_terminated: bool, tally: Tally, attempts: u32) -> Step {
    match answer {
        Answer::Done => Step::Completed,
        Answer::NoAction if just_terminated && tally.no_action < ACTION_LOOKS => Step::LookAgain,
        Answer::NoAction => Step::NothingPending,
        Answer::Retry(why) if tally.failed >= attempts.max(1) => Step::GiveUp(why),
        Answer::Retry(why) => Step::TryAgain(why),
    }
}

/// Completes the drain's lifecycle action with CONTINUE, so the termination goes on now.
async fn complete(sdk: &SdkConfig, action: &LifecycleAction, attempts: u32, just_terminated: bool) -> Result<(), String> {
    let id = &action.instance_id;
    let mut tally = Tally::default();
    loop {
        let answer = Answer::of(action.complete(sdk, ActionResult::Continue).await);
        match &answer {
            Answer::NoAction => tally.no_action += 1,
            Answer::Retry(_) => tally.failed += 1,
            Answer::Done => {}
        }
        match after_completing(answer, just_terminated, tally, attempts) {
            Step::Completed => {
                say(&format!("completed the lifecycle action of {id} (CONTINUE): it terminates now"));
                return Ok(());
            }
            Step::LookAgain => tokio::time::sleep(ACTION_POLL).await,
            Step::NothingPending => {
                say(&format!("{id} has no pending lifecycle action (completed already, or timed out): nothing to complete"));
                return Ok(());
            }
            Step::TryAgain(why) => {
                say(&format!("{why}; trying again ({}/{attempts})", tally.failed));
                tokio::time::sleep(Duration::from_millis(fastrand::u64(750..=5_000))).await;
            }
            Step::GiveUp(why) => {
                return Err(format!(
                    "completing the lifecycle action: {why} (tried {} times); the group ends it at its heartbeat timeout",
                    tally.failed
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completing_decides_on_each_answer() {
        use Step::*;
        let tally = |no_action, failed| Tally { no_action, failed };
        assert_eq!(after_completing(Answer::Done, false, tally(0, 0), 5), Completed);
        // Held by the group already: no action means it was completed or timed out.
        assert_eq!(after_completing(Answer::NoAction, false, tally(1, 0), 5), NothingPending);
        // Just terminated by the instance itself: not pending yet, look again, for a while.
        assert_eq!(after_completing(Answer::NoAction, true, tally(1, 0), 5), LookAgain);
        assert_eq!(after_completing(Answer::NoAction, true, tally(ACTION_LOOKS - 1, 0), 5), LookAgain);
        assert_eq!(after_completing(Answer::NoAction, true, tally(ACTION_LOOKS, 0), 5), NothingPending);
        let throttled = || Answer::Retry("Throttling: Rate exceeded".into());
        // Looks while the action is not yet pending do not use up the attempts.
        assert_eq!(after_completing(throttled(), true, tally(10, 1), 5), TryAgain("Throttling: Rate exceeded".into()));
        assert_eq!(after_completing(throttled(), false, tally(0, 5), 5), GiveUp("Throttling: Rate exceeded".into()));
    }

    #[test]
    fn only_idle_agents_in_service_lower_the_desired_capacity() {
        assert!(lowers_desired_capacity("IDLE", Some(&LifecycleState::InService)) && lowers_desired_capacity("IDLE", None));
        assert!(!lowers_desired_capacity("IDLE", Some(&LifecycleState::Standby)));
        for reason in ["JOB_FINISHED", "REQUESTED", "INTERRUPTED", "UNKNOWN", "UNABLE_TO_SYNC", "idle", ""] {
            assert!(!lowers_desired_capacity(reason, Some(&LifecycleState::InService)), "{reason}");
        }
    }
}
