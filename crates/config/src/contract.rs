//! The stack's agent-config SSM parameter (`<stack>-config`): written by the template, read by the
//! instance bootstrap. Field order and string-typed flags match agent-aws-stack, so images built for
//! it keep working and a migrated stack's parameter value does not change.

use serde::{Deserialize, Serialize};

/// JSON value of the `<stack>-config` parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentConfigParameter {
    /// Semaphore host the agent connects to.
    pub endpoint: String,
    /// SSM SecureString holding the registration token.
    pub agent_token_parameter_name: String,
    /// SSM parameter holding GitHub's SSH host keys (JSON list of strings).
    pub ssh_keys_parameter_name: String,
    /// `"true"` or `"false"`, as agent-aws-stack writes it.
    pub disconnect_after_job: String,
    /// Seconds, as a decimal string.
    pub disconnect_after_idle_timeout: String,
    /// `VAR=VALUE` entries for the agent's env-vars.
    pub env_vars: Vec<String>,
    #[serde(rename = "usePreSignedURL")]
    pub use_pre_signed_url: bool,
}

const KNOWN_FIELDS: [&str; 7] = [
    "endpoint",
    "agentTokenParameterName",
    "sshKeysParameterName",
    "disconnectAfterJob",
    "disconnectAfterIdleTimeout",
    "envVars",
    "usePreSignedURL",
];

impl AgentConfigParameter {
    /// Reads the parameter's value as an instance does: fields this version does not know (written
    /// by a newer stack) are returned, not fatal, so an image keeps booting across stack upgrades.
    pub fn from_json(text: &str) -> Result<(Self, Vec<String>), String> {
        let mut value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let object = value.as_object_mut().ok_or("not a JSON object")?;
        let unknown: Vec<String> = object.keys().filter(|k| !KNOWN_FIELDS.contains(&k.as_str())).cloned().collect();
        for key in &unknown {
            object.remove(key);
        }
        let parsed = serde_json::from_value(value).map_err(|e| e.to_string())?;
        Ok((parsed, unknown))
    }

    /// `disconnectAfterJob` as a boolean.
    pub fn disconnect_after_job(&self) -> Result<bool, String> {
        match self.disconnect_after_job.as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(format!("disconnectAfterJob is {other:?}; allowed: \"true\" or \"false\"")),
        }
    }

    /// `disconnectAfterIdleTimeout` in seconds.
    pub fn idle_timeout_s(&self) -> Result<u64, String> {
        self.disconnect_after_idle_timeout
            .parse()
            .map_err(|_| format!("disconnectAfterIdleTimeout is {:?}; allowed: seconds, 0 or more", self.disconnect_after_idle_timeout))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = r#"{"endpoint":"org.semaphoreci.com","agentTokenParameterName":"t","sshKeysParameterName":"k",
        "disconnectAfterJob":"true","disconnectAfterIdleTimeout":"300","envVars":["A=1"],"usePreSignedURL":false}"#;

    #[test]
    fn reads_the_value_agent_aws_stack_writes() {
        let (p, unknown) = AgentConfigParameter::from_json(VALUE).unwrap();
        assert!(unknown.is_empty());
        assert_eq!((p.disconnect_after_job(), p.idle_timeout_s()), (Ok(true), Ok(300)));
        assert_eq!(p.env_vars, vec!["A=1"]);
    }

    #[test]
    fn fields_of_a_newer_stack_are_reported_not_fatal() {
        let value = VALUE.replacen('{', r#"{"warmPool":true,"#, 1);
        let (p, unknown) = AgentConfigParameter::from_json(&value).unwrap();
        assert_eq!(unknown, vec!["warmPool"]);
        assert_eq!(p.endpoint, "org.semaphoreci.com");
    }

    #[test]
    fn bad_values_name_the_field() {
        let value = VALUE.replace(r#""true""#, r#""yes""#).replace(r#""300""#, r#""-1""#);
        let (p, _) = AgentConfigParameter::from_json(&value).unwrap();
        assert!(p.disconnect_after_job().unwrap_err().contains("disconnectAfterJob"));
        assert!(p.idle_timeout_s().unwrap_err().contains("disconnectAfterIdleTimeout"));
        assert!(AgentConfigParameter::from_json("[]").unwrap_err().contains("object"));
        assert!(AgentConfigParameter::from_json(r#"{"endpoint":"x"}"#).unwrap_err().contains("missing field"));
    }
}
