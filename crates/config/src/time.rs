//! UTC timestamps as text, without a time library: what logs and AWS's event times print.

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds (RFC 3339 in UTC): EventBridge's event `time`, log
/// lines; without `-` and `:` it is SigV4's `X-Amz-Date`.
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
