//! Issue 14's targets and the after-job choice, on the synthetic traces: for each trace and seed,
//! `--recommend`'s answer for `examples/linux.json` at max 100 against the baseline with the shutdown
//! hook keeping desired after a job, the cheapest setting searched that halves the baseline's p95,
//! the same settings with the hook lowering desired (when the group has a pool), and the search's
//! answer under that hook; first `examples/linux-warm-pool.json` under agent-aws-stack with each hook.
//! `cargo run --release -p agent-stack-sim --example targets [SEEDS]` (default 1–5).

use agent_stack_config::{Config, ConfigFile, RawConfig};
use agent_stack_scaler::ScalingPolicy;
use agent_stack_sim::{recommend, AfterJob, Candidate, Contender, FleetModel, Settings, Space, Synthetic};

fn config(name: &str, contents: &str, max: &str) -> Config {
    let raw = RawConfig::from_sources(Some(ConfigFile { path: name, contents }), [("SEMAPHORE_AGENT_ASG_MAX_SIZE", max)]);
    Config::try_from(&raw).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn brief(c: &Candidate, configured: &Settings) -> String {
    let changes: Vec<String> =
        c.settings.changes(configured).into_iter().map(|(k, v)| format!("{}={v}", k.trim_start_matches("SEMAPHORE_AGENT_"))).collect();
    format!("{:.1} s / {:.2} USD [{}]", c.summary.wait_p95_s, c.cost_usd, changes.join(" "))
}

/// `examples/linux-warm-pool.json` under agent-aws-stack, keeping and lowering desired after a job.
fn warm_pool_example(seeds: &[u64]) {
    for max in ["10", "100"] {
        let pooled = config("linux-warm-pool.json", include_str!("../../../examples/linux-warm-pool.json"), max);
        let (model, _) = FleetModel::from_config(&pooled);
        for kind in Synthetic::ALL {
            for &seed in seeds {
                let trace = kind.generate(seed);
                let figures: Vec<String> = [AfterJob::KeepDesired, AfterJob::LowerWithPool]
                    .into_iter()
                    .map(|after_job| {
                        let m = FleetModel { after_job, ..model };
                        let run = agent_stack_sim::compare(&trace, &m, &[Contender::Deployable(ScalingPolicy::AgentAwsStack)], seed, 0);
                        let s = &run[0].0;
                        format!("{after_job:?} p95 {:.1} s mean {:.1} s {:.2} USD", s.wait_p95_s, s.wait_mean_s, s.cost)
                    })
                    .collect();
                println!("warm-pool max {max} {:<8} seed {seed}: {}", kind.name(), figures.join(" | "));
            }
        }
    }
}

fn main() {
    let seeds: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let seeds = if seeds.is_empty() { (1..=5).collect() } else { seeds };
    warm_pool_example(&seeds);
    let linux = config("linux.json", include_str!("../../../examples/linux.json"), "100");
    let (model, _) = FleetModel::from_config(&linux);
    let configured = Settings::of(&model, linux.scaling_policy);
    let space = Space::for_config(&linux, &model);
    for kind in Synthetic::ALL {
        for &seed in &seeds {
            let trace = kind.generate(seed);
            let space = space.clone().with_burst_pools(&trace, &model);
            let keep = FleetModel { after_job: AfterJob::KeepDesired, ..model };
            let r = recommend(&trace, &keep, &configured, &space, seed);
            let (base, best) = (&r.baseline, r.best.as_ref().unwrap_or(&r.baseline));
            let places = trace.burst_places(model.launch_delay_ms);
            let burst = |p| agent_stack_sim::percentile(&places, p);
            println!("{:<8} seed {seed}: bursts within a launch delay p50 {} p95 {} max {}", kind.name(), burst(50), burst(95), burst(100));
            let half = base.summary.wait_p95_s * 0.5;
            let cheapest_half =
                r.candidates.iter().filter(|c| c.summary.wait_p95_s <= half).min_by(|a, b| a.cost_usd.total_cmp(&b.cost_usd));
            println!(
                "{:<8} seed {seed}: base {:.1} s / {:.2} USD; rec {} = {:.2}x wait {:.3}x cost ({} runs)",
                kind.name(),
                base.summary.wait_p95_s,
                base.cost_usd,
                brief(best, &configured),
                best.summary.wait_p95_s / base.summary.wait_p95_s,
                best.cost_usd / base.cost_usd,
                r.runs
            );
            match cheapest_half {
                Some(c) => println!("    cheapest at <= 0.5x: {} = {:.3}x cost", brief(c, &configured), c.cost_usd / base.cost_usd),
                None => println!("    nothing searched reaches 0.5x"),
            }
            let lowered = FleetModel { after_job: AfterJob::LowerWithPool, ..best.settings.apply(&model) };
            let run = agent_stack_sim::compare(&trace, &lowered, &[Contender::Deployable(best.settings.policy)], seed, 0);
            println!(
                "    these settings, lowering desired after a job: {:.1} s / {:.2} USD = {:.2}x wait {:.3}x cost",
                run[0].0.wait_p95_s,
                run[0].0.cost,
                run[0].0.wait_p95_s / base.summary.wait_p95_s,
                run[0].0.cost / base.cost_usd
            );
            let after_job = AfterJob::LowerWithPool;
            let rl = recommend(&trace, &FleetModel { after_job, ..model }, &configured, &space, seed);
            let bl = rl.best.as_ref().unwrap_or(&rl.baseline);
            println!(
                "    {after_job:?}: rec {} = {:.2}x wait {:.3}x cost",
                brief(bl, &configured),
                bl.summary.wait_p95_s / base.summary.wait_p95_s,
                bl.cost_usd / base.cost_usd
            );
            let cheapest = rl.candidates.iter().filter(|c| c.summary.wait_p95_s <= half).min_by(|a, b| a.cost_usd.total_cmp(&b.cost_usd));
            if let Some(c) = cheapest {
                println!("    {after_job:?}: cheapest at <= 0.5x: {} = {:.3}x cost", brief(c, &configured), c.cost_usd / base.cost_usd);
            }
        }
    }
}
