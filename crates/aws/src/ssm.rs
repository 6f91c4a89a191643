//! SSM parameters: the registration token (SecureString) and plain string parameters.

use agent_stack_config::RegistrationToken;
use aws_sdk_ssm::types::ParameterType;
use aws_sdk_ssm::Client;

use crate::sdk::error_text;

/// Why the token could not be read. Never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("SSM parameter {0} not found: store the agent type registration token there (agent-stack token put --name {0})")]
    NotFound(String),
    #[error("SSM parameter {name} could not be read: {cause}")]
    Unreadable { name: String, cause: String },
}

/// Reads the registration token, decrypted.
pub async fn read_token(config: &aws_config::SdkConfig, name: &str) -> Result<RegistrationToken, TokenError> {
    let out = Client::new(config).get_parameter().name(name).with_decryption(true).send().await.map_err(|e| {
        if e.as_service_error().is_some_and(|s| s.is_parameter_not_found()) {
            TokenError::NotFound(name.to_string())
        } else {
            TokenError::Unreadable { name: name.to_string(), cause: error_text(&e) }
        }
    })?;
    match out.parameter().and_then(|p| p.value()) {
        Some(v) if !v.is_empty() => Ok(RegistrationToken::new(v)),
        _ => Err(TokenError::Unreadable { name: name.to_string(), cause: "the parameter is empty".into() }),
    }
}

/// Reads a plain string parameter; `Ok(None)` when it does not exist.
pub async fn get_string(config: &aws_config::SdkConfig, name: &str) -> Result<Option<String>, String> {
    match Client::new(config).get_parameter().name(name).send().await {
        Ok(out) => Ok(out.parameter().and_then(|p| p.value()).map(str::to_string)),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_parameter_not_found()) => Ok(None),
        Err(e) => Err(format!("GetParameter {name}: {}", error_text(&e))),
    }
}

/// Overwrites a plain string parameter.
pub async fn put_string(config: &aws_config::SdkConfig, name: &str, value: &str) -> Result<(), String> {
    Client::new(config)
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::String)
        .overwrite(true)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("PutParameter {name}: {}", error_text(&e)))
}

/// Stores the registration token as a SecureString (overwriting), encrypted with `kms_key` or the
/// account's `alias/aws/ssm`.
pub async fn put_token(config: &aws_config::SdkConfig, name: &str, token: &RegistrationToken, kms_key: Option<&str>) -> Result<(), String> {
    let mut request =
        Client::new(config).put_parameter().name(name).value(token.expose()).r#type(ParameterType::SecureString).overwrite(true);
    if let Some(key) = kms_key {
        request = request.key_id(key);
    }
    request.send().await.map(|_| ()).map_err(|e| format!("PutParameter {name}: {}", error_text(&e)))
}
