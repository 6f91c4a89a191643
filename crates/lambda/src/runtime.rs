//! The Lambda Runtime API loop: JSON logs ([`log`]), one SDK configuration, every invocation dispatched by
//! [`handle`](crate::handle). Used by the `bootstrap` binary and by `agent-stack` itself when
//! Lambda starts it (so a static Linux `agent-stack` is its own Lambda artifact).
//!
//! A broken environment is an init error: posted to `/runtime/init/error` before the first
//! invocation, as Lambda's own runtimes do, and the process exits. A failed invocation is reported
//! with `errorType` [`HANDLER_ERROR_TYPE`] and the handler's one-line message.

use std::time::Duration;

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::{json, Value};

use crate::{check_environment, handle, log};

/// Set by Lambda in the function's environment.
pub const RUNTIME_API_ENV: &str = "AWS_LAMBDA_RUNTIME_API";

/// `errorType` of a failed invocation.
pub const HANDLER_ERROR_TYPE: &str = "AgentStack.HandlerError";

/// `errorType` of a failed init (a broken environment).
pub const INIT_ERROR_TYPE: &str = "AgentStack.InitError";

/// A failed invocation, as Lambda reports it.
#[derive(Debug)]
struct Failure(String);

impl From<Failure> for Diagnostic {
    fn from(failure: Failure) -> Diagnostic {
        Diagnostic { error_type: HANDLER_ERROR_TYPE.into(), error_message: failure.0 }
    }
}

/// Serves invocations until Lambda stops the process.
pub async fn serve() -> Result<(), lambda_runtime::Error> {
    agent_stack_aws::preload_trust_store();
    if let Err(e) = check_environment(|k| std::env::var(k).ok()) {
        log::error("init failed", &json!({ "error": e }));
        report_init_error(&e).await;
        return Err(e.into());
    }
    let sdk = agent_stack_aws::sdk_config(agent_stack_aws::CallProfile::Tick).await;
    let sdk = &sdk;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline_ms = event.context.deadline;
        handle(sdk, event.payload, deadline_ms).await.map_err(|e| {
            log::error("invocation failed", &json!({ "error": e }));
            Failure(e)
        })
    }))
    .await
}

/// Posts the init error to the Runtime API (best effort: the process exits either way).
async fn report_init_error(message: &str) {
    let Ok(api) = std::env::var(RUNTIME_API_ENV) else { return };
    let url = format!("http://{api}/2018-06-01/runtime/init/error");
    let body = json!({ "errorMessage": message, "errorType": INIT_ERROR_TYPE });
    let sent = match reqwest::Client::builder().timeout(Duration::from_secs(2)).build() {
        Ok(http) => http.post(&url).header("Lambda-Runtime-Function-Error-Type", INIT_ERROR_TYPE).json(&body).send().await,
        Err(e) => return log::error("could not report the init error", &json!({ "error": e.to_string() })),
    };
    if let Err(e) = sent {
        log::error("could not report the init error", &json!({ "error": e.to_string() }));
    }
}
