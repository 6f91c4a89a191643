//! CloudWatch Embedded Metric Format records: metrics from a log line, no API call in the tick.

use serde_json::{json, Value};

use crate::tick::TickReport;

/// The CloudWatch namespace agent-aws-stack publishes to.
pub const NAMESPACE: &str = "Semaphore";

/// EMF records for one tick: `JobCount{StackName,JobState}`, `AgentCount{StackName,AgentState}` and
/// the decision's `DesiredCapacityBefore`/`DesiredCapacityAfter{StackName}`.
pub fn records(stack_name: &str, report: &TickReport, timestamp_ms: u64) -> Vec<Value> {
    let o = &report.observation;
    let count = |metric: &str, dimension: &str, state: &str, value: i64| {
        json!({
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [["StackName", dimension]],
                    "Metrics": [{ "Name": metric, "Unit": "Count" }],
                }],
            },
            "StackName": stack_name,
            dimension: state,
            metric: value,
        })
    };
    vec![
        count("JobCount", "JobState", "queued", o.jobs.queued),
        count("JobCount", "JobState", "running", o.jobs.running),
        count("AgentCount", "AgentState", "idle", o.agents.idle),
        count("AgentCount", "AgentState", "occupied", o.agents.occupied),
        json!({
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [["StackName"]],
                    "Metrics": [
                        { "Name": "DesiredCapacityBefore", "Unit": "Count" },
                        { "Name": "DesiredCapacityAfter", "Unit": "Count" },
                    ],
                }],
            },
            "StackName": stack_name,
            "DesiredCapacityBefore": report.decision.desired_before,
            "DesiredCapacityAfter": report.decision.desired_after,
        }),
    ]
}
