//! The `bootstrap` binary speaks the Lambda Runtime API: a local stand-in hands it one event and
//! records the answer, as the provided.al2023 runtime would.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

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

async fn run_one(event: Value, role: &str) -> (String, Value) {
    let api: Shared = Arc::new(Mutex::new(RuntimeApi { events: vec![event], responses: vec![] }));
    let router = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/{kind}", post(answer))
        .with_state(api.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let mut child = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
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
        .unwrap_or_else(|e| panic!("cannot start bootstrap: {e}"));
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
    let (id, kind, value) = answered.unwrap_or_else(|| panic!("bootstrap never answered"));
    assert_eq!(id, "request-1");
    (kind, value)
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
