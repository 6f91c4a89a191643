//! When the scaler ticks inside one Lambda invocation.
//!
//! EventBridge invokes the scaler every minute. Each invocation ticks every [`TICK_INTERVAL_MS`]
//! from its start until [`OVERLAP_MS`] past the *next* scheduled invocation, so consecutive
//! invocations overlap instead of leaving a gap (the function's reserved concurrency is 2; ticks
//! are safe to run twice because the policy only ever raises capacity to a level derived from the
//! same metrics). A tick only starts if its worst-case duration still ends
//! [`SAFETY_MARGIN_MS`] before the Lambda deadline.
//!
//! Worst-case reaction from a job being queued to SetDesiredCapacity: one interval plus one tick's
//! latency, as long as EventBridge delivers each invocation within [`OVERLAP_MS`] of its schedule.

/// Time between tick starts.
pub const TICK_INTERVAL_MS: u64 = 2_000;
/// Period of the EventBridge schedule.
pub const SCHEDULE_PERIOD_MS: u64 = 60_000;
/// How long an invocation keeps ticking past the next scheduled invocation.
pub const OVERLAP_MS: u64 = 10_000;
/// Upper bound of one tick: metrics (2 s total timeout) + describe (2 s) + set (2 s) + slack.
pub const TICK_BUDGET_MS: u64 = 7_000;
/// Room left before the Lambda deadline.
pub const SAFETY_MARGIN_MS: u64 = 1_000;
/// The Lambda timeout the template sets, in seconds: schedule period + overlap + one tick budget + margin, rounded up.
pub const LAMBDA_TIMEOUT_S: u64 = 80;

/// The span of one invocation, in epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// No tick starts at or after this time.
    pub stop_at_ms: u64,
    /// Last moment a tick may start and still finish before the deadline.
    pub last_start_ms: u64,
}

impl Window {
    /// The window of an invocation that started at `now_ms`, scheduled for `scheduled_ms` (the
    /// EventBridge event's `time`; the start time if unknown), that must end by `deadline_ms`.
    pub fn for_invocation(now_ms: u64, scheduled_ms: Option<u64>, deadline_ms: u64) -> Window {
        // A scheduled time in the future or far in the past (clock skew, a replayed event) is not trusted.
        let scheduled = scheduled_ms.filter(|s| *s <= now_ms && now_ms - *s < SCHEDULE_PERIOD_MS).unwrap_or(now_ms);
        Window {
            stop_at_ms: scheduled.saturating_add(SCHEDULE_PERIOD_MS + OVERLAP_MS),
            last_start_ms: deadline_ms.saturating_sub(TICK_BUDGET_MS + SAFETY_MARGIN_MS),
        }
    }

    /// A window that never closes (for `agent-stack scale --watch`).
    pub fn unbounded() -> Window {
        Window { stop_at_ms: u64::MAX, last_start_ms: u64::MAX }
    }

    /// When the tick after one that started at `previous_start_ms` should start, if at all.
    /// Ticks keep a fixed cadence; a tick that overran its slot is followed immediately.
    pub fn next_tick(&self, previous_start_ms: u64, now_ms: u64) -> Option<u64> {
        let due = previous_start_ms.saturating_add(TICK_INTERVAL_MS).max(now_ms);
        (due < self.stop_at_ms && due <= self.last_start_ms).then_some(due)
    }

    /// Whether a first tick may start at `now_ms`.
    pub fn allows_start(&self, now_ms: u64) -> bool {
        now_ms < self.stop_at_ms && now_ms <= self.last_start_ms
    }
}

/// Parses an EventBridge event `time` (`YYYY-MM-DDTHH:MM:SSZ`) into epoch milliseconds.
pub fn parse_event_time(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| text.get(range)?.parse::<u64>().ok();
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_event_times() {
        assert_eq!(parse_event_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_event_time("2026-11-27T23:00:00Z"), Some(1_795_820_400_000));
        assert_eq!(parse_event_time("2000-02-29T12:30:15Z"), Some(951_827_415_000));
        for bad in ["", "2026-11-27 23:00:00Z", "2026-13-01T00:00:00Z", "2026-11-27T23:00:00+01:00", "x026-11-27T23:00:00Z"] {
            assert_eq!(parse_event_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn windows_distrust_odd_scheduled_times() {
        let now = 1_000_000;
        let w = Window::for_invocation(now, Some(now + 5_000), now + 80_000);
        assert_eq!(w.stop_at_ms, now + SCHEDULE_PERIOD_MS + OVERLAP_MS);
        let w = Window::for_invocation(now, Some(now - 3_000), now + 80_000);
        assert_eq!(w.stop_at_ms, now - 3_000 + SCHEDULE_PERIOD_MS + OVERLAP_MS);
    }
}
