//! Client for the Semaphore self-hosted agents API (`/api/v1/self_hosted_agents`): the metrics the
//! scaler reads. Every call has connect and total timeouts; only a 200 with exactly the documented
//! shape counts, and no error message carries the token.

mod error;

use std::time::{Duration, SystemTime};

use agent_stack_config::{Endpoint, RegistrationToken};
use agent_stack_scaler::{Agents, JobQueue, Jobs, Metrics, SourceError};
use serde::Deserialize;

pub use error::{parse_retry_after, MetricsError, Transport};

/// Base path of the agents API.
pub const API_PATH: &str = "/api/v1/self_hosted_agents";
/// The `Agent` header agent-aws-stack's scaler sends.
pub const AGENT_HEADER: &str = "aws-dynamic-scaler";
/// Connection timeout of every call.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Total timeout of every call.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(2);
/// Largest response body accepted.
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// The metrics response, exactly as the server sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireMetrics {
    jobs: WireJobs,
    agents: WireAgents,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireJobs {
    queued: u32,
    running: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireAgents {
    idle: u32,
    occupied: u32,
}

/// Parses a metrics body; counts must be non-negative integers.
/// The error is serde's description of the mismatch.
pub fn parse_metrics(body: &[u8]) -> Result<Metrics, String> {
    let w: WireMetrics = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(Metrics {
        jobs: Jobs { queued: i64::from(w.jobs.queued), running: i64::from(w.jobs.running) },
        agents: Agents { idle: i64::from(w.agents.idle), occupied: i64::from(w.agents.occupied) },
    })
}

/// The HTTP side of Semaphore calls: the TLS set-up (the system's trust store, or the bundle that
/// `SSL_CERT_FILE` / `SSL_CERT_DIR` name) and the open connections. Building one loads the trust
/// store, so a process builds it once and shares it: the Lambda keeps it for as long as its
/// container lives, and clones are cheap.
#[derive(Debug, Clone)]
pub struct Http(reqwest::Client);

impl Http {
    /// Connect and total timeouts on every call ([`CONNECT_TIMEOUT`], [`TOTAL_TIMEOUT`]).
    pub fn new() -> Result<Http, ClientError> {
        reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .user_agent(concat!("agent-stack/", env!("CARGO_PKG_VERSION")))
            .build()
            .map(Http)
            .map_err(|e| ClientError(e.to_string()))
    }

    /// [`Http::new`] on a blocking thread, started once the caller's other futures have had their
    /// first poll: a cold scaler sends its first AWS calls, and the trust store loads while their
    /// answers are awaited instead of competing with the work before them.
    pub async fn build_aside() -> Result<Http, ClientError> {
        tokio::task::yield_now().await;
        tokio::task::spawn_blocking(Http::new).await.map_err(|e| ClientError(format!("cannot build the HTTP client: {e}")))?
    }
}

/// A client for one agent type (one registration token).
#[derive(Clone)]
pub struct SemaphoreClient {
    http: reqwest::Client,
    metrics_url: String,
    token: RegistrationToken,
}

impl std::fmt::Debug for SemaphoreClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SemaphoreClient").field("metrics_url", &self.metrics_url).field("token", &self.token).finish()
    }
}

impl SemaphoreClient {
    /// A client with its own [`Http`].
    pub fn new(endpoint: &Endpoint, token: RegistrationToken) -> Result<Self, ClientError> {
        Ok(Self::with_http(&Http::new()?, endpoint, token))
    }

    /// A client over a shared [`Http`].
    pub fn with_http(http: &Http, endpoint: &Endpoint, token: RegistrationToken) -> Self {
        Self { http: http.0.clone(), metrics_url: format!("{}{API_PATH}/metrics", endpoint.base_url()), token }
    }

    /// `GET /metrics` for this client's agent type.
    pub async fn metrics(&self) -> Result<Metrics, MetricsError> {
        let url = &self.metrics_url;
        let transport = |e: reqwest::Error| MetricsError::Transport { url: url.clone(), cause: transport(&e) };
        let response = self
            .http
            .get(url)
            .header("Authorization", format!("Token {}", self.token.expose()))
            .header("Agent", AGENT_HEADER)
            .header("Content-Type", "application/json")
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        if status != 200 {
            let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok());
            return Err(MetricsError::from_status(url, status, retry_after, SystemTime::now()));
        }
        let too_large = || MetricsError::TooLarge { url: url.clone() };
        if response.content_length().is_some_and(|n| n > MAX_BODY as u64) {
            return Err(too_large());
        }
        let body = response.bytes().await.map_err(transport)?;
        if body.len() > MAX_BODY {
            return Err(too_large());
        }
        parse_metrics(&body).map_err(|detail| MetricsError::BadBody { url: url.clone(), detail })
    }
}

impl JobQueue for SemaphoreClient {
    async fn metrics(&self) -> Result<Metrics, SourceError> {
        Ok(SemaphoreClient::metrics(self).await?)
    }
}

/// The HTTP client could not be built (no usable TLS set-up).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct ClientError(String);

/// The kind of a transport error (the error's own text may repeat the URL).
fn transport(e: &reqwest::Error) -> Transport {
    if e.is_timeout() {
        Transport::Timeout
    } else if e.is_connect() {
        Transport::ConnectionFailed
    } else if e.is_body() || e.is_decode() {
        Transport::IncompleteBody
    } else {
        Transport::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly_the_documented_shape() {
        let m = parse_metrics(br#"{"jobs":{"queued":3,"running":1},"agents":{"idle":4,"occupied":1}}"#);
        assert_eq!(m.map(|m| (m.jobs.queued, m.jobs.running, m.agents.idle, m.agents.occupied)), Ok((3, 1, 4, 1)));
        for bad in [
            r#"{"jobs":{"queued":3,"running":1}}"#,
            r#"{"jobs":{"queued":-3,"running":1},"agents":{"idle":4,"occupied":1}}"#,
            r#"{"jobs":{"queued":"3","running":1},"agents":{"idle":4,"occupied":1}}"#,
            r#"{"jobs":{"queued":3.5,"running":1},"agents":{"idle":4,"occupied":1}}"#,
            r#"{"jobs":{"queued":3,"running":1,"x":1},"agents":{"idle":4,"occupied":1}}"#,
            r#"{"jobs":{"queued":3,"running":1},"agents":{"idle":4,"occupied":1"#,
            "",
            "null",
        ] {
            assert!(parse_metrics(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
