//! The dashboard, read back the way CloudWatch reads it: every metric, dimension, function and log
//! group it names must be one the stack's template or the scaler actually produces.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use agent_stack_config::Config;
use agent_stack_scaler::{emf, Decision, Observation, Reason, TickReport};
use agent_stack_template::{synth, SynthOptions};
use serde_json::{json, Value};

/// A metric as CloudWatch identifies it: namespace, name and dimensions.
type MetricId = (String, String, BTreeMap<String, String>);

fn template(config: &Config) -> Value {
    synth(config, &SynthOptions::default()).to_value()
}

/// The dashboard body, parsed from inside its `Fn::Sub`.
fn body(t: &Value) -> Value {
    let text = t["Resources"]["dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"].as_str().unwrap_or_default();
    serde_json::from_str(text).unwrap_or_else(|e| panic!("dashboard body is not JSON ({e}): {text}"))
}

fn widgets(t: &Value) -> Vec<Value> {
    body(t)["widgets"].as_array().cloned().unwrap_or_default()
}

/// Every metric row of every widget: `[namespace, name, dim, value, …, {options}]`.
fn metrics(t: &Value) -> Vec<MetricId> {
    let mut out = Vec::new();
    for w in widgets(t) {
        for row in w["properties"]["metrics"].as_array().into_iter().flatten() {
            let items: Vec<&str> = row.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            assert!(items.len() >= 2 && items.len().is_multiple_of(2), "malformed metric row {row}");
            let dims = items[2..].chunks(2).map(|p| (p[0].to_string(), p[1].to_string())).collect();
            out.push((items[0].to_string(), items[1].to_string(), dims));
        }
    }
    out
}

/// The metrics the scaler's EMF records define, for `stack`.
fn scaler_emits(stack: &str) -> BTreeSet<MetricId> {
    let decision = Decision { desired_before: 0, desired_after: 1, reason: Reason::ScaleUp { demand: 1, target: 1 } };
    let report = TickReport { observation: Observation::default(), decision };
    let mut out = BTreeSet::new();
    for record in emf::records(stack, &report, 0) {
        for m in record["_aws"]["CloudWatchMetrics"].as_array().into_iter().flatten() {
            let names: Vec<&str> = m["Dimensions"][0].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            let dims: BTreeMap<String, String> =
                names.iter().map(|d| (d.to_string(), record[*d].as_str().unwrap_or_default().to_string())).collect();
            for metric in m["Metrics"].as_array().into_iter().flatten() {
                let name = metric["Name"].as_str().unwrap_or_default().to_string();
                out.insert((m["Namespace"].as_str().unwrap_or_default().to_string(), name, dims.clone()));
            }
        }
    }
    out
}

/// The examples, the reference configs, the minimal config and a warm pool.
fn configs() -> Vec<(String, Config)> {
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&examples)
        .unwrap_or_else(|e| panic!("{}: {e}", examples.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.extend(common::REFERENCE_CONFIGS.iter().map(|n| common::reference_dir().join(format!("{n}.config.json"))));
    let mut out: Vec<(String, Config)> = paths.iter().map(|p| (p.display().to_string(), common::config_from_file(p))).collect();
    out.push(("minimal".into(), common::config_with(&[])));
    let pool = [("SEMAPHORE_AGENT_WARM_POOL_SIZE", "2"), ("SEMAPHORE_AGENT_ASG_MAX_SIZE", "5")];
    out.push(("warm pool".into(), common::config_with(&pool)));
    out
}

fn placeholder(id: &str) -> String {
    format!("${{{id}}}")
}

#[test]
fn the_dashboard_is_named_after_the_stack_and_its_region_and_tagged() {
    let t = template(&common::config_with(&[("SEMAPHORE_AGENT_TAGS", "Team:ci")]));
    let d = &t["Resources"]["dashboard"];
    assert_eq!(d["Type"], "AWS::CloudWatch::Dashboard");
    // Dashboards are global to the account: the region keeps same-named stacks apart.
    assert_eq!(d["Properties"]["DashboardName"], json!({ "Fn::Sub": "${AWS::StackName}-${AWS::Region}" }));
    assert_eq!(d["Properties"]["Tags"], json!([{ "Key": "Team", "Value": "ci" }]));
}

#[test]
fn every_scaler_metric_on_the_dashboard_is_one_the_scaler_emits() {
    for (name, config) in configs() {
        let emitted = scaler_emits(&config.stack_name);
        let shown: Vec<MetricId> = metrics(&template(&config)).into_iter().filter(|m| m.0 == emf::NAMESPACE).collect();
        for m in &shown {
            assert!(emitted.contains(m), "{name}: {m:?} is not among the scaler's metrics {emitted:?}");
        }
        let expected = if config.dynamic_scaling { emitted.len() } else { 0 };
        assert_eq!(shown.len(), expected, "{name}: every scaler metric is plotted once, none without a scaler");
    }
}

#[test]
fn group_metrics_on_the_dashboard_are_collected_by_the_group() {
    for (name, config) in configs() {
        let t = template(&config);
        assert_eq!(t["Resources"]["autoScalingGroup"]["Type"], "AWS::AutoScaling::AutoScalingGroup");
        let collected = &t["Resources"]["autoScalingGroup"]["Properties"]["MetricsCollection"][0];
        assert_eq!(collected["Granularity"], "1Minute");
        let collected: Vec<&str> = collected["Metrics"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let shown: Vec<MetricId> = metrics(&t).into_iter().filter(|m| m.0 == "AWS/AutoScaling").collect();
        assert!(shown.len() >= 4, "{name}: desired, in service, pending and terminating");
        for (_, metric, dims) in &shown {
            assert!(collected.contains(&metric.as_str()), "{name}: {metric} is plotted but not collected ({collected:?})");
            assert_eq!(dims, &BTreeMap::from([("AutoScalingGroupName".to_string(), placeholder("autoScalingGroup"))]), "{name}");
        }
        for configured in &config.asg.metrics {
            assert!(collected.contains(&configured.to_string().as_str()), "{name}: configured {configured} is still collected");
        }
        let pool = shown.iter().any(|m| m.1.starts_with("WarmPool"));
        assert_eq!(pool, config.asg.warm_pool.is_some(), "{name}: warm pool lines iff there is a pool");
    }
}

#[test]
fn lambda_metrics_name_the_scaler_function() {
    for (name, config) in configs() {
        let t = template(&config);
        let shown: Vec<MetricId> = metrics(&t).into_iter().filter(|m| m.0 == "AWS/Lambda").collect();
        assert_eq!(shown.is_empty(), !config.dynamic_scaling, "{name}");
        for (_, metric, dims) in &shown {
            assert!(["Duration", "Errors", "Throttles"].contains(&metric.as_str()), "{name}: {metric}");
            assert_eq!(dims, &BTreeMap::from([("FunctionName".to_string(), placeholder("scalerLambdaEE0B7FDF"))]), "{name}");
        }
        if config.dynamic_scaling {
            assert_eq!(t["Resources"]["scalerLambdaEE0B7FDF"]["Type"], "AWS::Lambda::Function", "{name}");
        }
    }
}

#[test]
fn log_tables_query_the_scaler_log_group_by_its_record_fields() {
    let t = template(&common::config_with(&[]));
    let logs: Vec<Value> = widgets(&t).into_iter().filter(|w| w["type"] == "log").collect();
    assert_eq!(logs.len(), 2);
    // The function writes to this group.
    let function = &t["Resources"]["scalerLambdaEE0B7FDF"]["Properties"];
    assert_eq!(function["LoggingConfig"]["LogGroup"], json!({ "Ref": "scalerLogGroup" }));
    assert_eq!(t["Resources"]["scalerLogGroup"]["Type"], "AWS::Logs::LogGroup");
    // The decision fields the query reads are the ones a Decision serializes.
    let decision = Decision { desired_before: 1, desired_after: 2, reason: Reason::ScaleUp { demand: 2, target: 2 } };
    let fields = serde_json::to_value(decision).unwrap_or_default();
    for w in &logs {
        let query = w["properties"]["query"].as_str().unwrap_or_default();
        assert!(query.starts_with("SOURCE '${scalerLogGroup}' | fields @timestamp"), "{query}");
        assert!(query.ends_with("| limit 50"), "{query}");
        for key in ["desired_before", "desired_after"] {
            assert!(fields.get(key).is_some());
            if query.contains("decision.") {
                assert!(query.contains(&format!("decision.{key}")), "{query}");
            }
        }
    }
    let static_fleet =
        template(&common::config_with(&[("SEMAPHORE_AGENT_USE_DYNAMIC_SCALING", "false"), ("SEMAPHORE_AGENT_ASG_DESIRED", "1")]));
    assert!(widgets(&static_fleet).iter().all(|w| w["type"] != "log"));
}

#[test]
fn every_placeholder_names_a_pseudo_parameter_or_a_resource_of_the_stack() {
    for (name, config) in configs() {
        let t = template(&config);
        let text = t["Resources"]["dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"].as_str().unwrap_or_default();
        for part in text.split("${").skip(1) {
            let id = part.split('}').next().unwrap_or_default();
            let known = id == "AWS::Region" || t["Resources"].get(id).is_some();
            assert!(known, "{name}: ${{{id}}} names nothing in the template");
        }
    }
}

#[test]
fn widgets_show_the_stacks_region_and_tile_the_grid_without_overlap() {
    for (name, config) in configs() {
        let ws = widgets(&template(&config));
        let mut cells = BTreeSet::new();
        for w in &ws {
            if w["type"] != "text" {
                assert_eq!(w["properties"]["region"], "${AWS::Region}", "{name}: {w}");
                assert!(w["properties"]["title"].is_string(), "{name}: {w}");
            }
            let [x, y, width, height] = ["x", "y", "width", "height"].map(|k| w[k].as_u64().unwrap_or(u64::MAX));
            assert!(x + width <= 24, "{name}: {w}");
            for cell in (x..x + width).flat_map(|cx| (y..y + height).map(move |cy| (cx, cy))) {
                assert!(cells.insert(cell), "{name}: widgets overlap at {cell:?}");
            }
        }
        let titles: Vec<&str> = ws.iter().filter_map(|w| w["properties"]["title"].as_str()).collect();
        let expected = match (config.dynamic_scaling, config.asg.warm_pool.is_some()) {
            (true, false) => 7,
            (true, true) => 8,
            (false, false) => 1,
            (false, true) => 2,
        };
        assert_eq!(titles.len(), expected, "{name}: {titles:?}");
    }
}
