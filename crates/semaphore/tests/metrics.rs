//! The metrics call against the Semaphore stub: success, every fault the scaler must survive, and
//! what is sent on the wire.

use std::time::Duration;

use agent_stack_config::{Endpoint, RegistrationToken};
use agent_stack_semaphore::SemaphoreClient;
use agent_stack_testkit::{Fault, SemaphoreStub};

const TOKEN: &str = "type-token-123";

async fn setup() -> (SemaphoreStub, SemaphoreClient) {
    let stub = SemaphoreStub::start().await;
    stub.add_agent_type(TOKEN);
    let client = client_for(&stub.endpoint(), TOKEN);
    (stub, client)
}

fn client_for(endpoint: &str, token: &str) -> SemaphoreClient {
    let endpoint = Endpoint::parse(endpoint).unwrap_or_else(|| panic!("bad endpoint {endpoint}"));
    SemaphoreClient::new(&endpoint, RegistrationToken::new(token)).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn reads_queued_and_running_jobs_with_the_scalers_headers() {
    let (stub, client) = setup().await;
    stub.enqueue(TOKEN, 3);
    stub.add_running(TOKEN, 2);
    let m = client.metrics().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((m.jobs.queued, m.jobs.running, m.agents.idle, m.agents.occupied), (3, 2, 0, 0));
    let seen = stub.seen();
    let last = seen.last().cloned().unwrap_or_else(|| panic!("no request seen"));
    assert_eq!(last.path, "/metrics");
    assert_eq!(last.authorization.as_deref(), Some("Token type-token-123"));
    assert_eq!(last.agent.as_deref(), Some("aws-dynamic-scaler"));
}

#[tokio::test]
async fn unknown_token_is_a_404_error_without_the_token() {
    let (stub, _) = setup().await;
    let client = client_for(&stub.endpoint(), "not-a-real-token-xyz");
    let err = client.metrics().await.err().unwrap_or_else(|| panic!("expected an error"));
    assert!(err.to_string().contains("HTTP 404"), "{err}");
    assert!(!err.to_string().contains("not-a-real-token-xyz"), "token leaked: {err}");
    assert!(!format!("{client:?}").contains("not-a-real-token-xyz"));
}

#[tokio::test]
async fn server_errors_and_other_statuses_are_errors() {
    let (stub, client) = setup().await;
    for code in [500, 502, 503, 401, 429] {
        stub.set_fault(Some(Fault::Status(code)));
        let err = client.metrics().await.err().unwrap_or_else(|| panic!("{code}: expected an error"));
        assert!(err.to_string().contains(&format!("HTTP {code}")), "{err}");
    }
}

#[tokio::test]
async fn malformed_or_partial_bodies_are_errors() {
    let (stub, client) = setup().await;
    for body in [
        "not json",
        r#"{"jobs":{"queued":1,"running":0}"#,
        r#"{"jobs":{"queued":1,"running":0}}"#,
        r#"{"jobs":{"queued":-1,"running":0},"agents":{"idle":0,"occupied":0}}"#,
        r#"{"jobs":{"queued":1,"running":0},"agents":{"idle":0,"occupied":0},"extra":1}"#,
        r#"{"jobs":{"queued":99999999999,"running":0},"agents":{"idle":0,"occupied":0}}"#,
    ] {
        stub.set_fault(Some(Fault::Body(body.to_string())));
        let err = client.metrics().await.err().unwrap_or_else(|| panic!("{body}: expected an error"));
        assert!(err.to_string().contains("unexpected metrics response"), "{body}: {err}");
    }
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let (stub, client) = setup().await;
    stub.set_fault(Some(Fault::Delay(Duration::from_secs(4))));
    let err = client.metrics().await.err().unwrap_or_else(|| panic!("expected a timeout"));
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn connection_refused_is_an_error() {
    // Bind and drop to find a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(1);
    let client = client_for(&format!("http://127.0.0.1:{port}"), TOKEN);
    let err = client.metrics().await.err().unwrap_or_else(|| panic!("expected an error"));
    assert!(err.to_string().contains("connection failed"), "{err}");
}

#[tokio::test]
async fn missing_or_malformed_authorization_is_401() {
    let (stub, _) = setup().await;
    let url = format!("{}/api/v1/self_hosted_agents/metrics", stub.endpoint());
    let http = reqwest::Client::new();
    let none = http.get(&url).send().await.map(|r| r.status().as_u16()).unwrap_or(0);
    let bearer = http.get(&url).header("Authorization", TOKEN).send().await.map(|r| r.status().as_u16()).unwrap_or(0);
    let ok = http.get(&url).header("Authorization", format!("Token {TOKEN}")).send().await.map(|r| r.status().as_u16()).unwrap_or(0);
    assert_eq!((none, bearer, ok), (401, 401, 200));
}
