//! Why a metrics call failed, as kinds callers act on, and the server's `Retry-After`. Messages
//! name the request and the next step; none carries the token.

use std::time::{Duration, SystemTime};

use agent_stack_scaler::SourceError;

use crate::{MAX_BODY, TOTAL_TIMEOUT};

/// What went wrong below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Timeout,
    ConnectionFailed,
    IncompleteBody,
    Other,
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Timeout => write!(f, "timed out after {} s", TOTAL_TIMEOUT.as_secs()),
            Transport::ConnectionFailed => f.write_str("connection failed"),
            Transport::IncompleteBody => f.write_str("incomplete response body"),
            Transport::Other => f.write_str("request failed"),
        }
    }
}

/// A failed `GET …/metrics`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricsError {
    #[error("GET {url}: {cause}; check the endpoint and the network path to it")]
    Transport { url: String, cause: Transport },
    #[error("GET {url}: HTTP 401, the server did not accept the Authorization header; check the token parameter")]
    Unauthorized { url: String },
    #[error("GET {url}: HTTP 404, unknown agent type token; put the agent type's registration token in the token parameter")]
    UnknownAgentType { url: String },
    /// 429 Too Many Requests or 503 Service Unavailable: the server asks clients to wait, for
    /// `retry_after` when it says how long.
    #[error("GET {url}: HTTP {status}, {}", throttled_hint(*retry_after))]
    Throttled { url: String, status: u16, retry_after: Option<Duration> },
    #[error("GET {url}: HTTP {status}, Semaphore server error; try again later")]
    ServerError { url: String, status: u16 },
    #[error("GET {url}: HTTP {status}, unexpected status; check that the endpoint is a Semaphore server")]
    UnexpectedStatus { url: String, status: u16 },
    #[error("GET {url}: unexpected metrics response ({detail}); check that the endpoint is a Semaphore server")]
    BadBody { url: String, detail: String },
    #[error("GET {url}: response larger than {MAX_BODY} bytes; check that the endpoint is a Semaphore server")]
    TooLarge { url: String },
}

fn throttled_hint(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!("Semaphore asks to wait {} s (Retry-After); no request before then", seconds_up(wait)),
        None => "Semaphore is busy or unavailable; try again later".to_string(),
    }
}

/// Whole seconds, rounded up, so a message never promises less than the wait.
fn seconds_up(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl MetricsError {
    /// The error for a non-200 status; `retry_after` is the header's value, if any.
    pub fn from_status(url: &str, status: u16, retry_after: Option<&str>, now: SystemTime) -> MetricsError {
        let url = url.to_string();
        match status {
            401 => MetricsError::Unauthorized { url },
            404 => MetricsError::UnknownAgentType { url },
            429 | 503 => MetricsError::Throttled { url, status, retry_after: retry_after.and_then(|v| parse_retry_after(v, now)) },
            500..=599 => MetricsError::ServerError { url, status },
            _ => MetricsError::UnexpectedStatus { url, status },
        }
    }

    /// How long the server asked to wait before the next request.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            MetricsError::Throttled { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// A tick's error: the message, and the server's requested wait for the scaler to honour.
impl From<MetricsError> for SourceError {
    fn from(e: MetricsError) -> SourceError {
        let wait_ms = e.retry_after().map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        SourceError::semaphore(e.to_string()).with_retry_after_ms(wait_ms)
    }
}

/// Parses `Retry-After`: delta-seconds, or an HTTP-date (a date in the past means no wait).
/// Anything else is ignored.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://org.semaphoreci.com/api/v1/self_hosted_agents/metrics";

    fn at(unix_s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(unix_s)
    }

    #[test]
    fn retry_after_in_seconds_and_as_an_http_date() {
        // 1994-11-06 08:49:37 UTC, the RFC's example date.
        let now = at(784_111_777);
        for (value, want) in [
            ("120", Some(120)),
            (" 3 ", Some(3)),
            ("0", Some(0)),
            ("99999999999999999999999", Some(u64::MAX)),
            ("Sun, 06 Nov 1994 08:49:47 GMT", Some(10)),
            ("Sunday, 06-Nov-94 08:50:37 GMT", Some(60)),
            ("Sun Nov  6 08:49:57 1994", Some(20)),
            ("Sun, 06 Nov 1994 08:00:00 GMT", Some(0)),
            ("-5", None),
            ("1.5", None),
            ("soon", None),
            ("", None),
        ] {
            assert_eq!(parse_retry_after(value, now), want.map(Duration::from_secs), "{value:?}");
        }
    }

    #[test]
    fn statuses_map_to_the_kinds_callers_act_on() {
        let now = at(0);
        let kind = |status, retry: Option<&str>| MetricsError::from_status(URL, status, retry, now);
        assert_eq!(kind(401, None), MetricsError::Unauthorized { url: URL.into() });
        assert_eq!(kind(404, None), MetricsError::UnknownAgentType { url: URL.into() });
        assert_eq!(kind(429, Some("7")).retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(kind(503, Some("Thu, 01 Jan 1970 00:00:30 GMT")).retry_after(), Some(Duration::from_secs(30)));
        assert_eq!(kind(503, None), MetricsError::Throttled { url: URL.into(), status: 503, retry_after: None });
        assert_eq!(kind(500, Some("7")), MetricsError::ServerError { url: URL.into(), status: 500 });
        assert_eq!(kind(418, None), MetricsError::UnexpectedStatus { url: URL.into(), status: 418 });
        assert_eq!(kind(302, None).retry_after(), None);
    }

    #[test]
    fn messages_are_one_line_naming_the_request_and_the_next_step() {
        let url = || URL.to_string();
        for (e, want) in [
            (
                MetricsError::Transport { url: url(), cause: Transport::Timeout },
                format!("GET {URL}: timed out after 2 s; check the endpoint and the network path to it"),
            ),
            (
                MetricsError::Unauthorized { url: url() },
                format!("GET {URL}: HTTP 401, the server did not accept the Authorization header; check the token parameter"),
            ),
            (
                MetricsError::UnknownAgentType { url: url() },
                format!("GET {URL}: HTTP 404, unknown agent type token; put the agent type's registration token in the token parameter"),
            ),
            (
                MetricsError::Throttled { url: url(), status: 429, retry_after: Some(Duration::from_millis(2_500)) },
                format!("GET {URL}: HTTP 429, Semaphore asks to wait 3 s (Retry-After); no request before then"),
            ),
            (
                MetricsError::Throttled { url: url(), status: 503, retry_after: None },
                format!("GET {URL}: HTTP 503, Semaphore is busy or unavailable; try again later"),
            ),
            (
                MetricsError::ServerError { url: url(), status: 502 },
                format!("GET {URL}: HTTP 502, Semaphore server error; try again later"),
            ),
            (
                MetricsError::TooLarge { url: url() },
                format!("GET {URL}: response larger than 65536 bytes; check that the endpoint is a Semaphore server"),
            ),
        ] {
            assert_eq!(e.to_string(), want);
            assert!(!want.contains('\n'));
        }
    }

    #[test]
    fn the_tick_error_carries_the_wait() {
        let e = MetricsError::Throttled { url: URL.into(), status: 429, retry_after: Some(Duration::from_secs(4)) };
        let source = SourceError::from(e.clone());
        assert_eq!((source.message.as_str(), source.retry_after_ms), (e.to_string().as_str(), Some(4_000)));
        assert_eq!(SourceError::from(MetricsError::Unauthorized { url: URL.into() }).retry_after_ms, None);
    }
}
