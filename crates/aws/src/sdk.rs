//! The SDK configuration every adapter uses.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::client::http::HttpConnectorSettings;

/// How patient calls are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallProfile {
    /// Inside a scaler tick: short timeouts, one retry.
    Tick,
    /// Operator commands: longer timeouts, standard retries.
    Command,
}

/// Timeouts and retries of a call profile.
pub(crate) fn timeouts(profile: CallProfile) -> (TimeoutConfig, RetryConfig) {
    let (timeouts, attempts) = match profile {
        CallProfile::Tick => (
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_attempt_timeout(Duration::from_secs(2))
                .operation_timeout(Duration::from_secs(4))
                .build(),
            2,
        ),
        CallProfile::Command => (
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(20))
                .operation_timeout(Duration::from_secs(60))
                .build(),
            4,
        ),
    };
    (timeouts, RetryConfig::standard().with_max_attempts(attempts))
}

/// Starts reading the system's trust store for the SDK on a thread of its own, so that a cold
/// process's first AWS call need not wait for it. The SDK reads the store once per process, when it
/// builds its first connector, and keeps it; building (and dropping) a default connector here fills
/// that cache while the caller loads its configuration. Harmless if the SDK stops caching: the
/// thread then only costs the read. (docs/scaler.md, "Cold start".)
pub fn preload_trust_store() {
    let _ = std::thread::Builder::new().name("trust-store".into()).spawn(|| {
        let _ = aws_smithy_http_client::default_connector(&HttpConnectorSettings::default(), None);
    });
}

/// Loads region, credentials and endpoint (`AWS_ENDPOINT_URL`) from the environment, as the SDK does.
pub async fn sdk_config(profile: CallProfile) -> SdkConfig {
    let (timeout_config, retry_config) = timeouts(profile);
    aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeout_config).retry_config(retry_config).load().await
}
