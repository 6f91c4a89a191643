//! Completing an instance's own lifecycle action (CONTINUE), whichever hook holds it: the drain
//! when the agent has left, the launch hook when the instance is prepared. Throttling and other
//! failures are tried again; "no action pending" ends it quietly.

use std::time::Duration;

use agent_stack_aws::lifecycle::{ActionResult, LifecycleAction};
use agent_stack_aws::SdkConfig;

use crate::drain::Answer;
use crate::say;

/// How long to wait between looks for the action a self-termination starts, and how many looks
/// (AWS starts it within seconds).
const ACTION_POLL: Duration = Duration::from_secs(2);
const ACTION_LOOKS: u32 = 15;

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

/// Completes `action` with CONTINUE; `outcome` says what that does, for the log. `just_terminated`:
/// the action may not be pending yet (see [`after_completing`]).
pub async fn complete(
    sdk: &SdkConfig,
    action: &LifecycleAction,
    attempts: u32,
    just_terminated: bool,
    outcome: &str,
) -> Result<(), String> {
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
                say(&format!("completed the lifecycle action of {id} in {} (CONTINUE): {outcome}", action.hook));
                return Ok(());
            }
            Step::LookAgain => tokio::time::sleep(ACTION_POLL).await,
            Step::NothingPending => {
                say(&format!("{id} has no pending lifecycle action (completed already, timed out, or never held): nothing to complete"));
                return Ok(());
            }
            Step::TryAgain(why) => {
                say(&format!("{why}; trying again ({}/{attempts})", tally.failed));
                tokio::time::sleep(Duration::from_millis(fastrand::u64(750..=5_000))).await;
            }
            Step::GiveUp(why) => {
                return Err(format!(
                    "completing the lifecycle action in {}: {why} (tried {} times); the group ends it at its heartbeat timeout",
                    action.hook, tally.failed
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
}
