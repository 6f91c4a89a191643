//! Reading typed values out of a [`RawConfig`] while collecting every error.

use std::ops::RangeInclusive;

use crate::error::{quote, ConfigError};
use crate::raw::RawConfig;

/// An enum that users spell as one of a fixed set of words.
pub trait Choice: Sized + Copy + 'static {
    /// Every spelling and its value, in the order shown to users.
    const ALL: &'static [(&'static str, Self)];

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().find(|(s, _)| *s == text).map(|(_, v)| *v)
    }

    fn as_str(self) -> &'static str
    where
        Self: PartialEq,
    {
        Self::ALL.iter().find(|(_, v)| *v == self).map(|(s, _)| *s).unwrap_or("")
    }

    fn allowed() -> String {
        Self::ALL.iter().map(|(s, _)| *s).collect::<Vec<_>>().join(", ")
    }
}

/// A cursor over the raw values that records problems instead of stopping at the first.
pub(crate) struct Fields<'a> {
    raw: &'a RawConfig,
    pub errors: Vec<ConfigError>,
}

impl<'a> Fields<'a> {
    pub fn new(raw: &'a RawConfig) -> Self {
        Self { raw, errors: raw.problems.clone() }
    }

    pub fn error(&mut self, name: &str, message: impl Into<String>) {
        self.errors.push(ConfigError::new(name, message));
    }

    /// Reports `value` of `name` as not allowed.
    pub fn invalid(&mut self, name: &str, value: &str, allowed: &str) {
        self.error(name, format!("{} is not allowed; expected {allowed}", quote(value)));
    }

    /// The resolved value (explicit or default), `None` if unset.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.raw.get(name)
    }

    /// Whether the user set the key (file or environment).
    pub fn is_explicit(&self, name: &str) -> bool {
        self.raw.explicit(name).is_some()
    }

    pub fn required(&mut self, name: &str, what: &str) -> Option<&'a str> {
        let value = self.get(name);
        if value.is_none() {
            self.error(name, format!("is required ({what})"));
        }
        value
    }

    /// A string that must satisfy `valid`; `None` when unset or invalid.
    pub fn checked(&mut self, name: &str, valid: impl Fn(&str) -> bool, allowed: &str) -> Option<String> {
        let value = self.get(name)?;
        if valid(value) {
            Some(value.to_string())
        } else {
            self.invalid(name, value, allowed);
            None
        }
    }

    /// `true` or `false` exactly; a bad value reports and yields the default.
    pub fn bool(&mut self, name: &str) -> bool {
        match self.get(name) {
            Some("true") => true,
            Some("false") | None => false,
            Some(other) => {
                self.invalid(name, other, "true or false");
                crate::keys::find(name).and_then(|p| p.default) == Some("true")
            }
        }
    }

    /// A whole number in `range`; `None` when unset or invalid.
    pub fn uint(&mut self, name: &str, range: RangeInclusive<u64>) -> Option<u64> {
        let value = self.get(name)?;
        match value.trim().parse::<u64>() {
            Ok(n) if range.contains(&n) => Some(n),
            Ok(_) | Err(_) => {
                let allowed = if *range.end() == u64::MAX {
                    format!("a whole number of at least {}", range.start())
                } else {
                    format!("a whole number from {} to {}", range.start(), range.end())
                };
                self.invalid(name, value, &allowed);
                None
            }
        }
    }

    /// One of the [`Choice`] spellings; `None` when unset or invalid.
    pub fn choice<T: Choice>(&mut self, name: &str) -> Option<T> {
        let value = self.get(name)?;
        let parsed = T::parse(value);
        if parsed.is_none() {
            self.invalid(name, value, &format!("one of: {}", T::allowed()));
        }
        parsed
    }

    /// A comma-separated list: items trimmed, empty items dropped (as agent-aws-stack does).
    pub fn list(&self, name: &str) -> Vec<&'a str> {
        self.get(name).map(split_list).unwrap_or_default()
    }

    /// A list whose every item must satisfy `valid`; each bad item is one error.
    pub fn checked_list(&mut self, name: &str, valid: impl Fn(&str) -> bool, allowed: &str) -> Vec<String> {
        let items = self.list(name);
        let mut good = Vec::with_capacity(items.len());
        for item in items {
            if valid(item) {
                good.push(item.to_string());
            } else {
                self.error(name, format!("item {} is not allowed; expected {allowed}", quote(item)));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for item in &good {
            if !seen.insert(item.as_str()) {
                self.error(name, format!("item {} appears more than once", quote(item)));
            }
        }
        good
    }
}

/// Splits `a, b,,c` into `["a", "b", "c"]`.
pub fn split_list(value: &str) -> Vec<&str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()
}
