//! The scaler's reaction time on a simulated clock: invocations every minute with EventBridge delivery
//! delay, ticks with latency, jobs queued at every moment of the cycle.

use std::cell::Cell;

use agent_stack_scaler::schedule::{self, LAMBDA_TIMEOUT_S, SCHEDULE_PERIOD_MS, TICK_INTERVAL_MS};
use agent_stack_scaler::{run_ticks, Clock, Window};

/// A clock that only moves when told to.
struct SimClock(Cell<u64>);

impl Clock for SimClock {
    fn now_ms(&self) -> u64 {
        self.0.get()
    }
    async fn sleep_until_ms(&self, at_ms: u64) {
        if at_ms > self.0.get() {
            self.0.set(at_ms);
        }
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().map(|rt| rt.block_on(f)).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs one invocation scheduled at `scheduled`, delivered `delay` later, whose ticks take `latency`.
/// Returns the (start, end) of every tick.
fn invocation(scheduled: u64, delay: u64, latency: u64) -> Vec<(u64, u64)> {
    let start = scheduled + delay;
    let clock = SimClock(Cell::new(start));
    let window = Window::for_invocation(start, Some(scheduled), start + LAMBDA_TIMEOUT_S * 1000);
    let ticks = Cell::new(Vec::new());
    block_on(run_ticks(&clock, window, || {
        let t0 = clock.now_ms();
        clock.0.set(t0 + latency);
        let mut v = ticks.take();
        v.push((t0, t0 + latency));
        ticks.set(v);
        async {}
    }));
    let v = ticks.take();
    // Every tick ends before the Lambda deadline.
    assert!(v.iter().all(|(_, end)| *end < start + LAMBDA_TIMEOUT_S * 1000), "tick past the deadline");
    v
}

/// Deterministic pseudo-random numbers (no seed from the environment).
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

/// Worst reaction over a day of invocations: for each job queued at time t, the end of the first tick
/// that started after t (a tick reads metrics at its start).
fn worst_reaction(max_delivery_delay: u64, max_latency: u64, seed: u64) -> u64 {
    let mut rng = Lcg(seed);
    let mut ticks: Vec<(u64, u64)> = Vec::new();
    for minute in 0..1440u64 {
        let delay = rng.below(max_delivery_delay + 1);
        let latency = 50 + rng.below(max_latency);
        ticks.extend(invocation(minute * SCHEDULE_PERIOD_MS, delay, latency));
    }
    ticks.sort_unstable();
    let horizon = 1439 * SCHEDULE_PERIOD_MS;
    let mut worst = 0;
    let mut t = SCHEDULE_PERIOD_MS; // after the first invocation has started
    while t < horizon {
        let next = ticks.partition_point(|(start, _)| *start <= t);
        let reaction = ticks.get(next).map(|(_, end)| end - t).unwrap_or(u64::MAX);
        worst = worst.max(reaction);
        t += 97; // every ~0.1 s, so every phase of the tick cycle is sampled
    }
    worst
}

#[test]
fn worst_case_reaction_is_within_five_seconds() {
    // EventBridge delivering up to 8 s late, ticks taking up to 1.5 s.
    let worst = worst_reaction(8_000, 1_500, 42);
    assert!(worst <= 5_000, "worst reaction {worst} ms");
    assert!(worst > TICK_INTERVAL_MS, "the sampling should hit a tick boundary: {worst}");
}

#[test]
fn consecutive_invocations_overlap_instead_of_leaving_a_gap() {
    for delay in [0, 3_000, 9_999] {
        let first = invocation(0, 0, 200);
        let second = invocation(SCHEDULE_PERIOD_MS, delay, 200);
        let last_of_first = first.last().map(|t| t.0).unwrap_or(0);
        let first_of_second = second.first().map(|t| t.0).unwrap_or(u64::MAX);
        assert!(last_of_first + TICK_INTERVAL_MS >= first_of_second, "delay {delay}: gap between {last_of_first} and {first_of_second}");
    }
}

#[test]
fn ticks_keep_a_fixed_cadence_and_stop_before_the_deadline() {
    let ticks = invocation(0, 0, 300);
    let starts: Vec<u64> = ticks.iter().map(|t| t.0).collect();
    assert!(starts.windows(2).all(|w| w[1] - w[0] == TICK_INTERVAL_MS), "{starts:?}");
    assert_eq!(starts.first(), Some(&0));
    assert!(*starts.last().unwrap_or(&0) < SCHEDULE_PERIOD_MS + schedule::OVERLAP_MS);
    // A tick that overruns its slot is followed at once, not after another interval.
    let slow = invocation(0, 0, 3_000);
    assert!(slow.windows(2).all(|w| w[1].0 == w[0].1), "{slow:?}");
}

#[test]
fn a_short_deadline_stops_ticks_in_time() {
    let clock = SimClock(Cell::new(1_000));
    let window = Window::for_invocation(1_000, None, 1_000 + 12_000);
    let count = block_on(run_ticks(&clock, window, || {
        clock.0.set(clock.0.get() + 100);
        async {}
    }));
    // Deadline 12 s, budget 7 s + margin 1 s: ticks at 0, 2 and 4 s only.
    assert_eq!(count, 3);
    assert_eq!(block_on(run_ticks(&clock, Window::for_invocation(1_000, None, 1_000 + 5_000), || async {})), 0);
}
