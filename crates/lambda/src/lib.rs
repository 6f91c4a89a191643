//! Handlers of the agent-stack Lambda: the scaler, the AZ-rebalance custom resource and the GitHub
//! SSH-keys refresher.

pub mod clock;
pub mod custom_resource;
pub mod log;
pub mod runtime;
pub mod scaler;
pub mod ssh_keys;

use agent_stack_config::lambda_env::{self, FunctionRole};
use agent_stack_config::Choice;
use serde_json::Value;

/// Checks the function's environment before the first invocation, so that a broken one fails the
/// function's init (as Lambda reports it) instead of every invocation.
pub fn check_environment(get: impl Fn(&str) -> Option<String>) -> Result<(), String> {
    let role = get(lambda_env::FUNCTION).unwrap_or_default();
    match FunctionRole::parse(&role) {
        Some(FunctionRole::Scaler) => scaler::Settings::from_env(get).map(|_| ()),
        Some(FunctionRole::SshKeysUpdater) => match get(lambda_env::SSM_PARAMETER).filter(|v| !v.is_empty()) {
            Some(_) => Ok(()),
            None => Err(format!("{} is not set", lambda_env::SSM_PARAMETER)),
        },
        Some(FunctionRole::AzRebalanceSuspender) => Ok(()),
        None => Err(format!("{} is {role:?}; expected one of: {}", lambda_env::FUNCTION, FunctionRole::allowed())),
    }
}

/// Routes one invocation. Errors are messages without secrets; they fail the invocation.
pub async fn handle(sdk: &aws_config::SdkConfig, event: Value, deadline_ms: u64) -> Result<Value, String> {
    if custom_resource::is_custom_resource_event(&event) {
        return custom_resource::handle(sdk, &event).await;
    }
    let role = std::env::var(lambda_env::FUNCTION).unwrap_or_default();
    match FunctionRole::parse(&role) {
        Some(FunctionRole::Scaler) => {
            let settings = scaler::Settings::from_env(|k| std::env::var(k).ok())?;
            let summary = scaler::invoke(sdk, &settings, &event, deadline_ms, &clock::SystemClock).await?;
            Ok(serde_json::to_value(summary).unwrap_or(Value::Null))
        }
        Some(FunctionRole::SshKeysUpdater) => ssh_keys::refresh_from_env(sdk).await,
        Some(FunctionRole::AzRebalanceSuspender) | None => Err(format!(
            "{} is {role:?} and the event is not a CloudFormation custom resource request; expected one of: {}",
            lambda_env::FUNCTION,
            FunctionRole::allowed()
        )),
    }
}
