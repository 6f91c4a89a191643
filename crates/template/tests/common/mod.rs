//! Shared test helpers: locating the reference data and loading configs.

#![allow(dead_code)]

use std::path::PathBuf;

use agent_stack_config::{load, Config, ConfigFile};

/// `shared/reference/agent-aws-stack`: beside the repository (as laid out for CI and developers), or
/// `AGENT_STACK_REFERENCE_DIR`.
pub fn reference_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("AGENT_STACK_REFERENCE_DIR") {
        return PathBuf::from(dir);
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidate = manifest.join("../../../shared/reference/agent-aws-stack");
    assert!(candidate.is_dir(), "reference templates not found at {} (set AGENT_STACK_REFERENCE_DIR)", candidate.display());
    candidate
}

pub const REFERENCE_CONFIGS: [&str; 5] = ["linux-min", "linux-full", "windows", "macos", "static"];

pub fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Loads a config file with no environment overrides.
pub fn config_from_file(path: &std::path::Path) -> Config {
    let text = read(path);
    let name = path.display().to_string();
    match load(Some(ConfigFile { path: &name, contents: &text }), std::iter::empty::<(String, String)>()) {
        Ok((_, config)) => config,
        Err(e) => panic!("{name} is invalid: {e}"),
    }
}

/// Loads config from `SEMAPHORE_*` pairs on top of the minimal required keys.
pub fn config_with(pairs: &[(&str, &str)]) -> Config {
    let mut all = vec![
        ("SEMAPHORE_AGENT_STACK_NAME", "test-stack"),
        ("SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME", "test-token"),
        ("SEMAPHORE_ORGANIZATION", "test"),
    ];
    all.extend_from_slice(pairs);
    match load(None, all) {
        Ok((_, config)) => config,
        Err(e) => panic!("config {pairs:?} is invalid: {e}"),
    }
}
