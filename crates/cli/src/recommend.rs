//! `agent-stack simulate --recommend`: runs the simulator's settings search on the trace and prints
//! the baseline against the recommendation, and the config lines to paste.

use agent_stack_config::Config;
use agent_stack_sim::{recommend, Candidate, FleetModel, Recommendation, Settings, Space, Trace};
use serde_json::{json, Map, Value};

use crate::args::{Output, SimulateArgs};
use crate::error::CliError;
use crate::load::load_with;
use crate::simulate::duration;

pub fn run(
    args: &SimulateArgs,
    config: &Config,
    model: &FleetModel,
    trace: &Trace,
    trace_name: &str,
    pool_start_delay_s: Option<f64>,
) -> Result<(), CliError> {
    if !config.dynamic_scaling {
        eprintln!("note: dynamic scaling is off in this configuration; only the warm pool and the idle timeout are searched");
    }
    let configured = Settings::of(model, config.scaling_policy);
    let mut space = Space::for_config(config, model).with_burst_pools(trace, model);
    if let Some(s) = pool_start_delay_s {
        space = space.with_pool_start_delay((s * 1000.0).round() as u64);
    }
    let mut found = recommend(trace, model, &configured, &space, args.seed);
    let mut changes = lines(&found, &configured);
    if let (_, Err(e)) = load_with(&args.config, &changes)? {
        // The grid holds only pools the configuration accepts; should one still be refused, search without.
        eprintln!("note: the configuration refuses the recommended warm pool ({e}); searching without a pool");
        space.pools.clear();
        found = recommend(trace, model, &configured, &space, args.seed);
        changes = lines(&found, &configured);
        if let (_, Err(e)) = load_with(&args.config, &changes)? {
            return Err(CliError::Failed(format!("the recommended settings do not validate: {e}")));
        }
    }
    match args.output {
        Output::Json => print_json(trace, &found, &changes),
        Output::Text => print_text(trace, trace_name, &space, &found, &changes),
    }
    Ok(())
}

/// The recommendation's config lines; none when nothing beats the baseline.
fn lines(found: &Recommendation, configured: &Settings) -> Vec<(&'static str, String)> {
    found.best.as_ref().map(|b| b.settings.changes(configured)).unwrap_or_default()
}

fn figures(c: &Candidate) -> Map<String, Value> {
    let s = &c.summary;
    let mut m = Map::new();
    m.insert("wait_p50_s".into(), json!(s.wait_p50_s));
    m.insert("wait_p95_s".into(), json!(s.wait_p95_s));
    m.insert("wait_max_s".into(), json!(s.wait_max_s));
    m.insert("instance_minutes".into(), json!(s.instance_minutes));
    m.insert("cost".into(), json!(s.cost));
    m
}

fn print_json(trace: &Trace, found: &Recommendation, changes: &[(&str, String)]) {
    let chosen = found.best.as_ref().unwrap_or(&found.baseline);
    let mut recommendation = figures(chosen);
    let settings: Map<String, Value> = changes.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    recommendation.insert("settings".into(), Value::Object(settings));
    let baseline = serde_json::to_value(&found.baseline.summary).unwrap_or_default();
    println!("{}", json!({ "jobs": trace.len(), "runs": found.runs, "baseline": baseline, "recommendation": recommendation }));
}

fn print_text(trace: &Trace, trace_name: &str, space: &Space, found: &Recommendation, changes: &[(&str, String)]) {
    println!("trace: {trace_name}, {} jobs", trace.len());
    let pools = if space.pools.is_empty() {
        "no warm pool (the configuration refuses one)".to_string()
    } else {
        format!("{} warm pools", space.pools.len())
    };
    println!(
        "searched {} settings: {} policies, {} overprovisioning choices, {} idle timeouts, {pools}; same seed",
        found.runs,
        space.policies.len(),
        space.overprovision.len(),
        space.idle_timeouts_s.len()
    );
    println!();
    println!("{:<26} {:>9} {:>9} {:>9} {:>14} {:>10}", "", "wait p50", "p95", "max", "instance-min", "cost USD");
    let row = |label: &str, c: &Candidate| {
        let s = &c.summary;
        println!(
            "{label:<26} {:>9} {:>9} {:>9} {:>14.1} {:>10.2}",
            duration(s.wait_p50_s),
            duration(s.wait_p95_s),
            duration(s.wait_max_s),
            s.instance_minutes,
            s.cost
        );
    };
    row("baseline (agent-aws-stack)", &found.baseline);
    let Some(best) = &found.best else {
        println!();
        println!(
            "Nothing searched has a lower p95 wait (or the same for less) at no more than the baseline's cost: keep the configuration."
        );
        return;
    };
    row("recommended", best);
    println!();
    println!("Set in the config (the other keys stay as they are):");
    for (key, value) in changes {
        println!("  \"{key}\": \"{value}\",");
    }
}
