//! The Lambda Runtime API loop: JSON logs, one SDK configuration, every invocation dispatched by
//! [`handle`](crate::handle). Used by the `bootstrap` binary and by `agent-stack` itself when
//! Lambda starts it (so a static Linux `agent-stack` is its own Lambda artifact).

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

use crate::{handle, log};

/// Set by Lambda in the function's environment.
pub const RUNTIME_API_ENV: &str = "AWS_LAMBDA_RUNTIME_API";

/// Serves invocations until Lambda stops the process.
pub async fn serve() -> Result<(), lambda_runtime::Error> {
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
