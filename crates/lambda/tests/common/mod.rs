//! Set-up shared by the Lambda's integration tests: moto, a deployed stack with its token, the
//! Semaphore stub, a GitHub meta stand-in and an endpoint that records CloudFormation responses.
#![allow(dead_code)] // each test file uses part of it

use std::sync::{Arc, Mutex};

use agent_stack_aws::{sdk_config, CallProfile, SdkConfig};
use agent_stack_config::{lambda_env, RegistrationToken};
use agent_stack_lambda::clock::{now_ms, SystemClock};
use agent_stack_lambda::{custom_resource, scaler};
use agent_stack_testkit::moto::unique;
use agent_stack_testkit::serve::{serve, Served};
use agent_stack_testkit::stack::{config, deploy, DeployedStack};
use agent_stack_testkit::{Moto, SemaphoreStub};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, put};
use axum::Router;
use serde_json::{json, Value};

pub const TOKEN: &str = "registration-token-for-tests";

pub async fn moto_sdk() -> Option<SdkConfig> {
    let moto = Moto::shared()?;
    moto.export_env();
    Some(sdk_config(CallProfile::Command).await)
}

/// Our template deployed into moto (the custom resource answered by the handler), the token in SSM,
/// and the Semaphore stub with the agent type.
pub async fn setup(pairs: &[(&str, &str)]) -> Option<(SdkConfig, DeployedStack, SemaphoreStub)> {
    let moto = Moto::shared()?;
    moto.export_env();
    let sdk = sdk_config(CallProfile::Command).await;
    let stack = unique("scaler");
    let token_name = format!("/{stack}/token");
    let mut all = vec![
        ("SEMAPHORE_AGENT_STACK_NAME", stack.as_str()),
        ("SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME", token_name.as_str()),
        ("SEMAPHORE_ORGANIZATION", "test"),
    ];
    all.extend_from_slice(pairs);
    let sdk_ref = &sdk;
    let deployed = deploy(moto, &sdk, config(&all), |event| async move {
        custom_resource::handle(sdk_ref, &event).await.unwrap_or_else(|e| panic!("custom resource: {e}"));
    })
    .await;
    agent_stack_aws::put_token(&sdk, &token_name, &RegistrationToken::new(TOKEN), None).await.unwrap_or_else(|e| panic!("{e}"));
    let stub = SemaphoreStub::start().await;
    stub.add_agent_type(TOKEN);
    Some((sdk, deployed, stub))
}

/// The scaler's settings exactly as the template's environment gives them (with the ASG `Ref`
/// resolved by CloudFormation), pointed at the stub.
pub fn scaler_settings(deployed: &DeployedStack, stub: &SemaphoreStub) -> scaler::Settings {
    let vars = &deployed.template["Resources"]["scalerLambdaEE0B7FDF"]["Properties"]["Environment"]["Variables"];
    scaler::Settings::from_env(|key| match key {
        k if k == lambda_env::ASG_NAME => Some(deployed.asg_name.clone()),
        k if k == lambda_env::ENDPOINT => Some(stub.endpoint()),
        k => vars[k].as_str().map(str::to_string),
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

/// One scaler invocation whose deadline leaves room for ticks starting within `ticking_ms`
/// (0: exactly one tick).
pub async fn invoke_for(sdk: &SdkConfig, settings: &scaler::Settings, ticking_ms: u64) -> Result<scaler::Summary, String> {
    use agent_stack_scaler::schedule::{SAFETY_MARGIN_MS, TICK_BUDGET_MS, TICK_INTERVAL_MS};
    // The first tick may start up to 1.5 s late (set-up on a loaded machine); a second one is due
    // 2 s after the first, past that.
    const LATE_START_MS: u64 = TICK_INTERVAL_MS * 3 / 4;
    let deadline = now_ms() + TICK_BUDGET_MS + SAFETY_MARGIN_MS + LATE_START_MS + ticking_ms;
    scaler::invoke(sdk, settings, &json!({ "time": "not a time" }), deadline, &SystemClock).await
}

/// One invocation whose deadline leaves room for exactly one tick.
pub async fn invoke_once(sdk: &SdkConfig, settings: &scaler::Settings) -> Result<scaler::Summary, String> {
    invoke_for(sdk, settings, 0).await
}

/// A function's environment exactly as the template gives it, with `Ref`s of the group resolved as
/// CloudFormation resolves them, and `overrides` on top.
pub fn function_env(deployed: &DeployedStack, function: &str, overrides: &[(&str, String)]) -> Vec<(String, String)> {
    let vars = &deployed.template["Resources"][function]["Properties"]["Environment"]["Variables"];
    let mut env: Vec<(String, String)> = vars
        .as_object()
        .unwrap_or_else(|| panic!("{function} has no environment"))
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => s.clone(),
                v if v["Ref"] == "autoScalingGroup" => deployed.asg_name.clone(),
                other => panic!("{function}: {k} = {other} is not resolved here"),
            };
            (k.clone(), value)
        })
        .collect();
    for (k, v) in overrides {
        env.retain(|(key, _)| key != k);
        env.push((k.to_string(), v.clone()));
    }
    env
}

pub type Recorded = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// A stand-in for the pre-signed S3 response URL (served at `/response`): records each PUT
/// (content type, body).
pub async fn response_sink() -> (Served, Recorded) {
    let seen: Recorded = Arc::default();
    let router = Router::new()
        .route(
            "/response",
            put(|State(seen): State<Recorded>, headers: HeaderMap, body: Bytes| async move {
                let ct = headers.get("content-type").and_then(|v| v.to_str().ok()).map(str::to_string);
                let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                seen.lock().unwrap_or_else(|p| p.into_inner()).push((ct, v));
                StatusCode::OK
            }),
        )
        .with_state(seen.clone());
    (serve(router).await, seen)
}

pub type Keys = Arc<Mutex<Vec<String>>>;

/// A stand-in for GitHub's `/meta`, serving `keys` as its `ssh_keys`.
pub async fn github_meta(keys: &Keys) -> Served {
    let router = Router::new()
        .route(
            "/meta",
            get(|State(keys): State<Keys>| async move {
                axum::Json(json!({ "ssh_keys": keys.lock().unwrap_or_else(|p| p.into_inner()).clone(), "hooks": [] }))
            }),
        )
        .with_state(keys.clone());
    serve(router).await
}

/// A CloudFormation custom resource request for the AZ-rebalance suspender.
pub fn custom_resource_event(request: &str, response_url: Option<&str>, group: &str) -> Value {
    let mut e = json!({
        "RequestType": request,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
        "RequestId": "req-1",
        "LogicalResourceId": "azRebalanceSuspension",
        "ResourceType": "Custom::AzRebalanceSuspender",
        "ResourceProperties": { "AutoScalingGroupName": group },
    });
    if let Some(url) = response_url {
        e["ResponseURL"] = json!(url);
    }
    if request != "Create" {
        e["PhysicalResourceId"] = json!(format!("az-rebalance-suspension/{group}"));
    }
    e
}

/// The group's suspended processes.
pub async fn suspended_processes(sdk: &SdkConfig, group: &str) -> Vec<String> {
    let client = agent_stack_aws::autoscaling::Client::new(sdk);
    let out = client.describe_auto_scaling_groups().auto_scaling_group_names(group).send().await;
    out.ok()
        .and_then(|o| o.auto_scaling_groups().first().cloned())
        .map(|g| g.suspended_processes().iter().filter_map(|p| p.process_name().map(str::to_string)).collect())
        .unwrap_or_default()
}

pub async fn desired_and_instances(sdk: &SdkConfig, asg: &str) -> (i64, usize) {
    let client = agent_stack_aws::autoscaling::Client::new(sdk);
    let out = client.describe_auto_scaling_groups().auto_scaling_group_names(asg).send().await;
    let group = out.ok().and_then(|o| o.auto_scaling_groups().first().cloned()).unwrap_or_else(|| panic!("no group {asg}"));
    (i64::from(group.desired_capacity().unwrap_or(-1)), group.instances().len())
}
