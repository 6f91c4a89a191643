//! Benchmark (not a test): a cold `agent-stack scale --once` — process start, AWS SDK set-up, token
//! from SSM, Semaphore metrics, describe and set the group — against local moto and the Semaphore
//! stub. Prints wall time and peak RSS.
//!
//! Run: `cargo bench -p agent-stack --bench scale_cold_start` (needs moto_server on PATH).

use std::process::Command;
use std::time::Instant;

use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_config::RegistrationToken;
use agent_stack_testkit::moto::unique;
use agent_stack_testkit::stack::{config, deploy};
use agent_stack_testkit::{Moto, SemaphoreStub};

const RUNS: usize = 15;

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
    let file = std::env::temp_dir().join(format!("{stack}.json"));
    let json = format!(
        r#"{{"SEMAPHORE_AGENT_STACK_NAME":"{stack}","SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME":"{token_name}","SEMAPHORE_ENDPOINT":"{}","SEMAPHORE_AGENT_ASG_MAX_SIZE":"100"}}"#,
        stub.endpoint()
    );
    std::fs::write(&file, json).unwrap_or_else(|e| panic!("{e}"));

    // Warm moto (its first DescribeAutoScalingGroups is slow) so the figures are ours.
    let env = moto.env();
    let run = move |jobs: usize| {
        let mut cmd = Command::new("/usr/bin/time");
        cmd.args(["-f", "%e %M", env!("CARGO_BIN_EXE_agent-stack"), "scale", "--once", "--output", "json", "--config"]).arg(&file);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let out = cmd.output().unwrap_or_else(|e| panic!("{e}"));
        let wall = started.elapsed().as_secs_f64() * 1000.0;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let rss_kib: u64 = stderr.lines().last().and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0);
        assert!(out.status.success(), "jobs {jobs}: {stderr}");
        (wall, rss_kib)
    };
    let run = std::sync::Arc::new(run);
    let warm = run.clone();
    tokio::task::spawn_blocking(move || warm(0)).await.unwrap_or_else(|e| panic!("{e}"));
    let mut walls = Vec::new();
    let mut peak = 0;
    for i in 0..RUNS {
        stub.enqueue("bench-token", 1);
        let r = run.clone();
        let (wall, rss) = tokio::task::spawn_blocking(move || r(i)).await.unwrap_or_else(|e| panic!("{e}"));
        walls.push(wall);
        peak = peak.max(rss);
    }
    walls.sort_by(|a, b| a.total_cmp(b));
    println!(
        "scale --once cold start + first tick ({RUNS} runs, local moto + stub): median {:.0} ms, min {:.0} ms, max {:.0} ms, peak RSS {:.1} MiB",
        walls[RUNS / 2],
        walls[0],
        walls[RUNS - 1],
        peak as f64 / 1024.0
    );
}
