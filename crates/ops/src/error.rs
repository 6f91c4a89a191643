//! Why an operation stopped.

use std::fmt;

/// Why an operation stopped; the CLI maps each kind to its exit code in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An AWS call failed.
    Aws(agent_stack_aws::Error),
    /// The account or the stack is not in a state the operation can work with; says what to do.
    Refused(String),
    /// Something the user gave is unusable (a flag, an answer needed without a terminal).
    Input(String),
    /// The user declined; nothing changed.
    Cancelled(String),
}

impl From<agent_stack_aws::Error> for Error {
    fn from(e: agent_stack_aws::Error) -> Self {
        Error::Aws(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Aws(e) => write!(f, "{e}"),
            Error::Refused(m) | Error::Input(m) | Error::Cancelled(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}
