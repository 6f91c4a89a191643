//! Stack parameters of agent-stack: the same keys, defaults and environment overrides as
//! agent-aws-stack, parsed in two stages (raw strings → typed [`Config`]) with every error collected.
//!
//! Pure: the caller reads the config file and passes the environment in.

mod config;
mod contract;
pub mod drain;
mod error;
mod fields;
pub mod keys;
pub mod lambda_env;
pub mod launch;
mod overrides;
mod raw;
mod secret;
mod syntax;
pub mod time;
mod types;

pub use config::{AgentSettings, AsgSettings, Config, DEFAULT_ROOT_DEVICE, MAX_STACK_NAME};
pub use contract::{AgentConfigParameter, DEFAULT_INTERRUPTION_GRACE_PERIOD_S};
pub use drain::DrainHook;
pub use error::{ConfigError, ConfigErrors};
pub use fields::Choice;
pub use raw::{ConfigFile, RawConfig, Resolved, Source};
pub use secret::RegistrationToken;
pub use syntax::is_loopback_host;
pub use types::*;

/// Environment variable naming the config file, as in agent-aws-stack.
pub const CONFIG_FILE_ENV: &str = "SEMAPHORE_AGENT_STACK_CONFIG";

/// Merges file and environment and validates the result.
pub fn load<I, K, V>(file: Option<ConfigFile<'_>>, env: I) -> Result<(RawConfig, Config), ConfigErrors>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let raw = RawConfig::from_sources(file, env);
    let config = Config::try_from(&raw)?;
    Ok((raw, config))
}

/// Whether `name` is a valid SSM parameter name (the rule `SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME` follows).
pub fn syntax_ok_ssm_name(name: &str) -> bool {
    syntax::ssm_parameter_name(name)
}
