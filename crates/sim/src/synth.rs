//! Synthetic job traces for planning without a recorded trace: a steady stream, bursty pipelines,
//! and an office-hours day. Deterministic for a seed; a day has a few thousand jobs.
//!
//! Job durations are log-normal (median 6 min, σ 0.6) clamped to 2–20 min, a typical spread for
//! CI jobs. Days start on Monday 2026-01-05 00:00 UTC.

use crate::rng::Rng;
use crate::trace::{Job, Trace};

/// 2026-01-05T00:00:00Z, a Monday.
pub const START_MS: u64 = 1_767_571_200_000;
const MINUTE: f64 = 60.0;

/// The built-in trace shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synthetic {
    /// Single jobs, Poisson arrivals at 2 a minute around the clock (~2,900 a day).
    Steady,
    /// Quiet background (one job every 4 min) plus pipelines every 12 min on average, each a
    /// 1–4 min build job followed by a fan-out of 8–32 test jobs queued when the build ends (~2,900 a day).
    Bursty,
    /// Pipelines of 1–6 jobs following a weekday curve: a trickle at night, a ramp from 07:00,
    /// a plateau of one pipeline a minute 09:00–17:00 with a lunch dip, a decline to 20:00 (~2,300 a day).
    Workday,
}

impl Synthetic {
    pub const ALL: [Synthetic; 3] = [Synthetic::Steady, Synthetic::Bursty, Synthetic::Workday];

    pub fn name(self) -> &'static str {
        match self {
            Synthetic::Steady => "steady",
            Synthetic::Bursty => "bursty",
            Synthetic::Workday => "workday",
        }
    }

    pub fn parse(text: &str) -> Option<Synthetic> {
        Synthetic::ALL.into_iter().find(|s| s.name() == text)
    }

    /// A 24-hour trace.
    pub fn generate(self, seed: u64) -> Trace {
        self.generate_hours(seed, 24)
    }

    /// A trace of `hours` hours (at least one job even for 0 hours).
    pub fn generate_hours(self, seed: u64, hours: u32) -> Trace {
        let mut g = Gen { rng: Rng::new(seed ^ (self as u64).wrapping_mul(0xA24B_AED4_963E_E407)), jobs: Vec::new() };
        let end = f64::from(hours) * 3600.0;
        match self {
            Synthetic::Steady => g.poisson(end, |_| 2.0 / MINUTE, |g, t| g.job(t)),
            Synthetic::Bursty => {
                g.poisson(end, |_| 0.25 / MINUTE, |g, t| g.job(t));
                g.poisson(end, |_| 1.0 / (12.0 * MINUTE), |g, t| g.fan_out(t));
            }
            Synthetic::Workday => g.poisson(end, workday_rate, |g, t| {
                for _ in 0..g.rng.between(1, 6) {
                    let jitter = g.rng.unit() * 2.0;
                    g.job(t + jitter);
                }
            }),
        }
        if g.jobs.is_empty() {
            g.job(0.0);
        }
        Trace::sorted(g.jobs)
    }
}

/// Pipelines per second at `t` seconds after midnight (of any day).
fn workday_rate(t: f64) -> f64 {
    let h = (t / 3600.0) % 24.0;
    let per_minute = match h {
        h if h < 7.0 => 0.05,
        h if h < 9.0 => 0.05 + 0.95 * (h - 7.0) / 2.0,
        h if h < 12.0 => 1.0,
        h if h < 13.0 => 0.6,
        h if h < 17.0 => 1.0,
        h if h < 20.0 => 1.0 - 0.9 * (h - 17.0) / 3.0,
        _ => 0.1 - 0.05 * (h - 20.0) / 4.0,
    };
    per_minute / MINUTE
}

struct Gen {
    rng: Rng,
    jobs: Vec<Job>,
}

impl Gen {
    fn job(&mut self, t: f64) {
        let duration = self.rng.lognormal(360.0, 0.6, 120.0, 1200.0);
        self.push(t, duration);
    }

    fn push(&mut self, t: f64, duration_s: f64) {
        self.jobs.push(Job { queued_at_ms: START_MS + (t * 1000.0).round() as u64, duration_ms: (duration_s.round() as u64) * 1000 });
    }

    /// A build job, then 8–32 test jobs queued when it ends.
    fn fan_out(&mut self, t: f64) {
        let build = self.rng.between(60, 240) as f64;
        self.push(t, build);
        for _ in 0..self.rng.between(8, 32) {
            let jitter = self.rng.unit() * 3.0;
            self.job(t + build + jitter);
        }
    }

    /// Poisson arrivals with rate `rate(t)` (per second, at most one a second) until `end`, by thinning.
    fn poisson(&mut self, end: f64, rate: impl Fn(f64) -> f64, mut arrive: impl FnMut(&mut Gen, f64)) {
        let peak = (0..=(24 * 60)).map(|m| rate(f64::from(m) * MINUTE)).fold(0.0, f64::max).min(1.0);
        if peak <= 0.0 {
            return;
        }
        let mut t = 0.0;
        loop {
            t += self.rng.exponential(1.0 / peak);
            if t >= end {
                return;
            }
            if self.rng.unit() * peak < rate(t) {
                arrive(self, t);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_sized() {
        for kind in Synthetic::ALL {
            let a = kind.generate(1);
            assert_eq!(a, kind.generate(1), "{}", kind.name());
            assert_ne!(a, kind.generate(2), "{}", kind.name());
            assert!((1_500..6_000).contains(&a.len()), "{}: {} jobs", kind.name(), a.len());
            assert!(a.jobs().iter().all(|j| (120_000..=1_200_000).contains(&j.duration_ms) || j.duration_ms >= 60_000));
            assert!(a.start_ms() >= START_MS && a.jobs().iter().all(|j| j.queued_at_ms < START_MS + 25 * 3600 * 1000));
            assert_eq!(Synthetic::parse(kind.name()), Some(kind));
        }
        assert_eq!(Synthetic::parse("weekly"), None);
        assert_eq!(Synthetic::Steady.generate_hours(1, 0).len(), 1);
    }

    #[test]
    fn workday_is_busier_in_office_hours() {
        let t = Synthetic::Workday.generate(1);
        let hour = |j: &Job| (j.queued_at_ms - START_MS) / 3_600_000;
        let night = t.jobs().iter().filter(|j| hour(j) < 6).count();
        let day = t.jobs().iter().filter(|j| (10..16).contains(&hour(j))).count();
        assert!(day > 10 * night, "day {day}, night {night}");
    }
}
