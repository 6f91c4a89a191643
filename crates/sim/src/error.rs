//! What can be wrong with a trace, with line numbers and what to do.

use std::fmt;

/// One unusable row of a CSV trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line number in the file.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TraceError {
    #[error("the trace has no jobs; write a header `queued_at,duration_s` and one row per job")]
    Empty,
    #[error("line {line}: the header must name the columns queued_at and duration_s (found `{found}`)")]
    Header { line: usize, found: String },
    #[error("{} bad row{}:\n{}", .0.len(), if .0.len() == 1 { "" } else { "s" }, rows(.0))]
    Rows(Vec<RowError>),
}

fn rows(errors: &[RowError]) -> String {
    errors.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n")
}
