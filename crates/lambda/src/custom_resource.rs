//! CloudFormation custom resources served by this function: the AZRebalance suspension.
//!
//! Answers through the request's pre-signed `ResponseURL`. An event without a usable URL comes from
//! CDK's provider framework (still present while a stack migrates from agent-aws-stack): the result
//! is then returned directly, as that framework expects.

use std::time::Duration;

use serde_json::{json, Value};

use crate::log;

/// Whether the event is a CloudFormation custom resource request.
pub fn is_custom_resource_event(event: &Value) -> bool {
    event.get("RequestType").is_some_and(Value::is_string) && event.get("LogicalResourceId").is_some()
}

/// The outcome for CloudFormation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub physical_id: String,
    pub failure: Option<String>,
}

/// Carries out the request (pure of transport): Create/Update suspend AZRebalance, Delete does nothing.
pub async fn apply(sdk: &aws_config::SdkConfig, event: &Value) -> Outcome {
    let request = event["RequestType"].as_str().unwrap_or_default();
    let group = event["ResourceProperties"]["AutoScalingGroupName"].as_str().unwrap_or_default();
    let physical_id =
        event["PhysicalResourceId"].as_str().map(str::to_string).unwrap_or_else(|| format!("az-rebalance-suspension/{group}"));
    let failure = match request {
        "Delete" => None,
        "Create" | "Update" if group.is_empty() => Some("ResourceProperties.AutoScalingGroupName is missing".to_string()),
        "Create" | "Update" => agent_stack_aws::suspend_az_rebalance(sdk, group).await.err().map(String::from),
        other => Some(format!("unknown RequestType {other:?}")),
    };
    Outcome { physical_id, failure }
}

/// The response document CloudFormation expects.
pub fn response_body(event: &Value, outcome: &Outcome) -> Value {
    let mut body = json!({
        "Status": if outcome.failure.is_some() { "FAILED" } else { "SUCCESS" },
        "PhysicalResourceId": outcome.physical_id,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": {},
    });
    if let Some(reason) = &outcome.failure {
        body["Reason"] = json!(reason);
    }
    body
}

pub async fn handle(sdk: &aws_config::SdkConfig, event: &Value) -> Result<Value, String> {
    let outcome = apply(sdk, event).await;
    log::info(
        "custom resource",
        &json!({
            "request": event["RequestType"],
            "logical_id": event["LogicalResourceId"],
            "physical_id": outcome.physical_id,
            "error": outcome.failure,
        }),
    );
    let url = event["ResponseURL"].as_str().filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    let Some(url) = url else {
        // CDK provider framework: it reads our return value and reports to CloudFormation itself.
        return match outcome.failure {
            Some(reason) => Err(reason),
            None => Ok(json!({ "PhysicalResourceId": outcome.physical_id })),
        };
    };
    send_response(url, &response_body(event, &outcome)).await?;
    Ok(json!({ "PhysicalResourceId": outcome.physical_id }))
}

/// PUTs the response to the pre-signed URL, retrying briefly: without it the stack waits an hour.
async fn send_response(url: &str, body: &Value) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let text = body.to_string();
    let mut last = String::new();
    for attempt in 0..3u64 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500 * attempt)).await;
        }
        // S3 pre-signed URLs are signed without a content type.
        match http.put(url).header("content-type", "").body(text.clone()).send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => last = format!("HTTP {}", r.status().as_u16()),
            Err(e) => last = if e.is_timeout() { "timed out".into() } else { "connection failed".into() },
        }
    }
    Err(format!("could not send the custom resource response: {last}"))
}
