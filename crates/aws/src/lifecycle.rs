//! An instance's lifecycle action in its group's termination hook: heartbeats while its agent
//! drains, and the completion that lets the termination go on.

use aws_config::SdkConfig;
use aws_sdk_autoscaling::Client;

use crate::{Error, Kind};

/// The message prefix of the `ValidationError` AWS answers for an instance without a pending
/// action (it was completed already, or it timed out). The code alone does not tell this apart
/// from a wrong group or hook name, so this one message is matched, here only.
const NO_ACTIVE_ACTION: &str = "No active Lifecycle Action found";

/// One instance's pending action in one hook of one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleAction {
    pub group: String,
    pub hook: String,
    pub instance_id: String,
}

/// How a termination action ends: both let the instance terminate; `Abandon` also skips the
/// group's other hooks (what `destroy --force` means: end it now).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionResult {
    Continue,
    Abandon,
}

impl ActionResult {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionResult::Continue => "CONTINUE",
            ActionResult::Abandon => "ABANDON",
        }
    }
}

impl LifecycleAction {
    /// Extends the action by one heartbeat timeout. [`Error::is_not_found`]: no action is pending.
    pub async fn record_heartbeat(&self, config: &SdkConfig) -> Result<(), Error> {
        Client::new(config)
            .record_lifecycle_action_heartbeat()
            .auto_scaling_group_name(&self.group)
            .lifecycle_hook_name(&self.hook)
            .instance_id(&self.instance_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| no_action_is_not_found(Error::from_sdk(format!("RecordLifecycleActionHeartbeat {}", self.instance_id), &e)))
    }

    /// Ends the action with `result`. [`Error::is_not_found`]: no action is pending.
    pub async fn complete(&self, config: &SdkConfig, result: ActionResult) -> Result<(), Error> {
        Client::new(config)
            .complete_lifecycle_action()
            .auto_scaling_group_name(&self.group)
            .lifecycle_hook_name(&self.hook)
            .instance_id(&self.instance_id)
            .lifecycle_action_result(result.as_str())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                no_action_is_not_found(Error::from_sdk(format!("CompleteLifecycleAction {} {}", self.instance_id, result.as_str()), &e))
            })
    }
}

/// `ValidationError: No active Lifecycle Action found …` is [`Kind::NotFound`]; any other error
/// is kept as it is.
pub fn no_action_is_not_found(error: Error) -> Error {
    match &error.kind {
        Kind::Rejected { code, message } if code == "ValidationError" && message.starts_with(NO_ACTIVE_ACTION) => {
            Error { kind: Kind::NotFound, ..error }
        }
        _ => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(code: &str, message: &str) -> Error {
        Error::new("CompleteLifecycleAction i-1 CONTINUE", Kind::Rejected { code: code.into(), message: message.into() })
    }

    #[test]
    fn only_the_no_active_action_message_means_not_found() {
        // AWS's message, as it answers for an instance with no pending action.
        let gone = rejected("ValidationError", "No active Lifecycle Action found with instance ID i-0123456789abcdef0");
        assert!(no_action_is_not_found(gone).is_not_found());
        let wrong_hook = rejected("ValidationError", "No Lifecycle Hook found with name semaphore-agent-drain");
        assert_eq!(no_action_is_not_found(wrong_hook.clone()), wrong_hook);
        let denied = rejected("AccessDenied", "No active Lifecycle Action found (not really)");
        assert_eq!(no_action_is_not_found(denied.clone()), denied);
        let throttled = Error::new("x", Kind::Throttled { code: "Throttling".into(), message: "Rate exceeded".into() });
        assert_eq!(no_action_is_not_found(throttled.clone()), throttled);
    }
}
