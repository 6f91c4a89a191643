//! The TLS front that the cold-start benches put before moto and the Semaphore stub: it must carry
//! requests and answers unchanged, keep the client's connection open as AWS does even when the
//! stand-in closes its own after every answer (moto does), and log what the client sent.

use std::time::{Duration, Instant};

use agent_stack_testkit::tls::TestCa;
use axum::http::header::CONNECTION;
use axum::routing::post;
use axum::Router;

/// A stand-in that answers like moto: the request's body echoed, then `Connection: close`.
async fn closing_upstream() -> String {
    let app = Router::new().route("/", post(|body: String| async move { ([(CONNECTION, "close")], format!("answer to {body}")) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("addr: {e}"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr.to_string()
}

fn client_trusting(ca: &TestCa) -> reqwest::Client {
    let cert = reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap_or_else(|e| panic!("test CA: {e}"));
    reqwest::Client::builder().tls_certs_only([cert]).timeout(Duration::from_secs(10)).build().unwrap_or_else(|e| panic!("client: {e}"))
}

#[tokio::test]
async fn two_calls_share_one_connection_though_the_stand_in_closes_its_own() {
    let ca = TestCa::generate();
    let front = ca.front(&closing_upstream().await).await;
    let client = client_trusting(&ca);
    let started = Instant::now();
    for action in ["Action=DescribeAutoScalingGroups", "Action=SetDesiredCapacity"] {
        let answer = client.post(front.url()).body(action).send().await.unwrap_or_else(|e| panic!("{action} through the front: {e}"));
        assert!(answer.status().is_success(), "{action}: {}", answer.status());
        assert!(answer.headers().get(CONNECTION).is_none(), "the stand-in's Connection: close reached the client");
        assert_eq!(answer.text().await.unwrap_or_else(|e| panic!("{e}")), format!("answer to {action}"));
    }
    assert_eq!(front.accepted().len(), 1, "the second call opened a new connection");
    let describe = front.first_sent("Action=DescribeAutoScalingGroups", started);
    let set = front.first_sent("Action=SetDesiredCapacity", started);
    assert!(matches!((describe, set), (Some(d), Some(s)) if d <= s), "the log has both calls, in order: {describe:?} {set:?}");
    assert_eq!(front.first_sent("Action=TerminateInstanceInAutoScalingGroup", started), None);
}

#[tokio::test]
async fn a_stand_in_that_cannot_be_reached_is_a_bad_gateway() {
    let unused = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind: {e}"));
    let closed = unused.local_addr().unwrap_or_else(|e| panic!("addr: {e}")).to_string();
    drop(unused);
    let ca = TestCa::generate();
    let front = ca.front(&closed).await;
    let answer = client_trusting(&ca).post(front.url()).body("Action=DescribeAutoScalingGroups").send().await;
    let answer = answer.unwrap_or_else(|e| panic!("the front itself should answer: {e}"));
    assert_eq!(answer.status(), reqwest::StatusCode::BAD_GATEWAY);
}
