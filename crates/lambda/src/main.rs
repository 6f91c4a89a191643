//! The agent-stack Lambda (`bootstrap` on `provided.al2023`): one binary for the stack's functions,
//! dispatching on `AGENT_STACK_FUNCTION` and the event's shape.

use agent_stack_lambda::{handle, log};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    tracing_subscriber::fmt().json().flatten_event(true).with_target(false).without_time().init();
    let sdk = agent_stack_aws::sdk_config(agent_stack_aws::CallProfile::Tick).await;
    let sdk = &sdk;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline_ms = event.context.deadline;
        handle(sdk, event.payload, deadline_ms).await.map_err(|e| {
            log::error("invocation failed", &serde_json::json!({ "error": e }));
            lambda_runtime::Error::from(e)
        })
    }))
    .await
}
