//! A stand-in for the Semaphore agent (semaphoreci/agent v2.4.0), following what the real one did
//! here (`shared/reference/real-agent.md`) in every point agent-stack depends on:
//! - config.yaml: unknown keys stop it at start (exit 1, no register, no hook); see [`config`].
//! - Two processes with the same command line: a parent that forwards SIGTERM and SIGINT to the
//!   child, and the child that does the work ([`wrapped`]). A child killed by a signal is replaced
//!   by its parent, which runs the agent itself and registers afresh.
//! - Register: any 2xx counts; 30 tries 1 s apart, each failure logged as the agent logs it
//!   (`[Register] attempt [N] failed with [...]`), then exit 1 without the hook.
//! - The SIGTERM/SIGINT handler is installed only after registration; a signal before that kills
//!   the process. Only the first signal the handler sees counts.
//! - Sync: only 200 counts; it waits `next_sync_after` ms, else 3–6 s; it syncs at once on SIGTERM
//!   and when a job finishes.
//! - Jobs: `starting-job` while it fetches `GET /jobs/{id}` (10 tries 3 s apart, else the job
//!   fails); the job request's commands run in bash; output goes to the push logger
//!   (`POST <url>?start_from=N`, `Bearer` token, `/refresh` on 401); `running-job` lasts until the
//!   logs are flushed; `stop-job` ends the commands and the result is `stopped`.
//! - Shutdown: `/disconnect` retried up to 100 times 1 s apart, then `bash <shutdown-hook-path>`
//!   with `SEMAPHORE_AGENT_SHUTDOWN_REASON`; exit 1 for UNABLE_TO_SYNC, 0 otherwise.
//!
//! What it does not do: the real agent's job environment (SEMAPHORE_* variables, files, toolbox),
//! its pre/post-job hooks, its own log file, or the Kubernetes executor.

pub mod config;
mod job;

use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub use config::{config_map, parse_config, AgentConfig};

/// Tells the child from the parent (the real agent uses panicwrap's cookie the same way).
pub const WRAPPED_VAR: &str = "STAND_IN_AGENT_WRAPPED";

/// The agent's shutdown reason for the hook, from the API's.
fn hook_reason(api_reason: &str) -> &'static str {
    match api_reason {
        "idle" => "IDLE",
        "job-finished" => "JOB_FINISHED",
        "requested" => "REQUESTED",
        "interrupted" => "INTERRUPTED",
        _ => "UNKNOWN",
    }
}

/// The parent's side: runs `exe args…` as the child with `WRAPPED_VAR` set, forwards SIGTERM and
/// SIGINT to it, and returns its exit code; `None` when the child was killed by a signal (the
/// caller then runs the agent itself, as the real agent's parent does).
pub async fn wrapped(exe: &std::path::Path, args: &[String]) -> Result<Option<i32>, String> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut child = std::process::Command::new(exe).args(args).env(WRAPPED_VAR, "1").spawn().map_err(|e| format!("child: {e}"))?;
    let pid = child.id().to_string();
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let (done_tx, mut done) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait());
    });
    loop {
        tokio::select! {
            status = &mut done => {
                let status = status.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
                return Ok(status.code());
            }
            _ = term.recv() => forward("-TERM", &pid),
            _ = int.recv() => forward("-INT", &pid),
        }
    }
}

fn forward(signal: &str, pid: &str) {
    let _ = std::process::Command::new("kill").args([signal, pid]).status();
}

/// An HTTP client with the agent's limits.
fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder().connect_timeout(Duration::from_secs(2)).timeout(Duration::from_secs(30)).build().map_err(|e| e.to_string())
}

/// 3–6 s, the agent's sync interval when the server names none.
fn default_sync_wait() -> Duration {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    Duration::from_millis(3_000 + u64::from(nanos % 3_000))
}

/// Runs the agent until it shuts down; returns the hook's reason, or why it could not run (the
/// caller exits 1 then).
pub async fn run(config_file: &str) -> Result<&'static str, String> {
    let text = std::fs::read_to_string(config_file).map_err(|e| format!("{config_file}: {e}"))?;
    let config = parse_config(&text)?;
    let scheme = if config.no_https { "http" } else { "https" };
    let api = format!("{scheme}://{}/api/v1/self_hosted_agents", config.endpoint);
    let http = client()?;
    let name = if config.name.is_empty() { random_name() } else { config.name.clone() };

    let agent_token = register(&http, &api, &config, &name).await?;
    println!("registered as {name}");
    // Only now can SIGTERM be reported; before this it kills the process.
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(|e| e.to_string())?;

    let mut state = "waiting-for-jobs";
    let (mut job_id, mut job_result, mut interrupted_at) = (String::new(), String::new(), 0u64);
    let mut running: Option<job::Running> = None;
    let mut last_sync = Instant::now();
    let reason = loop {
        if let Some(result) = running.as_mut().and_then(job::Running::finished) {
            (state, job_result) = ("finished-job", result.to_string());
            running = None;
        }
        let body = json!({ "state": state, "job_id": job_id, "job_result": job_result, "interrupted_at": interrupted_at });
        let answer = http.post(format!("{api}/sync")).header("Authorization", format!("Token {agent_token}")).json(&body).send().await;
        let answer: Option<Value> = match answer {
            Ok(r) if r.status().as_u16() == 200 => r.json().await.ok(),
            _ => None,
        };
        let mut wait = default_sync_wait();
        match answer {
            None if last_sync.elapsed() > Duration::from_secs(600) => break "UNABLE_TO_SYNC",
            None => {}
            Some(a) => {
                last_sync = Instant::now();
                if let Some(ms) = a["next_sync_after"].as_u64().filter(|ms| *ms > 0) {
                    wait = Duration::from_millis(ms);
                }
                match a["action"].as_str().unwrap_or_default() {
                    "run-job" if state == "waiting-for-jobs" => {
                        // (The real agent is in starting-job while it fetches the job.)
                        job_id = a["job_id"].as_str().unwrap_or_default().to_string();
                        let started = job::start(&http, &api, &agent_token, &job_id, &config).await;
                        match started {
                            Ok(job) => (state, running) = ("running-job", Some(job)),
                            Err(e) => {
                                println!("could not get job {job_id}: {e}");
                                (state, job_result) = ("finished-job", "failed".into());
                            }
                        }
                        continue;
                    }
                    "stop-job" => {
                        if let Some(job) = running.as_mut() {
                            state = "stopping-job";
                            job.stop();
                        }
                    }
                    "wait-for-jobs" => (state, job_id, job_result) = ("waiting-for-jobs", String::new(), String::new()),
                    "shutdown" => break hook_reason(a["shutdown_reason"].as_str().unwrap_or_default()),
                    _ => {}
                }
            }
        }
        let job_done = async {
            match running.as_mut() {
                Some(job) => job.done().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = job_done => {}
            _ = term.recv(), if interrupted_at == 0 => {
                println!("Termination signal received: reporting the interruption");
                interrupted_at = crate::unix_now();
            }
        }
    };

    println!("shutting down: {reason}");
    disconnect(&http, &api, &agent_token).await;
    if !config.shutdown_hook_path.is_empty() {
        let status = std::process::Command::new("bash")
            .arg(&config.shutdown_hook_path)
            .env("SEMAPHORE_AGENT_SHUTDOWN_REASON", reason)
            .status()
            .map_err(|e| format!("shutdown hook: {e}"))?;
        println!("shutdown hook: {status}");
    }
    Ok(reason)
}

/// A 20-character name, as the agent makes when none is configured.
fn random_name() -> String {
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("stand-in-{:011}", seed % 100_000_000_000)
}

async fn register(http: &reqwest::Client, api: &str, config: &AgentConfig, name: &str) -> Result<String, String> {
    let registration = json!({
        "name": name, "version": "v2.4.0-stand-in", "pid": std::process::id(), "os": std::env::consts::OS,
        "arch": if cfg!(target_arch = "aarch64") { "arm64" } else { "x86_64" }, "hostname": "stand-in",
        "single_job": config.disconnect_after_job, "idle_timeout": config.disconnect_after_idle_timeout,
        "interruption_grace_period": config.interruption_grace_period, "job_id": config.job_id,
    });
    let url = format!("{api}/register");
    let mut last = String::new();
    for attempt in 1..=30 {
        // The agent sends JSON without a Content-Type.
        let sent = http
            .post(&url)
            .header("Authorization", format!("Token {}", config.token))
            .header("User-Agent", "SemaphoreAgent/v2.4.0-stand-in")
            .body(registration.to_string())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => {
                let body: Value = r.json().await.map_err(|e| e.to_string())?;
                return body["token"].as_str().map(str::to_string).ok_or_else(|| "register: no token in the answer".to_string());
            }
            // The agent's retry line, as semaphoreci/agent's retry package writes it.
            Ok(r) => {
                let status = r.status().as_u16();
                let body = r.text().await.unwrap_or_default();
                last = format!("register request to {url} got HTTP {status}: {body}");
            }
            Err(e) => last = e.to_string(),
        }
        if attempt < 30 {
            println!("[Register] attempt [{attempt}] failed with [{last}] - retrying in 1s");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    Err(format!("failed to register agent: [Register] failed after [30] attempts - giving up: {last}"))
}

async fn disconnect(http: &reqwest::Client, api: &str, agent_token: &str) {
    for _ in 0..100 {
        let sent = http.post(format!("{api}/disconnect")).header("Authorization", format!("Token {agent_token}")).send().await;
        if sent.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    println!("could not disconnect after 100 tries");
}
