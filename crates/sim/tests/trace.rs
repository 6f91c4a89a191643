//! CSV traces as users export them: both time forms, extra columns, and every bad row reported.

use agent_stack_sim::{Job, RowError, Synthetic, Trace, TraceError};
use proptest::prelude::*;

const T0: u64 = 1_767_571_200_000;

#[test]
fn reads_iso_and_epoch_rows_in_any_order() {
    let csv = "\u{feff}# exported from Semaphore\r\njob_id,duration_s,queued_at\r\n\
               a,300,2026-01-05T00:00:10Z\r\n\
               b,12.5,1767571200\r\n\
               \r\n\
               c,\"60\",\"2026-01-05T00:00:05.250Z\"\r\n";
    let t = Trace::parse_csv(csv).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        t.jobs(),
        [
            Job { queued_at_ms: T0, duration_ms: 12_500 },
            Job { queued_at_ms: T0 + 5_250, duration_ms: 60_000 },
            Job { queued_at_ms: T0 + 10_000, duration_ms: 300_000 },
        ]
    );
}

#[test]
fn every_bad_row_is_reported_with_its_line() {
    let csv = "queued_at,duration_s\n\
               2026-01-05T00:00:00Z,60\n\
               2026-01-05 00:00:00,60\n\
               1767571200,-3\n\
               # a comment\n\
               1767571200\n\
               yesterday,soon\n\
               1767571200,700000\n";
    let Err(TraceError::Rows(rows)) = Trace::parse_csv(csv) else { panic!("expected bad rows") };
    let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 4, 6, 7, 8]);
    assert!(rows[0].message.contains("queued_at `2026-01-05 00:00:00`"), "{}", rows[0]);
    assert!(rows[1].message.contains("duration_s `-3`"), "{}", rows[1]);
    assert!(rows[2].message.contains("missing duration_s"), "{}", rows[2]);
    assert!(rows[3].message.contains("queued_at") && rows[3].message.contains("duration_s"), "{}", rows[3]);
    assert!(rows[4].message.contains("604800"), "{}", rows[4]);
    let text = TraceError::Rows(rows).to_string();
    assert!(text.starts_with("5 bad rows:\n  line 3: "), "{text}");
}

#[test]
fn header_and_empty_files() {
    assert_eq!(Trace::parse_csv(""), Err(TraceError::Empty));
    assert_eq!(Trace::parse_csv("queued_at,duration_s\n\n"), Err(TraceError::Empty));
    let Err(TraceError::Header { line, found }) = Trace::parse_csv("\n# jobs\nstart,seconds\n1,2\n") else {
        panic!("expected a header error")
    };
    assert_eq!((line, found.as_str()), (3, "start,seconds"));
    assert_eq!(TraceError::Rows(vec![RowError { line: 2, message: "x".into() }]).to_string(), "1 bad row:\n  line 2: x");
}

#[test]
fn synthetic_traces_survive_a_csv_round_trip() {
    for kind in Synthetic::ALL {
        let t = kind.generate_hours(5, 2);
        assert_eq!(Trace::parse_csv(&t.to_csv()), Ok(t), "{}", kind.name());
    }
}

proptest! {
    /// Any text: parsing returns a trace or errors, never panics; good traces round-trip.
    #[test]
    fn never_panics(text in "\\PC{0,200}") {
        let _ = Trace::parse_csv(&format!("queued_at,duration_s\n{text}"));
        let _ = Trace::parse_csv(&text);
    }

    #[test]
    fn round_trips(jobs in prop::collection::vec((0..4_000_000_000_000u64, 0..604_800_000u64), 1..30)) {
        let t = Trace::new(jobs.into_iter().map(|(at, dur)| Job { queued_at_ms: at, duration_ms: dur }).collect()).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(Trace::parse_csv(&t.to_csv()), Ok(t));
    }
}

#[test]
fn each_jobs_place_in_its_burst() {
    let t = Trace::new(
        [0, 1_000, 1_000, 30_000, 31_000, 100_000].map(|at| Job { queued_at_ms: 1_767_571_200_000 + at, duration_ms: 1 }).to_vec(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.burst_places(2_000), vec![1, 1, 1, 2, 2, 3], "0, 1 and 1 s; 30 and 31 s; 100 s");
    assert_eq!(t.burst_places(50_000), vec![1, 1, 2, 3, 4, 5], "0 to 31 s; 100 s alone");
    assert_eq!(t.burst_places(0), vec![1, 1, 1, 1, 1, 2], "the two at 1 s: a window of at least 1 ms");
    assert_eq!(t.burst_places(u64::MAX), vec![1, 2, 3, 4, 5, 6]);
}
