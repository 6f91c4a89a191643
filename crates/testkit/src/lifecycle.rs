//! A recording proxy in front of moto for what moto lacks of Auto Scaling termination lifecycle
//! hooks. moto stores hooks but never holds an instance in `Terminating:Wait`, and it does not
//! implement `CompleteLifecycleAction` or `RecordLifecycleActionHeartbeat`. This proxy answers
//! exactly those two calls (in the Query protocol's shapes of the Auto Scaling API reference:
//! `<…Response><…Result/><ResponseMetadata>` and `<ErrorResponse><Error>`), records them, and
//! forwards every other request to moto unchanged.
//!
//! Which instances wait is the test's to say, as AWS would decide it: [`LifecycleProxy::hold`]
//! puts one in `Terminating:Wait` (the group chose it for a termination), and after
//! [`LifecycleProxy::hold_terminations`] every TerminateInstanceInAutoScalingGroup that moto
//! carries out leaves its instance waiting too, as in a group with a termination hook. With
//! [`LifecycleProxy::time_out_after`] the proxy also plays AWS's heartbeat timeout (on a shorter
//! clock): an action without a heartbeat for that long ends with the hook's default, CONTINUE.
//! [`LifecycleProxy::hold_launch`] holds a launch the same way, for a launch hook.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;

use crate::serve::{serve, Served};

const XMLNS: &str = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

/// One lifecycle call the proxy answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// `CompleteLifecycleAction` or `RecordLifecycleActionHeartbeat`.
    pub action: String,
    pub instance_id: String,
    pub group: String,
    pub hook: String,
    /// `LifecycleActionResult` of a completion.
    pub result: Option<String>,
    /// What the proxy answered: `OK` or the error code.
    pub answer: String,
}

#[derive(Debug, Clone)]
struct Pending {
    group: String,
    hook: String,
    /// Terminate through moto once completed, lowering the desired capacity (the group was shrinking).
    then_terminate: Option<bool>,
    /// The last heartbeat, or when the action began.
    since: Instant,
}

#[derive(Default)]
struct Lifecycle {
    upstream: String,
    /// The group and hook whose terminations wait (after `hold_terminations`).
    hook: Option<(String, String)>,
    pending: HashMap<String, Pending>,
    calls: Vec<Call>,
    throttle: u32,
    timeout: Option<Duration>,
}

/// A running proxy; it stops when dropped.
pub struct LifecycleProxy {
    served: Served,
    state: Arc<Mutex<Lifecycle>>,
    clock: tokio::task::JoinHandle<()>,
}

impl Drop for LifecycleProxy {
    fn drop(&mut self) {
        self.clock.abort();
    }
}

fn lock(state: &Mutex<Lifecycle>) -> MutexGuard<'_, Lifecycle> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl LifecycleProxy {
    /// Starts on a free loopback port, forwarding to `upstream` (moto's endpoint).
    pub async fn start(upstream: &str) -> LifecycleProxy {
        let state = Arc::new(Mutex::new(Lifecycle { upstream: upstream.trim_end_matches('/').to_string(), ..Lifecycle::default() }));
        let app = Router::new().fallback(handle).with_state(state.clone());
        let clock = tokio::spawn(time_out(state.clone()));
        LifecycleProxy { served: serve(app).await, state, clock }
    }

    /// Ends actions without a heartbeat for `timeout` with CONTINUE, as AWS does at the hook's
    /// heartbeat timeout (recorded as a call `HeartbeatTimeout`).
    pub fn time_out_after(&self, timeout: Duration) {
        lock(&self.state).timeout = Some(timeout);
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        self.served.url()
    }

    /// From now on, every instance moto terminates through TerminateInstanceInAutoScalingGroup
    /// (via this proxy) waits in `Terminating:Wait` on `hook` of `group`.
    pub fn hold_terminations(&self, group: &str, hook: &str) {
        lock(&self.state).hook = Some((group.to_string(), hook.to_string()));
    }

    /// Puts `instance_id` in `Terminating:Wait`, as its group does when it chooses the instance
    /// for a termination; once the action is completed, moto terminates the instance (lowering
    /// the desired capacity when `decrement`: a scale-in).
    pub fn hold(&self, instance_id: &str, decrement: bool) {
        let mut state = lock(&self.state);
        let Some((group, hook)) = state.hook.clone() else { panic!("hold_terminations first") };
        state.pending.insert(instance_id.to_string(), Pending { group, hook, then_terminate: Some(decrement), since: Instant::now() });
    }

    /// Puts `instance_id` in `Pending:Wait` (or `Warmed:Pending:Wait`) on `hook` of `group`, as
    /// a group with a launch hook does when it launches the instance into service (or into its
    /// warm pool). Completing the action only ends the wait.
    pub fn hold_launch(&self, instance_id: &str, group: &str, hook: &str) {
        let pending = Pending { group: group.to_string(), hook: hook.to_string(), then_terminate: None, since: Instant::now() };
        lock(&self.state).pending.insert(instance_id.to_string(), pending);
    }

    /// Whether the instance waits in `Terminating:Wait`.
    pub fn is_held(&self, instance_id: &str) -> bool {
        lock(&self.state).pending.contains_key(instance_id)
    }

    /// Answers the next `n` lifecycle calls with `Throttling` (HTTP 400, "Rate exceeded").
    pub fn throttle_next(&self, n: u32) {
        lock(&self.state).throttle = n;
    }

    /// The lifecycle calls answered so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.state).calls.clone()
    }

    /// The calls of one kind for one instance.
    pub fn calls_of(&self, action: &str, instance_id: &str) -> Vec<Call> {
        self.calls().into_iter().filter(|c| c.action == action && c.instance_id == instance_id).collect()
    }
}

fn form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

async fn handle(State(state): State<Arc<Mutex<Lifecycle>>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let params = form(&body);
    match params.get("Action").map(String::as_str) {
        Some(action @ ("CompleteLifecycleAction" | "RecordLifecycleActionHeartbeat")) => {
            let (reply, terminate) = answer(&mut lock(&state), action, &params);
            if let Some((instance, decrement)) = terminate {
                let upstream = lock(&state).upstream.clone();
                terminate_in_moto(&upstream, &instance, decrement).await;
            }
            reply
        }
        Some("TerminateInstanceInAutoScalingGroup") => {
            let response = forward(&state, method, &uri, &headers, body.clone()).await;
            if response.status() == StatusCode::OK {
                let mut s = lock(&state);
                if let (Some((group, hook)), Some(instance)) = (s.hook.clone(), params.get("InstanceId")) {
                    s.pending.insert(instance.clone(), Pending { group, hook, then_terminate: None, since: Instant::now() });
                }
            }
            response
        }
        _ => forward(&state, method, &uri, &headers, body).await,
    }
}

/// The proxy's answer to a lifecycle call, and the termination moto is to carry out after it.
fn answer(state: &mut Lifecycle, action: &str, params: &HashMap<String, String>) -> (Response, Option<(String, bool)>) {
    let get = |k: &str| params.get(k).cloned().unwrap_or_default();
    let (instance_id, group, hook) = (get("InstanceId"), get("AutoScalingGroupName"), get("LifecycleHookName"));
    let result = params.get("LifecycleActionResult").cloned();
    let mut call = Call {
        action: action.into(),
        instance_id: instance_id.clone(),
        group: group.clone(),
        hook: hook.clone(),
        result: result.clone(),
        answer: "OK".into(),
    };
    let mut terminate = None;
    let reply = if state.throttle > 0 {
        state.throttle -= 1;
        call.answer = "Throttling".into();
        error("Throttling", "Rate exceeded")
    } else if !state.pending.get(&instance_id).is_some_and(|p| p.group == group && p.hook == hook) {
        call.answer = "ValidationError".into();
        error("ValidationError", &format!("No active Lifecycle Action found with instance ID {instance_id}"))
    } else if action == "CompleteLifecycleAction" && !matches!(result.as_deref(), Some("CONTINUE" | "ABANDON")) {
        call.answer = "ValidationError".into();
        error("ValidationError", "LifecycleActionResult must be CONTINUE or ABANDON")
    } else {
        if action == "CompleteLifecycleAction" {
            if let Some(Pending { then_terminate: Some(decrement), .. }) = state.pending.remove(&instance_id) {
                terminate = Some((instance_id.clone(), decrement));
            }
        } else if let Some(pending) = state.pending.get_mut(&instance_id) {
            pending.since = Instant::now();
        }
        ok(action)
    };
    state.calls.push(call);
    (reply, terminate)
}

/// AWS's heartbeat timeout, on the test's clock.
async fn time_out(state: Arc<Mutex<Lifecycle>>) {
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (expired, upstream) = {
            let mut s = lock(&state);
            let Some(timeout) = s.timeout else { continue };
            let expired: Vec<(String, Pending)> =
                s.pending.iter().filter(|(_, p)| p.since.elapsed() >= timeout).map(|(i, p)| (i.clone(), p.clone())).collect();
            for (instance_id, p) in &expired {
                s.pending.remove(instance_id);
                let call = Call {
                    action: "HeartbeatTimeout".into(),
                    instance_id: instance_id.clone(),
                    group: p.group.clone(),
                    hook: p.hook.clone(),
                    result: Some("CONTINUE".into()),
                    answer: "OK".into(),
                };
                s.calls.push(call);
            }
            (expired, s.upstream.clone())
        };
        for (instance_id, p) in expired {
            if let Some(decrement) = p.then_terminate {
                terminate_in_moto(&upstream, &instance_id, decrement).await;
            }
        }
    }
}

/// A request id in AWS's form.
fn request_id() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{:08x}-0000-4000-8000-{:012x}", nanos as u32, (nanos >> 32) as u64 & 0xffff_ffff_ffff)
}

fn xml(status: StatusCode, body: String) -> Response {
    (status, [("content-type", "text/xml")], body).into_response()
}

fn ok(action: &str) -> Response {
    xml(
        StatusCode::OK,
        format!(
            "<{action}Response xmlns=\"{XMLNS}\">\n  <{action}Result/>\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</{action}Response>\n",
            request_id()
        ),
    )
}

fn error(code: &str, message: &str) -> Response {
    xml(
        StatusCode::BAD_REQUEST,
        format!(
            "<ErrorResponse xmlns=\"{XMLNS}\">\n  <Error>\n    <Type>Sender</Type>\n    <Code>{code}</Code>\n    <Message>{message}</Message>\n  </Error>\n  <RequestId>{}</RequestId>\n</ErrorResponse>\n",
            request_id()
        ),
    )
}

async fn forward(state: &Mutex<Lifecycle>, method: Method, uri: &Uri, headers: &HeaderMap, body: Bytes) -> Response {
    let upstream = lock(state).upstream.clone();
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let client = reqwest::Client::new();
    let mut request = client.request(method, format!("{upstream}{path}")).body(body);
    for (name, value) in headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    match request.timeout(std::time::Duration::from_secs(30)).send().await {
        Ok(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = response.bytes().await.unwrap_or_default();
            let mut out = Response::new(Body::from(bytes));
            *out.status_mut() = status;
            for (name, value) in &headers {
                if name != "content-length" && name != "transfer-encoding" {
                    out.headers_mut().insert(name, value.clone());
                }
            }
            out
        }
        Err(e) => (StatusCode::BAD_GATEWAY, format!("proxy: moto did not answer: {e}")).into_response(),
    }
}

/// The group goes on with a completed termination: moto terminates the instance.
async fn terminate_in_moto(upstream: &str, instance_id: &str, decrement: bool) {
    let body = format!(
        "Action=TerminateInstanceInAutoScalingGroup&Version=2011-01-01&InstanceId={instance_id}&ShouldDecrementDesiredCapacity={decrement}"
    );
    let sent = reqwest::Client::new()
        .post(format!("{upstream}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDPROXY/20260101/us-east-1/autoscaling/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body(body)
        .timeout(std::time::Duration::from_secs(30))
        .send()
        .await;
    if let Err(e) = sent {
        eprintln!("lifecycle proxy: moto did not terminate {instance_id}: {e}");
    }
}
