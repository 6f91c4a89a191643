//! The raw configuration: string values as users write them, from config.json and the environment.
//!
//! Mirrors agent-aws-stack: file values first, then environment variables of the same name override
//! them; an empty string means unset. Unlike agent-aws-stack, unknown keys in the file are errors.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{quote, ConfigError};
use crate::keys::{self, PARAMETERS};

/// Where a resolved value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    File,
    Env,
    Default,
}

/// One key after merging file, environment and defaults.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Resolved {
    pub name: &'static str,
    /// `None` when the key is unset and has no default.
    pub value: Option<String>,
    pub source: Source,
}

/// File and environment values, merged; problems found while reading them are kept for the report.
#[derive(Debug, Clone, Default)]
pub struct RawConfig {
    values: BTreeMap<&'static str, (String, Source)>,
    pub(crate) problems: Vec<ConfigError>,
}

/// The config file as read by the caller: its name (for messages) and contents.
pub struct ConfigFile<'a> {
    pub path: &'a str,
    pub contents: &'a str,
}

impl RawConfig {
    /// Merges an optional config file with environment variables (`(name, value)` pairs).
    ///
    /// Only known keys are taken from the environment, so unrelated `SEMAPHORE_*` variables of a
    /// CI job do not interfere. A file that is not a JSON object is one problem; unknown keys and
    /// non-scalar values are one problem each.
    pub fn from_sources<I, K, V>(file: Option<ConfigFile<'_>>, env: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut raw = RawConfig::default();
        if let Some(file) = file {
            raw.read_file(&file);
        }
        for (name, value) in env {
            let (name, value) = (name.as_ref(), value.as_ref());
            if let Some(param) = keys::find(name) {
                if !value.is_empty() {
                    raw.values.insert(param.name, (value.to_string(), Source::Env));
                }
            }
        }
        raw
    }

    fn read_file(&mut self, file: &ConfigFile<'_>) {
        let parsed: Value = match serde_json::from_str(file.contents) {
            Ok(v) => v,
            Err(e) => {
                self.problems.push(ConfigError::new(file.path, format!("is not valid JSON: {e}")));
                return;
            }
        };
        let Value::Object(map) = parsed else {
            self.problems.push(ConfigError::new(file.path, "must be a JSON object of \"SEMAPHORE_...\": \"value\" pairs"));
            return;
        };
        for (key, value) in map {
            let Some(param) = keys::find(&key) else {
                let hint = match keys::suggest(&key) {
                    Some(s) => format!("; did you mean {s}?"),
                    None => "; see docs/parameters.md for the accepted keys".to_string(),
                };
                self.problems.push(ConfigError::new(key, format!("unknown parameter in {}{hint}", file.path)));
                continue;
            };
            let text = match value {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                other => {
                    self.problems.push(ConfigError::new(
                        param.name,
                        format!("must be a string in {}, got {}", file.path, quote(&other.to_string())),
                    ));
                    continue;
                }
            };
            if !text.is_empty() {
                self.values.insert(param.name, (text, Source::File));
            }
        }
    }

    /// The value set in the file or environment (not the default); `None` when unset.
    pub fn explicit(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|(v, _)| v.as_str())
    }

    /// The explicit value, else the default; `None` when neither exists.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.explicit(name).or_else(|| keys::find(name).and_then(|p| p.default))
    }

    /// Every known key with its resolved value and source, in [`PARAMETERS`] order.
    pub fn resolved(&self) -> Vec<Resolved> {
        PARAMETERS
            .iter()
            .map(|p| match self.values.get(p.name) {
                Some((v, source)) => Resolved { name: p.name, value: Some(v.clone()), source: *source },
                None => Resolved { name: p.name, value: p.default.map(str::to_string), source: Source::Default },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::name::*;

    fn file(contents: &str) -> Option<ConfigFile<'_>> {
        Some(ConfigFile { path: "config.json", contents })
    }

    const NO_ENV: [(&str, &str); 0] = [];

    #[test]
    fn environment_overrides_file_and_empty_env_does_not() {
        let raw = RawConfig::from_sources(
            file(r#"{"SEMAPHORE_AGENT_INSTANCE_TYPE":"c5.large","SEMAPHORE_AGENT_OS":"windows"}"#),
            [(INSTANCE_TYPE, "m5.large"), (OS, "")],
        );
        assert_eq!(raw.get(INSTANCE_TYPE), Some("m5.large"));
        assert_eq!(raw.get(OS), Some("windows"));
        assert_eq!(raw.get(ARCH), Some("x86_64"));
        assert_eq!(raw.explicit(ARCH), None);
    }

    #[test]
    fn unrelated_environment_variables_are_ignored() {
        let raw = RawConfig::from_sources(None, [("SEMAPHORE_GIT_BRANCH", "main"), ("PATH", "/bin")]);
        assert!(raw.problems.is_empty());
        assert_eq!(raw.explicit("SEMAPHORE_GIT_BRANCH"), None);
    }

    #[test]
    fn unknown_file_key_is_reported_with_a_suggestion() {
        let raw = RawConfig::from_sources(file(r#"{"SEMAPHORE_AGENT_INSTANCE_TPYE":"c5.large"}"#), NO_ENV);
        assert_eq!(raw.problems.len(), 1);
        assert_eq!(raw.problems[0].parameter, "SEMAPHORE_AGENT_INSTANCE_TPYE");
        assert!(raw.problems[0].message.contains("did you mean SEMAPHORE_AGENT_INSTANCE_TYPE?"));
    }

    #[test]
    fn scalar_json_values_are_taken_as_strings_and_others_rejected() {
        let raw = RawConfig::from_sources(
            file(r#"{"SEMAPHORE_AGENT_ASG_MAX_SIZE":5,"SEMAPHORE_AGENT_USE_IPV6":true,"SEMAPHORE_AGENT_TAGS":["a"]}"#),
            NO_ENV,
        );
        assert_eq!(raw.get(ASG_MAX_SIZE), Some("5"));
        assert_eq!(raw.get(USE_IPV6), Some("true"));
        assert_eq!(raw.problems.len(), 1);
        assert_eq!(raw.problems[0].parameter, TAGS);
    }

    #[test]
    fn broken_json_and_non_objects_are_one_problem_each() {
        for text in ["{", "[]", "\"x\""] {
            let raw = RawConfig::from_sources(file(text), NO_ENV);
            assert_eq!(raw.problems.len(), 1, "{text}");
            assert_eq!(raw.problems[0].parameter, "config.json");
        }
    }

    #[test]
    fn resolved_marks_sources() {
        let raw = RawConfig::from_sources(file(r#"{"SEMAPHORE_AGENT_STACK_NAME":"s"}"#), [(ASG_MAX_SIZE, "3")]);
        let resolved = raw.resolved();
        let by = |n: &str| resolved.iter().find(|r| r.name == n).cloned();
        assert_eq!(by(STACK_NAME).map(|r| r.source), Some(Source::File));
        assert_eq!(by(ASG_MAX_SIZE).map(|r| r.source), Some(Source::Env));
        assert_eq!(by(ASG_MIN_SIZE).map(|r| (r.value, r.source)), Some((Some("0".into()), Source::Default)));
        assert_eq!(by(AMI).map(|r| r.value), Some(None));
    }
}
