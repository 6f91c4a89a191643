//! The scaling decision: how many instances the Auto Scaling group should want, and why.
//!
//! Compatible with agent-aws-stack: demand is queued + running jobs; below the minimum the group
//! keeps its minimum; overprovisioning adds a number or a percentage of the demand; the result is
//! clamped to the maximum; capacity is only ever raised (idle agents scale in by terminating
//! themselves). Total over all integers: a broken server cannot make it panic or overflow.

use agent_stack_config::{Overprovision, OverprovisionStrategy};
use serde::Serialize;

/// Job and agent counts of one agent type, as Semaphore reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Metrics {
    pub jobs: Jobs,
    pub agents: Agents,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Jobs {
    pub queued: i64,
    pub running: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Agents {
    pub idle: i64,
    pub occupied: i64,
}

/// The Auto Scaling group's capacity settings and its instances by lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct AsgCapacity {
    pub desired: i64,
    pub min: i64,
    pub max: i64,
    pub instances: Instances,
}

/// Instances of the group by lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Instances {
    /// Launching: `Pending`, `Pending:Wait`, `Pending:Proceed`.
    pub pending: i64,
    pub in_service: i64,
    /// `Terminating*`, `Detaching`, `Detached`, `Standby` and other states.
    pub other: i64,
    /// In the group's warm pool (its `WarmPoolSize`): not members, started before a cold launch.
    pub warm: i64,
}

impl Instances {
    /// Counts lifecycle states as the Auto Scaling API names them.
    pub fn count<'a>(states: impl IntoIterator<Item = &'a str>) -> Instances {
        let mut n = Instances::default();
        for state in states {
            match state {
                "InService" => n.in_service += 1,
                s if s.starts_with("Pending") => n.pending += 1,
                _ => n.other += 1,
            }
        }
        n
    }
}

/// Everything one decision looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Observation {
    pub jobs: Jobs,
    pub agents: Agents,
    pub asg: AsgCapacity,
}

/// Why the decision came out as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// The target exceeds the current desired capacity.
    ScaleUp { demand: i64, target: i64 },
    /// The target was clamped to the group's maximum, which is above the current desired capacity.
    ScaleUpToMax { demand: i64, wanted: i64, max: i64 },
    /// The current desired capacity already covers the target.
    Enough { demand: i64, target: i64 },
    /// The group reports negative sizes or min > max; nothing sensible can be done.
    InvalidGroup { desired: i64, min: i64, max: i64 },
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::ScaleUp { demand, target } => write!(f, "{demand} jobs need {target} instances"),
            Reason::ScaleUpToMax { demand, wanted, max } => {
                write!(f, "{demand} jobs want {wanted} instances; capped at the maximum {max}")
            }
            Reason::Enough { demand, target } => write!(f, "{demand} jobs need {target} instances; enough are wanted already"),
            Reason::InvalidGroup { desired, min, max } => {
                write!(f, "the group reports desired {desired}, min {min}, max {max}; not scaling")
            }
        }
    }
}

/// The outcome of one tick's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub desired_before: i64,
    pub desired_after: i64,
    pub reason: Reason,
}

impl Decision {
    /// Whether the group's desired capacity must be set.
    pub fn raises(&self) -> bool {
        self.desired_after > self.desired_before
    }
}

/// Jobs that need an agent now: queued + running, negatives counted as zero.
pub fn demand(jobs: Jobs) -> i64 {
    jobs.queued.max(0).saturating_add(jobs.running.max(0))
}

/// Capacity wanted for `demand` before clamping to the group's bounds.
pub fn wanted(demand: i64, overprovision: Overprovision) -> i64 {
    let factor = i64::from(overprovision.factor);
    let extra = match overprovision.strategy {
        OverprovisionStrategy::None => 0,
        OverprovisionStrategy::Number => factor,
        // ceil(demand * factor / 100), without overflow.
        OverprovisionStrategy::Percentage => {
            let product = i128::from(demand) * i128::from(factor);
            i64::try_from((product + 99) / 100).unwrap_or(i64::MAX)
        }
    };
    demand.saturating_add(extra)
}

/// Decides the desired capacity for one observation. Pure and deterministic.
pub fn decide(observation: &Observation, overprovision: Overprovision) -> Decision {
    let AsgCapacity { desired, min, max, .. } = observation.asg;
    let keep = |reason| Decision { desired_before: desired, desired_after: desired, reason };
    if min > max || min < 0 || desired < 0 {
        return keep(Reason::InvalidGroup { desired, min, max });
    }
    let demand = demand(observation.jobs);
    // As agent-aws-stack: below the minimum, no overprovisioning applies.
    let wanted = if demand < min { min } else { wanted(demand, overprovision) };
    let target = wanted.clamp(min, max);
    if target <= desired {
        return keep(Reason::Enough { demand, target });
    }
    let reason = if wanted > max { Reason::ScaleUpToMax { demand, wanted, max } } else { Reason::ScaleUp { demand, target } };
    Decision { desired_before: desired, desired_after: target, reason }
}
