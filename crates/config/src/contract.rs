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
