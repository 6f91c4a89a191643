//! SSM parameters: the registration token (SecureString) and plain string parameters.

use agent_stack_config::RegistrationToken;
use aws_sdk_ssm::types::ParameterType;
use aws_sdk_ssm::Client;

use crate::Error;

/// Why the token could not be read. Never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("SSM parameter {0} not found: store the agent type registration token there (agent-stack token put --name {0})")]
    NotFound(String),
    #[error("SSM parameter {0} is empty: store the agent type registration token there (agent-stack token put --name {0})")]
    Empty(String),
    #[error("the registration token could not be read: {0}")]
    Unreadable(Error),
}

/// Reads the registration token, decrypted.
pub async fn read_token(config: &aws_config::SdkConfig, name: &str) -> Result<RegistrationToken, TokenError> {
    let out = Client::new(config).get_parameter().name(name).with_decryption(true).send().await.map_err(|e| {
        let err = Error::from_sdk(format!("GetParameter {name}"), &e);
        if err.is_not_found() {
            TokenError::NotFound(name.to_string())
        } else {
            TokenError::Unreadable(err)
        }
    })?;
    match out.parameter().and_then(|p| p.value()) {
        Some(v) if !v.is_empty() => Ok(RegistrationToken::new(v)),
        _ => Err(TokenError::Empty(name.to_string())),
    }
}

/// Reads a plain string parameter; `Ok(None)` when it does not exist.
pub async fn get_string(config: &aws_config::SdkConfig, name: &str) -> Result<Option<String>, Error> {
    match Client::new(config).get_parameter().name(name).send().await {
        Ok(out) => Ok(out.parameter().and_then(|p| p.value()).map(str::to_string)),
        Err(e) => {
            let err = Error::from_sdk(format!("GetParameter {name}"), &e);
            if err.is_not_found() {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
}

/// Overwrites a plain string parameter.
pub async fn put_string(config: &aws_config::SdkConfig, name: &str, value: &str) -> Result<(), Error> {
    Client::new(config)
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::String)
        .overwrite(true)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| Error::from_sdk(format!("PutParameter {name}"), &e))
}

/// Stores the registration token as a SecureString (overwriting), encrypted with `kms_key` or the
/// account's `alias/aws/ssm`.
pub async fn put_token(config: &aws_config::SdkConfig, name: &str, token: &RegistrationToken, kms_key: Option<&str>) -> Result<(), Error> {
    let mut request =
        Client::new(config).put_parameter().name(name).value(token.expose()).r#type(ParameterType::SecureString).overwrite(true);
    if let Some(key) = kms_key {
        request = request.key_id(key);
    }
    request.send().await.map(|_| ()).map_err(|e| Error::from_sdk(format!("PutParameter {name}"), &e))
}
