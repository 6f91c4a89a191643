//! A Semaphore hub stub on a loopback port: the self-hosted agents API as `semaphore-api.md`
//! describes it — metrics with the real auth rules and status codes, the agent protocol
//! (register, sync with the server's decision table, job, refresh, disconnect) — plus fault
//! injection and a record of requests. Jobs are what the real agent needs to run them
//! (`real-agent.md`): a job request with commands, `callbacks` and a push `logger` whose URL
//! takes `POST ?start_from=N` with the job's `Bearer` token.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::serve::{serve, Served};
use crate::unix_now;

pub mod sync;

use sync::{AgentState, Interruption, SyncAction, SyncInput};

/// What the next metrics responses do instead of answering normally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and text body.
    Status(u16),
    /// Wait this long before answering normally.
    Delay(Duration),
    /// Answer 200 with this body.
    Body(String),
    /// Answer with this status (429 or 503) and this `Retry-After` value (seconds or an HTTP-date).
    RetryAfter(u16, String),
}

/// One request the stub saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: &'static str,
    pub path: String,
    pub authorization: Option<String>,
    pub agent: Option<String>,
    /// When it arrived.
    pub at: Instant,
}

#[derive(Debug, Clone, Default)]
struct Job {
    id: String,
    /// The agent running it, once assigned.
    agent: Option<String>,
    /// The job request's commands, run in bash by the agent.
    commands: Vec<String>,
}

/// The job's pushed log: what the agent sent, and which log token is valid (each `/refresh`
/// issues a new one; the old one stops working).
#[derive(Debug, Clone, Default)]
struct JobLog {
    job: String,
    generation: u64,
    lines: Vec<String>,
}

impl JobLog {
    fn token(&self) -> String {
        format!("job-log-token-{}-{}", self.job, self.generation)
    }
}

#[derive(Debug, Clone)]
struct Agent {
    name: String,
    type_token: String,
    state: AgentState,
    job: Option<String>,
    single_job: bool,
    idle_timeout_s: u64,
    /// Seconds a running job goes on after the agent reports an interruption.
    grace_s: u64,
    /// When the agent first reported an interruption (unix seconds, as the agent sends it).
    interrupted_at: Option<u64>,
    last_change: Instant,
}

#[derive(Debug, Default)]
struct AgentType {
    queued: VecDeque<Job>,
    running: Vec<Job>,
    disabled: bool,
}

#[derive(Debug, Default)]
struct Hub {
    types: BTreeMap<String, AgentType>,
    /// By agent token.
    agents: BTreeMap<String, Agent>,
    fault: Option<Fault>,
    seen: Vec<Seen>,
    next_id: u64,
    /// `next_sync_after` in ms; the real server picks 4000–6000 at random.
    sync_after_ms: u64,
    /// Names of agents that reported an interruption, in order.
    interrupted: Vec<String>,
    /// Finished jobs: (job id, result), in order.
    results: Vec<(String, String)>,
    /// The commands of jobs queued from now on.
    job_commands: Vec<String>,
    /// Registration answers 503 until then.
    refuse_registration_until: Option<Instant>,
    /// By job id.
    logs: BTreeMap<String, JobLog>,
    /// Registration request bodies, in order.
    registrations: Vec<Value>,
    /// The stub's own URL, for the job requests' logger.
    base_url: String,
}

/// A running stub; it stops when dropped.
pub struct SemaphoreStub {
    served: Served,
    hub: Arc<Mutex<Hub>>,
}

fn lock(hub: &Mutex<Hub>) -> MutexGuard<'_, Hub> {
    hub.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SemaphoreStub {
    /// Starts on a free loopback port.
    pub async fn start() -> SemaphoreStub {
        let hub = Arc::new(Mutex::new(Hub { sync_after_ms: 5_000, job_commands: vec!["echo job $0".into()], ..Hub::default() }));
        let api = Router::new()
            .route("/metrics", get(metrics))
            .route("/jobs", get(list_jobs))
            .route("/register", post(register))
            .route("/sync", post(sync))
            .route("/jobs/{id}", get(job))
            .route("/refresh", post(refresh))
            .route("/disconnect", post(disconnect));
        let app = Router::new().nest("/api/v1/self_hosted_agents", api).route("/api/v1/logs/{id}", post(push_log)).with_state(hub.clone());
        let served = serve(app).await;
        lock(&hub).base_url = served.url();
        SemaphoreStub { served, hub }
    }

    /// `http://127.0.0.1:PORT`, usable as `SEMAPHORE_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        self.served.url()
    }

    /// Registers an agent type reachable with `token`.
    pub fn add_agent_type(&self, token: &str) {
        lock(&self.hub).types.entry(token.to_string()).or_default();
    }

    /// Queues `n` jobs for the agent type.
    pub fn enqueue(&self, token: &str, n: usize) {
        let mut hub = lock(&self.hub);
        for _ in 0..n {
            hub.next_id += 1;
            let id = format!("00000000-0000-4000-8000-{:012}", hub.next_id);
            let commands = hub.job_commands.clone();
            hub.types.entry(token.to_string()).or_default().queued.push_back(Job { id, agent: None, commands });
        }
    }

    /// Marks `n` jobs as running on agents outside the stub's bookkeeping.
    pub fn add_running(&self, token: &str, n: usize) {
        let mut hub = lock(&self.hub);
        for _ in 0..n {
            hub.next_id += 1;
            let id = format!("00000000-0000-4000-9000-{:012}", hub.next_id);
            hub.types.entry(token.to_string()).or_default().running.push(Job { id, agent: None, commands: Vec::new() });
        }
    }

    /// The commands of the jobs queued from now on (default: one `echo`).
    pub fn set_job_commands(&self, commands: &[&str]) {
        lock(&self.hub).job_commands = commands.iter().map(|c| c.to_string()).collect();
    }

    /// Registration answers 503 Service Unavailable for this long.
    pub fn refuse_registration_for(&self, period: Duration) {
        lock(&self.hub).refuse_registration_until = Some(Instant::now() + period);
    }

    /// The log lines the agent pushed for a job, in order.
    pub fn job_log(&self, job_id: &str) -> Vec<String> {
        lock(&self.hub).logs.get(job_id).map(|l| l.lines.clone()).unwrap_or_default()
    }

    /// The registration requests' bodies, in order (also those refused).
    pub fn registrations(&self) -> Vec<Value> {
        lock(&self.hub).registrations.clone()
    }

    pub fn set_fault(&self, fault: Option<Fault>) {
        lock(&self.hub).fault = fault;
    }

    pub fn set_disabled(&self, token: &str, disabled: bool) {
        lock(&self.hub).types.entry(token.to_string()).or_default().disabled = disabled;
    }

    /// Sets `next_sync_after` (ms) for quicker tests; the real server answers 4000–6000.
    pub fn set_sync_after_ms(&self, ms: u64) {
        lock(&self.hub).sync_after_ms = ms;
    }

    /// Names of the registered agents.
    pub fn agent_names(&self) -> Vec<String> {
        lock(&self.hub).agents.values().map(|a| a.name.clone()).collect()
    }

    /// Names of the agents that have a job assigned.
    pub fn busy_agents(&self) -> Vec<String> {
        lock(&self.hub).agents.values().filter(|a| a.job.is_some()).map(|a| a.name.clone()).collect()
    }

    /// Names of agents that reported an interruption (SIGTERM) in a sync.
    pub fn interrupted_agents(&self) -> Vec<String> {
        lock(&self.hub).interrupted.clone()
    }

    /// Finished jobs as (job id, result: passed, failed or stopped), in order.
    pub fn job_results(&self) -> Vec<(String, String)> {
        lock(&self.hub).results.clone()
    }

    /// Requests seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.hub).seen.clone()
    }

    /// When each metrics request arrived, in order.
    pub fn metrics_requests(&self) -> Vec<Instant> {
        lock(&self.hub).seen.iter().filter(|s| s.path == "/metrics").map(|s| s.at).collect()
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

fn record(hub: &mut Hub, method: &'static str, path: &str, headers: &HeaderMap) {
    hub.seen.push(Seen {
        method,
        path: path.to_string(),
        authorization: header(headers, "authorization"),
        agent: header(headers, "agent"),
        at: Instant::now(),
    });
}

/// The token of `Authorization: Token <t>`; `Err(401)` when the header is missing or malformed.
// The error is the stub's answer itself, returned once per request.
#[allow(clippy::result_large_err)]
fn bearer(headers: &HeaderMap) -> Result<String, Response> {
    header(headers, "authorization")
        .and_then(|h| h.strip_prefix("Token ").map(str::to_string))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| (StatusCode::UNAUTHORIZED, "Unauthorized").into_response())
}

/// Locks the hub, records the request and reads its token: the prologue of every handler.
fn enter<'a>(
    hub: &'a Mutex<Hub>,
    method: &'static str,
    path: &str,
    headers: &HeaderMap,
) -> (MutexGuard<'a, Hub>, Result<String, Response>) {
    let mut h = lock(hub);
    record(&mut h, method, path, headers);
    (h, bearer(headers))
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not found").into_response()
}

fn unprocessable(why: &str) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, why.to_string()).into_response()
}

async fn metrics(State(hub): State<Arc<Mutex<Hub>>>, headers: HeaderMap) -> Response {
    let (fault, answer) = {
        let (h, token) = enter(&hub, "GET", "/metrics", &headers);
        let token = match token {
            Ok(t) => t,
            Err(r) => return r,
        };
        let Some(t) = h.types.get(&token) else { return not_found() };
        let occupied = h.agents.values().filter(|a| a.type_token == token && a.job.is_some()).count();
        let idle = h.agents.values().filter(|a| a.type_token == token && a.job.is_none()).count();
        let answer = json!({
            "jobs": { "queued": t.queued.len(), "running": t.running.len() },
            "agents": { "idle": idle, "occupied": occupied },
        });
        (h.fault.clone(), answer)
    };
    match fault {
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, "Internal server error").into_response()
        }
        Some(Fault::RetryAfter(code, value)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            (status, [("retry-after", value)], "Slow down").into_response()
        }
        Some(Fault::Body(body)) => (StatusCode::OK, [("content-type", "application/json")], body).into_response(),
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            Json(answer).into_response()
        }
        None => Json(answer).into_response(),
    }
}

async fn list_jobs(State(hub): State<Arc<Mutex<Hub>>>, headers: HeaderMap) -> Response {
    let (h, token) = enter(&hub, "GET", "/jobs", &headers);
    let token = match token {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Some(t) = h.types.get(&token) else { return not_found() };
    // Newest first, 500 a page.
    let jobs: Vec<Value> = t.queued.iter().rev().take(500).map(|j| json!({ "id": j.id })).collect();
    Json(json!({ "jobs": jobs })).into_response()
}

async fn register(State(hub): State<Arc<Mutex<Hub>>>, headers: HeaderMap, body: Bytes) -> Response {
    let (mut h, token) = enter(&hub, "POST", "/register", &headers);
    let token = match token {
        Ok(t) => t,
        Err(r) => return r,
    };
    if !h.types.contains_key(&token) {
        return not_found();
    }
    let Ok(req) = serde_json::from_slice::<Value>(&body) else { return unprocessable("bad JSON") };
    h.registrations.push(req.clone());
    if h.refuse_registration_until.is_some_and(|until| Instant::now() < until) {
        return (StatusCode::SERVICE_UNAVAILABLE, "Service unavailable").into_response();
    }
    let name = req["name"].as_str().unwrap_or_default().to_string();
    let valid_name = (8..=80).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_/+".contains(c))
        || name.starts_with("https://");
    if !valid_name {
        return (StatusCode::BAD_REQUEST, "bad name").into_response();
    }
    let single_job = req["single_job"].as_bool().unwrap_or(false);
    if req["job_id"].as_str().is_some_and(|j| !j.is_empty()) && !single_job {
        return (StatusCode::BAD_REQUEST, "job_id requires single_job").into_response();
    }
    h.next_id += 1;
    let agent_token = format!("agent-token-{}", h.next_id);
    h.agents.insert(
        agent_token.clone(),
        Agent {
            name: name.clone(),
            type_token: token,
            state: AgentState::WaitingForJobs,
            job: None,
            single_job,
            idle_timeout_s: req["idle_timeout"].as_u64().unwrap_or(0),
            grace_s: req["interruption_grace_period"].as_u64().unwrap_or(0),
            interrupted_at: None,
            last_change: Instant::now(),
        },
    );
    (StatusCode::CREATED, Json(json!({ "name": name, "token": agent_token }))).into_response()
}

/// `POST /sync`: reads the agent's report, decides with [`sync::decide`] and applies the answer.
async fn sync(State(hub): State<Arc<Mutex<Hub>>>, headers: HeaderMap, body: Bytes) -> Response {
    let (mut h, token) = enter(&hub, "POST", "/sync", &headers);
    let token = match token {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Ok(req) = serde_json::from_slice::<Value>(&body) else { return unprocessable("bad JSON") };
    let Some(mut agent) = h.agents.get(&token).cloned() else { return not_found() };
    let reported = req["interrupted_at"].as_u64().filter(|t| *t > 0);
    if agent.interrupted_at.is_none() && reported.is_some() {
        h.interrupted.push(agent.name.clone());
        agent.interrupted_at = reported;
    }
    let Some(state) = AgentState::parse(req["state"].as_str().unwrap_or_default()) else { return unprocessable("unknown state") };
    if state != agent.state {
        agent.state = state;
        agent.last_change = Instant::now();
    }
    if state == AgentState::FinishedJob {
        h.finish_job(&agent, req["job_result"].as_str().unwrap_or_default());
    }
    let action = sync::decide(&h.sync_input(&agent));
    let job_id = match action {
        SyncAction::RunJob => h.assign_job(&token, &mut agent),
        SyncAction::StopJob => agent.job.clone().unwrap_or_default(),
        SyncAction::WaitForJobs => {
            agent.job = None;
            String::new()
        }
        SyncAction::Continue | SyncAction::Shutdown(_) => String::new(),
    };
    let reason = match action {
        SyncAction::Shutdown(reason) => reason.name(),
        _ => "",
    };
    let answer = json!({ "action": action.name(), "job_id": job_id, "shutdown_reason": reason, "next_sync_after": h.sync_after_ms });
    h.agents.insert(token, agent);
    Json(answer).into_response()
}

impl Hub {
    /// What the server knows about `agent` at a sync.
    fn sync_input(&self, agent: &Agent) -> SyncInput {
        let interruption = match agent.interrupted_at {
            None => Interruption::None,
            // A running job goes on for the grace period after the interruption.
            Some(at) if unix_now() >= at.saturating_add(agent.grace_s) => Interruption::GracePeriodOver,
            Some(_) => Interruption::InGracePeriod,
        };
        let job_type = self.types.get(&agent.type_token);
        SyncInput {
            state: agent.state,
            disabled: job_type.is_some_and(|t| t.disabled),
            interruption,
            single_job: agent.single_job,
            job_queued: job_type.is_some_and(|t| !t.queued.is_empty()),
            idle_timeout: Duration::from_secs(agent.idle_timeout_s),
            idle_for: agent.last_change.elapsed(),
        }
    }

    /// The agent's job is done: it no longer counts as running, and its first result is kept.
    fn finish_job(&mut self, agent: &Agent, result: &str) {
        let Some(job) = agent.job.clone() else { return };
        if let Some(t) = self.types.get_mut(&agent.type_token) {
            t.running.retain(|j| j.id != job);
        }
        if !self.results.iter().any(|(id, _)| *id == job) {
            self.results.push((job, result.to_string()));
        }
    }

    /// Gives the oldest queued job of the agent's type to the agent; returns its id.
    fn assign_job(&mut self, token: &str, agent: &mut Agent) -> String {
        let Some(t) = self.types.get_mut(&agent.type_token) else { return String::new() };
        let Some(mut job) = t.queued.pop_front() else { return String::new() };
        job.agent = Some(token.to_string());
        agent.job = Some(job.id.clone());
        let id = job.id.clone();
        t.running.push(job);
        id
    }
}

async fn job(State(hub): State<Arc<Mutex<Hub>>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let (mut h, token) = enter(&hub, "GET", "/jobs/{id}", &headers);
    let token = match token {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Some(agent) = h.agents.get(&token).filter(|a| a.job.as_deref() == Some(id.as_str())).cloned() else { return not_found() };
    let commands = h.types.get(&agent.type_token).and_then(|t| t.running.iter().find(|j| j.id == id)).map(|j| j.commands.clone());
    let log = h.logs.entry(id.clone()).or_insert_with(|| JobLog { job: id.clone(), ..JobLog::default() });
    log.generation = 1;
    let log_token = log.token();
    let commands: Vec<Value> = commands.unwrap_or_default().iter().map(|c| json!({ "directive": c, "alias": "" })).collect();
    let base = h.base_url.clone();
    Json(json!({
        "job_id": id, "executor": "", "commands": commands, "epilogue_always_commands": [], "epilogue_on_pass_commands": [],
        "epilogue_on_fail_commands": [], "env_vars": [], "files": [], "ssh_public_keys": [],
        "callbacks": { "finished": format!("{base}/callbacks/{id}/finished"), "teardown_finished": format!("{base}/callbacks/{id}/teardown"), "token": "" },
        "logger": { "method": "push", "url": format!("{base}/api/v1/logs/{id}"), "token": log_token, "max_size_in_bytes": 1_000_000 },
    }))
    .into_response()
}

/// The push logger's endpoint: `POST /api/v1/logs/{job}?start_from=N`, `Bearer <job log token>`,
/// one JSON event a line.
async fn push_log(State(hub): State<Arc<Mutex<Hub>>>, headers: HeaderMap, Path(id): Path<String>, uri: Uri, body: Bytes) -> Response {
    let mut h = lock(&hub);
    record(&mut h, "POST", "/logs/{id}", &headers);
    let Some(log) = h.logs.get_mut(&id) else { return not_found() };
    let bearer = header(&headers, "authorization").and_then(|a| a.strip_prefix("Bearer ").map(str::to_string));
    if bearer != Some(log.token()) {
        return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    }
    let start_from = uri.query().unwrap_or_default().split('&').find_map(|kv| kv.strip_prefix("start_from="));
    let Some(start_from) = start_from.and_then(|s| s.parse::<usize>().ok()) else {
        return (StatusCode::BAD_REQUEST, "start_from is required").into_response();
    };
    let lines: Vec<String> = String::from_utf8_lossy(&body).lines().map(str::to_string).collect();
    // A retried batch overlaps what is there: keep each event once.
    log.lines.truncate(start_from.min(log.lines.len()));
    log.lines.extend(lines);
    StatusCode::OK.into_response()
}

async fn refresh(State(hub): State<Arc<Mutex<Hub>>>, headers: HeaderMap) -> Response {
    let (mut h, token) = enter(&hub, "POST", "/refresh", &headers);
    let token = match token {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Some(job) = h.agents.get(&token).map(|a| a.job.clone()) else { return not_found() };
    let Some(log) = job.and_then(|job| h.logs.get_mut(&job)) else { return unprocessable("no job") };
    // A new token; the old one stops working.
    log.generation += 1;
    Json(json!({ "token": log.token() })).into_response()
}

async fn disconnect(State(hub): State<Arc<Mutex<Hub>>>, headers: HeaderMap) -> Response {
    let (mut h, token) = enter(&hub, "POST", "/disconnect", &headers);
    let token = match token {
        Ok(t) => t,
        Err(r) => return r,
    };
    match h.agents.remove(&token) {
        Some(a) => {
            // A job still assigned to a disconnecting agent stops counting as running.
            if let (Some(job), Some(t)) = (a.job, h.types.get_mut(&a.type_token)) {
                t.running.retain(|j| j.id != job);
            }
            (StatusCode::OK, "disconnected").into_response()
        }
        None => not_found(),
    }
}
