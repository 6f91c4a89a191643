//! Job traces: one row per job (when it was queued, how long it ran), from CSV or a generator.
//!
//! CSV: a header naming `queued_at` and `duration_s` (other columns are ignored), then one row per
//! job. `queued_at` is ISO-8601 UTC (`2026-01-05T09:30:00Z`, optionally with fractional seconds) or
//! epoch seconds; `duration_s` is seconds, fractions allowed. Blank lines and `#` comments are
//! skipped. Every bad row is reported with its line number.

use agent_stack_scaler::schedule::parse_event_time;

use crate::error::{RowError, TraceError};

/// Longest job a trace may contain.
pub const MAX_DURATION_S: u64 = 7 * 24 * 3600;
/// Last second of year 9999, the latest `queued_at` accepted.
const MAX_EPOCH_S: u64 = 253_402_300_799;

/// One job: when it entered Semaphore's queue and how long it runs once an agent takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    /// Epoch milliseconds.
    pub queued_at_ms: u64,
    pub duration_ms: u64,
}

/// Jobs ordered by the time they were queued (ties keep their input order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    jobs: Vec<Job>,
}

impl Trace {
    /// Orders the jobs by queue time; an empty list is an error.
    pub fn new(jobs: Vec<Job>) -> Result<Trace, TraceError> {
        if jobs.is_empty() {
            return Err(TraceError::Empty);
        }
        Ok(Trace::sorted(jobs))
    }

    /// Orders a list the caller knows to be non-empty.
    pub(crate) fn sorted(mut jobs: Vec<Job>) -> Trace {
        jobs.sort_by_key(|j| j.queued_at_ms);
        Trace { jobs }
    }

    pub fn jobs(&self) -> &[Job] {
        &self.jobs
    }

    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// Always false: a trace has at least one job.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// When the first job was queued (epoch ms).
    pub fn start_ms(&self) -> u64 {
        self.jobs.first().map_or(0, |j| j.queued_at_ms)
    }

    /// Each job's place in its burst: the jobs queued within `window_ms` up to and including it
    /// (at least 1 ms), in ascending order. The last is the largest burst.
    pub fn burst_places(&self, window_ms: u64) -> Vec<u64> {
        let mut first = 0;
        let mut places: Vec<u64> = self
            .jobs
            .iter()
            .enumerate()
            .map(|(last, job)| {
                while job.queued_at_ms - self.jobs[first].queued_at_ms >= window_ms.max(1) {
                    first += 1;
                }
                (last + 1 - first) as u64
            })
            .collect();
        places.sort_unstable();
        places
    }

    /// Parses a CSV trace; collects every bad row.
    pub fn parse_csv(text: &str) -> Result<Trace, TraceError> {
        let mut lines = text
            .trim_start_matches('\u{feff}')
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        let Some((header_line, header)) = lines.next() else { return Err(TraceError::Empty) };
        let names: Vec<&str> = header.split(',').map(unquote).collect();
        let column = |name: &str| names.iter().position(|n| *n == name);
        let (Some(at_col), Some(dur_col)) = (column("queued_at"), column("duration_s")) else {
            return Err(TraceError::Header { line: header_line, found: header.chars().take(80).collect() });
        };
        let mut jobs = Vec::new();
        let mut errors = Vec::new();
        for (line, row) in lines {
            let fields: Vec<&str> = row.split(',').map(unquote).collect();
            let field = |i: usize, name: &str| fields.get(i).copied().ok_or_else(|| format!("missing {name}"));
            let at = field(at_col, "queued_at").and_then(|f| {
                parse_time(f).ok_or_else(|| format!("queued_at `{f}` is not ISO-8601 (2026-01-05T09:30:00Z) or epoch seconds"))
            });
            let dur = field(dur_col, "duration_s").and_then(|f| {
                parse_decimal_ms(f)
                    .filter(|ms| *ms <= MAX_DURATION_S * 1000)
                    .ok_or_else(|| format!("duration_s `{f}` is not a number of seconds from 0 to {MAX_DURATION_S}"))
            });
            match (at, dur) {
                (Ok(queued_at_ms), Ok(duration_ms)) => jobs.push(Job { queued_at_ms, duration_ms }),
                (Err(a), Err(b)) => errors.push(RowError { line, message: format!("{a}; {b}") }),
                (Err(message), _) | (_, Err(message)) => errors.push(RowError { line, message }),
            }
        }
        if !errors.is_empty() {
            return Err(TraceError::Rows(errors));
        }
        Trace::new(jobs)
    }

    /// The trace as CSV with epoch-second times, as [`Trace::parse_csv`] reads it.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("queued_at,duration_s\n");
        for j in &self.jobs {
            out.push_str(&format!("{},{}\n", millis(j.queued_at_ms), millis(j.duration_ms)));
        }
        out
    }
}

fn unquote(field: &str) -> &str {
    let f = field.trim();
    f.strip_prefix('"').and_then(|f| f.strip_suffix('"')).unwrap_or(f).trim()
}

/// Milliseconds as decimal seconds without trailing zeros.
fn millis(ms: u64) -> String {
    match ms % 1000 {
        0 => format!("{}", ms / 1000),
        r => format!("{}.{:03}", ms / 1000, r).trim_end_matches('0').to_string(),
    }
}

/// ISO-8601 UTC with optional fractional seconds, or epoch seconds; epoch milliseconds.
pub fn parse_time(text: &str) -> Option<u64> {
    if text.contains('T') {
        let body = text.strip_suffix('Z')?;
        let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
        let ms = parse_event_time(&format!("{whole}Z"))?;
        return ms.checked_add(fraction_ms(fraction, !text.contains('.'))?);
    }
    parse_decimal_ms(text).filter(|ms| *ms <= MAX_EPOCH_S * 1000)
}

/// A non-negative decimal number of seconds (`12`, `12.5`) as milliseconds; finer digits are dropped.
pub fn parse_decimal_ms(text: &str) -> Option<u64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 15 {
        return None;
    }
    let seconds: u64 = whole.parse().ok()?;
    seconds.checked_mul(1000)?.checked_add(fraction_ms(fraction, !text.contains('.'))?)
}

/// Digits after the decimal point as milliseconds; a point must be followed by digits.
fn fraction_ms(digits: &str, absent: bool) -> Option<u64> {
    if absent {
        return Some(0);
    }
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut ms = 0;
    for i in 0..3 {
        ms = ms * 10 + digits.as_bytes().get(i).map_or(0, |b| u64::from(b - b'0'));
    }
    Some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_both_forms() {
        assert_eq!(parse_time("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_time("1970-01-01T00:00:01.25Z"), Some(1250));
        assert_eq!(parse_time("1970-01-01T00:00:01.123456Z"), Some(1123));
        assert_eq!(parse_time("1767571200"), Some(1_767_571_200_000));
        assert_eq!(parse_time("1767571200.5"), Some(1_767_571_200_500));
        for bad in [
            "",
            "-5",
            "1e9",
            "12.",
            ".5",
            "1970-01-01T00:00:01.Z",
            "1970-01-01T00:00:01",
            "2026-01-05 09:30:00Z",
            "nan",
            "99999999999999999999",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn csv_round_trip() {
        let trace =
            Trace::new(vec![Job { queued_at_ms: 5_500, duration_ms: 60_000 }, Job { queued_at_ms: 1_000, duration_ms: 1_250 }]).unwrap();
        assert_eq!(trace.to_csv(), "queued_at,duration_s\n1,1.25\n5.5,60\n");
        assert_eq!(Trace::parse_csv(&trace.to_csv()).unwrap(), trace);
    }
}
