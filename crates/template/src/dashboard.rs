//! The stack's CloudWatch dashboard: Semaphore's jobs and agents as the scaler sees them, the
//! group's capacity, and the scaler's decisions, errors and function health, on one page.
//!
//! The body is JSON built with serde_json, then passed through `Fn::Sub` so the region, the group,
//! the function and the log group resolve at deploy time. Dashboards are global to the account,
//! so the name carries the region: same-named stacks in two regions get a dashboard each.

use agent_stack_config::{AsgMetric, Config};
use agent_stack_scaler::emf;
use serde_json::{json, Value};

use crate::cfn::{resource, sub, sub_escape, tag_list, with_tags};
use crate::{ids, Template};

/// `DashboardName` (inside `Fn::Sub`): `<stack>-<region>`, within the name rules (at most 255 of
/// `A-Za-z0-9-_`) since stack names are letters, digits and hyphens.
pub const NAME: &str = "${AWS::StackName}-${AWS::Region}";

/// The grid is 24 units wide; widgets are two to a row.
const GRID_WIDTH: u64 = 24;
const HALF: u64 = GRID_WIDTH / 2;
const CHART_HEIGHT: u64 = 6;
/// Rows a Logs Insights table shows.
const LOG_ROWS: u32 = 50;

/// The group's capacity lines, with their labels.
const GROUP_LINES: &[(AsgMetric, &str)] = &[
    (AsgMetric::GroupDesiredCapacity, "desired"),
    (AsgMetric::GroupInServiceCapacity, "in service"),
    (AsgMetric::GroupPendingCapacity, "pending (launching)"),
    (AsgMetric::GroupTerminatingCapacity, "terminating (draining)"),
];

/// The warm pool's lines, shown when the group has one.
const WARM_POOL_LINES: &[(AsgMetric, &str)] = &[
    (AsgMetric::WarmPoolDesiredCapacity, "pool size"),
    (AsgMetric::WarmPoolWarmedCapacity, "warmed"),
    (AsgMetric::WarmPoolPendingCapacity, "warming"),
];

/// Group metrics the dashboard plots.
fn plotted_group_metrics(config: &Config) -> Vec<(AsgMetric, &'static str)> {
    let mut lines = GROUP_LINES.to_vec();
    if config.asg.warm_pool.is_some() {
        lines.extend_from_slice(WARM_POOL_LINES);
    }
    lines
}

/// Metrics the group collects (`MetricsCollection`): those configured in
/// `SEMAPHORE_AGENT_ASG_METRICS`, then those the dashboard plots. Group metrics cost nothing.
pub fn collected_group_metrics(config: &Config) -> Vec<AsgMetric> {
    let mut metrics = config.asg.metrics.clone();
    for (metric, _) in plotted_group_metrics(config) {
        if !metrics.contains(&metric) {
            metrics.push(metric);
        }
    }
    metrics
}

pub fn add(t: &mut Template, config: &Config) {
    let text = serde_json::to_string(&body(config)).unwrap_or_default();
    let props = json!({ "DashboardBody": sub(text), "DashboardName": sub(NAME) });
    t.add(ids::DASHBOARD, with_tags(resource("AWS::CloudWatch::Dashboard", props), tag_list(&config.tags)));
}

/// The dashboard body before `Fn::Sub`: `${…}` name the region and the stack's resources.
pub fn body(config: &Config) -> Value {
    let mut grid = Grid::default();
    grid.place(GRID_WIDTH, 2, header(config));
    if config.dynamic_scaling {
        grid.place(HALF, CHART_HEIGHT, jobs(config));
        grid.place(HALF, CHART_HEIGHT, agents(config));
    }
    grid.place(HALF, CHART_HEIGHT, group(GROUP_LINES, "Instances (capacity units)"));
    if config.asg.warm_pool.is_some() {
        grid.place(HALF, CHART_HEIGHT, group(WARM_POOL_LINES, "Warm pool"));
    }
    if config.dynamic_scaling {
        grid.place(HALF, CHART_HEIGHT, decisions(config));
        grid.place(HALF, CHART_HEIGHT, scaler_function());
        grid.place(HALF, CHART_HEIGHT, log_table("Scaler: capacity raised, and why", RAISES_QUERY));
        grid.place(HALF, CHART_HEIGHT, log_table("Scaler: errors and back-offs", PROBLEMS_QUERY));
    }
    json!({ "widgets": grid.widgets })
}

/// Lays widgets out left to right, starting a new row when one does not fit.
#[derive(Default)]
struct Grid {
    widgets: Vec<Value>,
    x: u64,
    y: u64,
    row_height: u64,
}

impl Grid {
    fn place(&mut self, width: u64, height: u64, mut widget: Value) {
        if self.x + width > GRID_WIDTH {
            (self.x, self.y, self.row_height) = (0, self.y + self.row_height, 0);
        }
        widget["x"] = json!(self.x);
        widget["y"] = json!(self.y);
        widget["width"] = json!(width);
        widget["height"] = json!(height);
        self.widgets.push(widget);
        self.x += width;
        self.row_height = self.row_height.max(height);
    }
}

fn header(config: &Config) -> Value {
    let scaling = if config.dynamic_scaling {
        format!("Jobs, agents and decisions come from the scaler's metrics (namespace `{}`) and log.", emf::NAMESPACE)
    } else {
        "Static fleet: no scaler runs, so Semaphore's job and agent counts are not recorded.".to_string()
    };
    let markdown = format!(
        "## Semaphore agents: stack {}\n{scaling} Made by agent-stack's template: edits here are lost on the next deploy.",
        sub_escape(&config.stack_name)
    );
    json!({ "type": "text", "properties": { "markdown": markdown } })
}

/// A time-series widget of the stack's region, one data point a minute.
fn chart(title: &str, metrics: Vec<Value>) -> Value {
    json!({
        "type": "metric",
        "properties": {
            "metrics": metrics,
            "period": 60,
            "region": "${AWS::Region}",
            "stacked": false,
            "title": title,
            "view": "timeSeries",
        },
    })
}

/// One of the scaler's `count` metrics (`JobCount`, `AgentCount`) for each state.
fn scaler_counts(config: &Config, metric: &str, dimension: &str, states: &[(&str, &str)]) -> Vec<Value> {
    let stack = sub_escape(&config.stack_name);
    states
        .iter()
        .map(|(state, label)| json!([emf::NAMESPACE, metric, "StackName", stack, dimension, state, { "label": label, "stat": "Maximum" }]))
        .collect()
}

fn jobs(config: &Config) -> Value {
    chart("Jobs", scaler_counts(config, "JobCount", "JobState", &[("queued", "queued"), ("running", "running")]))
}

fn agents(config: &Config) -> Value {
    chart("Agents", scaler_counts(config, "AgentCount", "AgentState", &[("idle", "idle"), ("occupied", "busy")]))
}

fn group(lines: &[(AsgMetric, &str)], title: &str) -> Value {
    let group = format!("${{{}}}", ids::AUTO_SCALING_GROUP);
    let metrics = lines
        .iter()
        .map(|(metric, label)| json!(["AWS/AutoScaling", metric, "AutoScalingGroupName", group, { "label": label, "stat": "Maximum" }]))
        .collect();
    chart(title, metrics)
}

fn decisions(config: &Config) -> Value {
    let stack = sub_escape(&config.stack_name);
    let line = |metric: &str, label: &str| json!([emf::NAMESPACE, metric, "StackName", stack, { "label": label, "stat": "Maximum" }]);
    chart(
        "Scaler: desired capacity before and after each decision",
        vec![line("DesiredCapacityBefore", "before"), line("DesiredCapacityAfter", "after")],
    )
}

fn scaler_function() -> Value {
    let function = format!("${{{}}}", ids::SCALER_FUNCTION);
    let line = |metric: &str, stat: &str, label: &str, right: bool| {
        let mut options = json!({ "label": label, "stat": stat });
        if right {
            options["yAxis"] = json!("right");
        }
        json!(["AWS/Lambda", metric, "FunctionName", function, options])
    };
    chart(
        "Scaler function: duration (ms), errors and throttles",
        vec![
            line("Duration", "Maximum", "duration, max", false),
            line("Duration", "Average", "duration, average", false),
            line("Errors", "Sum", "errors", true),
            line("Throttles", "Sum", "throttles", true),
        ],
    )
}

/// Ticks that raised the desired capacity, with the policy's reason.
const RAISES_QUERY: &str = "fields @timestamp, decision.desired_before, decision.desired_after, reason\n\
| filter message = \"tick\" and decision.desired_after > decision.desired_before\n\
| sort @timestamp desc";

/// Failed ticks and invocations (ERROR) and Semaphore's back-offs (WARN).
const PROBLEMS_QUERY: &str = "fields @timestamp, level, message, error.system, error.message, error\n\
| filter level = \"ERROR\" or level = \"WARN\"\n\
| sort @timestamp desc";

/// A Logs Insights table over the scaler's log group.
fn log_table(title: &str, query: &str) -> Value {
    json!({
        "type": "log",
        "properties": {
            "query": format!("SOURCE '${{{}}}' | {query}\n| limit {LOG_ROWS}", ids::SCALER_LOG_GROUP),
            "region": "${AWS::Region}",
            "title": title,
            "view": "table",
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widgets_fill_rows_of_two_without_overlapping() {
        let mut grid = Grid::default();
        for (w, h) in [(24, 2), (12, 6), (12, 6), (12, 6)] {
            grid.place(w, h, json!({}));
        }
        let at: Vec<(u64, u64)> = grid.widgets.iter().map(|w| (w["x"].as_u64().unwrap_or(99), w["y"].as_u64().unwrap_or(99))).collect();
        assert_eq!(at, vec![(0, 0), (0, 2), (12, 2), (0, 8)]);
    }

    #[test]
    fn the_name_fits_the_dashboard_name_rules_for_the_longest_stack_name() {
        let longest = "a".repeat(agent_stack_config::MAX_STACK_NAME);
        let name = NAME.replace("${AWS::StackName}", &longest).replace("${AWS::Region}", "ap-southeast-4");
        assert!(name.len() <= 255 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{name}");
    }
}
