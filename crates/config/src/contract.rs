//! The stack's agent-config SSM parameter (`<stack>-config`): written by the template, read by the
//! instance bootstrap. Field order and string-typed flags match agent-aws-stack, so images built for
//! it keep working and a migrated stack's parameter value does not change.

use serde::{Deserialize, Serialize};

use crate::DrainHook;

/// Seconds a running job may go on after its agent is interrupted, unless the stack says
/// otherwise: longer than Semaphore lets a job run (24 h at most), so asking an agent to leave
/// (rotate, a rebalance recommendation) never cuts its job short.
pub const DEFAULT_INTERRUPTION_GRACE_PERIOD_S: u32 = 86_400;

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
    /// Seconds, as a decimal string; written only when not the default, so the value of a stack
    /// migrated from agent-aws-stack does not change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interruption_grace_period: Option<String>,
    /// The group's termination lifecycle hook; absent in stacks made before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain: Option<DrainHook>,
    /// The group's launch lifecycle hook ([`crate::launch`]); only with a warm pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_hook_name: Option<String>,
    /// The shutdown hook lowers the desired capacity after a finished job too (with a warm pool:
    /// demand pulls the next instance from the pool instead of a replacement waiting idle).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lower_desired_after_job: bool,
}

const KNOWN_FIELDS: [&str; 11] = [
    "endpoint",
    "agentTokenParameterName",
    "sshKeysParameterName",
    "disconnectAfterJob",
    "disconnectAfterIdleTimeout",
    "envVars",
    "usePreSignedURL",
    "interruptionGracePeriod",
    "drain",
    "launchHookName",
    "lowerDesiredAfterJob",
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
        // A value of the wrong type is named by its field (`drain.heartbeatTimeout: invalid type…`).
        let parsed = serde_path_to_error::deserialize(value).map_err(|e| match e.path().to_string().as_str() {
            "." => e.inner().to_string(),
            path => format!("{path}: {}", e.inner()),
        })?;
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

    /// `interruptionGracePeriod` in seconds; absent means the default.
    pub fn interruption_grace_period_s(&self) -> Result<u64, String> {
        match &self.interruption_grace_period {
            None => Ok(u64::from(DEFAULT_INTERRUPTION_GRACE_PERIOD_S)),
            Some(text) => text.parse().map_err(|_| format!("interruptionGracePeriod is {text:?}; allowed: seconds, 0 or more")),
        }
    }

    /// `envVars`, each `NAME=VALUE` with exactly one `=`: the agent splits each entry on `=` and
    /// exits at start on any other shape.
    pub fn env_vars(&self) -> Result<&[String], String> {
        match self.env_vars.iter().find(|v| v.matches('=').count() != 1) {
            Some(bad) => {
                Err(format!("envVars entry {bad:?} has {} '='; allowed: NAME=VALUE with exactly one '='", bad.matches('=').count()))
            }
            None => Ok(&self.env_vars),
        }
    }

    /// Checks every value the agent's config.yaml is made from, so an instance refuses a bad
    /// parameter before it waits or starts anything.
    pub fn check(&self) -> Result<(), String> {
        self.disconnect_after_job()?;
        self.idle_timeout_s()?;
        self.interruption_grace_period_s()?;
        self.env_vars()?;
        Ok(())
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
        assert_eq!(p.interruption_grace_period_s(), Ok(86_400));
        assert_eq!(serde_json::to_value(&p).unwrap(), serde_json::from_str::<serde_json::Value>(VALUE).unwrap());
    }

    #[test]
    fn a_grace_period_other_than_the_default_and_the_hooks_are_written_and_read() {
        let drain = r#""drain":{"lifecycleHookName":"h","groupNameParameterName":"g","heartbeatTimeout":120}"#;
        let value = VALUE.replacen(
            '}',
            &format!(r#","interruptionGracePeriod":"90",{drain},"launchHookName":"l","lowerDesiredAfterJob":true}}"#),
            1,
        );
        let (p, unknown) = AgentConfigParameter::from_json(&value).unwrap();
        assert!(unknown.is_empty());
        assert_eq!(p.interruption_grace_period_s(), Ok(90));
        assert_eq!(p.drain.as_ref().map(|d| d.heartbeat_timeout), Some(120));
        assert_eq!(p.launch_hook_name.as_deref(), Some("l"));
        assert!(p.lower_desired_after_job);
        // Every field the struct writes is one `from_json` knows.
        let written = serde_json::to_value(&p).unwrap();
        let keys: Vec<&str> = written.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), KNOWN_FIELDS.len());
        assert!(keys.iter().all(|k| KNOWN_FIELDS.contains(k)), "{keys:?}");
        let bad = AgentConfigParameter { interruption_grace_period: Some("soon".into()), ..p };
        assert!(bad.interruption_grace_period_s().unwrap_err().contains("interruptionGracePeriod"));
    }

    #[test]
    fn a_value_of_the_wrong_type_is_named_by_its_field() {
        for (field, want) in [
            (r#""lowerDesiredAfterJob":"yes""#, "lowerDesiredAfterJob: invalid type: string \"yes\", expected a boolean"),
            (r#""launchHookName":7"#, "launchHookName: invalid type: integer `7`, expected a string"),
            (
                r#""drain":{"lifecycleHookName":"h","groupNameParameterName":"g","heartbeatTimeout":"2m"}"#,
                "drain.heartbeatTimeout: invalid type: string \"2m\"",
            ),
        ] {
            let err = AgentConfigParameter::from_json(&VALUE.replacen('}', &format!(",{field}}}"), 1)).unwrap_err();
            assert!(err.starts_with(want), "{field}: {err}");
        }
        let missing = AgentConfigParameter::from_json(r#"{"endpoint":"e"}"#).unwrap_err();
        assert!(missing.starts_with("missing field"), "{missing}");
    }

    #[test]
    fn fields_of_a_newer_stack_are_reported_not_fatal() {
        let value = VALUE.replacen('{', r#"{"warmPool":true,"#, 1);
        let (p, unknown) = AgentConfigParameter::from_json(&value).unwrap();
        assert_eq!(unknown, vec!["warmPool"]);
        assert_eq!(p.endpoint, "org.semaphoreci.com");
    }

    #[test]
    fn env_vars_need_exactly_one_equals_sign() {
        for bad in ["NO_EQUALS", "A=B=C", ""] {
            let value = VALUE.replace(r#"["A=1"]"#, &format!(r#"["A=1",{bad:?}]"#));
            let (p, _) = AgentConfigParameter::from_json(&value).unwrap();
            let e = p.check().unwrap_err();
            assert!(e.contains("envVars") && e.contains(&format!("{bad:?}")), "{e}");
        }
        let (p, _) = AgentConfigParameter::from_json(&VALUE.replace(r#"["A=1"]"#, r#"["A=","B=two words"]"#)).unwrap();
        assert_eq!(p.env_vars(), Ok(&["A=".to_string(), "B=two words".to_string()][..]));
    }

    #[test]
    fn bad_values_name_the_field() {
        let value = VALUE.replace(r#""true""#, r#""yes""#).replace(r#""300""#, r#""-1""#);
        let (p, _) = AgentConfigParameter::from_json(&value).unwrap();
        assert!(p.disconnect_after_job().unwrap_err().contains("disconnectAfterJob"));
        assert!(p.idle_timeout_s().unwrap_err().contains("disconnectAfterIdleTimeout"));
        assert!(p.check().unwrap_err().contains("disconnectAfterJob"));
        assert!(AgentConfigParameter::from_json("[]").unwrap_err().contains("object"));
        assert!(AgentConfigParameter::from_json(r#"{"endpoint":"x"}"#).unwrap_err().contains("missing field"));
    }
}
