//! Benchmark (not a test): a cold `agent-stack scale --once` (process start, AWS SDK set-up, token
//! from SSM, Semaphore metrics, describe and set the group) over TLS, as in production: local moto
//! and the Semaphore stub each behind a loopback TLS front whose test CA the process trusts through
//! `SSL_CERT_FILE` (the system's roots plus that CA, as a user adds a company CA). Prints, from the
//! spawn, when the first decision reached AWS (the SetDesiredCapacity request at the front), when the
//! process exited, when the first TLS connection to each front opened, and peak RSS. Two series: the
//! group looked up in the stack, and the group named with `--asg-name`, as the Lambda knows it.
//!
//! Run: `cargo bench -p agent-stack --bench scale_cold_start` (needs moto_server on PATH).
//! `AGENT_STACK_BENCH_BIN=/path/to/agent-stack` measures another build of the binary (before/after).

use std::process::Command;
use std::time::Instant;

use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_config::RegistrationToken;
use agent_stack_testkit::moto::unique;
use agent_stack_testkit::stack::{config, deploy};
use agent_stack_testkit::tls::{TestCa, TlsFront};
use agent_stack_testkit::{Moto, SemaphoreStub};

const RUNS: usize = 15;

/// One run's figures, in ms from the spawn.
struct Run {
    wall: f64,
    decision: f64,
    first_aws: f64,
    first_semaphore: f64,
    rss_kib: u64,
}

/// Milliseconds from `started` to the front's first connection after it.
fn first_after(front: &TlsFront, started: Instant) -> f64 {
    front.accepted().into_iter().find(|t| *t >= started).map_or(f64::NAN, |t| (t - started).as_secs_f64() * 1000.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Prints the median, min and max of a series of runs.
fn report(label: &str, runs: &[Run]) {
    let walls: Vec<f64> = runs.iter().map(|r| r.wall).collect();
    let (min, max) = walls.iter().fold((f64::MAX, 0f64), |(lo, hi), w| (lo.min(*w), hi.max(*w)));
    let peak = runs.iter().map(|r| r.rss_kib).max().unwrap_or(0);
    let decisions: Vec<f64> = runs.iter().map(|r| r.decision).collect();
    let first_decision = decisions.iter().copied().fold(f64::MAX, f64::min);
    println!("scale --once over TLS, {label} ({RUNS} runs, local moto + stub behind TLS fronts):");
    println!("  first decision (SetDesiredCapacity reaches AWS): median {:.1} ms, min {first_decision:.1} ms", median(decisions));
    println!(
        "  whole run (until the process exits): median {:.0} ms, min {min:.0} ms, max {max:.0} ms, peak RSS {:.1} MiB",
        median(walls),
        peak as f64 / 1024.0
    );
    println!(
        "  first TLS connection (median, from spawn): AWS {:.1} ms, Semaphore {:.1} ms",
        median(runs.iter().map(|r| r.first_aws).collect()),
        median(runs.iter().map(|r| r.first_semaphore).collect())
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some(moto) = Moto::shared() else {
        eprintln!("moto_server is not installed: pip install -r requirements-dev.txt");
        return;
    };
    moto.export_env();
    let sdk = sdk_config(CallProfile::Command).await;
    let stack = unique("bench");
    let token_name = format!("{stack}-token");
    let stub = SemaphoreStub::start().await;
    stub.add_agent_type("bench-token");
    let pairs = [
        ("SEMAPHORE_AGENT_STACK_NAME", stack.as_str()),
        ("SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME", token_name.as_str()),
        ("SEMAPHORE_ORGANIZATION", "bench"),
        ("SEMAPHORE_AGENT_ASG_MAX_SIZE", "100"),
    ];
    deploy(moto, &sdk, config(&pairs), |_| async {}).await;
    agent_stack_aws::put_token(&sdk, &token_name, &RegistrationToken::new("bench-token"), None).await.unwrap_or_else(|e| panic!("{e}"));

    let ca = TestCa::generate();
    let bundle = std::env::temp_dir().join(format!("{stack}-ca.pem"));
    ca.write_bundle(&bundle);
    // One front per service, as each has a host of its own in production: a connection is reused
    // only by calls to the same service (DescribeAutoScalingGroups, then SetDesiredCapacity).
    let moto_addr = format!("127.0.0.1:{}", moto.port);
    let (cfn_front, ssm_front, asg_front) = (ca.front(&moto_addr).await, ca.front(&moto_addr).await, ca.front(&moto_addr).await);
    let semaphore_front = ca.front(stub.endpoint().trim_start_matches("http://")).await;
    let file = std::env::temp_dir().join(format!("{stack}.json"));
    let json = format!(
        r#"{{"SEMAPHORE_AGENT_STACK_NAME":"{stack}","SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME":"{token_name}","SEMAPHORE_ENDPOINT":"{}","SEMAPHORE_AGENT_ASG_MAX_SIZE":"100"}}"#,
        semaphore_front.url()
    );
    std::fs::write(&file, json).unwrap_or_else(|e| panic!("{e}"));

    let mut env = moto.env();
    env.retain(|(k, _)| *k != "AWS_ENDPOINT_URL");
    env.push(("AWS_ENDPOINT_URL_CLOUDFORMATION", cfn_front.url()));
    env.push(("AWS_ENDPOINT_URL_SSM", ssm_front.url()));
    env.push(("AWS_ENDPOINT_URL_AUTO_SCALING", asg_front.url()));
    env.push(("SSL_CERT_FILE", bundle.display().to_string()));
    let fronts = std::sync::Arc::new((asg_front, semaphore_front, cfn_front, ssm_front));
    let bin = std::env::var("AGENT_STACK_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_agent-stack").to_string());
    let run = move |jobs: usize, asg_name: Option<String>| {
        let mut cmd = Command::new("/usr/bin/time");
        cmd.args(["-f", "%e %M", bin.as_str(), "scale", "--once", "--output", "json", "--config"]).arg(&file);
        if let Some(name) = asg_name {
            cmd.arg("--asg-name").arg(name);
        }
        // As in production: no SSL_CERT_DIR, and not the library path cargo sets for the bench itself.
        cmd.env_remove("SSL_CERT_DIR").env_remove("LD_LIBRARY_PATH");
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let out = cmd.output().unwrap_or_else(|e| panic!("{e}"));
        let wall = started.elapsed().as_secs_f64() * 1000.0;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let rss_kib: u64 = stderr.lines().last().and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0);
        assert!(out.status.success(), "jobs {jobs}: {stderr}");
        let decision = fronts.0.first_sent("Action=SetDesiredCapacity", started).map_or(f64::NAN, |t| (t - started).as_secs_f64() * 1000.0);
        let first_aws = [&fronts.0, &fronts.2, &fronts.3].map(|f| first_after(f, started)).into_iter().fold(f64::NAN, f64::min);
        Run { wall, decision, first_aws, first_semaphore: first_after(&fronts.1, started), rss_kib }
    };
    let run = std::sync::Arc::new(run);
    // Warm moto (its first DescribeAutoScalingGroups is slow) so the figures are ours.
    let warm = run.clone();
    stub.enqueue("bench-token", 1);
    tokio::task::spawn_blocking(move || warm(0, None)).await.unwrap_or_else(|e| panic!("{e}"));
    let group = agent_stack_aws::cfn::Stacks::new(&sdk)
        .physical_id(&stack, agent_stack_template::ids::AUTO_SCALING_GROUP)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("the bench stack has no group"));
    let fleet = agent_stack_aws::AsgFleet::new(&sdk, group.as_str());
    // The stack lookup, as an operator runs it; then the group named, as the Lambda knows it.
    for (label, asg_name) in [("group looked up in the stack", None), ("--asg-name, as the Lambda knows its group", Some(group))] {
        let mut runs = Vec::new();
        for i in 0..RUNS {
            // Every run starts alike: one queued job and the group at 0, so every tick raises
            // desired to 1, and moto's group does not grow from run to run.
            fleet.set_desired(0).await.unwrap_or_else(|e| panic!("{}", e.message));
            let (r, name) = (run.clone(), asg_name.clone());
            runs.push(tokio::task::spawn_blocking(move || r(i, name)).await.unwrap_or_else(|e| panic!("{e}")));
        }
        report(label, &runs);
    }
    let _ = std::fs::remove_file(&bundle);
}
