//! The `bootstrap` binary speaks the Lambda Runtime API: a local stand-in hands it one event and
//! records the answer, as the provided.al2023 runtime would.

use agent_stack_testkit::lambda_api::invoke_once;
use serde_json::{json, Value};

async fn run_one(event: Value, role: &str) -> (String, Value) {
    invoke_once(std::path::Path::new(env!("CARGO_BIN_EXE_bootstrap")), event, role).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_a_custom_resource_event_through_the_runtime_api() {
    let event = json!({
        "RequestType": "Delete", "ResponseURL": "...", "StackId": "s", "RequestId": "r",
        "LogicalResourceId": "azRebalanceSuspender", "PhysicalResourceId": "CustomResourcePhysicalID",
        "ResourceProperties": { "AutoScalingGroupName": "g" },
    });
    let (kind, value) = run_one(event, "az-rebalance-suspender").await;
    assert_eq!((kind.as_str(), value), ("response", json!({ "PhysicalResourceId": "CustomResourcePhysicalID" })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_a_broken_environment_as_an_invocation_error() {
    let (kind, value) = run_one(json!({ "time": "2026-11-27T23:00:00Z" }), "scaler").await;
    assert_eq!(kind, "error");
    let message = value["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME is not set"), "{value}");
}
