//! `agent-stack simulate`: replays a job trace through a discrete-event model of the fleet under
//! each scaling policy — the very functions the Lambda runs — and reports waits and cost.
//!
//! Pure and deterministic: traces come in as text or from a seeded generator, results go out as values.

mod engine;
mod error;
mod model;
mod policy;
pub mod price;
mod rng;
mod run;
mod svg;
mod synth;
mod trace;

pub use engine::{simulate, Policy};
pub use error::{RowError, TraceError};
pub use model::FleetModel;
pub use policy::{Clairvoyant, Contender};
pub use run::{percentile, Accounts, Run, Sample, Summary};
pub use svg::plot;
pub use synth::{Synthetic, START_MS};
pub use trace::{parse_time, Job, Trace, MAX_DURATION_S};

/// Samples kept for a plot.
pub const PLOT_POINTS: usize = 1_500;

/// Runs `trace` under each contender with the same model and seed.
pub fn compare(trace: &Trace, model: &FleetModel, contenders: &[Contender], seed: u64, points: usize) -> Vec<(Summary, Run)> {
    contenders
        .iter()
        .map(|c| {
            let mut policy = c.instantiate(trace, model);
            let run = simulate(trace, model, policy.as_mut(), seed, points);
            (run.summary(c.name(), model.price_per_hour), run)
        })
        .collect()
}
