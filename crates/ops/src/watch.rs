//! `agent-stack status --watch`: the status report with its instances counted by lifecycle state
//! and the scaler's latest decisions from its log, redrawn in place on a terminal, or one line per
//! refresh (and one per new decision) when the output is not a terminal.

use std::collections::BTreeMap;

use agent_stack_aws::logs::LogEvent;
use agent_stack_config::time::utc_text;
use serde::Serialize;
use serde_json::Value;

use crate::status::{SemaphoreView, StatusReport};

/// How many decisions the live view keeps.
pub const SHOWN_DECISIONS: usize = 8;

/// A tick of the scaler that changed something, or failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScalerEvent {
    pub time: String,
    pub timestamp_ms: i64,
    /// `raised 2 → 5: 5 jobs need 5 instances`, or `failed: …`.
    pub what: String,
}

/// The event a scaler log record stands for: a tick that raised the desired capacity, or a
/// failed tick. Other records (ticks that changed nothing, the run's summary) are `None`.
pub fn scaler_event(event: &LogEvent) -> Option<ScalerEvent> {
    let record: Value = serde_json::from_str(event.message.trim()).ok()?;
    let what = match (record["level"].as_str(), record["message"].as_str()) {
        (Some("INFO"), Some("tick")) => {
            let (before, after) = (record["decision"]["desired_before"].as_i64()?, record["decision"]["desired_after"].as_i64()?);
            if after == before {
                return None;
            }
            format!("desired {before} → {after}: {}", record["reason"].as_str().unwrap_or_default())
        }
        (Some("ERROR"), Some(message)) => {
            let error = &record["error"];
            format!("{message}: {}", error["message"].as_str().or(error.as_str()).unwrap_or_default())
        }
        _ => return None,
    };
    let time = utc_text(u64::try_from(event.timestamp / 1_000).unwrap_or(0));
    Some(ScalerEvent { time, timestamp_ms: event.timestamp, what })
}

/// The group's instances by lifecycle state, `3 InService, 1 Pending`, draining ones marked.
pub fn instance_counts(report: &StatusReport) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for i in report.instances.iter().flatten() {
        *counts.entry(i.member.lifecycle_state.as_str().to_string()).or_default() += 1;
    }
    let draining = report.instances.iter().flatten().filter(|i| i.draining).count();
    let mut text = if counts.is_empty() {
        "none".to_string()
    } else {
        counts.iter().map(|(state, n)| format!("{n} {state}")).collect::<Vec<_>>().join(", ")
    };
    if draining > 0 {
        text.push_str(&format!(" ({draining} draining)"));
    }
    text
}

fn jobs_and_agents(report: &StatusReport) -> String {
    match &report.semaphore {
        SemaphoreView::Metrics(m) => {
            format!("jobs {} queued, {} running; agents {} idle, {} busy", m.jobs.queued, m.jobs.running, m.agents.idle, m.agents.occupied)
        }
        SemaphoreView::Error { error } => format!("semaphore: {error}"),
    }
}

fn capacity(report: &StatusReport) -> String {
    match &report.asg {
        Some(g) => {
            let pool = g.warm_pool.as_ref().map(|p| format!(", warm pool {}/{}", p.instances, p.size)).unwrap_or_default();
            format!("desired {} (min {}, max {}{pool})", g.desired, g.min, g.max)
        }
        None => "no group yet".to_string(),
    }
}

/// The live view: a screenful, newest decisions last.
pub fn screen(report: &StatusReport, decisions: &[ScalerEvent], at: &str, every_s: u64) -> String {
    let mut text = format!("{} — {} — every {every_s} s, Ctrl-C to stop\n\n", report.stack, at);
    text.push_str(&format!("stack      {}\n", report.stack_status));
    text.push_str(&format!("{}\n", jobs_and_agents(report)));
    text.push_str(&format!("group      {}\n", capacity(report)));
    text.push_str(&format!("instances  {}\n", instance_counts(report)));
    text.push_str("\nscaler decisions (latest last):\n");
    if decisions.is_empty() {
        text.push_str("  none in the last hour\n");
    }
    for d in decisions.iter().rev().take(SHOWN_DECISIONS).rev() {
        text.push_str(&format!("  {}  {}\n", d.time, d.what));
    }
    if let Some(url) = &report.dashboard {
        text.push_str(&format!("\ndashboard: {url}\n"));
    }
    text
}

/// One line per refresh when the output is not a terminal.
pub fn line(report: &StatusReport, at: &str) -> String {
    format!("{at} {}; {}; instances {}", jobs_and_agents(report), capacity(report), instance_counts(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(message: &str) -> LogEvent {
        LogEvent { id: "1".into(), stream: "s".into(), timestamp: 1_000, message: message.into() }
    }

    #[test]
    fn only_raises_and_failures_are_decisions_worth_showing() {
        let raised = r#"{"level":"INFO","message":"tick","stack":"s","decision":{"desired_before":2,"desired_after":5,"reason":{"ScaleUp":{"demand":5,"target":5}}},"reason":"5 jobs need 5 instances"}"#;
        let e = scaler_event(&event(raised)).unwrap_or_else(|| panic!("a raise"));
        assert_eq!((e.time.as_str(), e.what.as_str()), ("1970-01-01T00:00:01Z", "desired 2 → 5: 5 jobs need 5 instances"));
        let same = r#"{"level":"INFO","message":"tick","decision":{"desired_before":5,"desired_after":5},"reason":"enough"}"#;
        assert_eq!(scaler_event(&event(same)), None);
        let failed = r#"{"level":"ERROR","message":"tick failed; capacity unchanged","error":{"system":"semaphore","message":"GET …/metrics: HTTP 401"}}"#;
        assert!(scaler_event(&event(failed)).is_some_and(|e| e.what.contains("HTTP 401")));
        assert_eq!(scaler_event(&event("START RequestId: 1 Version: $LATEST")), None);
    }

    #[test]
    fn the_view_counts_instances_by_state_and_shows_the_latest_decisions() {
        use agent_stack_scaler::{Agents, Jobs, Metrics};
        let metrics = Metrics { jobs: Jobs { queued: 2, running: 1 }, agents: Agents { idle: 0, occupied: 1 } };
        let report = crate::status::tests::report(SemaphoreView::Metrics(metrics));
        assert_eq!(instance_counts(&report), "1 Terminating:Wait (1 draining)");
        let decisions: Vec<ScalerEvent> =
            (0..10).map(|i| ScalerEvent { time: format!("t{i}"), timestamp_ms: i, what: format!("desired {i} → {}", i + 1) }).collect();
        let screen = screen(&report, &decisions, "now", 5);
        assert!(
            screen.contains("jobs 2 queued, 1 running; agents 0 idle, 1 busy") && screen.contains("desired 1 (min 0, max 3)"),
            "{screen}"
        );
        assert!(
            !screen.contains("t1 ") && screen.contains("t2  desired 2 → 3") && screen.trim_end().ends_with("t9  desired 9 → 10"),
            "the last eight: {screen}"
        );
        assert_eq!(
            line(&report, "now"),
            "now jobs 2 queued, 1 running; agents 0 idle, 1 busy; desired 1 (min 0, max 3); instances 1 Terminating:Wait (1 draining)"
        );
    }
}
