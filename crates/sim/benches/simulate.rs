//! Simulation speed: a 100,000-job trace (five weeks of the steady shape, or one busy day) under
//! each policy. `cargo bench -p agent-stack-sim`; prints wall-clock times, asserts nothing.

use std::time::Instant;

use agent_stack_sim::{simulate, Contender, FleetModel, Job, Synthetic, Trace};

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
    }
}
