//! Politeness towards Semaphore: after a 429 or 503 with `Retry-After`, the scaler sends it no
//! request, and changes no capacity, until that time has passed.

use std::cell::Cell;

use crate::policy::{Decision, Observation};
use crate::tick::{tick_with, Clock, Fleet, JobQueue, SourceError, TickReport};

/// The longest wait honoured: a larger `Retry-After` is cut to this, so that a broken header cannot
/// stop scaling for hours.
pub const MAX_BACKOFF_MS: u64 = 15 * 60 * 1000;

/// Until when the scaler leaves Semaphore alone; the default is no back-off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backoff {
    until_ms: Option<u64>,
}

impl Backoff {
    /// The back-off an error asks for, the answer having arrived at `now_ms`; `None` when the
    /// server named no wait.
    pub fn after(error: &SourceError, now_ms: u64) -> Option<Backoff> {
        let wait_ms = error.retry_after_ms.filter(|ms| *ms > 0)?;
        Some(Backoff { until_ms: Some(now_ms.saturating_add(wait_ms.min(MAX_BACKOFF_MS))) })
    }

    /// The end of the back-off, while it lasts at `now_ms`.
    pub fn waiting_until(&self, now_ms: u64) -> Option<u64> {
        self.until_ms.filter(|until| now_ms < *until)
    }
}

/// What a tick that honours the back-off did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoliteTick {
    /// The tick ran: its report, or why it failed.
    Ran(Result<TickReport, SourceError>),
    /// Semaphore asked to wait (`cause`): no request and no capacity change before `until_ms`.
    /// Returned once per back-off, by the tick that got the answer.
    BackOff { until_ms: u64, cause: SourceError },
    /// A tick inside a back-off: nothing was requested or changed.
    Skipped { until_ms: u64 },
}

/// [`tick_with`] unless `backoff` is on; starts a back-off when Semaphore asks for one.
pub async fn tick_politely<C, Q, F, D>(clock: &C, backoff: &Cell<Backoff>, queue: &Q, fleet: &F, decide_fn: D) -> PoliteTick
where
    C: Clock,
    Q: JobQueue,
    F: Fleet,
    D: FnOnce(&Observation) -> Decision,
{
    if let Some(until_ms) = backoff.get().waiting_until(clock.now_ms()) {
        return PoliteTick::Skipped { until_ms };
    }
    match tick_with(queue, fleet, decide_fn).await {
        Err(cause) => match Backoff::after(&cause, clock.now_ms()) {
            Some(next) => {
                backoff.set(next);
                PoliteTick::BackOff { until_ms: next.until_ms.unwrap_or_default(), cause }
            }
            None => PoliteTick::Ran(Err(cause)),
        },
        ran => PoliteTick::Ran(ran),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use crate::policy::{AsgCapacity, Metrics, Reason};

    /// A clock that moves only when told to.
    struct FakeClock(Cell<u64>);

    impl Clock for FakeClock {
        fn now_ms(&self) -> u64 {
            self.0.get()
        }
        async fn sleep_until_ms(&self, at_ms: u64) {
            self.0.set(self.0.get().max(at_ms));
        }
    }

    /// Answers from a script, each taking `latency_ms` of the clock; records when it was asked.
    struct Queue<'a> {
        clock: &'a FakeClock,
        latency_ms: u64,
        answers: Cell<VecDeque<Result<Metrics, SourceError>>>,
        asked_at: Cell<Vec<u64>>,
    }

    impl JobQueue for Queue<'_> {
        async fn metrics(&self) -> Result<Metrics, SourceError> {
            let mut asked = self.asked_at.take();
            asked.push(self.clock.now_ms());
            self.asked_at.set(asked);
            self.clock.0.set(self.clock.now_ms() + self.latency_ms);
            let mut answers = self.answers.take();
            let answer = answers.pop_front().unwrap_or(Ok(Metrics::default()));
            self.answers.set(answers);
            answer
        }
    }

    #[derive(Default)]
    struct Group {
        set_desired: Cell<usize>,
    }

    impl Fleet for Group {
        async fn capacity(&self) -> Result<AsgCapacity, SourceError> {
            Ok(AsgCapacity { desired: 0, min: 0, max: 10, ..AsgCapacity::default() })
        }
        async fn set_desired(&self, _desired: i64) -> Result<(), SourceError> {
            self.set_desired.set(self.set_desired.get() + 1);
            Ok(())
        }
    }

    fn raise(o: &Observation) -> Decision {
        Decision { desired_before: o.asg.desired, desired_after: 1, reason: Reason::ScaleUp { demand: 1, target: 1 } }
    }

    fn throttled(retry_after_ms: Option<u64>) -> Result<Metrics, SourceError> {
        Err(SourceError::semaphore("HTTP 429").with_retry_after_ms(retry_after_ms))
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().map(|rt| rt.block_on(f)).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Ticks at each time in `at`; returns what each did, when Semaphore was asked, and how often
    /// capacity was set.
    fn ticks(answers: Vec<Result<Metrics, SourceError>>, at: &[u64]) -> (Vec<PoliteTick>, Vec<u64>, usize) {
        let clock = FakeClock(Cell::new(0));
        let queue = Queue { clock: &clock, latency_ms: 100, answers: Cell::new(answers.into()), asked_at: Cell::default() };
        let (group, backoff) = (Group::default(), Cell::new(Backoff::default()));
        let outcomes = at
            .iter()
            .map(|t| {
                clock.0.set(*t);
                block_on(tick_politely(&clock, &backoff, &queue, &group, raise))
            })
            .collect();
        (outcomes, queue.asked_at.take(), group.set_desired.get())
    }

    #[test]
    fn nothing_is_asked_or_changed_before_retry_after_has_passed() {
        let (outcomes, asked, set) = ticks(vec![throttled(Some(5_000))], &[0, 2_000, 4_000, 5_099, 5_100]);
        // The wait counts from the answer, which came 100 ms after the request.
        let cause = SourceError::semaphore("HTTP 429").with_retry_after_ms(Some(5_000));
        assert_eq!(outcomes[0], PoliteTick::BackOff { until_ms: 5_100, cause });
        assert!(outcomes[1..4].iter().all(|o| *o == PoliteTick::Skipped { until_ms: 5_100 }), "{outcomes:?}");
        assert!(matches!(&outcomes[4], PoliteTick::Ran(Ok(r)) if r.decision.raises()), "{outcomes:?}");
        assert_eq!((asked, set), (vec![0, 5_100], 1));
    }

    #[test]
    fn the_back_off_is_reported_once_and_each_answer_starts_a_new_one() {
        let (outcomes, asked, _) = ticks(vec![throttled(Some(3_000)), throttled(Some(1_000))], &[0, 2_000, 4_000, 4_500, 6_000]);
        let kinds: Vec<&str> = outcomes
            .iter()
            .map(|o| match o {
                PoliteTick::Ran(_) => "ran",
                PoliteTick::BackOff { .. } => "back-off",
                PoliteTick::Skipped { .. } => "skipped",
            })
            .collect();
        assert_eq!(kinds, ["back-off", "skipped", "back-off", "skipped", "ran"]);
        assert_eq!(asked, [0, 4_000, 6_000]);
    }

    #[test]
    fn errors_without_a_wait_are_failed_ticks_retried_at_the_next_tick() {
        for retry_after in [None, Some(0)] {
            let (outcomes, asked, set) = ticks(vec![throttled(retry_after)], &[0, 2_000]);
            assert!(matches!(&outcomes[0], PoliteTick::Ran(Err(_))), "{outcomes:?}");
            assert_eq!((asked, set), (vec![0, 2_000], 1));
        }
    }

    #[test]
    fn a_huge_wait_is_cut_to_the_maximum() {
        let e = SourceError::semaphore("HTTP 503").with_retry_after_ms(Some(u64::MAX));
        let backoff = Backoff::after(&e, 1_000);
        assert_eq!(backoff.and_then(|b| b.waiting_until(1_000)), Some(1_000 + MAX_BACKOFF_MS));
        assert_eq!(backoff.and_then(|b| b.waiting_until(1_000 + MAX_BACKOFF_MS)), None);
        assert_eq!(Backoff::default().waiting_until(0), None);
    }
}
