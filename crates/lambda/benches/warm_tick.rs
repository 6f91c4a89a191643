//! Benchmark (not a test): the scaler Lambda's invocations in one container, over TLS as in AWS —
//! moto and the Semaphore stub each behind a loopback TLS front whose test CA is trusted through
//! `SSL_CERT_FILE`. The first invocation is the container's first (it builds what the container
//! keeps); the others are warm: token from SSM, Semaphore metrics, describe and set the group.
//! Prints the first invocation's time and the warm ones' median, min and max.
//!
//! Run: `cargo bench -p agent-stack-lambda --bench warm_tick` (needs moto_server on PATH).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_config::Endpoint;
use agent_stack_testkit::tls::TestCa;
use agent_stack_testkit::Moto;
use common::{invoke_once, scaler_settings, setup, TOKEN};

const RUNS: usize = 30;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let ca = TestCa::generate();
    let bundle = std::env::temp_dir().join(format!("warm-tick-{}-ca.pem", std::process::id()));
    ca.write_bundle(&bundle);
    // Before any TLS client exists: both clients read it when they load their roots.
    unsafe { std::env::set_var("SSL_CERT_FILE", &bundle) };
    unsafe { std::env::remove_var("SSL_CERT_DIR") };
    let Some((_, deployed, stub)) = setup(&[("SEMAPHORE_AGENT_ASG_MAX_SIZE", "100")]).await else {
        eprintln!("moto_server is not installed: pip install -r requirements-dev.txt");
        return;
    };
    let moto = Moto::shared().unwrap_or_else(|| panic!("moto was just used"));
    // One front per service, as each has a host of its own in AWS (the fronts keep connections
    // open as AWS does, so a warm container reuses one per service).
    let moto_addr = format!("127.0.0.1:{}", moto.port);
    let (ssm_front, asg_front) = (ca.front(&moto_addr).await, ca.front(&moto_addr).await);
    let semaphore_front = ca.front(stub.endpoint().trim_start_matches("http://")).await;
    unsafe { std::env::set_var("AWS_ENDPOINT_URL_SSM", ssm_front.url()) };
    unsafe { std::env::set_var("AWS_ENDPOINT_URL_AUTO_SCALING", asg_front.url()) };
    // What the Lambda's init builds once.
    let sdk = sdk_config(CallProfile::Tick).await;
    let mut settings = scaler_settings(&deployed, &stub);
    settings.env.endpoint = Endpoint::parse(&semaphore_front.url()).unwrap_or_else(|| panic!("{} is no endpoint", semaphore_front.url()));

    let mut times = Vec::new();
    for _ in 0..=RUNS {
        stub.enqueue(TOKEN, 1);
        let started = Instant::now();
        let summary = invoke_once(&sdk, &settings).await.unwrap_or_else(|e| panic!("invocation failed: {e}"));
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!((summary.ticks, summary.failed_ticks), (1, 0), "{summary:?}");
    }
    let first = times.remove(0);
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "scaler Lambda over TLS (local moto + stub behind TLS fronts): first invocation {first:.1} ms; warm tick ({RUNS} invocations) median {:.1} ms, min {:.1} ms, max {:.1} ms",
        times[RUNS / 2],
        times[0],
        times[RUNS - 1]
    );
    let _ = std::fs::remove_file(&bundle);
}
