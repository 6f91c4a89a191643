//! Simulation speed: a 100,000-job trace (five weeks of the steady shape, or one busy day) under
//! each policy, and `--recommend`'s search over it. `cargo bench -p agent-stack-sim`; prints
//! wall-clock times, asserts nothing.

use std::time::Instant;

use agent_stack_config::{Overprovision, OverprovisionStrategy, WarmPoolState};
use agent_stack_scaler::ScalingPolicy;
use agent_stack_sim::{
    recommend, simulate, Contender, FleetModel, Job, PoolModel, Settings, Space, Synthetic, Trace, IDLE_TIMEOUTS_S, POOL_SIZES, POOL_STATES,
};

fn main() {
    let long = Synthetic::Steady.generate_hours(1, 834);
    // The same jobs squeezed into one day: 70 arrivals a minute, a fleet of ~600.
    let start = long.start_ms();
    let dense = Trace::new(long.jobs().iter().map(|j| Job { queued_at_ms: start + (j.queued_at_ms - start) / 35, ..*j }).collect())
        .unwrap_or_else(|e| panic!("{e}"));
    for (name, trace, max) in [("steady, 834 h", &long, 100), ("dense, 24 h", &dense, 2000)] {
        let model = FleetModel::linux(0, max);
        let t = Instant::now();
        let csv = trace.to_csv();
        let parsed = Trace::parse_csv(&csv).map(|t| t.len()).unwrap_or(0);
        println!("{name}: {} jobs; CSV write + parse {:.2} s ({parsed} rows)", trace.len(), t.elapsed().as_secs_f64());
        for c in ["agent-aws-stack", "predictive", "clairvoyant"].iter().filter_map(|n| Contender::parse(n)) {
            let t = Instant::now();
            let mut policy = c.instantiate(trace, &model);
            let run = simulate(trace, &model, policy.as_mut(), 1, 1_500);
            let s = run.summary(c.name(), &model);
            println!(
                "  {:<16} {:>6.2} s  (p95 wait {:.1} s, {:.0} instance-min)",
                c.name(),
                t.elapsed().as_secs_f64(),
                s.wait_p95_s,
                s.instance_minutes
            );
        }
        let t = Instant::now();
        let space = linux_space(&model).with_burst_pools(trace, &model);
        let r = recommend(trace, &model, &Settings::of(&model, ScalingPolicy::AgentAwsStack), &space, 1);
        let best = r.best.as_ref().unwrap_or(&r.baseline);
        println!(
            "  recommend        {:>6.2} s  ({} runs; p95 {:.1} s at {:.2} USD against {:.1} s at {:.2} USD)",
            t.elapsed().as_secs_f64(),
            r.runs,
            best.summary.wait_p95_s,
            best.summary.cost,
            r.baseline.summary.wait_p95_s,
            r.baseline.summary.cost
        );
    }
}

/// The grid `Space::for_config` gives a Linux stack that may have a warm pool (before the trace's bursts).
fn linux_space(model: &FleetModel) -> Space {
    let op = |strategy, factor| Overprovision { strategy, factor };
    let mut overprovision = vec![op(OverprovisionStrategy::None, 0)];
    overprovision.extend([1, 2, 3].map(|f| op(OverprovisionStrategy::Number, f)));
    overprovision.extend([10, 20, 30, 50].map(|f| op(OverprovisionStrategy::Percentage, f)));
    let pool = |state, size| PoolModel {
        size,
        state,
        start_delay_ms: if state == WarmPoolState::Running { 5_000 } else { 20_000 },
        volume_gib: 64,
        volume_usd_per_gib_month: 0.08,
    };
    Space {
        policies: ScalingPolicy::POLICIES.to_vec(),
        overprovision,
        idle_timeouts_s: [300].into_iter().chain(IDLE_TIMEOUTS_S.into_iter().filter(|s| *s != 300)).collect(),
        pools: POOL_STATES
            .into_iter()
            .flat_map(|st| POOL_SIZES.into_iter().filter(|s| *s <= model.max).map(move |s| pool(st, s)))
            .collect(),
    }
}
