//! Benchmark (not a test): what per-job scale-in protection would cost each job's start. Such a
//! protection is toggled by the agent's pre-job hook (and released by its post-job hook): a
//! fresh process that asks IMDS for a session, the instance id, the region and the instance
//! profile's credentials, then calls SetInstanceProtection. The job starts only when the pre-job
//! hook has ended. Measured here against local moto and the IMDS stub (no network latency: AWS's
//! own answer time comes on top), as process start + the in-process work.
//!
//! Run: `cargo bench -p agent-stack --bench job_hook_cost` (needs moto_server on PATH).

use std::process::Command;
use std::time::Instant;

use agent_stack_aws::instance::ThisInstance;
use agent_stack_aws::{sdk_config, AsgFleet, CallProfile};
use agent_stack_testkit::moto::unique;
use agent_stack_testkit::stack::{config, deploy};
use agent_stack_testkit::{ImdsStub, Moto};

const RUNS: usize = 30;

fn median(mut ms: Vec<f64>) -> (f64, f64, f64) {
    ms.sort_by(|a, b| a.total_cmp(b));
    (ms[ms.len() / 2], ms[0], ms[ms.len() - 1])
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some(moto) = Moto::shared() else {
        eprintln!("moto_server is not installed: pip install -r requirements-dev.txt");
        return;
    };
    moto.export_env();
    let sdk = sdk_config(CallProfile::Command).await;
    let stack = unique("hookbench");
    let token = format!("{stack}-token");
    let pairs = [
        ("SEMAPHORE_AGENT_STACK_NAME", stack.as_str()),
        ("SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME", token.as_str()),
        ("SEMAPHORE_ORGANIZATION", "bench"),
        ("SEMAPHORE_AGENT_ASG_MAX_SIZE", "2"),
    ];
    let deployed = deploy(moto, &sdk, config(&pairs), |_| async {}).await;
    AsgFleet::new(&sdk, &deployed.asg_name).set_desired(1).await.unwrap_or_else(|e| panic!("{e}"));
    let group = agent_stack_aws::group::describe_group(&sdk, &deployed.asg_name).await.ok().flatten().unwrap_or_else(|| panic!("no group"));
    let instance = group.members.first().map(|m| m.id.clone()).unwrap_or_else(|| panic!("no instance"));
    let imds = ImdsStub::start(&instance, "us-east-1").await;
    // SAFETY: set once, before the first IMDS client is built; nothing else reads it concurrently.
    // moto's environment turns IMDS off for the operator's SDK; the instance side needs it.
    unsafe {
        std::env::set_var("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint());
        std::env::remove_var("AWS_EC2_METADATA_DISABLED");
    }

    // Process start of the hook: bash running the agent-stack binary (as the image's hook shims do).
    let mut spawns = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let status = Command::new("bash").args(["-c", &format!("{} --version >/dev/null", env!("CARGO_BIN_EXE_agent-stack"))]).status();
        assert!(status.is_ok_and(|s| s.success()));
        spawns.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    // The hook's work: a new IMDS session and credentials (a fresh process has none), one call.
    let mut calls = Vec::new();
    for i in 0..RUNS {
        let started = Instant::now();
        let this = ThisInstance::discover().await.unwrap_or_else(|e| panic!("{e}"));
        agent_stack_aws::autoscaling::Client::new(&this.sdk)
            .set_instance_protection()
            .auto_scaling_group_name(&deployed.asg_name)
            .instance_ids(&this.id)
            .protected_from_scale_in(i % 2 == 0)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}", agent_stack_aws::Error::from_sdk("SetInstanceProtection", &e)));
        calls.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let (spawn, spawn_min, spawn_max) = median(spawns);
    let (call, call_min, call_max) = median(calls);
    println!("pre-job hook process start ({RUNS} runs): median {spawn:.1} ms (min {spawn_min:.1}, max {spawn_max:.1})");
    println!("IMDS session + credentials + SetInstanceProtection ({RUNS} runs, local): median {call:.1} ms (min {call_min:.1}, max {call_max:.1})");
    println!("per job (pre-job hook only, before AWS's own latency): about {:.0} ms", spawn + call);
}
