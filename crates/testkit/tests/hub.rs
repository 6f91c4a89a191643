//! The Semaphore stub follows the server's agent protocol (semaphore-api.md): status codes and the
//! decision table at each sync.

use agent_stack_testkit::{unix_now, SemaphoreStub};
use reqwest::Client;
use serde_json::{json, Value};

const TYPE: &str = "type-token";

async fn call(http: &Client, stub: &SemaphoreStub, path: &str, token: &str, body: Value) -> (u16, Value) {
    let url = format!("{}/api/v1/self_hosted_agents{path}", stub.endpoint());
    let r = http.post(url).header("Authorization", format!("Token {token}")).json(&body).send().await;
    let r = r.unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn register(http: &Client, stub: &SemaphoreStub, single_job: bool, idle_timeout: u64) -> String {
    register_with_grace(http, stub, single_job, idle_timeout, 0).await
}

async fn register_with_grace(http: &Client, stub: &SemaphoreStub, single_job: bool, idle_timeout: u64, grace: u64) -> String {
    let body = json!({ "name": "i-0123456789abcdef0__abc", "version": "v2", "pid": 1, "os": "linux", "arch": "x86_64",
        "hostname": "h", "single_job": single_job, "idle_timeout": idle_timeout, "interruption_grace_period": grace, "job_id": "" });
    let (status, v) = call(http, stub, "/register", TYPE, body).await;
    assert_eq!(status, 201, "{v}");
    v["token"].as_str().unwrap_or_default().to_string()
}

async fn sync(http: &Client, stub: &SemaphoreStub, agent: &str, state: &str) -> Value {
    let (status, v) =
        call(http, stub, "/sync", agent, json!({ "state": state, "job_id": "", "job_result": "", "interrupted_at": 0 })).await;
    assert_eq!(status, 200, "{v}");
    v
}

#[tokio::test]
async fn register_rules() {
    let stub = SemaphoreStub::start().await;
    stub.add_agent_type(TYPE);
    let http = Client::new();
    let ok = json!({ "name": "agent-name-1", "single_job": false });
    assert_eq!(call(&http, &stub, "/register", "unknown", ok.clone()).await.0, 404);
    assert_eq!(call(&http, &stub, "/register", TYPE, json!({ "name": "short" })).await.0, 400);
    assert_eq!(call(&http, &stub, "/register", TYPE, json!({ "name": "agent-name-1", "job_id": "j", "single_job": false })).await.0, 400);
    let raw = http
        .post(format!("{}/api/v1/self_hosted_agents/register", stub.endpoint()))
        .header("Authorization", format!("Token {TYPE}"))
        .body("{not json")
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert_eq!(raw.ok(), Some(422));
    assert_eq!(call(&http, &stub, "/register", TYPE, ok).await.0, 201);
    assert_eq!(stub.agent_names(), ["agent-name-1"]);
}

#[tokio::test]
async fn a_single_job_agent_runs_one_job_then_shuts_down() {
    let stub = SemaphoreStub::start().await;
    stub.add_agent_type(TYPE);
    let http = Client::new();
    let agent = register(&http, &stub, true, 0).await;
    assert_eq!(sync(&http, &stub, &agent, "waiting-for-jobs").await["action"], "continue", "idle_timeout 0: wait forever");
    stub.enqueue(TYPE, 1);
    let run = sync(&http, &stub, &agent, "waiting-for-jobs").await;
    assert_eq!(run["action"], "run-job");
    let job = run["job_id"].as_str().unwrap_or_default().to_string();
    let metrics = http
        .get(format!("{}/api/v1/self_hosted_agents/metrics", stub.endpoint()))
        .header("Authorization", format!("Token {TYPE}"))
        .send()
        .await;
    let metrics: Value = match metrics {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(e) => panic!("{e}"),
    };
    assert_eq!(metrics, json!({ "jobs": { "queued": 0, "running": 1 }, "agents": { "idle": 0, "occupied": 1 } }));
    let got = http
        .get(format!("{}/api/v1/self_hosted_agents/jobs/{job}", stub.endpoint()))
        .header("Authorization", format!("Token {agent}"))
        .send()
        .await;
    assert_eq!(got.map(|r| r.status().as_u16()).ok(), Some(200));
    assert_eq!(call(&http, &stub, "/refresh", &agent, json!({})).await.0, 200);
    assert_eq!(sync(&http, &stub, &agent, "running-job").await["action"], "continue");
    let done = sync(&http, &stub, &agent, "finished-job").await;
    assert_eq!((done["action"].clone(), done["shutdown_reason"].clone()), (json!("shutdown"), json!("job-finished")));
    assert_eq!(call(&http, &stub, "/disconnect", &agent, json!({})).await.0, 200);
    assert_eq!(call(&http, &stub, "/sync", &agent, json!({ "state": "waiting-for-jobs" })).await.0, 404);
}

#[tokio::test]
async fn idle_agents_are_told_to_shut_down_after_their_timeout() {
    let stub = SemaphoreStub::start().await;
    stub.add_agent_type(TYPE);
    let http = Client::new();
    let agent = register(&http, &stub, false, 1).await;
    assert_eq!(sync(&http, &stub, &agent, "waiting-for-jobs").await["action"], "continue");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let idle = sync(&http, &stub, &agent, "waiting-for-jobs").await;
    assert_eq!((idle["action"].clone(), idle["shutdown_reason"].clone()), (json!("shutdown"), json!("idle")));
    let ms = idle["next_sync_after"].as_u64().unwrap_or(0);
    assert!((4000..=6000).contains(&ms), "{ms}");
}

#[tokio::test]
async fn disabled_types_and_interruptions() {
    let stub = SemaphoreStub::start().await;
    stub.add_agent_type(TYPE);
    let http = Client::new();
    let agent = register(&http, &stub, false, 0).await;
    stub.enqueue(TYPE, 1);
    assert_eq!(sync(&http, &stub, &agent, "waiting-for-jobs").await["action"], "run-job");
    let (_, v) = call(&http, &stub, "/sync", &agent, json!({ "state": "running-job", "interrupted_at": 1_700_000_000 })).await;
    assert_eq!(v["action"], "stop-job");
    let done = sync(&http, &stub, &agent, "finished-job").await;
    assert_eq!(done["shutdown_reason"], "interrupted");
    let other = register(&http, &stub, false, 0).await;
    stub.set_disabled(TYPE, true);
    assert_eq!(sync(&http, &stub, &other, "waiting-for-jobs").await["shutdown_reason"], "requested");
}

#[tokio::test]
async fn an_interrupted_job_goes_on_for_the_grace_period_and_an_interrupted_idle_agent_gets_no_job() {
    let stub = SemaphoreStub::start().await;
    stub.add_agent_type(TYPE);
    let http = Client::new();
    let busy = register_with_grace(&http, &stub, false, 0, 3600).await;
    stub.enqueue(TYPE, 2);
    assert_eq!(sync(&http, &stub, &busy, "waiting-for-jobs").await["action"], "run-job");
    let now = unix_now();
    let interrupted = json!({ "state": "running-job", "job_id": "", "job_result": "", "interrupted_at": now });
    let (_, v) = call(&http, &stub, "/sync", &busy, interrupted).await;
    assert_eq!(v["action"], "continue", "within the grace period the job goes on");
    let finished = json!({ "state": "finished-job", "job_id": "", "job_result": "passed", "interrupted_at": now });
    let (_, v) = call(&http, &stub, "/sync", &busy, finished).await;
    assert_eq!((v["action"].clone(), v["shutdown_reason"].clone()), (json!("shutdown"), json!("interrupted")));
    assert_eq!(stub.job_results().into_iter().map(|(_, r)| r).collect::<Vec<_>>(), ["passed"]);

    // An idle agent that reports an interruption shuts down although a job is queued.
    let idle = register_with_grace(&http, &stub, false, 0, 3600).await;
    let waiting = json!({ "state": "waiting-for-jobs", "job_id": "", "job_result": "", "interrupted_at": now });
    let (_, v) = call(&http, &stub, "/sync", &idle, waiting).await;
    assert_eq!((v["action"].clone(), v["shutdown_reason"].clone()), (json!("shutdown"), json!("interrupted")));

    // Past the grace period, the job is stopped.
    let short = register_with_grace(&http, &stub, false, 0, 60).await;
    assert_eq!(sync(&http, &stub, &short, "waiting-for-jobs").await["action"], "run-job");
    let long_ago = json!({ "state": "running-job", "job_id": "", "job_result": "", "interrupted_at": now - 61 });
    assert_eq!(call(&http, &stub, "/sync", &short, long_ago).await.1["action"], "stop-job");
}
