//! `agent-stack status --watch` against moto: refreshes until Ctrl-C, one line per refresh when
//! stdout is not a terminal, with the scaler's decisions from its log group. The records are the
//! scaler Lambda's own (`agent_stack_lambda::scaler::tick_records`), shipped to moto's CloudWatch
//! Logs as Lambda would.

mod common;
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agent_stack_aws::logs_sdk::types::InputLogEvent;
use agent_stack_aws::logs_sdk::Client as Logs;
use agent_stack_config::{Overprovision, OverprovisionStrategy};
use agent_stack_lambda::scaler::tick_records;
use agent_stack_scaler::{decide, Agents, AsgCapacity, Jobs, Observation, SourceError, TickReport};
use common::on_moto;
use serde_json::Value;
use support::*;

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn tick(queued: i64, desired: i64) -> Result<TickReport, SourceError> {
    let observation = Observation {
        jobs: Jobs { queued, running: 0 },
        agents: Agents { idle: 0, occupied: 0 },
        asg: AsgCapacity { desired, min: 0, max: 3, ..AsgCapacity::default() },
    };
    let decision = decide(&observation, Overprovision { strategy: OverprovisionStrategy::None, factor: 0 });
    Ok(TickReport { observation, decision })
}

fn status(fleet: &Fleet, args: &[&str]) -> Command {
    let mut cmd = on_moto(fleet.moto);
    cmd.arg("status").arg("--config").arg(fleet.config_file()).args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

/// Runs `status ARGS…` for `seconds`, then Ctrl-C: exit code and stdout.
async fn watch_for(fleet: &Fleet, args: &[&str], seconds: u64) -> (Option<i32>, String) {
    let child = status(fleet, args).spawn().unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    (out.status.code(), String::from_utf8_lossy(&out.stdout).to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn status_watch_refreshes_with_the_scalers_decisions_until_ctrl_c() {
    let Some(fleet) = fleet_with(1, &[]).await else { return };
    let logs = Logs::new(&fleet.sdk);
    let group = format!("/agent-stack/{}/scaler", fleet.stack.stack_name);
    let stream = "2026/11/30/[$LATEST]0123456789abcdef";
    let _ = logs.create_log_group().log_group_name(&group).send().await;
    logs.create_log_stream().log_group_name(&group).log_stream_name(stream).send().await.unwrap_or_else(|e| panic!("{e:?}"));
    let stack = fleet.stack.stack_name.as_str();
    let t0 = now_ms() - 30_000;
    let mut records: Vec<Value> = Vec::new();
    records.extend(tick_records(stack, &tick(1, 0), t0 as u64));
    records.extend(tick_records(stack, &tick(1, 1), t0 as u64 + 1_000));
    records.extend(tick_records(
        stack,
        &Err(SourceError::semaphore("GET …/metrics: HTTP 401, the server did not accept the Authorization header")),
        t0 as u64,
    ));
    let events: Vec<InputLogEvent> = records
        .iter()
        .enumerate()
        .map(|(i, r)| InputLogEvent::builder().timestamp(t0 + i as i64).message(r.to_string()).build().unwrap_or_else(|e| panic!("{e}")))
        .collect();
    logs.put_log_events()
        .log_group_name(&group)
        .log_stream_name(stream)
        .set_log_events(Some(events))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));

    // Not a terminal: a line per refresh, each decision once.
    let (code, out) = watch_for(&fleet, &["--watch", "--interval", "2"], 6).await;
    assert_eq!(code, Some(0), "Ctrl-C ends it cleanly: {out}");
    let refreshes: Vec<&str> = out.lines().filter(|l| l.contains(" jobs ") && l.contains("desired 1 (min 0, max 3)")).collect();
    assert!(refreshes.len() >= 2, "{out}");
    assert!(refreshes.iter().all(|l| l.ends_with("instances 1 InService") || l.contains("instances 1 ")), "{out}");
    let raised: Vec<&str> = out.lines().filter(|l| l.contains("scaler: desired 0 → 1")).collect();
    assert_eq!(raised.len(), 1, "{out}");
    assert_eq!(out.lines().filter(|l| l.contains("scaler: tick failed; capacity unchanged: GET …/metrics: HTTP 401")).count(), 1, "{out}");
    assert!(!out.contains("desired 1 → 1"), "a tick that changed nothing is not a decision: {out}");

    // JSON: one object per refresh; the decisions come with the first.
    let (code, out) = watch_for(&fleet, &["--watch", "--interval", "2", "--output", "json"], 5).await;
    assert_eq!(code, Some(0), "{out}");
    let objects: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert!(objects.len() >= 2 && objects.iter().all(|o| o["status"]["stack"] == stack), "{out}");
    assert_eq!(objects[0]["decisions"].as_array().map(Vec::len), Some(2), "{out}");

    // Bad flags: exit 2 naming them.
    for (args, name) in [(&["--interval", "5"][..], "--watch"), (&["--watch", "--interval", "1"][..], "--interval")] {
        let out = status(&fleet, args).output().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(name), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
