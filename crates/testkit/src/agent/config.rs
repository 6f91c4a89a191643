//! config.yaml as semaphoreci/agent v2.4.0 reads it (`shared/reference/real-agent.md`): any key it
//! does not know stops it at start, values may be given as strings, and a few shapes are checked.

use std::collections::BTreeMap;

use serde_yaml::Value;

/// Every key the agent knows; any other stops it with `Unrecognized option '<key>'. Exiting...`.
pub const KNOWN_KEYS: [&str; 32] = [
    "endpoint",
    "token",
    "name",
    "name-from-env",
    "no-https",
    "disconnect-after-job",
    "disconnect-after-idle-timeout",
    "interruption-grace-period",
    "job-id",
    "shutdown-hook-path",
    "pre-job-hook-path",
    "post-job-hook-path",
    "fail-on-pre-job-hook-error",
    "source-pre-job-hook",
    "env-vars",
    "files",
    "fail-on-missing-files",
    "upload-job-logs",
    "config-file",
    "kubernetes-executor",
    "kubernetes-pod-spec",
    "kubernetes-allowed-images",
    "kubernetes-pod-start-timeout",
    "kubernetes-labels",
    "kubernetes-default-image",
    "kubernetes-image-pull-policy",
    "kubernetes-pod-service-account",
    "kubernetes-pod-spec-decorator-config-map",
    "kubernetes-default-image-pull-secrets",
    "kubernetes-labels-from-env",
    "kubernetes-image-validator",
    "kubernetes-allowed-image-pull-secrets",
];

/// What the stand-in uses of config.yaml.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentConfig {
    pub endpoint: String,
    pub token: String,
    /// As configured: 8–80 characters, or a URL; empty for a random name.
    pub name: String,
    pub no_https: bool,
    pub disconnect_after_job: bool,
    pub disconnect_after_idle_timeout: u64,
    pub interruption_grace_period: u64,
    pub job_id: String,
    pub shutdown_hook_path: String,
    pub env_vars: Vec<(String, String)>,
    pub upload_job_logs: String,
}

/// Parses config.yaml; the error is the line the agent prints before it exits 1.
pub fn parse_config(text: &str) -> Result<AgentConfig, String> {
    let map: BTreeMap<String, Value> = serde_yaml::from_str(text).map_err(|e| format!("config.yaml: {e}"))?;
    if let Some(key) = map.keys().find(|k| !KNOWN_KEYS.contains(&k.as_str())) {
        return Err(format!("Unrecognized option '{key}'. Exiting..."));
    }
    let text = |key: &str| -> Result<String, String> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Bool(b)) => Ok(b.to_string()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            Some(other) => Err(format!("{key}: expected a value, got {other:?}")),
        }
    };
    let flag = |key: &str| -> Result<bool, String> {
        match text(key)?.as_str() {
            "" | "false" => Ok(false),
            "true" => Ok(true),
            other => Err(format!("{key}: {other:?} is not a boolean")),
        }
    };
    let seconds = |key: &str| -> Result<u64, String> {
        let value = text(key)?;
        if value.is_empty() {
            return Ok(0);
        }
        value.parse().map_err(|_| format!("{key} must be a whole number of seconds, 0 or more: {value:?}"))
    };
    let list = |key: &str, separator: char| -> Result<Vec<(String, String)>, String> {
        let entries = match map.get(key) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Sequence(s)) => s,
            Some(other) => return Err(format!("{key}: expected a list, got {other:?}")),
        };
        entries
            .iter()
            .map(|entry| {
                let entry = entry.as_str().ok_or_else(|| format!("{key}: {entry:?} is not a string"))?;
                match entry.split(separator).collect::<Vec<_>>().as_slice() {
                    [a, b] => Ok((a.to_string(), b.to_string())),
                    _ => Err(format!("{entry} is not a valid {key} entry: it needs exactly one '{separator}'")),
                }
            })
            .collect()
    };
    let config = AgentConfig {
        endpoint: text("endpoint")?,
        token: text("token")?,
        name: text("name")?,
        no_https: flag("no-https")?,
        disconnect_after_job: flag("disconnect-after-job")?,
        disconnect_after_idle_timeout: seconds("disconnect-after-idle-timeout")?,
        interruption_grace_period: seconds("interruption-grace-period")?,
        job_id: text("job-id")?,
        shutdown_hook_path: text("shutdown-hook-path")?,
        env_vars: list("env-vars", '=')?,
        upload_job_logs: match text("upload-job-logs")?.as_str() {
            "" => "never".into(),
            v @ ("never" | "always" | "when-trimmed") => v.into(),
            other => return Err(format!("upload-job-logs: {other:?} is not one of never, always, when-trimmed")),
        },
    };
    list("files", ':')?;
    if config.endpoint.is_empty() || config.token.is_empty() {
        return Err("endpoint and token are required".into());
    }
    if !config.job_id.is_empty() && !config.disconnect_after_job {
        return Err("job-id requires disconnect-after-job".into());
    }
    let is_url = config.name.starts_with("https://") || config.name.starts_with("http://");
    if !config.name.is_empty() && !is_url && !(8..=80).contains(&config.name.len()) {
        return Err(format!("name {:?} must have 8 to 80 characters", config.name));
    }
    Ok(config)
}

/// config.yaml as a generic map, for comparing keys and values in tests.
pub fn config_map(text: &str) -> Result<BTreeMap<String, Value>, String> {
    serde_yaml::from_str(text).map_err(|e| format!("config.yaml: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "endpoint: \"org.semaphoreci.com\"\ntoken: \"t\"\n";

    #[test]
    fn unknown_keys_stop_the_agent_with_its_own_words() {
        let e = parse_config(&format!("{BASE}idle-timeout: 5\n")).unwrap_err();
        assert_eq!(e, "Unrecognized option 'idle-timeout'. Exiting...");
    }

    #[test]
    fn numbers_and_booleans_may_be_strings() {
        let c = parse_config(&format!(
            "{BASE}disconnect-after-job: \"true\"\ndisconnect-after-idle-timeout: \"300\"\ninterruption-grace-period: 90\n"
        ))
        .unwrap();
        assert!(c.disconnect_after_job);
        assert_eq!((c.disconnect_after_idle_timeout, c.interruption_grace_period), (300, 90));
        assert_eq!(c.upload_job_logs, "never");
    }

    #[test]
    fn list_entries_and_names_have_their_shapes() {
        for (extra, needle) in [
            ("env-vars: [\"A=1\", \"B\"]\n", "'='"),
            ("env-vars: [\"A=1=2\"]\n", "'='"),
            ("files: [\"/a\"]\n", "':'"),
            ("name: \"short\"\n", "8 to 80"),
            ("disconnect-after-idle-timeout: -1\n", "0 or more"),
            ("upload-job-logs: sometimes\n", "when-trimmed"),
            ("job-id: \"j\"\n", "disconnect-after-job"),
        ] {
            let e = parse_config(&format!("{BASE}{extra}")).unwrap_err();
            assert!(e.contains(needle), "{extra}: {e}");
        }
        let c = parse_config(&format!("{BASE}env-vars: [\"A=1\", \"B=\"]\nname: \"https://sts.amazonaws.com/?a=b\"\n")).unwrap();
        assert_eq!(c.env_vars, vec![("A".into(), "1".into()), ("B".into(), String::new())]);
    }
}
