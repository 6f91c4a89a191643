//! `agent-stack simulate` as users run it: JSON and text reports, the plot, and exit code 2 with a
//! message naming the flag or line for every kind of bad input.

mod common;

use common::{bin, run};
use std::path::PathBuf;

use serde_json::{json, Value};

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../examples/{name}.json"))
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("agent-stack-simulate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap_or_else(|e| panic!("{e}"));
    path
}

/// `simulate` on the Linux example with room to grow.
fn simulate(args: &[&str]) -> (i32, String, String) {
    run(bin().arg("simulate").arg("--config").arg(example("linux")).env("SEMAPHORE_AGENT_ASG_MAX_SIZE", "100").args(args))
}

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn json_compares_every_policy_with_one_default() {
    let (code, out, err) = simulate(&["--synthetic", "steady", "--output", "json"]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert!(v["jobs"].as_u64().unwrap_or(0) > 1000, "{v}");
    let policies = v["policies"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = policies.iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["agent-aws-stack", "predictive", "clairvoyant"]);
    for p in &policies {
        for field in ["wait_p50_s", "wait_p95_s", "wait_max_s", "instance_minutes", "cost"] {
            assert!(p[field].as_f64().is_some_and(|x| x >= 0.0), "{field} in {p}");
        }
        assert_eq!(p["jobs"], v["jobs"]);
        assert!(p.get("lifetime").is_none(), "no lifetime figures without SEMAPHORE_AGENT_ASG_MAX_INSTANCE_LIFETIME: {p}");
    }
    let defaults: Vec<&str> = policies.iter().filter(|p| p["default"] == true).filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(defaults, ["agent-aws-stack"]);
    assert_eq!(policies[2]["wait_p95_s"], 0.0, "clairvoyant has every agent ready");
}

#[test]
fn deterministic_for_a_seed_and_varies_with_it() {
    let (_, a, _) = simulate(&["--synthetic", "bursty", "--seed", "3", "--output", "json"]);
    let (_, b, _) = simulate(&["--synthetic", "bursty", "--seed", "3", "--output", "json"]);
    let (_, c, _) = simulate(&["--synthetic", "bursty", "--seed", "4", "--output", "json"]);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn text_table_marks_the_deployed_policy() {
    let (code, out, err) = simulate(&["--synthetic", "workday", "--price-per-hour", "1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("trace: synthetic workday (seed 1)"), "{out}");
    assert!(out.contains("min 0 max 100, launch delay 50 s, idle timeout 300 s"), "{out}");
    assert!(out.contains("agent-aws-stack *") && out.contains("clairvoyant"), "{out}");
    assert!(out.contains("instance-min") && out.contains("1 USD/h"), "{out}");
    assert!(!out.contains("lifetime") && !out.contains("hook"), "{out}");
}

/// `simulate` on three days of a job every 20 minutes, each running 30 (never more than two at once,
/// one running whenever a day has passed since the first), with agents that stay up — min 2, kept
/// after jobs, no idle timeout — in a group that replaces instances after a day.
fn simulate_three_days(args: &[&str]) -> (i32, String, String) {
    let mut csv = String::from("queued_at,duration_s\n");
    for k in 0..216u64 {
        csv.push_str(&format!("{},1800\n", 1_767_571_200 + k * 1200));
    }
    let trace = temp_file("three-days.csv", &csv);
    run(bin()
        .args(["simulate", "--price-per-hour", "1", "--config"])
        .arg(example("linux"))
        .arg("--trace")
        .arg(trace)
        .envs([
            ("SEMAPHORE_AGENT_ASG_MAX_INSTANCE_LIFETIME", "86400"),
            ("SEMAPHORE_AGENT_ASG_MIN_SIZE", "2"),
            ("SEMAPHORE_AGENT_DISCONNECT_AFTER_JOB", "false"),
            ("SEMAPHORE_AGENT_DISCONNECT_AFTER_IDLE_TIMEOUT", "0"),
        ])
        .args(args))
}

#[test]
fn max_instance_lifetime_counts_jobs_killed_without_the_hook_and_the_drain_with_it() {
    let (code, out, err) = simulate_three_days(&["--output", "json"]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let policies = v["policies"].as_array().cloned().unwrap_or_default();
    assert_eq!(policies.len(), 3, "{v}");
    for p in &policies {
        let l = &p["lifetime"];
        assert_eq!(l["jobs_killed_with_hook"], 0, "{p}");
        for field in ["replaced", "jobs_killed_without_hook", "instances_drained"] {
            assert!(l[field].as_u64().is_some_and(|n| n >= 1), "{field} in {p}");
        }
        assert!(l["drain_instance_minutes"].as_f64().is_some_and(|m| m > 0.0) && l["drain_cost"].as_f64().is_some(), "{p}");
    }
    // agent-aws-stack keeps the minimum's two instances: both reach the lifetime at the end of each
    // day, one of them 20 minutes into a 30-minute job.
    let aws = &policies[0];
    assert_eq!(aws["name"], "agent-aws-stack");
    let want = serde_json::json!({
        "replaced": 6, "jobs_killed_without_hook": 3, "jobs_killed_with_hook": 0,
        "instances_drained": 3, "drain_instance_minutes": 30.0, "drain_cost": 0.5
    });
    assert_eq!(aws["lifetime"], want, "{aws}");

    let (code, out, err) = simulate_three_days(&[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("max instance lifetime 86400 s"), "{out}");
    assert!(out.contains("killed no hook") && out.contains("drain inst-min"), "{out}");
}

#[test]
fn a_lifetime_no_instance_reaches_is_noted() {
    let (code, out, err) = run(bin()
        .args(["simulate", "--synthetic", "workday", "--output", "json", "--config"])
        .arg(example("linux"))
        .env("SEMAPHORE_AGENT_ASG_MAX_INSTANCE_LIFETIME", "86400"));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("no instance reached the maximum lifetime of 86400 s"), "{err}");
    assert!(json(&out)["policies"][0]["lifetime"]["replaced"] == 0, "{out}");
}

#[test]
fn a_recorded_trace_and_a_plot() {
    let trace = temp_file("jobs.csv", "queued_at,duration_s\n2026-01-05T09:00:00Z,300\n2026-01-05T09:00:30.5Z,120\n1767604000,60\n");
    let svg = std::env::temp_dir().join(format!("agent-stack-simulate-{}/fleet.svg", std::process::id()));
    let (code, out, err) = simulate(&[
        "--trace",
        &trace.display().to_string(),
        "--policy",
        "predictive",
        "--plot",
        &svg.display().to_string(),
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(v["jobs"], 3);
    let names: Vec<&str> = v["policies"].as_array().map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect()).unwrap_or_default();
    assert_eq!(names, ["agent-aws-stack", "predictive", "clairvoyant"]);
    let drawing = std::fs::read_to_string(&svg).unwrap_or_else(|e| panic!("{e}"));
    assert!(drawing.starts_with("<svg") && drawing.contains("predictive on ") && drawing.matches("<polyline").count() == 3, "{drawing}");
}

#[test]
fn bad_input_exits_2_naming_the_flag_or_line() {
    let bad_rows = temp_file("bad.csv", "queued_at,duration_s\n2026-01-05T09:00:00Z,300\nnoon,300\n2026-01-05T09:00:00Z,-1\n");
    let cases: [(&[&str], &[&str]); 9] = [
        (&["--synthetic", "steady", "--trace", "x.csv"], &["--trace", "--synthetic"]),
        (&[], &["--trace", "--synthetic"]),
        (&["--synthetic", "weekly"], &["--synthetic", "weekly", "steady, bursty or workday"]),
        (&["--synthetic", "steady", "--policy", "fastest"], &["--policy", "fastest", "agent-aws-stack, predictive, clairvoyant"]),
        (&["--trace", &bad_rows.display().to_string()], &["2 bad rows", "line 3: queued_at `noon`", "line 4: duration_s `-1`"]),
        (&["--trace", "/nonexistent/jobs.csv"], &["cannot read --trace /nonexistent/jobs.csv"]),
        (&["--synthetic", "steady", "--price-per-hour=-1"], &["--price-per-hour -1 is out of range"]),
        (&["--synthetic", "steady", "--launch-delay", "NaN"], &["--launch-delay"]),
        (&["--synthetic", "steady", "--pool-start-delay=-5"], &["--pool-start-delay -5 is out of range"]),
    ];
    for (args, needles) in cases {
        let (code, out, err) = simulate(args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        for n in needles {
            assert!(err.contains(n), "{args:?}: missing {n:?} in {err}");
        }
    }
}

#[test]
fn an_invalid_config_exits_2() {
    let config = temp_file("bad.json", r#"{"SEMAPHORE_AGENT_STACK_NAME":"s","SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME":"t"}"#);
    let (code, _, err) = run(bin().args(["simulate", "--synthetic", "steady", "--config"]).arg(&config));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("SEMAPHORE_ENDPOINT"), "{err}");
}

#[test]
fn every_example_simulates() {
    for name in ["linux", "linux-spot-arm64", "linux-warm-pool", "windows", "macos", "static"] {
        let (code, out, err) = run(bin().args(["simulate", "--synthetic", "workday", "--output", "json", "--config"]).arg(example(name)));
        assert_eq!(code, 0, "{name}: {err}");
        assert!(!err.contains("warm pool"), "{name}: {err}");
        let policies = json(&out)["policies"].as_array().cloned().unwrap_or_default();
        assert_eq!(policies.len(), 3, "{name}: {out}");
        // The warm pool is modelled: its figures are reported for the example that has one, only.
        for p in &policies {
            let pool = &p["pool"];
            if name != "linux-warm-pool" {
                assert!(p.get("pool").is_none(), "{name}: {p}");
                continue;
            }
            assert_eq!((&pool["size"], &pool["state"], &pool["start_delay_s"]), (&json!(3), &json!("Stopped"), &json!(20.0)), "{p}");
            assert!(pool["starts_from_pool"].as_u64().is_some_and(|n| n > 0), "{p}");
            let (total, pool_cost) = (p["cost"].as_f64().unwrap_or(0.0), pool["cost"].as_f64().unwrap_or(-1.0));
            assert!(pool_cost > 0.0 && total > pool_cost, "the pool's cost is part of the total: {p}");
        }
    }
}

#[test]
fn a_warm_pool_shortens_waits_and_its_start_delay_can_be_set() {
    // The example without its pool: a state without a size is a configuration error.
    let mut config = json(&std::fs::read_to_string(example("linux-warm-pool")).unwrap_or_else(|e| panic!("{e}")));
    for key in ["SEMAPHORE_AGENT_WARM_POOL_SIZE", "SEMAPHORE_AGENT_WARM_POOL_STATE"] {
        config.as_object_mut().map(|o| o.remove(key));
    }
    let no_pool = temp_file("no-pool.json", &config.to_string());
    let pool = |config: PathBuf, args: &[&str]| {
        let (code, out, err) = run(bin()
            .args(["simulate", "--synthetic", "steady", "--policy", "agent-aws-stack", "--config"])
            .arg(config)
            .env("SEMAPHORE_AGENT_ASG_MAX_SIZE", "100")
            .args(args));
        assert_eq!(code, 0, "{err}");
        out
    };
    let p95 = |out: &str| json(out)["policies"][0]["wait_p95_s"].as_f64().unwrap_or(0.0);
    let cold = pool(no_pool, &["--output", "json"]);
    let warm = pool(example("linux-warm-pool"), &["--output", "json"]);
    assert!(json(&cold)["policies"][0].get("pool").is_none(), "{cold}");
    assert!(p95(&warm) < p95(&cold), "{warm} {cold}");
    let hot = pool(example("linux-warm-pool"), &["--output", "json", "--pool-start-delay", "5"]);
    assert_eq!(json(&hot)["policies"][0]["pool"]["start_delay_s"], 5.0, "{hot}");
    let text = pool(example("linux-warm-pool"), &[]);
    assert!(text.contains("warm pool 3 Stopped (start 20 s)") && text.contains("waiting inst-min") && text.contains("pool USD"), "{text}");
}

#[test]
fn a_recommendation_validates_and_reproduces_its_figures() {
    let (code, out, err) = simulate(&["--recommend", "--synthetic", "steady", "--output", "json"]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let (baseline, rec) = (&v["baseline"], &v["recommendation"]);
    assert_eq!(baseline["name"], "agent-aws-stack", "{v}");
    let settings = rec["settings"].as_object().cloned().unwrap_or_default();
    assert!(!settings.is_empty(), "steady traffic at 100 instances leaves room to improve: {v}");
    assert!(rec["wait_p95_s"].as_f64() < baseline["wait_p95_s"].as_f64(), "{v}");
    assert!(rec["cost"].as_f64() <= baseline["cost"].as_f64(), "{v}");
    assert!(!settings.contains_key("SEMAPHORE_AGENT_DISCONNECT_AFTER_JOB"), "{v}");

    // The settings merged into the example: it validates, and its default policy has the recommendation's figures.
    let mut config = json(&std::fs::read_to_string(example("linux")).unwrap_or_else(|e| panic!("{e}")));
    for (key, value) in &settings {
        config[key] = value.clone();
    }
    let merged = temp_file("recommended.json", &config.to_string());
    let (code, _, err) = run(bin().args(["validate", "--config"]).arg(&merged).env("SEMAPHORE_AGENT_ASG_MAX_SIZE", "100"));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(bin()
        .args(["simulate", "--synthetic", "steady", "--output", "json", "--config"])
        .arg(&merged)
        .env("SEMAPHORE_AGENT_ASG_MAX_SIZE", "100"));
    assert_eq!(code, 0, "{err}");
    let policies = json(&out)["policies"].as_array().cloned().unwrap_or_default();
    let default = policies.iter().find(|p| p["default"] == true).cloned().unwrap_or_default();
    for field in ["wait_p50_s", "wait_p95_s", "wait_max_s", "instance_minutes", "cost"] {
        assert_eq!(default[field], rec[field], "{field}: {default} vs {rec}");
    }
}

#[test]
fn recommend_text_and_conflicts() {
    let (code, out, err) = simulate(&["--recommend", "--synthetic", "workday"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("baseline (agent-aws-stack)") && out.contains("searched"), "{out}");
    assert!(out.contains("\"SEMAPHORE_AGENT_") || out.contains("Nothing searched"), "{out}");
    let (code, _, err) = simulate(&["--recommend", "--policy", "predictive", "--synthetic", "steady"]);
    assert_eq!(code, 2, "{err}");
}
