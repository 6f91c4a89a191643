//! The agent type registration token: a value that never shows itself in logs, errors or output.

use std::fmt;

/// A registration token. `Debug` and `Display` print `<redacted>`; read it with [`expose`](Self::expose)
/// only where it is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistrationToken(String);

impl RegistrationToken {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The token itself, for the Authorization header or the agent's config file.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RegistrationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RegistrationToken(<redacted>)")
    }
}

impl fmt::Display for RegistrationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_itself() {
        let t = RegistrationToken::new("s3cr3t-token");
        assert!(!format!("{t} {t:?} {:?}", Some(&t)).contains("s3cr3t"));
        assert_eq!(t.expose(), "s3cr3t-token");
    }
}
