//! `agent-stack simulate`: replays a job trace through the fleet model under several scaling
//! policies and reports waits and cost, offline.

use std::path::Path;

use agent_stack_config::{Config, WarmPoolState};
use agent_stack_scaler::ScalingPolicy;
use agent_stack_sim::{compare, plot, Contender, FleetModel, Run, Summary, Synthetic, Trace, PLOT_POINTS};
use serde_json::json;

use crate::args::{Output, SimulateArgs};
use crate::error::CliError;
use crate::load::load_valid;

/// Where the jobs come from.
enum Source<'a> {
    File(&'a Path),
    Synthetic(Synthetic),
}

pub fn run(args: &SimulateArgs) -> Result<(), CliError> {
    let source = source(args)?;
    let studied = args.policy;
    let price = non_negative("--price-per-hour", args.price_per_hour, 1e6)?;
    let launch_delay = non_negative("--launch-delay", args.launch_delay, 86_400.0)?;
    let pool_start_delay = non_negative("--pool-start-delay", args.pool_start_delay, 86_400.0)?;
    let config = load_valid(&args.config)?;
    let (trace, trace_name) = match source {
        Source::File(path) => (read_trace(path)?, path.display().to_string()),
        Source::Synthetic(kind) => (kind.generate(args.seed), format!("synthetic {} (seed {})", kind.name(), args.seed)),
    };

    let (mut model, list_price) = FleetModel::from_config(&config);
    if let Some(p) = price {
        model.price_per_hour = p;
    } else if list_price.is_none() {
        eprintln!(
            "note: no list price for {} on {}; costs use {} USD/h (set --price-per-hour)",
            config.instance_type, config.os, model.price_per_hour
        );
    }
    if let Some(s) = launch_delay {
        model.launch_delay_ms = (s * 1000.0).round() as u64;
    }
    if !config.dynamic_scaling {
        eprintln!("note: dynamic scaling is off in this configuration; the results show what each policy would do if it were on");
    }
    match (pool_start_delay, model.warm_pool.as_mut()) {
        (Some(s), Some(pool)) => pool.start_delay_ms = (s * 1000.0).round() as u64,
        (Some(_), None) => {
            eprintln!("note: --pool-start-delay has no effect: this configuration has no warm pool (SEMAPHORE_AGENT_WARM_POOL_SIZE)")
        }
        (None, _) => {}
    }

    if args.recommend {
        return crate::recommend::run(args, &config, &model, &trace, &trace_name, pool_start_delay);
    }
    let deployed = Contender::Deployable(deployed_policy(&config));
    let studied = studied.unwrap_or(deployed);
    let contenders = contenders(studied, args.policy.is_some());
    let points = if args.plot.is_some() { PLOT_POINTS } else { 0 };
    let results = compare(&trace, &model, &contenders, args.seed, points);

    if let Some(path) = &args.plot {
        write_plot(path, &results, studied, &trace_name)?;
    }
    if let Some((s, _)) = results.iter().find(|(s, _)| s.at_max_fraction > 0.01) {
        eprintln!(
            "note: under {} jobs waited with the group at its maximum ({}) for {:.0}% of the run; a larger SEMAPHORE_AGENT_ASG_MAX_SIZE would shorten waits",
            s.name,
            model.max,
            s.at_max_fraction * 100.0
        );
    }
    if model.max_instance_lifetime_ms > 0 && !results.iter().any(|(s, _)| s.lifetime.is_some_and(|l| l.replaced > 0)) {
        eprintln!(
            "note: no instance reached the maximum lifetime of {} s in this run; the lifetime figures need a trace that keeps instances that long (--trace)",
            model.max_instance_lifetime_ms / 1000
        );
    }
    if results.iter().any(|(s, _)| s.unstarted > 0) {
        eprintln!("note: some jobs never started (the group could not grow; check SEMAPHORE_AGENT_ASG_MAX_SIZE); their wait counts until the end of the run");
    }
    let summaries: Vec<&Summary> = results.iter().map(|(s, _)| s).collect();
    match args.output {
        Output::Json => print_json(&trace, &summaries, deployed),
        Output::Text => {
            print_text(&config, &model, &trace, &trace_name, &summaries, deployed);
            print_lifetime(&summaries, deployed);
            print_pool(&model, &summaries, deployed);
        }
    }
    Ok(())
}

/// The policy a stack deployed from this configuration runs.
// TODO(config): read SEMAPHORE_AGENT_SCALING_POLICY once the config crate has it.
fn deployed_policy(config: &Config) -> ScalingPolicy {
    config.scaling_policy
}

/// agent-aws-stack, the studied policy (or, without --policy, every deployable one), clairvoyant.
fn contenders(studied: Contender, only_studied: bool) -> Vec<Contender> {
    let mut list = vec![Contender::Deployable(ScalingPolicy::AgentAwsStack)];
    let others: Vec<Contender> =
        if only_studied { vec![studied] } else { ScalingPolicy::POLICIES.iter().map(|p| Contender::Deployable(*p)).collect() };
    for c in others.into_iter().chain([Contender::Clairvoyant]) {
        if !list.contains(&c) {
            list.push(c);
        }
    }
    list
}

fn source(args: &SimulateArgs) -> Result<Source<'_>, CliError> {
    // The "jobs" group (args.rs) lets exactly one of the two through.
    match (&args.trace, &args.synthetic) {
        (Some(path), _) => Ok(Source::File(path)),
        (None, Some(name)) => Synthetic::parse(name)
            .map(Source::Synthetic)
            .ok_or_else(|| CliError::Input(format!("--synthetic {name:?} is not a trace shape; choose steady, bursty or workday"))),
        (None, None) => Err(CliError::Input("no jobs to simulate: give --trace or --synthetic".into())),
    }
}

fn non_negative(flag: &str, value: Option<f64>, limit: f64) -> Result<Option<f64>, CliError> {
    match value {
        Some(v) if !(v.is_finite() && (0.0..=limit).contains(&v)) => {
            Err(CliError::Input(format!("{flag} {v} is out of range; give a number from 0 to {limit}")))
        }
        v => Ok(v),
    }
}

fn read_trace(path: &Path) -> Result<Trace, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Input(format!("cannot read --trace {}: {e}", path.display())))?;
    Trace::parse_csv(&text).map_err(|e| CliError::Input(format!("--trace {}: {e}", path.display())))
}

fn write_plot(path: &Path, results: &[(Summary, Run)], studied: Contender, trace_name: &str) -> Result<(), CliError> {
    let Some((_, run)) = results.iter().find(|(s, _)| s.name == studied.name()) else { return Ok(()) };
    let svg = plot(&run.series, &format!("{} on {trace_name}: queued jobs, desired and in-service instances", studied.name()));
    std::fs::write(path, svg).map_err(|e| CliError::Failed(format!("cannot write --plot {}: {e}", path.display())))
}

fn print_json(trace: &Trace, summaries: &[&Summary], deployed: Contender) {
    let policies: Vec<_> = summaries
        .iter()
        .map(|s| {
            let mut v = serde_json::to_value(s).unwrap_or_default();
            v["default"] = json!(s.name == deployed.name());
            v
        })
        .collect();
    println!("{}", json!({ "jobs": trace.len(), "policies": policies }));
}

fn print_text(config: &Config, model: &FleetModel, trace: &Trace, trace_name: &str, summaries: &[&Summary], deployed: Contender) {
    let jobs = trace.jobs();
    let hours = jobs.last().map_or(0, |j| j.queued_at_ms - trace.start_ms()) as f64 / 3_600_000.0;
    println!("trace: {trace_name}, {} jobs over {hours:.1} h", trace.len());
    let idle = match model.idle_timeout_ms {
        0 => "never".to_string(),
        ms => format!("{} s", ms / 1000),
    };
    let after_job = if model.disconnect_after_job { "replaced after each job" } else { "kept after jobs" };
    let lifetime = match model.max_instance_lifetime_ms {
        0 => String::new(),
        ms => format!(", max instance lifetime {} s", ms / 1000),
    };
    let pool = match model.warm_pool {
        None => String::new(),
        Some(p) => format!(", warm pool {} {} (start {} s)", p.size, p.state, p.start_delay_ms as f64 / 1000.0),
    };
    println!(
        "fleet: {} {} {}, min {} max {}, launch delay {} s, idle timeout {idle}, agents {after_job}{lifetime}{pool}, {} USD/h",
        config.stack_name,
        config.os,
        config.instance_type,
        model.min,
        model.max,
        model.launch_delay_ms as f64 / 1000.0,
        model.price_per_hour
    );
    println!();
    println!("{:<18} {:>9} {:>9} {:>9} {:>14} {:>10} {:>6}", "policy", "wait p50", "p95", "max", "instance-min", "cost USD", "idle");
    for s in summaries {
        let mark = if s.name == deployed.name() { " *" } else { "" };
        println!(
            "{:<18} {:>9} {:>9} {:>9} {:>14.1} {:>10.2} {:>5.1}%",
            format!("{}{mark}", s.name),
            duration(s.wait_p50_s),
            duration(s.wait_p95_s),
            duration(s.wait_max_s),
            s.instance_minutes,
            s.cost,
            s.idle_fraction * 100.0
        );
    }
    println!();
    println!("* the policy this stack runs. clairvoyant knows when jobs will arrive (not deployable): a bound on waits.");
}

/// What the warm pool did under each policy, and what it cost (included in the main table's cost).
fn print_pool(model: &FleetModel, summaries: &[&Summary], deployed: Contender) {
    let Some(pool) = model.warm_pool else { return };
    let waiting = match pool.state {
        WarmPoolState::Running => format!("at {} USD/h", model.price_per_hour),
        _ => format!("{} GiB of EBS each at {} USD per GiB-month", pool.volume_gib, pool.volume_usd_per_gib_month),
    };
    println!();
    println!(
        "warm pool: {} {} instances, started in {} s; waiting {waiting}, refills at {} USD/h:",
        pool.size,
        pool.state,
        pool.start_delay_ms as f64 / 1000.0,
        model.price_per_hour
    );
    println!(
        "{:<18} {:>10} {:>13} {:>16} {:>15} {:>9}",
        "policy", "from pool", "cold launches", "waiting inst-min", "refill inst-min", "pool USD"
    );
    for s in summaries {
        let Some(p) = s.pool else { continue };
        let mark = if s.name == deployed.name() { " *" } else { "" };
        println!(
            "{:<18} {:>10} {:>13} {:>16.1} {:>15.1} {:>9.2}",
            format!("{}{mark}", s.name),
            p.starts_from_pool,
            p.cold_launches,
            p.waiting_instance_minutes,
            p.refill_instance_minutes,
            p.cost
        );
    }
    println!();
    println!("The cost column above includes the pool; instance-min counts the group's instances only.");
}

/// Jobs killed at the maximum instance lifetime with and without the termination hook, and what the drain costs.
fn print_lifetime(summaries: &[&Summary], deployed: Contender) {
    if summaries.iter().all(|s| s.lifetime.is_none()) {
        return;
    }
    println!();
    println!("max instance lifetime: the group replaces instances that reach it; jobs running on them:");
    println!(
        "{:<18} {:>9} {:>15} {:>12} {:>8} {:>15} {:>10}",
        "policy", "replaced", "killed no hook", "killed hook", "drained", "drain inst-min", "drain USD"
    );
    for s in summaries {
        let Some(l) = s.lifetime else { continue };
        let mark = if s.name == deployed.name() { " *" } else { "" };
        println!(
            "{:<18} {:>9} {:>15} {:>12} {:>8} {:>15.1} {:>10.2}",
            format!("{}{mark}", s.name),
            l.replaced,
            l.jobs_killed_without_hook,
            l.jobs_killed_with_hook,
            l.instances_drained,
            l.drain_instance_minutes,
            l.drain_cost
        );
    }
    println!();
    println!("no hook (agent-aws-stack): the instance is terminated at once and its job fails.");
    println!("hook (agent-stack): the agent finishes its job first, beside its replacement (the drain).");
    println!("The table above is with the hook, drain included.");
}

/// Seconds as `51.0s`, `12.5m` or `30.2h`.
pub(crate) fn duration(seconds: f64) -> String {
    match seconds {
        s if s < 600.0 => format!("{s:.1}s"),
        s if s < 3.0 * 3600.0 => format!("{:.1}m", s / 60.0),
        s => format!("{:.1}h", s / 3600.0),
    }
}
