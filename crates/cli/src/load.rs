//! Reads the configuration named by `--config` or `SEMAPHORE_AGENT_STACK_CONFIG`, plus the environment.

use std::path::PathBuf;

use agent_stack_config::{Config, ConfigErrors, ConfigFile, RawConfig, CONFIG_FILE_ENV};

use crate::args::ConfigArgs;
use crate::error::CliError;

/// The config file path, if any: the flag wins over the environment variable.
fn config_path(args: &ConfigArgs) -> Option<PathBuf> {
    args.config.clone().or_else(|| std::env::var_os(CONFIG_FILE_ENV).filter(|v| !v.is_empty()).map(PathBuf::from))
}

/// Loads and validates; errors name every bad parameter.
pub fn load(args: &ConfigArgs) -> Result<(RawConfig, Result<Config, ConfigErrors>), CliError> {
    load_with(args, &[])
}

/// Loads as [`load`] with `extra` applied over the environment, as if exported too.
pub fn load_with(args: &ConfigArgs, extra: &[(&str, String)]) -> Result<(RawConfig, Result<Config, ConfigErrors>), CliError> {
    let path = config_path(args);
    let contents = match &path {
        Some(p) => Some(std::fs::read_to_string(p).map_err(|e| {
            CliError::Input(format!(
                "cannot read config file {}: {e} (set --config or {CONFIG_FILE_ENV} to a readable JSON file)",
                p.display()
            ))
        })?),
        None => None,
    };
    let display = path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    let file = contents.as_deref().map(|c| ConfigFile { path: &display, contents: c });
    let extra = extra.iter().map(|(k, v)| (k.to_string(), v.clone()));
    let raw = RawConfig::from_sources(file, std::env::vars().chain(extra));
    let config = Config::try_from(&raw);
    Ok((raw, config))
}

/// Loads a configuration that must be valid.
pub fn load_valid(args: &ConfigArgs) -> Result<Config, CliError> {
    let (_, config) = load(args)?;
    config.map_err(CliError::Config)
}
