//! `simulate --recommend`: searches a small grid of the settings a user may change — warm pool,
//! overprovisioning, idle timeout, scaling policy — for the lowest p95 wait at no more than the
//! configuration's cost, so a stack can be tuned from one trace without trying each setting by hand.

use agent_stack_config::keys::name::{
    DISCONNECT_AFTER_IDLE_TIMEOUT, OVERPROVISION_FACTOR, OVERPROVISION_STRATEGY, SCALING_POLICY, WARM_POOL_SIZE, WARM_POOL_STATE,
};
use agent_stack_config::{Config, Overprovision, OverprovisionStrategy, WarmPoolState};
use agent_stack_scaler::ScalingPolicy;

use crate::model::{default_pool_start_delay_ms, AfterJob, FleetModel, PoolModel};
use crate::policy::Contender;
use crate::run::Summary;
use crate::run_one;
use crate::trace::Trace;

/// Idle timeouts tried besides the configured one, seconds.
pub const IDLE_TIMEOUTS_S: [u32; 4] = [60, 120, 300, 600];
/// Warm pool sizes tried (up to the group's maximum) besides none, the configured one and the
/// trace's bursts ([`Space::with_burst_pools`]).
pub const POOL_SIZES: [u32; 9] = [1, 2, 3, 4, 6, 8, 10, 16, 32];
/// Pools sized to the trace's bursts: (percentile of the jobs' places in their bursts, multiple in
/// halves). A pool of the 95th percentile starts 95% of the jobs if it is full when each burst comes;
/// half as much again covers replacements and refills that overlap the next burst.
pub const BURST_POOLS: [(u64, u32); 4] = [(95, 2), (95, 3), (100, 2), (100, 3)];
/// Warm pool states tried besides the configured one (Hibernated needs a named, encrypted root volume
/// and starts no faster than Stopped).
pub const POOL_STATES: [WarmPoolState; 2] = [WarmPoolState::Stopped, WarmPoolState::Running];
/// Rounds of the local search; each moves to the best candidate of the one before.
pub const MAX_ROUNDS: usize = 4;
/// Bisection steps on the best setting's warm pool size after the local search.
pub const MAX_REFINEMENTS: usize = 6;

/// The settings the search varies; everything else is the configuration's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub policy: ScalingPolicy,
    pub overprovision: Overprovision,
    pub idle_timeout_s: u32,
    pub pool: Option<PoolModel>,
}

impl Settings {
    /// The settings of `model` under `policy`.
    pub fn of(model: &FleetModel, policy: ScalingPolicy) -> Settings {
        Settings {
            policy,
            overprovision: model.overprovision,
            idle_timeout_s: (model.idle_timeout_ms / 1000) as u32,
            pool: model.warm_pool,
        }
    }

    /// `model` with these settings.
    pub fn apply(&self, model: &FleetModel) -> FleetModel {
        FleetModel {
            overprovision: self.overprovision,
            idle_timeout_ms: u64::from(self.idle_timeout_s) * 1000,
            warm_pool: self.pool,
            ..*model
        }
    }

    /// The configuration lines that turn `configured` into these settings, in a fixed order.
    pub fn changes(&self, configured: &Settings) -> Vec<(&'static str, String)> {
        let mut lines = Vec::new();
        let size = |s: &Settings| s.pool.map_or(0, |p| p.size);
        if size(self) != size(configured) {
            lines.push((WARM_POOL_SIZE, size(self).to_string()));
        }
        if let Some(pool) = self.pool {
            // Named whenever a pool is new: the file may hold a state for a pool it turned off.
            if configured.pool.is_none_or(|c| c.state != pool.state) {
                lines.push((WARM_POOL_STATE, pool.state.to_string()));
            }
        }
        if self.overprovision != configured.overprovision {
            lines.push((OVERPROVISION_STRATEGY, self.overprovision.strategy.to_string()));
            // 0 with none: the configuration refuses a factor without a strategy.
            lines.push((OVERPROVISION_FACTOR, self.overprovision.factor.to_string()));
        }
        if self.idle_timeout_s != configured.idle_timeout_s {
            lines.push((DISCONNECT_AFTER_IDLE_TIMEOUT, self.idle_timeout_s.to_string()));
        }
        if self.policy != configured.policy {
            lines.push((SCALING_POLICY, self.policy.name().to_string()));
        }
        lines
    }

    /// How many of the four settings differ from `configured`.
    fn distance(&self, configured: &Settings) -> usize {
        [
            self.policy != configured.policy,
            self.overprovision != configured.overprovision,
            self.idle_timeout_s != configured.idle_timeout_s,
            self.pool != configured.pool,
        ]
        .into_iter()
        .filter(|d| *d)
        .count()
    }
}

/// The values the search may give each setting: only what the configuration would accept.
#[derive(Debug, Clone, PartialEq)]
pub struct Space {
    pub policies: Vec<ScalingPolicy>,
    pub overprovision: Vec<Overprovision>,
    pub idle_timeouts_s: Vec<u32>,
    /// Pools besides none; empty when the configuration cannot have one.
    pub pools: Vec<PoolModel>,
}

impl Space {
    /// The grid for a stack: each setting's configured value plus the constants above; no pool where
    /// the configuration refuses one (macOS, spot, launch template overrides, an instances
    /// distribution, capacity rebalance); policy and overprovisioning stay as they are without
    /// dynamic scaling, which they do not affect.
    pub fn for_config(config: &Config, model: &FleetModel) -> Space {
        let mut space = Space {
            policies: vec![config.scaling_policy],
            overprovision: vec![model.overprovision],
            idle_timeouts_s: vec![(model.idle_timeout_ms / 1000) as u32],
            pools: model.warm_pool.into_iter().collect(),
        };
        if config.dynamic_scaling {
            space.policies.extend(ScalingPolicy::POLICIES);
            let number = |factor| Overprovision { strategy: OverprovisionStrategy::Number, factor };
            let percentage = |factor| Overprovision { strategy: OverprovisionStrategy::Percentage, factor };
            space.overprovision.push(Overprovision { strategy: OverprovisionStrategy::None, factor: 0 });
            space.overprovision.extend([1, 2, 3].map(number));
            space.overprovision.extend([10, 20, 30, 50].map(percentage));
        }
        space.idle_timeouts_s.extend(IDLE_TIMEOUTS_S);
        if pool_allowed(config) {
            let template = PoolModel::from_config(config).unwrap_or_else(|| volume_of(config));
            for state in POOL_STATES {
                for size in POOL_SIZES.into_iter().filter(|s| *s <= model.max) {
                    let start_delay_ms = default_pool_start_delay_ms(config.os, state);
                    space.pools.push(PoolModel { size, state, start_delay_ms, ..template });
                }
            }
        }
        dedup(&mut space.policies);
        dedup(&mut space.overprovision);
        dedup(&mut space.idle_timeouts_s);
        dedup(&mut space.pools);
        space
    }

    /// Adds pools sized to the trace's bursts ([`BURST_POOLS`]) — jobs queued within one cold launch
    /// delay, which a pool must cover before its first refill is ready — in each state the grid
    /// holds, up to the group's maximum. Nothing without pools in the grid.
    pub fn with_burst_pools(mut self, trace: &Trace, model: &FleetModel) -> Space {
        let places = trace.burst_places(model.launch_delay_ms);
        let mut templates: Vec<PoolModel> = Vec::new();
        for pool in &self.pools {
            if !templates.iter().any(|t| t.state == pool.state) {
                templates.push(*pool);
            }
        }
        for template in templates {
            for (p, halves) in BURST_POOLS {
                let burst = u32::try_from(crate::run::percentile(&places, p)).unwrap_or(u32::MAX);
                let size = burst.saturating_mul(halves).div_ceil(2);
                if (1..=model.max).contains(&size) {
                    self.pools.push(PoolModel { size, ..template });
                }
            }
        }
        dedup(&mut self.pools);
        self
    }

    /// Every pool's start delay set to `ms` (`--pool-start-delay`).
    pub fn with_pool_start_delay(mut self, ms: u64) -> Space {
        self.pools.iter_mut().for_each(|p| p.start_delay_ms = ms);
        self
    }

    /// Settings one move from `s`: one setting changed, the idle timeout free with it (it is what
    /// pays for a pool or overprovisioning).
    fn neighbours(&self, s: &Settings) -> Vec<Settings> {
        let mut out = Vec::new();
        for &idle_timeout_s in &self.idle_timeouts_s {
            let base = Settings { idle_timeout_s, ..*s };
            out.push(base);
            out.extend(self.policies.iter().map(|&policy| Settings { policy, ..base }));
            out.extend(self.overprovision.iter().map(|&overprovision| Settings { overprovision, ..base }));
            out.extend(std::iter::once(None).chain(self.pools.iter().copied().map(Some)).map(|pool| Settings { pool, ..base }));
        }
        dedup(&mut out);
        out
    }
}

/// Whether the configuration accepts a warm pool (config.rs `warm_pool` refuses the rest).
pub fn pool_allowed(config: &Config) -> bool {
    let asg = &config.asg;
    let d = &asg.distribution;
    !config.os.is_macos()
        && d.on_demand_percentage_above_base >= 100
        && d.on_demand_base_capacity == 0
        && d.on_demand_allocation_strategy.is_none()
        && d.spot_allocation_strategy.is_none()
        && asg.launch_template_overrides.is_empty()
        && !asg.capacity_rebalance
}

/// A size-0 pool carrying the configuration's root volume, for the grid's pools to copy.
fn volume_of(config: &Config) -> PoolModel {
    let mut with_pool = config.clone();
    with_pool.asg.warm_pool = Some(agent_stack_config::WarmPool { size: 0, state: WarmPoolState::Stopped });
    PoolModel::from_config(&with_pool).unwrap_or(PoolModel {
        size: 0,
        state: WarmPoolState::Stopped,
        start_delay_ms: 0,
        volume_gib: crate::model::DEFAULT_VOLUME_GIB,
        volume_usd_per_gib_month: crate::model::GP3_USD_PER_GIB_MONTH,
    })
}

fn dedup<T: PartialEq>(v: &mut Vec<T>) {
    let mut kept: Vec<T> = Vec::with_capacity(v.len());
    for x in v.drain(..) {
        if !kept.contains(&x) {
            kept.push(x);
        }
    }
    *v = kept;
}

/// One simulated setting.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub settings: Settings,
    pub summary: Summary,
    /// The summary's cost unrounded, which the search compares.
    pub cost_usd: f64,
}

/// The search's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// The configuration as given, under agent-aws-stack.
    pub baseline: Candidate,
    /// The lowest p95 wait (then cost, then fewest changes) at no more than the baseline's cost;
    /// `None` when nothing has a lower p95, or the same p95 for less.
    pub best: Option<Candidate>,
    /// Settings simulated.
    pub runs: usize,
    /// Every setting simulated under the model's hook, the baseline's settings first, for a closer
    /// look (e.g. the cheapest that reaches a wait).
    pub candidates: Vec<Candidate>,
}

/// Searches `space` from the baseline (`configured` under agent-aws-stack, whose hook keeps desired
/// after a job) by best-improvement local search: each round simulates every setting one move from
/// the best so far (under `model`'s [`AfterJob`]) and keeps the best of all seen within the
/// baseline's cost, for at most [`MAX_ROUNDS`] rounds; then bisects the best's warm pool size
/// between the sizes tried around it, for at most [`MAX_REFINEMENTS`] steps (a pool just large
/// enough for the bursts often lies between two sizes of the grid). Same seed for every run.
pub fn recommend(trace: &Trace, model: &FleetModel, configured: &Settings, space: &Space, seed: u64) -> Recommendation {
    let baseline_settings = Settings { policy: ScalingPolicy::AgentAwsStack, ..*configured };
    let aws = FleetModel { after_job: AfterJob::KeepDesired, ..*model };
    let mut seen = evaluate(trace, &aws, &[baseline_settings], seed);
    let baseline = seen[0].clone();
    let mut runs = 1;
    if model.after_job != AfterJob::KeepDesired {
        // The same settings under this model's hook are a candidate of their own.
        seen = evaluate(trace, model, &[baseline_settings], seed);
        runs += 1;
    }
    let budget = baseline.cost_usd;
    let key = |c: &Candidate| (c.summary.wait_p95_s, c.cost_usd, c.settings.distance(configured));
    let better = |a: &Candidate, b: &Candidate| {
        let (ka, kb) = (key(a), key(b));
        ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(ka.2.cmp(&kb.2)).is_lt()
    };
    let pick = |seen: &[Candidate], best: &Candidate| {
        seen.iter().filter(|c| c.cost_usd <= budget).fold(best, |b, c| if better(c, b) { c } else { b }).clone()
    };
    let mut best = baseline.clone();
    for _ in 0..MAX_ROUNDS {
        let fresh: Vec<Settings> =
            space.neighbours(&best.settings).into_iter().filter(|s| !seen.iter().any(|c| c.settings == *s)).collect();
        seen.extend(evaluate(trace, model, &fresh, seed));
        let round_best = pick(&seen, &best);
        if round_best.settings == best.settings {
            break;
        }
        best = round_best;
    }
    for _ in 0..MAX_REFINEMENTS {
        let tried: Vec<PoolModel> = seen.iter().filter_map(|c| c.settings.pool).collect();
        let fresh = finer_pools(&best.settings, &tried, model.max);
        if fresh.is_empty() {
            break;
        }
        seen.extend(evaluate(trace, model, &fresh, seed));
        best = pick(&seen, &best);
    }
    let beats = best.summary.wait_p95_s < baseline.summary.wait_p95_s
        || (best.summary.wait_p95_s == baseline.summary.wait_p95_s && best.cost_usd < baseline.cost_usd);
    runs += seen.len() - 1;
    Recommendation { baseline, best: beats.then_some(best), runs, candidates: seen }
}

/// `s` with its pool resized halfway to the nearest sizes `tried` below and above it (in the same
/// state; none below is 0, none above is past `max`), when those halves are new sizes up to `max`.
fn finer_pools(s: &Settings, tried: &[PoolModel], max: u32) -> Vec<Settings> {
    let Some(pool) = s.pool else { return Vec::new() };
    let tried: Vec<u32> = tried.iter().filter(|p| p.state == pool.state).map(|p| p.size).collect();
    let below = tried.iter().copied().filter(|t| *t < pool.size).max().unwrap_or(0);
    let above = tried.iter().copied().filter(|t| *t > pool.size).min().unwrap_or(max.saturating_add(1));
    [(below + pool.size) / 2, (pool.size + above).div_ceil(2)]
        .into_iter()
        .filter(|size| (1..=max).contains(size) && !tried.contains(size))
        .map(|size| Settings { pool: Some(PoolModel { size, ..pool }), ..*s })
        .collect()
}

/// Simulates each setting, on as many threads as the machine offers; results in input order.
fn evaluate(trace: &Trace, model: &FleetModel, settings: &[Settings], seed: u64) -> Vec<Candidate> {
    let one = |s: &Settings| {
        let m = s.apply(model);
        let run = run_one(trace, &m, Contender::Deployable(s.policy), seed, 0);
        Candidate { settings: *s, summary: run.summary(s.policy.name(), &m), cost_usd: run.cost(&m) }
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = settings.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = settings.chunks(chunk).map(|part| scope.spawn(move || part.iter().map(one).collect::<Vec<_>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Job;

    const T0: u64 = 1_767_571_200_000;

    fn trace(jobs: &[(u64, u64)]) -> Trace {
        Trace::new(jobs.iter().map(|&(at_s, dur_s)| Job { queued_at_ms: T0 + at_s * 1000, duration_ms: dur_s * 1000 }).collect())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn stopped_pools(max: u32) -> Vec<PoolModel> {
        POOL_SIZES
            .into_iter()
            .filter(|s| *s <= max)
            .map(|size| PoolModel {
                size,
                state: WarmPoolState::Stopped,
                start_delay_ms: 20_000,
                volume_gib: 64,
                volume_usd_per_gib_month: crate::model::GP3_USD_PER_GIB_MONTH,
            })
            .collect()
    }

    fn space(pools: Vec<PoolModel>, idle: Vec<u32>) -> Space {
        Space {
            policies: ScalingPolicy::POLICIES.to_vec(),
            overprovision: vec![
                Overprovision { strategy: OverprovisionStrategy::None, factor: 0 },
                Overprovision { strategy: OverprovisionStrategy::Number, factor: 1 },
            ],
            idle_timeouts_s: idle,
            pools,
        }
    }

    #[test]
    fn a_pool_paid_for_by_a_shorter_idle_timeout_wins() {
        // One 10-minute job every half hour, agents kept after their job for 600 s: each job waits a
        // cold launch. A stopped pool starts one in 20 s, and 300 s of idle time pays for its refills.
        let mut model = FleetModel::linux(0, 5);
        model.disconnect_after_job = false;
        model.idle_timeout_ms = 600_000;
        let jobs: Vec<(u64, u64)> = (0..12).map(|i| (i * 1_800, 600)).collect();
        let configured = Settings::of(&model, ScalingPolicy::AgentAwsStack);
        let r = recommend(&trace(&jobs), &model, &configured, &space(stopped_pools(5), vec![600, 300]), 1);
        let best = r.best.clone().unwrap_or_else(|| panic!("no recommendation: {:?}", r.baseline));
        assert!(best.summary.wait_p95_s < r.baseline.summary.wait_p95_s, "{best:?}");
        assert!(best.cost_usd <= r.baseline.cost_usd, "{best:?} vs {:?}", r.baseline);
        assert!(best.settings.pool.is_some(), "{best:?}");
        let keys: Vec<&str> = best.settings.changes(&configured).iter().map(|(k, _)| *k).collect();
        assert!(keys.contains(&WARM_POOL_SIZE) && keys.contains(&DISCONNECT_AFTER_IDLE_TIMEOUT), "{keys:?}");
    }

    #[test]
    fn nothing_beats_a_fleet_that_only_pays_for_its_jobs() {
        // One job, nothing running before it: every pool, buffer or policy adds instance time.
        let model = FleetModel::linux(0, 5);
        let configured = Settings::of(&model, ScalingPolicy::AgentAwsStack);
        let r = recommend(&trace(&[(0, 60)]), &model, &configured, &space(stopped_pools(5), vec![300]), 1);
        assert_eq!(r.best, None, "{:?}", r.best);
        assert!(r.runs > 1);
    }

    fn example(name: &str, contents: &str) -> Config {
        let raw = agent_stack_config::RawConfig::from_sources(
            Some(agent_stack_config::ConfigFile { path: name, contents }),
            std::iter::empty::<(&str, &str)>(),
        );
        Config::try_from(&raw).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn the_grid_holds_only_pools_the_configuration_accepts() {
        let linux = example("linux", include_str!("../../../examples/linux.json"));
        let (model, _) = FleetModel::from_config(&linux);
        let space = Space::for_config(&linux, &model);
        assert!(!space.pools.is_empty() && space.pools.iter().all(|p| p.size <= model.max), "{space:?}");
        assert_eq!((space.policies.len(), space.overprovision.len()), (2, 8), "{space:?}");
        assert_eq!(space.idle_timeouts_s, vec![300, 60, 120, 600]);
        for (name, contents) in [
            ("linux-spot-arm64", include_str!("../../../examples/linux-spot-arm64.json")),
            ("macos", include_str!("../../../examples/macos.json")),
        ] {
            let config = example(name, contents);
            assert!(!pool_allowed(&config), "{name}");
            assert!(Space::for_config(&config, &FleetModel::from_config(&config).0).pools.is_empty(), "{name}");
        }
    }

    #[test]
    fn burst_pools_cover_the_largest_burst_up_to_the_maximum() {
        // Ten jobs within a second, then ten single ones: places 1–10 and ten 1s; the 95th percentile
        // is 9 (pools of 9 and 14), the largest 10 (pools of 10 and 15).
        let mut jobs: Vec<(u64, u64)> = (0..10).map(|_| (0, 60)).collect();
        jobs.extend((1..=10).map(|i| (i * 600, 60)));
        let mut running = stopped_pools(16)[0];
        running.state = WarmPoolState::Running;
        let grid = space(vec![stopped_pools(16)[0], running], vec![300]);
        let model = FleetModel::linux(0, 16);
        let with = grid.clone().with_burst_pools(&trace(&jobs), &model);
        let sizes = |state| -> Vec<u32> { with.pools.iter().filter(|p| p.state == state).map(|p| p.size).collect() };
        assert_eq!(sizes(WarmPoolState::Stopped), vec![1, 9, 14, 10, 15]);
        assert_eq!(sizes(WarmPoolState::Running), vec![1, 9, 14, 10, 15]);
        let small = grid.with_burst_pools(&trace(&jobs), &FleetModel::linux(0, 12));
        assert!(small.pools.iter().all(|p| p.size <= 12), "{small:?}");
        let no_pools = space(vec![], vec![300]).with_burst_pools(&trace(&jobs), &model);
        assert!(no_pools.pools.is_empty(), "a configuration that refuses a pool gets none");
    }

    #[test]
    fn pool_sizes_are_bisected_between_the_sizes_tried() {
        let pools = stopped_pools(100);
        let at = |size| PoolModel { size, ..pools[0] };
        let s = |size| Settings { pool: Some(at(size)), ..Settings::of(&FleetModel::linux(0, 100), ScalingPolicy::AgentAwsStack) };
        let sizes = |v: Vec<Settings>| v.iter().filter_map(|s| s.pool.map(|p| p.size)).collect::<Vec<_>>();
        let tried = [at(8), at(16), at(32)];
        assert_eq!(sizes(finer_pools(&s(32), &tried, 100)), vec![24, 67], "halfway to 16, and to past the maximum");
        assert_eq!(sizes(finer_pools(&s(32), &tried, 32)), vec![24]);
        assert_eq!(sizes(finer_pools(&s(16), &tried, 100)), vec![12, 24]);
        assert_eq!(sizes(finer_pools(&s(8), &[at(8), at(9), at(16)], 100)), vec![4], "no size between 8 and 9");
        let running = PoolModel { state: WarmPoolState::Running, ..at(16) };
        assert_eq!(sizes(finer_pools(&s(16), &[running, at(16)], 20)), vec![8, 19], "other states do not count");
        assert!(finer_pools(&Settings { pool: None, ..s(1) }, &tried, 100).is_empty());
    }

    #[test]
    fn the_baseline_keeps_desired_after_a_job_whatever_the_model() {
        // agent-aws-stack's hook never lowers desired; the candidates follow the model's hook.
        let jobs: Vec<(u64, u64)> = (0..12).map(|i| (i * 400, 60)).collect();
        let pooled = FleetModel { warm_pool: Some(stopped_pools(5)[1]), ..FleetModel::linux(0, 5) };
        let configured = Settings::of(&pooled, ScalingPolicy::AgentAwsStack);
        let grid = space(vec![], vec![300]);
        let keep = recommend(&trace(&jobs), &pooled, &configured, &grid, 1);
        let lower = recommend(&trace(&jobs), &FleetModel { after_job: AfterJob::LowerWithPool, ..pooled }, &configured, &grid, 1);
        assert_eq!(keep.baseline, lower.baseline);
        assert_eq!(keep.candidates[0], keep.baseline, "keeping, the baseline's settings are the baseline");
        let lowered = &lower.candidates[0];
        assert_eq!((lowered.settings, lower.runs), (keep.baseline.settings, lower.candidates.len() + 1));
        assert!(lowered.cost_usd < lower.baseline.cost_usd, "no replacement after each job: {lowered:?}");
    }

    #[test]
    fn changes_name_only_what_differs_and_clear_the_factor() {
        let model = FleetModel::linux(0, 5);
        let configured = Settings {
            overprovision: Overprovision { strategy: OverprovisionStrategy::Number, factor: 2 },
            ..Settings::of(&model, ScalingPolicy::AgentAwsStack)
        };
        assert_eq!(configured.changes(&configured), vec![]);
        let pool = stopped_pools(5)[2];
        let s =
            Settings { overprovision: Overprovision { strategy: OverprovisionStrategy::None, factor: 0 }, pool: Some(pool), ..configured };
        assert_eq!(
            s.changes(&configured),
            vec![
                (WARM_POOL_SIZE, "3".to_string()),
                (WARM_POOL_STATE, "Stopped".to_string()),
                (OVERPROVISION_STRATEGY, "none".to_string()),
                (OVERPROVISION_FACTOR, "0".to_string()),
            ]
        );
    }
}
