//! Scaling policies a stack can select: agent-aws-stack's rule ([`decide`]) and `predictive`, which
//! also keeps warm capacity for the jobs expected to arrive while an instance boots.
//!
//! Decisions stay values: what a policy remembers between ticks (the recent arrival rate) is a
//! [`PolicyState`] the caller owns and passes in with the time. Every policy is total over all
//! integers, never lowers the desired capacity, and never raises it above the maximum.

use agent_stack_config::{Config, OperatingSystem, Overprovision, WarmPool, WarmPoolState};

use crate::policy::{decide, demand, wanted, AsgCapacity, Decision, Observation, Reason};

/// Time constant of the arrival-rate estimate.
pub const RATE_WINDOW_MS: u64 = 20 * 60 * 1000;
/// Observations further apart than this (or going back in time) leave a gap: the change in
/// demand across it is not counted as arrivals.
pub const MAX_TICK_GAP_MS: u64 = 10_000;
/// A new estimate assumes no arrivals over this much unobserved time, so one early arrival does
/// not look like a flood.
const MIN_OBSERVED_MS: f64 = 300_000.0;

/// Launch-to-registered time of an agent instance by OS (public figures: Linux 45–60 s cold,
/// Windows 3–5 min, macOS 10–20 min).
pub fn default_launch_delay_ms(os: OperatingSystem) -> u64 {
    match os {
        OperatingSystem::Windows => 240_000,
        OperatingSystem::MacOs => 900_000,
        _ => 50_000,
    }
}

/// From the group taking a ready warm pool instance to its agent registering (docs/simulate.md,
/// "Warm pool"): a stopped or hibernated instance boots again (15–21 s on Linux, under 40 s on
/// Windows, public measurements) and starts its agent; a running one only starts its agent.
pub fn default_pool_start_delay_ms(os: OperatingSystem, state: WarmPoolState) -> u64 {
    match (state, os) {
        (WarmPoolState::Running, _) => 5_000,
        (_, OperatingSystem::Windows) => 40_000,
        // AWS has no warm pools for Mac instances (the config refuses one): a start is a launch.
        (_, OperatingSystem::MacOs) => default_launch_delay_ms(os),
        _ => 20_000,
    }
}

/// The delay to plan a launch with: the pool's start delay while the warm pool holds an instance
/// for each of the `expected` launches within one cold launch delay (at least one), else the cold
/// launch delay — launches beyond the pool are cold, so planning for them must start a cold delay ahead.
pub fn planning_lead_ms(cold_ms: u64, pool_start_ms: Option<u64>, warm: i64, expected: i64) -> u64 {
    match pool_start_ms {
        Some(pool) if warm >= expected.max(1) => pool.min(cold_ms),
        _ => cold_ms,
    }
}

pub use agent_stack_config::ScalingPolicy;

/// What the policies remember between ticks: the stack's timing and the recent arrival rate.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyState {
    lead_ms: u64,
    /// A warm pool instance's start delay, when the group has a pool.
    pool_lead_ms: Option<u64>,
    idle_timeout_ms: u64,
    /// The previous observation's time and demand.
    last: Option<(u64, i64)>,
    /// Arrivals seen, exponentially decayed with [`RATE_WINDOW_MS`].
    arrivals: f64,
    /// Milliseconds observed, decayed the same way.
    observed_ms: f64,
}

impl PolicyState {
    /// `lead_ms`: launch-to-registered delay; `idle_timeout_ms`: the agents' idle timeout (0 = never).
    pub fn new(lead_ms: u64, idle_timeout_ms: u64) -> PolicyState {
        PolicyState { lead_ms, pool_lead_ms: None, idle_timeout_ms, last: None, arrivals: 0.0, observed_ms: 0.0 }
    }

    /// The same state for a group with a warm pool whose instances register `start_ms` after leaving it.
    pub fn with_pool_start(self, start_ms: u64) -> PolicyState {
        PolicyState { pool_lead_ms: Some(start_ms), ..self }
    }

    /// The state for a stack: its OS's launch delay, its warm pool's start delay and its agents' idle timeout.
    pub fn for_config(config: &Config) -> PolicyState {
        PolicyState::for_stack(config.os, config.agent.disconnect_after_idle_timeout, config.asg.warm_pool)
    }

    /// The state for a stack's OS, its agents' idle timeout (seconds, 0 = never) and its warm pool.
    pub fn for_stack(os: OperatingSystem, idle_timeout_s: u32, warm_pool: Option<WarmPool>) -> PolicyState {
        let state = PolicyState::new(default_launch_delay_ms(os), u64::from(idle_timeout_s) * 1000);
        match warm_pool {
            Some(pool) if pool.size > 0 => state.with_pool_start(default_pool_start_delay_ms(os, pool.state)),
            _ => state,
        }
    }

    /// Estimated job arrivals per minute.
    pub fn arrivals_per_minute(&self) -> f64 {
        self.per_ms() * 60_000.0
    }

    fn per_ms(&self) -> f64 {
        self.arrivals / self.observed_ms.max(MIN_OBSERVED_MS)
    }

    /// Counts the rise in demand since the previous observation as arrivals (completions in the
    /// same interval hide a few; at a 2 s tick that undercounts by a few percent).
    fn observe(&mut self, demand: i64, now_ms: u64) {
        if let Some((then, before)) = self.last {
            if let Some(dt) = now_ms.checked_sub(then) {
                let decay = (-(dt as f64) / RATE_WINDOW_MS as f64).exp();
                self.arrivals *= decay;
                self.observed_ms *= decay;
                if dt <= MAX_TICK_GAP_MS {
                    self.arrivals += demand.saturating_sub(before).max(0) as f64;
                    self.observed_ms += dt as f64;
                }
            }
        }
        self.last = Some((now_ms, demand));
    }

    /// Warm instances to keep beyond the demand: the arrivals expected during one launch delay
    /// ([`planning_lead_ms`] with `warm` instances in the pool), but no more than are expected within
    /// one idle timeout (more would idle out unused).
    pub fn warm_buffer(&self, warm: i64) -> i64 {
        let rate = self.per_ms();
        // `as` saturates and maps NaN to 0.
        let expected = (rate * self.lead_ms as f64).ceil().max(0.0) as i64;
        let lead = planning_lead_ms(self.lead_ms, self.pool_lead_ms, warm, expected);
        let mut buffer = (rate * lead as f64).ceil();
        if self.idle_timeout_ms > 0 {
            buffer = buffer.min((rate * self.idle_timeout_ms as f64).floor());
        }
        buffer.max(0.0) as i64
    }
}

/// Decides with the named policy; every policy updates `state` with the observation at `now_ms`.
pub fn decide_with(
    policy: ScalingPolicy,
    observation: &Observation,
    overprovision: Overprovision,
    state: &mut PolicyState,
    now_ms: u64,
) -> Decision {
    state.observe(demand(observation.jobs), now_ms);
    match policy {
        ScalingPolicy::AgentAwsStack => decide(observation, overprovision),
        ScalingPolicy::Predictive => predictive(observation, overprovision, state.warm_buffer(observation.asg.instances.warm)),
    }
}

/// agent-aws-stack's target, raised to demand + `buffer` when that is more.
fn predictive(observation: &Observation, overprovision: Overprovision, buffer: i64) -> Decision {
    let base = decide(observation, overprovision);
    if matches!(base.reason, Reason::InvalidGroup { .. }) {
        return base;
    }
    let AsgCapacity { desired, min, max, .. } = observation.asg;
    let demand = demand(observation.jobs);
    let compatible = if demand < min { min } else { wanted(demand, overprovision) };
    let wanted = compatible.max(demand.saturating_add(buffer));
    let target = wanted.clamp(min, max);
    let (after, reason) = if target <= desired {
        (desired, Reason::Enough { demand, target })
    } else if wanted > max {
        (target, Reason::ScaleUpToMax { demand, wanted, max })
    } else {
        (target, Reason::ScaleUp { demand, target })
    };
    Decision { desired_before: desired, desired_after: after, reason }
}

#[cfg(test)]
mod tests {
    use agent_stack_config::Choice;
    use agent_stack_config::OverprovisionStrategy;
    use proptest::prelude::*;

    use super::*;
    use crate::policy::{Agents, Jobs};

    const NONE: Overprovision = Overprovision { strategy: OverprovisionStrategy::None, factor: 0 };

    fn obs(queued: i64, running: i64, desired: i64, min: i64, max: i64) -> Observation {
        Observation { jobs: Jobs { queued, running }, asg: AsgCapacity { desired, min, max, ..Default::default() }, ..Default::default() }
    }

    /// A state that has seen `per_minute` arrivals a minute (none finishing) for 40 minutes of 2 s ticks.
    fn warmed(per_minute: i64, idle_timeout_ms: u64) -> (PolicyState, u64) {
        warmed_from(PolicyState::new(50_000, idle_timeout_ms), per_minute)
    }

    fn warmed_from(mut state: PolicyState, per_minute: i64) -> (PolicyState, u64) {
        let mut now = 1_000_000;
        for minute in 0..40 {
            for tick in 0..30 {
                let demand = minute * per_minute + (tick * per_minute / 30);
                decide_with(ScalingPolicy::AgentAwsStack, &obs(0, demand, demand, 0, 1000), NONE, &mut state, now);
                now += 2_000;
            }
        }
        (state, now)
    }

    #[test]
    fn names_round_trip() {
        for p in ScalingPolicy::POLICIES {
            assert_eq!(ScalingPolicy::parse(p.name()), Some(p));
        }
        assert_eq!(ScalingPolicy::parse("fast"), None);
        assert_eq!(ScalingPolicy::default(), ScalingPolicy::AgentAwsStack);
    }

    #[test]
    fn buffer_follows_the_arrival_rate() {
        assert_eq!(PolicyState::new(50_000, 300_000).warm_buffer(0), 0, "nothing seen, nothing kept warm");
        let (state, _) = warmed(2, 300_000);
        assert!((state.arrivals_per_minute() - 2.0).abs() < 0.2, "{}", state.arrivals_per_minute());
        assert_eq!(state.warm_buffer(0), 2, "2/min over a 50 s launch: 1.7 expected");
        let (state, _) = warmed(12, 0);
        assert_eq!(state.warm_buffer(0), 10, "no idle timeout, no cap");
    }

    #[test]
    fn buffer_is_capped_by_what_the_idle_timeout_would_use() {
        let (state, _) = warmed(2, 20_000);
        assert_eq!(state.warm_buffer(0), 0, "2/min: not even one job expected within 20 s");
    }

    #[test]
    fn planning_lead_is_the_pool_start_only_while_the_pool_covers_the_expected_launches() {
        // (pool start, warm, expected within a cold launch) → lead; cold launch 50 s.
        for (pool, warm, expected, lead) in [
            (None, 5, 1, 50_000),
            (Some(20_000), 0, 0, 50_000),
            (Some(20_000), 1, 0, 20_000),
            (Some(20_000), 3, 3, 20_000),
            (Some(20_000), 2, 3, 50_000),
            (Some(20_000), -4, 0, 50_000),
            (Some(90_000), 9, 1, 50_000),
        ] {
            assert_eq!(planning_lead_ms(50_000, pool, warm, expected), lead, "{pool:?} warm {warm} expected {expected}");
        }
    }

    #[test]
    fn predictive_plans_with_the_pool_start_while_the_pool_has_enough() {
        let (mut state, now) = warmed_from(PolicyState::new(50_000, 300_000).with_pool_start(20_000), 6);
        // 6 a minute: 5 expected within a 50 s cold launch, 2 within a 20 s pool start.
        assert_eq!((state.warm_buffer(0), state.warm_buffer(4), state.warm_buffer(5)), (5, 5, 2));
        let with_pool = |warm| Observation {
            asg: AsgCapacity { instances: crate::policy::Instances { warm, ..Default::default() }, ..obs(0, 10, 10, 0, 100).asg },
            ..obs(0, 10, 10, 0, 100)
        };
        assert_eq!(decide_with(ScalingPolicy::Predictive, &with_pool(8), NONE, &mut state, now).desired_after, 12);
        assert_eq!(decide_with(ScalingPolicy::Predictive, &with_pool(1), NONE, &mut state, now + 2_000).desired_after, 15);
    }

    #[test]
    fn a_configured_pool_sets_its_start_delay() {
        let config = |pool: &str| {
            let file = agent_stack_config::ConfigFile {
                path: "linux-warm-pool.json",
                contents: include_str!("../../../examples/linux-warm-pool.json"),
            };
            let raw = agent_stack_config::RawConfig::from_sources(Some(file), [("SEMAPHORE_AGENT_WARM_POOL_SIZE", pool)]);
            Config::try_from(&raw).unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(PolicyState::for_config(&config("0")).pool_lead_ms, None);
        assert_eq!(PolicyState::for_config(&config("2")).pool_lead_ms, Some(20_000));
    }

    #[test]
    fn gaps_and_clock_steps_are_not_arrivals() {
        let mut state = PolicyState::new(50_000, 300_000);
        let mut at = |demand, now| decide_with(ScalingPolicy::Predictive, &obs(demand, 0, 0, 0, 100), NONE, &mut state, now);
        at(0, 100_000);
        at(40, 100_000 + MAX_TICK_GAP_MS + 1);
        at(80, 50_000);
        assert_eq!(state.arrivals, 0.0);
        let d = decide_with(ScalingPolicy::Predictive, &obs(81, 0, 0, 0, 100), NONE, &mut state, 52_000);
        assert!(state.arrivals > 0.0);
        assert_eq!(d.desired_after, 82, "one arrival in 5 min: one warm instance, not 40: {d:?}");
    }

    #[test]
    fn predictive_keeps_warm_capacity() {
        let (mut state, now) = warmed(2, 300_000);
        let d = decide_with(ScalingPolicy::Predictive, &obs(1, 3, 4, 0, 10), NONE, &mut state, now);
        assert_eq!((d.desired_after, d.reason), (6, Reason::ScaleUp { demand: 4, target: 6 }));
        let d = decide_with(ScalingPolicy::Predictive, &obs(1, 3, 4, 0, 5), NONE, &mut state, now + 2_000);
        assert_eq!((d.desired_after, d.reason), (5, Reason::ScaleUpToMax { demand: 4, wanted: 6, max: 5 }));
        let d = decide_with(ScalingPolicy::Predictive, &obs(0, 0, 3, 0, 5), NONE, &mut state, now + 4_000);
        assert_eq!((d.desired_after, d.reason), (3, Reason::Enough { demand: 0, target: 2 }));
        let d = decide_with(ScalingPolicy::Predictive, &obs(0, 0, 3, 6, 5), NONE, &mut state, now + 6_000);
        assert_eq!(d.reason, Reason::InvalidGroup { desired: 3, min: 6, max: 5 });
    }

    fn any_observation() -> impl Strategy<Value = Observation> {
        (any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>()).prop_map(
            |(queued, running, idle, occupied, desired, min, max)| Observation {
                jobs: Jobs { queued, running },
                agents: Agents { idle, occupied },
                asg: AsgCapacity { desired, min, max, ..Default::default() },
            },
        )
    }

    fn small_observation() -> impl Strategy<Value = Observation> {
        (0..200i64, 0..200i64, 0..300i64, 0..20i64, 0..300i64).prop_map(|(queued, running, desired, min, extra)| {
            let max = min + extra;
            obs(queued, running, desired.clamp(min, max), min, max)
        })
    }

    fn any_overprovision() -> impl Strategy<Value = Overprovision> {
        (0..3u8, any::<u32>()).prop_map(|(s, factor)| match s {
            0 => Overprovision { strategy: OverprovisionStrategy::None, factor },
            1 => Overprovision { strategy: OverprovisionStrategy::Number, factor },
            _ => Overprovision { strategy: OverprovisionStrategy::Percentage, factor },
        })
    }

    /// A state after a history of observations at arbitrary times (including steps back and gaps).
    fn any_state() -> impl Strategy<Value = PolicyState> {
        (
            any::<u64>(),
            any::<u64>(),
            prop::option::of(any::<u64>()),
            prop::collection::vec((prop_oneof![any::<i64>(), 0..1000i64], prop_oneof![any::<u64>(), 0..20_000u64]), 0..40),
        )
            .prop_map(|(lead, idle, pool, history)| {
                let mut state = PolicyState::new(lead, idle);
                if let Some(pool) = pool {
                    state = state.with_pool_start(pool);
                }
                let mut now = 0u64;
                for (demand, step) in history {
                    now = now.wrapping_add(step);
                    state.observe(demand, now);
                }
                state
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Total, never lowers desired, never above max or below min when raising, never below agent-aws-stack.
        #[test]
        fn bounded_and_monotone(o in prop_oneof![any_observation(), small_observation()], op in any_overprovision(), state in any_state(), now in any::<u64>()) {
            let compatible = decide(&o, op);
            for policy in ScalingPolicy::POLICIES {
                let d = decide_with(policy, &o, op, &mut state.clone(), now);
                prop_assert_eq!(d.desired_before, o.asg.desired);
                prop_assert!(d.desired_after >= o.asg.desired);
                prop_assert!(d.desired_after >= compatible.desired_after);
                if d.raises() {
                    prop_assert!(d.desired_after <= o.asg.max);
                    prop_assert!(d.desired_after >= o.asg.min);
                }
            }
        }

        #[test]
        fn deterministic(o in any_observation(), op in any_overprovision(), state in any_state(), now in any::<u64>()) {
            for policy in ScalingPolicy::POLICIES {
                let (mut a, mut b) = (state.clone(), state.clone());
                prop_assert_eq!(decide_with(policy, &o, op, &mut a, now), decide_with(policy, &o, op, &mut b, now));
                prop_assert_eq!(a, b);
            }
        }

        /// The buffer never exceeds the expected arrivals in one launch delay, rounded up.
        #[test]
        fn buffer_is_bounded(state in any_state()) {
            let b = state.warm_buffer(0);
            prop_assert!(state.warm_buffer(1) <= b, "a pool never plans with more than the cold delay");
            prop_assert!(b >= 0);
            prop_assert!(b as f64 <= (state.per_ms() * state.lead_ms as f64).ceil().max(0.0));
        }
    }
}
