//! `agent-stack simulate`: replays a job trace through a discrete-event model of the fleet under
//! each scaling policy — the very functions the Lambda runs — and reports waits and cost.
//!
//! Pure and deterministic: traces come in as text or from a seeded generator, results go out as values.

mod engine;
mod error;
mod model;
mod policy;
pub mod price;
mod recommend;
mod rng;
mod run;
mod space;
mod svg;
mod synth;
mod trace;

pub use engine::{simulate, Policy};
pub use error::{RowError, TraceError};
pub use model::{
    default_pool_start_delay_ms, AfterJob, AtLifetime, FleetModel, PoolModel, DEFAULT_VOLUME_GIB, GP3_USD_PER_GIB_MONTH, HOURS_PER_MONTH,
};
pub use policy::{Clairvoyant, Contender};
pub use recommend::{recommend, Candidate, Recommendation, MAX_REFINEMENTS, MAX_ROUNDS};
pub use run::{percentile, Accounts, LifetimeSummary, PoolSummary, Run, Sample, Summary};
pub use space::{pool_allowed, Settings, Space, BURST_POOLS, IDLE_TIMEOUTS_S, POOL_SIZES, POOL_STATES};
pub use svg::plot;
pub use synth::{Synthetic, START_MS};
pub use trace::{parse_time, Job, Trace, MAX_DURATION_S};

/// Samples kept for a plot.
pub const PLOT_POINTS: usize = 1_500;

/// Runs `trace` under each contender with the same model and seed. With a maximum instance
/// lifetime, each contender runs once more with the other [`AtLifetime`] behaviour, for the
/// summary's [`LifetimeSummary`]; the rest of the summary and the run are the model's as given.
pub fn compare(trace: &Trace, model: &FleetModel, contenders: &[Contender], seed: u64, points: usize) -> Vec<(Summary, Run)> {
    contenders
        .iter()
        .map(|c| {
            let run = run_one(trace, model, *c, seed, points);
            let mut summary = run.summary(c.name(), model);
            if model.max_instance_lifetime_ms > 0 {
                let other = run_one(trace, &FleetModel { at_lifetime: model.at_lifetime.other(), ..*model }, *c, seed, 0);
                let (drain, at_once) = match model.at_lifetime {
                    AtLifetime::Drain => (&run.accounts, &other.accounts),
                    AtLifetime::Terminate => (&other.accounts, &run.accounts),
                };
                summary.lifetime = Some(LifetimeSummary::new(drain, at_once, model.price_per_hour));
            }
            (summary, run)
        })
        .collect()
}

pub(crate) fn run_one(trace: &Trace, model: &FleetModel, contender: Contender, seed: u64, points: usize) -> Run {
    let mut policy = contender.instantiate(trace, model);
    simulate(trace, model, policy.as_mut(), seed, points)
}
