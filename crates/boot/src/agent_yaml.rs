//! The agent's config.yaml: the keys agent-aws-stack sets (the agent rejects unknown keys), plus
//! `interruption-grace-period` (how long a job may go on once the agent is asked to leave) and
//! `no-https` for a loopback endpoint, which only tests use.

use agent_stack_config::{AgentConfigParameter, RegistrationToken};

/// What goes into config.yaml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentYaml {
    pub endpoint: String,
    pub token: RegistrationToken,
    pub name: String,
    pub disconnect_after_job: bool,
    pub disconnect_after_idle_timeout_s: u64,
    pub interruption_grace_period_s: u64,
    pub env_vars: Vec<String>,
    pub shutdown_hook_path: String,
}

/// How the agent uploads job logs; agent-aws-stack's choice.
pub const UPLOAD_JOB_LOGS: &str = "when-trimmed";

impl AgentYaml {
    /// Combines the stack's parameter with the token, the agent's name and the hook's path.
    pub fn new(param: &AgentConfigParameter, token: RegistrationToken, name: String, shutdown_hook_path: String) -> Result<Self, String> {
        Ok(Self {
            endpoint: param.endpoint.clone(),
            token,
            name,
            disconnect_after_job: param.disconnect_after_job()?,
            disconnect_after_idle_timeout_s: param.idle_timeout_s()?,
            interruption_grace_period_s: param.interruption_grace_period_s()?,
            env_vars: param.env_vars()?.to_vec(),
            shutdown_hook_path,
        })
    }

    /// The YAML text. Strings are double-quoted JSON strings, which YAML reads as the same
    /// strings whatever they contain.
    pub fn render(&self) -> String {
        let q = |s: &str| serde_json::Value::from(s).to_string();
        let mut out = String::new();
        out.push_str(&format!("endpoint: {}\n", q(&self.endpoint)));
        if agent_stack_config::is_loopback_host(&self.endpoint) {
            out.push_str("no-https: true\n");
        }
        out.push_str(&format!("token: {}\n", q(self.token.expose())));
        out.push_str(&format!("name: {}\n", q(&self.name)));
        out.push_str(&format!("disconnect-after-job: {}\n", self.disconnect_after_job));
        out.push_str(&format!("disconnect-after-idle-timeout: {}\n", self.disconnect_after_idle_timeout_s));
        out.push_str(&format!("interruption-grace-period: {}\n", self.interruption_grace_period_s));
        out.push_str(&format!("upload-job-logs: {}\n", q(UPLOAD_JOB_LOGS)));
        out.push_str(&format!("shutdown-hook-path: {}\n", q(&self.shutdown_hook_path)));
        if self.env_vars.is_empty() {
            out.push_str("env-vars: []\n");
        } else {
            out.push_str("env-vars:\n");
            for var in &self.env_vars {
                out.push_str(&format!("  - {}\n", q(var)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(endpoint: &str, env_vars: &[&str]) -> AgentYaml {
        AgentYaml {
            endpoint: endpoint.into(),
            token: RegistrationToken::new("s3cr3t\"en: #1"),
            name: "i-0abc__ABCDEFGHIJKLM".into(),
            disconnect_after_job: true,
            disconnect_after_idle_timeout_s: 300,
            interruption_grace_period_s: 86_400,
            env_vars: env_vars.iter().map(|s| s.to_string()).collect(),
            shutdown_hook_path: "/opt/semaphore/agent/hooks/shutdown".into(),
        }
    }

    #[test]
    fn renders_the_keys_agent_aws_stack_sets() {
        let text = yaml("org.semaphoreci.com", &["A=1", "B=two words"]).render();
        assert_eq!(
            text,
            "endpoint: \"org.semaphoreci.com\"\ntoken: \"s3cr3t\\\"en: #1\"\nname: \"i-0abc__ABCDEFGHIJKLM\"\n\
             disconnect-after-job: true\ndisconnect-after-idle-timeout: 300\ninterruption-grace-period: 86400\nupload-job-logs: \"when-trimmed\"\n\
             shutdown-hook-path: \"/opt/semaphore/agent/hooks/shutdown\"\nenv-vars:\n  - \"A=1\"\n  - \"B=two words\"\n"
        );
    }

    #[test]
    fn loopback_endpoints_use_plain_http_and_empty_lists_stay_lists() {
        let text = yaml("127.0.0.1:8080", &[]).render();
        assert!(text.contains("no-https: true\n"));
        assert!(text.ends_with("env-vars: []\n"));
        assert!(!yaml("org.semaphoreci.com", &[]).render().contains("no-https"));
    }

    #[test]
    fn debug_output_hides_the_token() {
        assert!(!format!("{:?}", yaml("h", &[])).contains("s3cr3t"));
    }
}
