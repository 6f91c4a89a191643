//! Dev-only stand-ins shared by integration tests: a Semaphore hub stub that follows
//! `shared/reference/semaphore-api.md` (status codes included) and a moto server launcher,
//! an IMDSv2 stub, a stand-in for the Semaphore agent, the Lambda runtime emulator's harness, and
//! a recording proxy for the lifecycle-action calls moto lacks, and a TLS front for any of them.

pub mod agent;
pub mod hub;
pub mod imds;
pub mod lifecycle;
pub mod moto;
pub mod rie;
pub mod serve;
pub mod stack;
pub mod tls;

pub use hub::{Fault, SemaphoreStub};
pub use imds::ImdsStub;
pub use lifecycle::LifecycleProxy;
pub use moto::Moto;

/// Seconds since the Unix epoch: how the agent protocol stamps `interrupted_at`.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds: EventBridge's event `time`; without `-` and `:` it is
/// SigV4's `X-Amz-Date`.
pub fn utc_text(unix_seconds: u64) -> String {
    let (days, rest) = (unix_seconds / 86_400, unix_seconds % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's civil_from_days).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3_600, rest % 3_600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_text_matches_dates_from_date_1() {
        // `date -u -d @1796000000 +%Y-%m-%dT%H:%M:%SZ`, and a leap day.
        assert_eq!(super::utc_text(1_796_000_000), "2026-11-30T00:53:20Z");
        assert_eq!(super::utc_text(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::utc_text(0), "1970-01-01T00:00:00Z");
    }
}
