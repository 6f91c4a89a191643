//! The instance's part in its group's termination hook (`agent_stack_config::drain`): find the
//! pending action, keep it alive with heartbeats while the agent finishes its job, and decide what
//! each answer from AWS means. The calls themselves are in `agent_stack_aws::lifecycle`.

use std::time::{Duration, Instant};

use agent_stack_aws::lifecycle::LifecycleAction;
use agent_stack_aws::{Error, Kind, SdkConfig};
use agent_stack_config::drain::{heartbeat_interval_s, STOP_MARGIN_S};
use agent_stack_config::AgentConfigParameter;

use crate::start::saved_config_parameter;
use crate::{say, Layout};

/// The longest wait before a failed heartbeat is tried again.
pub const HEARTBEAT_RETRY: Duration = Duration::from_secs(30);

/// This instance's action in its group's drain hook, how often to heartbeat it, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub action: LifecycleAction,
    pub heartbeat_every: Duration,
    /// The longest a drain can last: the interruption grace period (then Semaphore stops the
    /// job) and [`STOP_MARGIN_S`]. An agent still there after it is hung: heartbeats stop, and
    /// the heartbeat timeout ends the action.
    pub limit: Duration,
}

/// Finds the drain hook from the stack's config parameter (the one `boot start` saved) and the
/// group's name parameter. `None`: the stack has no drain hook (made before it existed), so the
/// group terminates the instance without waiting.
pub async fn find(sdk: &SdkConfig, layout: &Layout, instance_id: &str) -> Result<Option<Hold>, String> {
    find_in(sdk, &saved(sdk, layout).await?, instance_id).await
}

/// The stack's config parameter `boot start` saved the name of, read again from SSM.
pub async fn saved(sdk: &SdkConfig, layout: &Layout) -> Result<AgentConfigParameter, String> {
    let config_parameter = saved_config_parameter(layout)?;
    let text = read(sdk, &config_parameter).await?;
    let (param, _) = AgentConfigParameter::from_json(&text).map_err(|e| format!("SSM parameter {config_parameter}: {e}"))?;
    param.interruption_grace_period_s().map_err(|e| format!("SSM parameter {config_parameter}: {e}"))?;
    Ok(param)
}

/// [`find`] with the parameter at hand.
pub async fn find_in(sdk: &SdkConfig, param: &AgentConfigParameter, instance_id: &str) -> Result<Option<Hold>, String> {
    let grace_s = param.interruption_grace_period_s()?;
    let Some(drain) = param.drain.clone() else { return Ok(None) };
    let group = read(sdk, &drain.group_name_parameter_name).await?;
    let action = LifecycleAction { group, hook: drain.lifecycle_hook_name, instance_id: instance_id.to_string() };
    Ok(Some(Hold {
        action,
        heartbeat_every: Duration::from_secs(u64::from(heartbeat_interval_s(drain.heartbeat_timeout))),
        limit: Duration::from_secs(grace_s + u64::from(STOP_MARGIN_S)),
    }))
}

pub(crate) async fn read(sdk: &SdkConfig, name: &str) -> Result<String, String> {
    agent_stack_aws::get_string(sdk, name).await?.ok_or_else(|| format!("SSM parameter {name} does not exist"))
}

/// What a call on the lifecycle action tells the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// AWS took it.
    Done,
    /// No action is pending: it was completed already, or it timed out.
    NoAction,
    /// Worth trying again (throttled, no answer, refused): why.
    Retry(String),
}

impl Answer {
    pub fn of(result: Result<(), Error>) -> Answer {
        match result {
            Ok(()) => Answer::Done,
            Err(e) if e.kind == Kind::NotFound => Answer::NoAction,
            Err(e) => Answer::Retry(e.to_string()),
        }
    }
}

/// When to record heartbeats: only while the agent runs (an agent that died lets the heartbeat
/// timeout end the action), every [`Hold::heartbeat_every`], within [`Hold::limit`] of the first
/// (a hung agent is ended by the timeout too), and never again once AWS says no action is pending.
#[derive(Debug, Default)]
pub struct Heartbeats {
    first: Option<Instant>,
    next: Option<Instant>,
    ended: bool,
}

impl Heartbeats {
    /// Whether a heartbeat is due now.
    pub fn due(&mut self, now: Instant, agent_running: bool, hold: &Hold) -> bool {
        if !agent_running || self.ended {
            return false;
        }
        if self.first.is_some_and(|first| now >= first + hold.limit) {
            say(&format!(
                "the agent on {} is still there {} s after the drain began, longer than a job may run: taking it as hung, no more heartbeats; the group terminates the instance at the heartbeat timeout",
                hold.action.instance_id,
                hold.limit.as_secs()
            ));
            self.ended = true;
            return false;
        }
        self.next.is_none_or(|next| now >= next)
    }

    /// Takes the answer to a heartbeat sent at `now`.
    pub fn answered(&mut self, answer: Answer, now: Instant, hold: &Hold) {
        let id = &hold.action.instance_id;
        self.first.get_or_insert(now);
        match answer {
            Answer::Done => {
                if self.next.is_none() {
                    say(&format!(
                        "holding {id} in Terminating:Wait while the agent drains: a lifecycle heartbeat every {} s",
                        hold.heartbeat_every.as_secs()
                    ));
                }
                self.next = Some(now + hold.heartbeat_every);
            }
            Answer::NoAction => {
                say(&format!("{id} has no pending lifecycle action (completed, or timed out): no more heartbeats"));
                self.ended = true;
            }
            Answer::Retry(why) => {
                let after = hold.heartbeat_every.min(HEARTBEAT_RETRY);
                say(&format!("{why}; trying the heartbeat again in {} s", after.as_secs()));
                self.next = Some(now + after);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hold() -> Hold {
        let action = LifecycleAction { group: "g".into(), hook: "h".into(), instance_id: "i-1".into() };
        Hold { action, heartbeat_every: Duration::from_secs(300), limit: Duration::from_secs(1_000) }
    }

    fn rejected(code: &str, message: &str) -> Error {
        Error::new("RecordLifecycleActionHeartbeat i-1", Kind::Rejected { code: code.into(), message: message.into() })
    }

    #[test]
    fn answers_from_aws_decide_what_comes_next() {
        assert_eq!(Answer::of(Ok(())), Answer::Done);
        let gone = agent_stack_aws::lifecycle::no_action_is_not_found(rejected(
            "ValidationError",
            "No active Lifecycle Action found with instance ID i-1",
        ));
        assert_eq!(Answer::of(Err(gone)), Answer::NoAction);
        let throttled = Error::new(
            "RecordLifecycleActionHeartbeat i-1",
            Kind::Throttled { code: "Throttling".into(), message: "Rate exceeded".into() },
        );
        assert!(matches!(Answer::of(Err(throttled)), Answer::Retry(why) if why.contains("Rate exceeded")));
        assert!(matches!(Answer::of(Err(rejected("AccessDenied", "not allowed"))), Answer::Retry(_)));
        assert!(matches!(Answer::of(Err(Error::new("x", Kind::Timeout))), Answer::Retry(_)));
    }

    #[test]
    fn heartbeats_run_while_the_agent_does_and_stop_when_the_action_has_ended() {
        let (hold, t0) = (hold(), Instant::now());
        let mut beats = Heartbeats::default();
        assert!(!beats.due(t0, false, &hold), "no agent, no heartbeat: the timeout ends the action");
        assert!(beats.due(t0, true, &hold), "the first one at once");
        beats.answered(Answer::Done, t0, &hold);
        assert!(!beats.due(t0 + Duration::from_secs(299), true, &hold));
        assert!(beats.due(t0 + Duration::from_secs(300), true, &hold));
        // Throttled: again after 30 s, not at every poll and not after a full interval.
        let t1 = t0 + Duration::from_secs(300);
        beats.answered(Answer::Retry("Throttling: Rate exceeded".into()), t1, &hold);
        assert!(!beats.due(t1 + Duration::from_secs(29), true, &hold) && beats.due(t1 + HEARTBEAT_RETRY, true, &hold));
        beats.answered(Answer::NoAction, t1 + HEARTBEAT_RETRY, &hold);
        assert!(!beats.due(t1 + Duration::from_secs(10_000), true, &hold), "never again once no action is pending");
    }

    #[test]
    fn an_agent_still_there_after_the_longest_drain_is_hung_and_gets_no_more_heartbeats() {
        let (hold, t0) = (hold(), Instant::now());
        let mut beats = Heartbeats::default();
        for minute in 0..16 {
            let now = t0 + Duration::from_secs(minute * 60);
            if beats.due(now, true, &hold) {
                beats.answered(Answer::Done, now, &hold);
            }
        }
        // Heartbeats at 0, 300, 600 and 900 s; the limit (1000 s) has passed at 1020 s.
        assert!(!beats.due(t0 + Duration::from_secs(1_200), true, &hold));
        assert!(!beats.due(t0 + Duration::from_secs(1_500), true, &hold), "once hung, always hung");
    }
}
