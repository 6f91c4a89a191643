//! An IMDSv2 stub on a loopback port, reached through `AWS_EC2_METADATA_SERVICE_ENDPOINT`: the
//! session token (PUT with a TTL header; metadata reads without a valid token get 401), the
//! instance id and region, the Auto Scaling target lifecycle state, spot instance-action and
//! rebalance notices (404 until set), and instance-profile credentials.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::Router;
use serde_json::json;

use crate::serve::{serve, Served};

/// The instance profile role the stub serves credentials for.
pub const ROLE: &str = "agent-stack-test-instance-role";
/// The access key of those credentials (moto accepts any).
pub const ACCESS_KEY_ID: &str = "ASIAIMDSSTUBINSTANCE";

#[derive(Debug, Default)]
struct Metadata {
    instance_id: String,
    region: String,
    lifecycle_state: Option<String>,
    instance_action: Option<String>,
    rebalance: Option<String>,
    tokens: Vec<String>,
    /// Paths read, in order.
    seen: Vec<String>,
}

/// A running stub; it stops when dropped.
pub struct ImdsStub {
    served: Served,
    state: Arc<Mutex<Metadata>>,
}

fn lock(state: &Mutex<Metadata>) -> MutexGuard<'_, Metadata> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ImdsStub {
    /// Starts on a free loopback port for `instance_id` in `region`.
    pub async fn start(instance_id: &str, region: &str) -> ImdsStub {
        let state = Arc::new(Mutex::new(Metadata { instance_id: instance_id.into(), region: region.into(), ..Metadata::default() }));
        let app = Router::new()
            .route("/latest/api/token", put(token))
            .route("/latest/meta-data/{*path}", get(metadata))
            .with_state(state.clone());
        ImdsStub { served: serve(app).await, state }
    }

    /// `http://127.0.0.1:PORT`, for `AWS_EC2_METADATA_SERVICE_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        self.served.url()
    }

    /// `autoscaling/target-lifecycle-state` (`None`: 404, as outside a group).
    pub fn set_lifecycle_state(&self, state: Option<&str>) {
        lock(&self.state).lifecycle_state = state.map(str::to_string);
    }

    /// `spot/instance-action`, e.g. `{"action":"terminate","time":"…"}`.
    pub fn set_instance_action(&self, action: Option<&str>) {
        lock(&self.state).instance_action = action.map(str::to_string);
    }

    /// `events/recommendations/rebalance`, e.g. `{"noticeTime":"…"}`.
    pub fn set_rebalance(&self, notice: Option<&str>) {
        lock(&self.state).rebalance = notice.map(str::to_string);
    }

    /// Metadata paths read so far (without `/latest/meta-data/`).
    pub fn seen(&self) -> Vec<String> {
        lock(&self.state).seen.clone()
    }
}

async fn token(State(state): State<Arc<Mutex<Metadata>>>, headers: HeaderMap) -> Response {
    let ttl = headers.get("x-aws-ec2-metadata-token-ttl-seconds").and_then(|v| v.to_str().ok()?.parse::<u32>().ok());
    let Some(ttl) = ttl.filter(|t| (1..=21_600).contains(t)) else {
        return (StatusCode::BAD_REQUEST, "missing or invalid TTL").into_response();
    };
    let mut s = lock(&state);
    let token = format!("imds-token-{}", s.tokens.len() + 1);
    s.tokens.push(token.clone());
    // IMDS echoes the token's lifetime; the SDK refuses a token without it.
    ([("x-aws-ec2-metadata-token-ttl-seconds", ttl.to_string())], token).into_response()
}

async fn metadata(State(state): State<Arc<Mutex<Metadata>>>, Path(path): Path<String>, headers: HeaderMap) -> Response {
    let mut s = lock(&state);
    let authorised = headers.get("x-aws-ec2-metadata-token").and_then(|v| v.to_str().ok()).is_some_and(|t| s.tokens.iter().any(|k| k == t));
    if !authorised {
        return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    }
    s.seen.push(path.clone());
    let value = match path.as_str() {
        "instance-id" => Some(s.instance_id.clone()),
        "placement/region" => Some(s.region.clone()),
        "autoscaling/target-lifecycle-state" => s.lifecycle_state.clone(),
        "spot/instance-action" => s.instance_action.clone(),
        "events/recommendations/rebalance" => s.rebalance.clone(),
        "iam/security-credentials/" => Some(ROLE.to_string()),
        p if p == format!("iam/security-credentials/{ROLE}") => Some(
            json!({
                "Code": "Success",
                "LastUpdated": "2026-11-28T00:00:00Z",
                "Type": "AWS-HMAC",
                "AccessKeyId": ACCESS_KEY_ID,
                "SecretAccessKey": "imds-stub-secret",
                "Token": "imds-stub-session-token",
                "Expiration": "2099-01-01T00:00:00Z",
            })
            .to_string(),
        ),
        _ => None,
    };
    match value {
        Some(v) => v.into_response(),
        None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}
