//! The stand-in agent's job: fetched with `GET /jobs/{id}`, its commands run in bash, its output
//! pushed to the job request's logger, stopped on `stop-job`.

use std::os::unix::process::CommandExt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::watch;

use super::AgentConfig;

/// A job that has started.
pub struct Running {
    result: watch::Receiver<Option<&'static str>>,
    /// The process group of the command running now (0: none).
    group: Arc<Mutex<u32>>,
    stopped: Arc<Mutex<bool>>,
}

impl Running {
    /// The result once the commands have ended and the logs are flushed.
    pub fn finished(&mut self) -> Option<&'static str> {
        *self.result.borrow()
    }

    /// Resolves when the job has finished.
    pub async fn done(&mut self) {
        let _ = self.result.wait_for(Option::is_some).await;
    }

    /// Ends the running command; the job's result is `stopped`.
    pub fn stop(&mut self) {
        *self.stopped.lock().unwrap_or_else(|p| p.into_inner()) = true;
        let group = *self.group.lock().unwrap_or_else(|p| p.into_inner());
        if group != 0 {
            let _ = std::process::Command::new("kill").args(["-TERM", &format!("-{group}")]).status();
        }
    }
}

/// Where the job's log goes: the push logger of the job request.
struct Logger {
    url: String,
    token: String,
    start_from: usize,
}

/// Fetches the job request (10 tries 3 s apart, as the agent does) and starts its commands.
pub async fn start(http: &reqwest::Client, api: &str, agent_token: &str, job_id: &str, config: &AgentConfig) -> Result<Running, String> {
    let mut last = String::new();
    let mut request = None;
    for _ in 0..10 {
        let sent = http.get(format!("{api}/jobs/{job_id}")).header("Authorization", format!("Token {agent_token}")).send().await;
        match sent {
            Ok(r) if r.status().as_u16() == 200 => {
                request = Some(r.json::<Value>().await.map_err(|e| format!("job request: {e}"))?);
                break;
            }
            Ok(r) => last = format!("failed to describe job, got HTTP {}", r.status().as_u16()),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let request = request.ok_or(last)?;
    let commands: Vec<String> =
        request["commands"].as_array().into_iter().flatten().filter_map(|c| c["directive"].as_str().map(str::to_string)).collect();
    let logger = match (request["logger"]["method"].as_str(), request["logger"]["url"].as_str()) {
        (Some("push"), Some(url)) if !url.is_empty() => {
            Some(Logger { url: url.to_string(), token: request["logger"]["token"].as_str().unwrap_or_default().to_string(), start_from: 0 })
        }
        _ => None,
    };
    let env: Vec<(String, String)> = config.env_vars.clone();
    let (tx, rx) = watch::channel(None);
    let group = Arc::new(Mutex::new(0));
    let stopped = Arc::new(Mutex::new(false));
    let (http, api, agent_token) = (http.clone(), api.to_string(), agent_token.to_string());
    let (g, s) = (group.clone(), stopped.clone());
    tokio::spawn(async move {
        let mut logger = logger;
        let mut events = vec![json!({ "event": "job_started", "timestamp": crate::unix_now() })];
        let mut result = "passed";
        for directive in commands {
            events.push(json!({ "event": "cmd_started", "directive": directive, "timestamp": crate::unix_now() }));
            let (code, output) = run_command(&directive, &env, &g).await;
            events.push(json!({ "event": "cmd_output", "output": output, "timestamp": crate::unix_now() }));
            events.push(json!({ "event": "cmd_finished", "directive": directive, "exit_code": code, "timestamp": crate::unix_now() }));
            if *s.lock().unwrap_or_else(|p| p.into_inner()) {
                result = "stopped";
                break;
            }
            if code != 0 {
                result = "failed";
                break;
            }
        }
        events.push(json!({ "event": "job_finished", "result": result, "timestamp": crate::unix_now() }));
        flush(&http, &api, &agent_token, logger.as_mut(), &events).await;
        let _ = tx.send(Some(result));
    });
    Ok(Running { result: rx, group, stopped })
}

/// Runs one command in bash in its own process group; its exit code and output.
async fn run_command(directive: &str, env: &[(String, String)], group: &Arc<Mutex<u32>>) -> (i32, String) {
    let mut command = std::process::Command::new("bash");
    command.args(["-c", directive]).envs(env.iter().cloned()).process_group(0);
    command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let child = match command.spawn() {
        Ok(c) => c,
        Err(e) => return (1, format!("bash: {e}")),
    };
    *group.lock().unwrap_or_else(|p| p.into_inner()) = child.id();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output()).await;
    *group.lock().unwrap_or_else(|p| p.into_inner()) = 0;
    match out {
        Ok(Ok(out)) => {
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            (out.status.code().unwrap_or(1), text)
        }
        Ok(Err(e)) => (1, e.to_string()),
        Err(e) => (1, e.to_string()),
    }
}

/// Pushes the log events from `start_from` on; refreshes the token on 401. Like the agent, it
/// gives up after 60 s, and without a push logger the logs are lost after that wait.
async fn flush(http: &reqwest::Client, api: &str, agent_token: &str, logger: Option<&mut Logger>, events: &[Value]) {
    let Some(logger) = logger else {
        println!("no push logger in the job request: the job's logs are lost");
        tokio::time::sleep(Duration::from_secs(60)).await;
        return;
    };
    for _ in 0..60 {
        if logger.start_from >= events.len() {
            return;
        }
        let body: String = events[logger.start_from..].iter().map(|e| format!("{e}\n")).collect();
        let sent = http
            .post(format!("{}?start_from={}", logger.url, logger.start_from))
            .header("Content-Type", "text/plain")
            .header("Authorization", format!("Bearer {}", logger.token))
            .body(body)
            .send()
            .await;
        match sent.map(|r| r.status().as_u16()) {
            Ok(200) => logger.start_from = events.len(),
            Ok(401) => {
                let refreshed = http.post(format!("{api}/refresh")).header("Authorization", format!("Token {agent_token}")).send().await;
                if let Ok(r) = refreshed.and_then(|r| r.error_for_status()) {
                    if let Ok(v) = r.json::<Value>().await {
                        logger.token = v["token"].as_str().unwrap_or_default().to_string();
                    }
                }
            }
            Ok(422) => return,
            _ => {}
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    println!("could not push all logs to {} - giving up", logger.url);
}
