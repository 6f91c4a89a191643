//! A stand-in for Lambda's Runtime API (the provided.al2023 runtime's side): hands a function
//! binary one event and records its answer.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;

use crate::serve::serve;

#[derive(Default)]
struct RuntimeApi {
    events: Vec<Value>,
    responses: Vec<(String, String, Value)>,
}

type Shared = Arc<Mutex<RuntimeApi>>;

async fn next(State(api): State<Shared>) -> impl IntoResponse {
    let event = api.lock().unwrap_or_else(|p| p.into_inner()).events.pop();
    let Some(event) = event else {
        // Like the real API, hold the request while there is nothing to do.
        tokio::time::sleep(Duration::from_secs(30)).await;
        return StatusCode::NO_CONTENT.into_response();
    };
    let mut headers = HeaderMap::new();
    let deadline = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() + 60_000).unwrap_or(0);
    headers.insert("lambda-runtime-aws-request-id", HeaderValue::from_static("request-1"));
    headers.insert("lambda-runtime-deadline-ms", HeaderValue::from_str(&deadline.to_string()).unwrap_or(HeaderValue::from_static("0")));
    headers.insert("lambda-runtime-invoked-function-arn", HeaderValue::from_static("arn:aws:lambda:us-east-1:123456789012:function:f"));
    headers.insert("lambda-runtime-trace-id", HeaderValue::from_static("Root=1-00000000-000000000000000000000000"));
    (headers, event.to_string()).into_response()
}

async fn answer(State(api): State<Shared>, Path((id, kind)): Path<(String, String)>, body: Bytes) -> StatusCode {
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    api.lock().unwrap_or_else(|p| p.into_inner()).responses.push((id, kind, value));
    StatusCode::ACCEPTED
}

/// Starts `binary` as the function's `bootstrap` with `AGENT_STACK_FUNCTION=role`, hands it
/// `event`, and returns the kind of its answer (`response` or `error`) and the answer.
pub async fn invoke_once(binary: &std::path::Path, event: Value, role: &str) -> (String, Value) {
    let api: Shared = Arc::new(Mutex::new(RuntimeApi { events: vec![event], responses: vec![] }));
    let router = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/{kind}", post(answer))
        .with_state(api.clone());
    let served = serve(router).await;
    let mut child = Command::new(binary)
        .env("AWS_LAMBDA_RUNTIME_API", served.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "f")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "s")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "g")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AGENT_STACK_FUNCTION", role)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let mut answered = None;
    for _ in 0..100 {
        if let Some(r) = api.lock().unwrap_or_else(|p| p.into_inner()).responses.pop() {
            answered = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let (id, kind, value) = answered.unwrap_or_else(|| panic!("{} never answered", binary.display()));
    assert_eq!(id, "request-1");
    (kind, value)
}
