//! The CLI's error: one message for the user and an exit code (2 for bad input).

use std::fmt;

use agent_stack_config::ConfigErrors;

#[derive(Debug)]
pub enum CliError {
    /// The configuration is invalid; exit 2.
    Config(ConfigErrors),
    /// The command already printed what went wrong; exit with this code.
    Reported(u8),
    /// A flag or file the user gave is unusable; exit 2.
    Input(String),
    /// Anything else (e.g. writing output failed); exit 1.
    Failed(String),
    /// A command whose exit 1 is an answer (`diff`: "differs") could not reach its answer; exit 2.
    Unanswered(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Config(_) | CliError::Input(_) | CliError::Unanswered(_) => 2,
            CliError::Reported(code) => *code,
            CliError::Failed(_) => 1,
        }
    }

    pub fn already_reported(&self) -> bool {
        matches!(self, CliError::Reported(_))
    }
}

/// The one place an operation's error becomes an exit code: bad input 2, anything else 1.
impl From<agent_stack_ops::Error> for CliError {
    fn from(e: agent_stack_ops::Error) -> Self {
        match e {
            agent_stack_ops::Error::Input(m) => CliError::Input(m),
            other => CliError::Failed(other.to_string()),
        }
    }
}

impl From<agent_stack_aws::Error> for CliError {
    fn from(e: agent_stack_aws::Error) -> Self {
        CliError::Failed(e.to_string())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Config(e) => write!(f, "{}", e.to_string().trim_end()),
            CliError::Reported(code) => write!(f, "failed (exit {code})"),
            CliError::Input(m) | CliError::Failed(m) | CliError::Unanswered(m) => f.write_str(m),
        }
    }
}
