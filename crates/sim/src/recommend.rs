//! `simulate --recommend`: searches the grid ([`crate::space`]) for the lowest p95 wait at no more
//! than the configuration's cost, so a stack can be tuned from one trace without trying each setting
//! by hand.

use agent_stack_scaler::ScalingPolicy;

use crate::model::{AfterJob, FleetModel, PoolModel};
use crate::policy::Contender;
use crate::run::Summary;
use crate::run_one;
use crate::space::{Settings, Space};
use crate::trace::Trace;

/// Rounds of the local search; each moves to the best candidate of the one before.
pub const MAX_ROUNDS: usize = 4;
/// Bisection steps on the best setting's warm pool size after the local search.
pub const MAX_REFINEMENTS: usize = 6;

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
    use agent_stack_config::keys::name::{DISCONNECT_AFTER_IDLE_TIMEOUT, WARM_POOL_SIZE};
    use agent_stack_config::WarmPoolState;

    use super::*;
    use crate::space::testing::*;

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
}
