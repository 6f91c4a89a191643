//! The policies a simulation compares: every deployable [`ScalingPolicy`], run exactly as the
//! Lambda runs it, and a clairvoyant bound that knows when jobs will arrive.

use agent_stack_config::Choice;
use agent_stack_config::Overprovision;
use agent_stack_scaler::{decide_with, planning_lead_ms, Decision, Observation, PolicyState, Reason, ScalingPolicy};

use crate::engine::Policy;
use crate::model::FleetModel;
use crate::trace::Trace;

/// A policy by name: deployable, or the clairvoyant bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contender {
    Deployable(ScalingPolicy),
    Clairvoyant,
}

impl Contender {
    pub fn name(self) -> &'static str {
        match self {
            Contender::Deployable(p) => p.name(),
            Contender::Clairvoyant => "clairvoyant",
        }
    }

    /// A deployable policy's name or `clairvoyant`.
    pub fn parse(text: &str) -> Option<Contender> {
        match text {
            "clairvoyant" => Some(Contender::Clairvoyant),
            _ => ScalingPolicy::parse(text).map(Contender::Deployable),
        }
    }

    /// Every name [`Contender::parse`] accepts, for messages.
    pub fn names() -> Vec<&'static str> {
        ScalingPolicy::POLICIES.iter().map(|p| p.name()).chain(["clairvoyant"]).collect()
    }

    /// The policy, ready to drive one run over `trace`.
    pub fn instantiate(self, trace: &Trace, model: &FleetModel) -> Box<dyn Policy> {
        match self {
            Contender::Deployable(policy) => {
                let state = PolicyState::new(model.launch_delay_ms, model.idle_timeout_ms);
                let state = match model.warm_pool {
                    Some(pool) => state.with_pool_start(pool.start_delay_ms),
                    None => state,
                };
                Box::new(Deployed { policy, overprovision: model.overprovision, state })
            }
            Contender::Clairvoyant => {
                let pool_lead = model.warm_pool.map(|p| p.start_delay_ms + model.tick_ms);
                Box::new(Clairvoyant::new(trace, model.launch_delay_ms + model.tick_ms, pool_lead))
            }
        }
    }
}

/// A deployable policy with the state the Lambda keeps between ticks.
struct Deployed {
    policy: ScalingPolicy,
    overprovision: Overprovision,
    state: PolicyState,
}

impl Policy for Deployed {
    fn decide(&mut self, observation: &Observation, now_ms: u64) -> Decision {
        decide_with(self.policy, observation, self.overprovision, &mut self.state, now_ms)
    }
}

/// Wants an instance for every job queued, running, or arriving within the next `lead_ms`
/// (launch delay + one tick), so every job that can have a registered agent waiting for it does.
/// With a warm pool that holds an instance for each of those arrivals, the lead is the pool's start
/// delay + one tick instead ([`planning_lead_ms`]).
///
/// It bounds the waits any policy can reach under the same agent behaviour and group limits, and
/// shows what near-zero waits cost. It is not deployable (it reads the future) and not a bound on
/// cost: it keeps nothing warm, but agents still idle between its launches and their jobs.
pub struct Clairvoyant {
    arrivals: Vec<u64>,
    /// First arrival after the last `now`.
    after_now: usize,
    cold: Horizon,
    pool: Option<Horizon>,
}

/// How far ahead a launch must start, and the first arrival at or beyond it.
#[derive(Debug, Clone, Copy)]
struct Horizon {
    lead_ms: u64,
    beyond: usize,
}

impl Horizon {
    fn new(lead_ms: u64) -> Horizon {
        Horizon { lead_ms, beyond: 0 }
    }

    /// Arrivals in `(now, now + lead)`, given the first after `now`; `now` must not go backwards.
    fn upcoming(&mut self, arrivals: &[u64], after_now: usize, now_ms: u64) -> i64 {
        let horizon = now_ms.saturating_add(self.lead_ms);
        self.beyond = self.beyond.max(after_now);
        while arrivals.get(self.beyond).is_some_and(|a| *a < horizon) {
            self.beyond += 1;
        }
        (self.beyond - after_now) as i64
    }
}

impl Clairvoyant {
    /// `lead_ms`: a cold launch's lead; `pool_lead_ms`: a warm pool start's, when the group has a pool.
    pub fn new(trace: &Trace, lead_ms: u64, pool_lead_ms: Option<u64>) -> Clairvoyant {
        Clairvoyant {
            arrivals: trace.jobs().iter().map(|j| j.queued_at_ms).collect(),
            after_now: 0,
            cold: Horizon::new(lead_ms),
            pool: pool_lead_ms.map(Horizon::new),
        }
    }

    /// Jobs arriving within the lead that applies with `warm` instances in the pool.
    fn upcoming(&mut self, now_ms: u64, warm: i64) -> i64 {
        while self.arrivals.get(self.after_now).is_some_and(|a| *a <= now_ms) {
            self.after_now += 1;
        }
        let cold = self.cold.upcoming(&self.arrivals, self.after_now, now_ms);
        let Some(pool) = self.pool.as_mut() else { return cold };
        let fast = pool.upcoming(&self.arrivals, self.after_now, now_ms);
        let lead = planning_lead_ms(self.cold.lead_ms, Some(pool.lead_ms), warm, cold);
        if lead == self.cold.lead_ms {
            cold
        } else {
            fast
        }
    }
}

impl Policy for Clairvoyant {
    fn decide(&mut self, o: &Observation, now_ms: u64) -> Decision {
        let upcoming = self.upcoming(now_ms, o.asg.instances.warm);
        let (desired, min, max) = (o.asg.desired, o.asg.min, o.asg.max);
        let keep = |reason| Decision { desired_before: desired, desired_after: desired, reason };
        if min > max || min < 0 || desired < 0 {
            return keep(Reason::InvalidGroup { desired, min, max });
        }
        let demand = o.jobs.queued.max(0).saturating_add(o.jobs.running.max(0));
        let wanted = demand.saturating_add(upcoming);
        let target = wanted.clamp(min, max);
        if target <= desired {
            return keep(Reason::Enough { demand, target });
        }
        let reason = if wanted > max { Reason::ScaleUpToMax { demand, wanted, max } } else { Reason::ScaleUp { demand, target } };
        Decision { desired_before: desired, desired_after: target, reason }
    }
}
