//! AWS failures moto cannot produce — access denied, throttling — from a local endpoint that answers
//! with AWS-shaped error documents: the scaler reports them and never changes capacity.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use agent_stack_aws::{read_token, sdk_config, AsgFleet, CallProfile, SdkConfig, TokenError};
use agent_stack_config::{Overprovision, OverprovisionStrategy, RegistrationToken};
use agent_stack_scaler::tick;
use agent_stack_testkit::serve::{serve, Served};
use agent_stack_testkit::SemaphoreStub;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;

#[derive(Default)]
struct Calls {
    get_parameter: AtomicUsize,
    describe: AtomicUsize,
    set_desired: AtomicUsize,
}

async fn aws(State(calls): State<Arc<Calls>>, headers: HeaderMap, body: Bytes) -> axum::response::Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let form = String::from_utf8_lossy(&body);
    if target == "AmazonSSM.GetParameter" {
        calls.get_parameter.fetch_add(1, Ordering::SeqCst);
        let body = r#"{"__type":"AccessDeniedException","message":"User is not authorized to perform: ssm:GetParameter"}"#;
        return (StatusCode::BAD_REQUEST, [("content-type", "application/x-amz-json-1.1")], body).into_response();
    }
    if form.contains("Action=DescribeAutoScalingGroups") {
        calls.describe.fetch_add(1, Ordering::SeqCst);
    } else if form.contains("Action=SetDesiredCapacity") {
        calls.set_desired.fetch_add(1, Ordering::SeqCst);
    }
    let body = r#"<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>"#;
    (StatusCode::BAD_REQUEST, [("content-type", "text/xml")], body).into_response()
}

/// A stand-in AWS endpoint that fails every call; it serves for as long as the returned handle lives.
async fn faulty_aws() -> (SdkConfig, Arc<Calls>, Served) {
    let calls = Arc::new(Calls::default());
    let router = Router::new().route("/", post(aws)).with_state(calls.clone());
    let served = serve(router).await;
    let url = served.url();
    // Credentials and region only; the endpoint is set on the config itself.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_REGION", "us-east-1");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    }
    let sdk = sdk_config(CallProfile::Tick).await.to_builder().endpoint_url(url).build();
    (sdk, calls, served)
}

#[tokio::test]
async fn access_denied_on_the_token_is_reported_without_retrying_forever() {
    let (sdk, calls, _aws) = faulty_aws().await;
    let err = read_token(&sdk, "/ci/token").await.err().unwrap_or_else(|| panic!("expected an error"));
    match &err {
        TokenError::Unreadable(cause) => {
            assert_eq!(cause.operation, "GetParameter /ci/token");
            assert_eq!(cause.code(), Some("AccessDeniedException"), "{cause}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(calls.get_parameter.load(Ordering::SeqCst), 1, "access denied is not retried");
}

#[tokio::test]
async fn throttling_fails_the_tick_and_leaves_capacity_alone() {
    let (sdk, calls, _aws) = faulty_aws().await;
    let stub = SemaphoreStub::start().await;
    stub.add_agent_type("t");
    stub.enqueue("t", 4);
    let endpoint = agent_stack_config::Endpoint::parse(&stub.endpoint()).unwrap_or_else(|| panic!("endpoint"));
    let queue = agent_stack_semaphore::SemaphoreClient::new(&endpoint, RegistrationToken::new("t")).unwrap_or_else(|e| panic!("{e}"));
    let fleet = AsgFleet::new(&sdk, "agents");
    let outcome = tick(&queue, &fleet, Overprovision { strategy: OverprovisionStrategy::None, factor: 0 }).await;
    let err = outcome.err().unwrap_or_else(|| panic!("expected a failed tick"));
    assert!(err.message.contains("Throttling: Rate exceeded"), "{err}");
    assert_eq!(calls.describe.load(Ordering::SeqCst), 2, "one retry inside the tick");
    assert_eq!(calls.set_desired.load(Ordering::SeqCst), 0);
}
