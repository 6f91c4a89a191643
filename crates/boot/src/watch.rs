//! `agent-stack boot watch`: polls IMDS and asks the agent to leave (SIGTERM) when the instance is
//! going away or taken out of service:
//! - `autoscaling/target-lifecycle-state` is `Standby` (`agent-stack rotate`) or `Terminated`
//!   (the group is terminating the instance, which waits in `Terminating:Wait` on the drain hook);
//! - a spot interruption notice (two minutes before AWS stops or terminates the instance);
//! - a rebalance recommendation (unless ignored).
//!
//! The agent reports the interruption to Semaphore at once. An idle agent then shuts down and gets
//! no new job; a busy one finishes its job, within the stack's interruption grace period, and shuts
//! down after it. While a terminating instance's agent runs, the watcher records lifecycle
//! heartbeats so the group keeps waiting; the agent's shutdown hook then completes the action.

use std::time::{Duration, Instant};

use agent_stack_aws::imds::{Imds, Interruption};
use agent_stack_aws::instance::ThisInstance;
use agent_stack_aws::lifecycle::ActionResult;
use agent_stack_aws::states::LifecycleState;
use agent_stack_aws::SdkConfig;

use crate::drain::{self, Answer, Heartbeats, Hold};
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
/// puts an instance) or on its way out (from the group, or from its warm pool).
pub fn leaves_service(target_lifecycle_state: &LifecycleState) -> bool {
    matches!(target_lifecycle_state, LifecycleState::Standby | LifecycleState::Terminated | LifecycleState::WarmedTerminated)
}

/// Why the agent must leave, and whether the group is terminating the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leave {
    pub why: String,
    pub terminating: bool,
}

/// Watches for as long as the instance lives. While a reason to leave holds, it asks every agent
/// process again at each poll: the agent installs its SIGTERM handler only after it has
/// registered, and a signal before that (or one that races the handler's start) is lost or
/// restarts the agent, which then registers afresh as if never asked. The agent acts on the first
/// SIGTERM its handler sees and ignores the rest, so asking again is safe. A failed signal is
/// logged and tried again at the next poll; it never ends the watcher.
pub async fn watch(options: &WatchOptions) -> Result<(), String> {
    let imds = Imds::new();
    say("watching the lifecycle state, spot interruption notices and rebalance recommendations");
    let mut drain = Drain::default();
    let mut hold = Holding::default();
    loop {
        match why_leave(&imds, options.ignore_rebalance).await {
            Ok(Some(leave)) => {
                let pids = agent_pids(&options.layout);
                let agent_running = pids.as_ref().is_ok_and(|p| !p.is_empty());
                drain.ask(&leave.why, pids, interrupt);
                if leave.terminating && agent_running {
                    hold.keep_alive(&options.layout).await;
                } else if leave.terminating && !options.layout.started_marker().exists() {
                    hold.release_unstarted(&options.layout).await;
                }
            }
            Ok(None) => {}
            Err(e) => say(&format!("{e}; asking again")),
        }
        tokio::time::sleep(options.poll).await;
    }
}

/// Keeps a terminating instance in `Terminating:Wait` while its agent runs: finds the drain hook
/// at the first termination, then records heartbeats when due. Releases one whose agent was never
/// started (`boot start` failed, or has not got that far): there is nothing to drain.
#[derive(Default)]
struct Holding {
    /// `None` until found; `Some(None)` for a stack without a drain hook.
    found: Option<Option<(SdkConfig, Hold)>>,
    heartbeats: Heartbeats,
    released: bool,
}

impl Holding {
    async fn release_unstarted(&mut self, layout: &Layout) {
        if self.released || !self.find(layout).await {
            return;
        }
        let Some(Some((sdk, hold))) = &self.found else { return };
        let id = &hold.action.instance_id;
        match Answer::of(hold.action.complete(sdk, ActionResult::Continue).await) {
            Answer::Done => say(&format!("no agent was started on {id}, nothing to drain: completed its lifecycle action (CONTINUE)")),
            Answer::NoAction => say(&format!("{id} has no pending lifecycle action (completed already, or timed out)")),
            Answer::Retry(why) => return say(&format!("{why}; completing the lifecycle action again at the next poll")),
        }
        self.released = true;
    }

    /// Whether the drain hook is known (found now or before); says why not otherwise.
    async fn find(&mut self, layout: &Layout) -> bool {
        if self.found.is_none() {
            match find_hold(layout).await {
                Ok(None) => {
                    say("this stack has no drain hook: the group terminates the instance without waiting for the agent");
                    self.found = Some(None);
                }
                Ok(found) => self.found = Some(found),
                Err(e) => {
                    say(&format!("could not find the drain hook: {e}; asking again"));
                    return false;
                }
            }
        }
        true
    }

    async fn keep_alive(&mut self, layout: &Layout) {
        if !self.find(layout).await {
            return;
        }
        let Some(Some((sdk, hold))) = &self.found else { return };
        let now = Instant::now();
        if self.heartbeats.due(now, true, hold) {
            let answer = Answer::of(hold.action.record_heartbeat(sdk).await);
            self.heartbeats.answered(answer, now, hold);
        }
    }
}

async fn find_hold(layout: &Layout) -> Result<Option<(SdkConfig, Hold)>, String> {
    let ThisInstance { id, sdk, .. } = ThisInstance::discover().await?;
    Ok(drain::find(&sdk, layout, &id).await?.map(|hold| (sdk, hold)))
}

/// Asks the agent to leave at every poll while the reason holds, logging only what changes.
#[derive(Debug, Default)]
pub struct Drain {
    /// The agent processes asked at the last poll (`None` before the first).
    asked: Option<Vec<u32>>,
}

impl Drain {
    /// Signals each agent process with `signal`; `pids` is what the process look-up found.
    pub fn ask(&mut self, why: &str, pids: Result<Vec<u32>, String>, signal: impl Fn(u32) -> Result<(), String>) {
        let pids = match pids {
            Ok(pids) => pids,
            Err(e) => return say(&format!("{why}, but the agent's processes could not be listed: {e}; asking again")),
        };
        let changed = self.asked.as_ref() != Some(&pids);
        if changed && pids.is_empty() {
            say(&format!("{why}; no agent is running: any agent that starts is asked to leave"));
        } else if changed {
            let list = pids.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
            say(&format!("{why}: asking the agent (pid {list}) to finish its job and leave, again at each poll until it has gone"));
        }
        for &pid in &pids {
            if let Err(e) = signal(pid) {
                say(&format!("could not signal the agent (pid {pid}): {e}; trying again at the next poll"));
            }
        }
        self.asked = Some(pids);
    }
}

/// Why the agent should leave now, if it should.
async fn why_leave(imds: &Imds, ignore_rebalance: bool) -> Result<Option<Leave>, String> {
    if let Some(state) = imds.target_lifecycle_state().await?.filter(leaves_service) {
        let terminating = matches!(state, LifecycleState::Terminated | LifecycleState::WarmedTerminated);
        return Ok(Some(Leave { why: format!("the instance is leaving service (target lifecycle state {state})"), terminating }));
    }
    let why = match imds.interruption().await? {
        Some(Interruption::InstanceAction(action)) => Some(format!("spot interruption notice {action}")),
        Some(Interruption::Rebalance(_)) if ignore_rebalance => None,
        Some(Interruption::Rebalance(notice)) => Some(format!("rebalance recommendation {notice}")),
        None => None,
    };
    Ok(why.map(|why| Leave { why, terminating: false }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_leaves_in_standby_and_on_termination_only() {
        assert!(leaves_service(&LifecycleState::Standby) && leaves_service(&LifecycleState::Terminated));
        assert!(leaves_service(&LifecycleState::WarmedTerminated), "a running warm pool instance being terminated");
        for state in ["InService", "Pending", "Warmed:Running", "Warmed:Stopped", "Detached", "standby", ""] {
            assert!(!leaves_service(&LifecycleState::parse(state)), "{state}");
        }
    }

    #[test]
    fn a_drain_asks_every_agent_process_at_every_poll_and_survives_failed_signals() {
        use std::cell::RefCell;
        let sent = RefCell::new(Vec::new());
        let signal = |pid: u32| {
            sent.borrow_mut().push(pid);
            if pid == 13 {
                Err("no such process".to_string())
            } else {
                Ok(())
            }
        };
        let mut drain = Drain::default();
        drain.ask("spot notice", Ok(vec![]), signal);
        drain.ask("spot notice", Err("listing /proc: denied".into()), signal);
        // The agent restarted after a signal during registration: its new process is asked too.
        drain.ask("spot notice", Ok(vec![10, 11]), signal);
        drain.ask("spot notice", Ok(vec![10, 13]), signal);
        drain.ask("spot notice", Ok(vec![10, 13]), signal);
        assert_eq!(*sent.borrow(), vec![10, 11, 10, 13, 10, 13]);
        assert_eq!(drain.asked, Some(vec![10, 13]));
    }
}
