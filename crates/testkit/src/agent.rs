//! A stand-in for the Semaphore agent (semaphoreci/agent), as `semaphore-api.md` describes it:
//! reads config.yaml (rejecting unknown keys, as the agent does), registers with the endpoint,
//! syncs and follows the server's actions, reports SIGTERM as an interruption, and on shutdown
//! disconnects and runs `bash <shutdown-hook-path>` with `SEMAPHORE_AGENT_SHUTDOWN_REASON`.
//! A job "runs" for `STAND_IN_JOB_SECONDS` (default 1) and passes, unless Semaphore stops it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};

/// The agent's config.yaml keys (kubernetes-* left out: the stack never sets them).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AgentConfig {
    pub endpoint: String,
    pub token: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub name_from_env: String,
    #[serde(default)]
    pub no_https: bool,
    #[serde(default)]
    pub disconnect_after_job: bool,
    #[serde(default)]
    pub disconnect_after_idle_timeout: u64,
    #[serde(default)]
    pub job_id: String,
    #[serde(default)]
    pub interruption_grace_period: u64,
    #[serde(default)]
    pub shutdown_hook_path: String,
    #[serde(default)]
    pub pre_job_hook_path: String,
    #[serde(default)]
    pub post_job_hook_path: String,
    #[serde(default)]
    pub fail_on_pre_job_hook_error: bool,
    #[serde(default)]
    pub source_pre_job_hook: bool,
    #[serde(default)]
    pub env_vars: Vec<String>,
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub fail_on_missing_files: bool,
    #[serde(default)]
    pub upload_job_logs: String,
}

/// Parses config.yaml as the agent does.
pub fn parse_config(text: &str) -> Result<AgentConfig, String> {
    serde_yaml::from_str(text).map_err(|e| format!("config.yaml: {e}"))
}

/// config.yaml as a generic map, for comparing keys and values in tests.
pub fn config_map(text: &str) -> Result<BTreeMap<String, serde_yaml::Value>, String> {
    serde_yaml::from_str(text).map_err(|e| format!("config.yaml: {e}"))
}

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

/// Runs the agent until it shuts down; returns the hook's reason.
pub async fn run(config_file: &str) -> Result<&'static str, String> {
    let text = std::fs::read_to_string(config_file).map_err(|e| format!("{config_file}: {e}"))?;
    let config = parse_config(&text)?;
    let scheme = if config.no_https { "http" } else { "https" };
    let base = format!("{scheme}://{}/api/v1/self_hosted_agents", config.endpoint);
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())?;

    let registration = json!({
        "name": config.name, "version": "stand-in", "pid": std::process::id(), "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH, "hostname": "stand-in", "single_job": config.disconnect_after_job,
        "idle_timeout": config.disconnect_after_idle_timeout, "interruption_grace_period": config.interruption_grace_period,
        "job_id": config.job_id,
    });
    let mut agent_token = None;
    for _ in 0..30 {
        let sent = http
            .post(format!("{base}/register"))
            .header("Authorization", format!("Token {}", config.token))
            .json(&registration)
            .send()
            .await;
        if let Ok(r) = sent {
            if r.status().as_u16() == 201 {
                let body: Value = r.json().await.map_err(|e| e.to_string())?;
                agent_token = body["token"].as_str().map(str::to_string);
                break;
            }
            println!("register: {}", r.status());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let agent_token = agent_token.ok_or("could not register")?;
    println!("registered as {}", config.name);

    let job_length = Duration::from_secs(std::env::var("STAND_IN_JOB_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(1));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(|e| e.to_string())?;
    let (mut state, mut job_id, mut job_result, mut interrupted_at) = ("waiting-for-jobs", String::new(), String::new(), 0u64);
    let mut last_sync = Instant::now();
    let mut job_started = Instant::now();
    let reason = loop {
        if state == "running-job" && job_started.elapsed() >= job_length {
            (state, job_result) = ("finished-job", "passed".into());
        }
        let body = json!({ "state": state, "job_id": job_id, "job_result": job_result, "interrupted_at": interrupted_at });
        let answer = http.post(format!("{base}/sync")).header("Authorization", format!("Token {agent_token}")).json(&body).send().await;
        let answer: Option<Value> = match answer {
            Ok(r) if r.status().is_success() => r.json().await.ok(),
            _ => None,
        };
        let mut wait = Duration::from_secs(5);
        if state == "running-job" {
            wait = Duration::from_millis(200);
        }
        match answer {
            None if last_sync.elapsed() > Duration::from_secs(600) => break "UNABLE_TO_SYNC",
            None => {}
            Some(a) => {
                last_sync = Instant::now();
                wait = wait.min(Duration::from_millis(a["next_sync_after"].as_u64().unwrap_or(5_000)));
                match a["action"].as_str().unwrap_or_default() {
                    "run-job" => {
                        job_id = a["job_id"].as_str().unwrap_or_default().to_string();
                        (state, job_started) = ("running-job", Instant::now());
                    }
                    "stop-job" => (state, job_result) = ("finished-job", "stopped".into()),
                    "wait-for-jobs" => (state, job_id, job_result) = ("waiting-for-jobs", String::new(), String::new()),
                    "shutdown" => break hook_reason(a["shutdown_reason"].as_str().unwrap_or_default()),
                    _ => {}
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = term.recv() => {
                println!("SIGTERM: reporting the interruption");
                interrupted_at = crate::unix_now();
            }
        }
    };

    println!("shutting down: {reason}");
    let _ = http.post(format!("{base}/disconnect")).header("Authorization", format!("Token {agent_token}")).send().await;
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
