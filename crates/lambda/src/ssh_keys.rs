//! The GitHub SSH-keys refresher: keeps `<stack>-ssh-public-keys` equal to GitHub's published host keys.

use std::time::Duration;

use agent_stack_config::lambda_env;
use serde_json::{json, Value};

use crate::log;

/// Checks a `/meta` response and returns its `ssh_keys`.
pub fn keys_from_meta(body: &[u8]) -> Result<Vec<String>, String> {
    let meta: Value = serde_json::from_slice(body).map_err(|e| format!("GitHub meta response is not JSON ({e})"))?;
    let keys: Vec<String> = meta["ssh_keys"]
        .as_array()
        .ok_or("GitHub meta response has no ssh_keys list")?
        .iter()
        .map(|k| k.as_str().map(str::to_string).ok_or("ssh_keys holds a non-string"))
        .collect::<Result<_, _>>()?;
    let plausible = |k: &String| {
        let mut parts = k.split(' ');
        matches!(parts.next(), Some(t) if t.starts_with("ssh-") || t.starts_with("ecdsa-")) && parts.next().is_some_and(|b| b.len() > 16)
    };
    if keys.is_empty() || !keys.iter().all(plausible) {
        return Err("GitHub meta response has no plausible SSH host keys".into());
    }
    Ok(keys)
}

/// Fetches GitHub's keys and updates the parameter when they changed.
pub async fn refresh(sdk: &aws_config::SdkConfig, parameter: &str, meta_url: &str) -> Result<Value, String> {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("agent-stack/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let response =
        http.get(meta_url).send().await.map_err(|e| format!("GET {meta_url}: {}", if e.is_timeout() { "timed out" } else { "failed" }))?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(format!("GET {meta_url}: HTTP {status}"));
    }
    let body = response.bytes().await.map_err(|_| format!("GET {meta_url}: incomplete response"))?;
    let keys = keys_from_meta(&body)?;
    let current = agent_stack_aws::get_string(sdk, parameter).await?;
    let current_keys: Option<Vec<String>> = current.as_deref().and_then(|c| serde_json::from_str(c).ok());
    let changed = current_keys.as_ref() != Some(&keys);
    if changed {
        let value = serde_json::to_string(&keys).map_err(|e| e.to_string())?;
        agent_stack_aws::put_string(sdk, parameter, &value).await?;
    }
    let summary = json!({ "parameter": parameter, "keys": keys.len(), "changed": changed });
    log::info("ssh keys refreshed", &summary);
    Ok(summary)
}

pub async fn refresh_from_env(sdk: &aws_config::SdkConfig) -> Result<Value, String> {
    let parameter = std::env::var(lambda_env::SSM_PARAMETER).map_err(|_| format!("{} is not set", lambda_env::SSM_PARAMETER))?;
    let url = std::env::var(lambda_env::GITHUB_META_URL_ENV).unwrap_or_else(|_| lambda_env::GITHUB_META_URL.to_string());
    refresh(sdk, &parameter, &url).await
}
