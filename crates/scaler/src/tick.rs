//! One scaler tick and the loop of ticks of one invocation, over caller-owned traits.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;

use agent_stack_config::Overprovision;
use serde::Serialize;

use crate::policy::{decide, AsgCapacity, Decision, Metrics, Observation};
use crate::schedule::Window;

/// Where job and agent counts come from (Semaphore).
pub trait JobQueue {
    fn metrics(&self) -> impl Future<Output = Result<Metrics, SourceError>>;
}

/// The Auto Scaling group the agents run in.
pub trait Fleet {
    fn capacity(&self) -> impl Future<Output = Result<AsgCapacity, SourceError>>;
    fn set_desired(&self, desired: i64) -> impl Future<Output = Result<(), SourceError>>;
}

/// Time as the loop sees it, so tests can run it on a simulated clock.
pub trait Clock {
    fn now_ms(&self) -> u64;
    fn sleep_until_ms(&self, at_ms: u64) -> impl Future<Output = ()>;
}

/// Which collaborator failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Semaphore,
    AutoScaling,
}

/// A failed call to Semaphore or AWS. The message never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{system:?}: {message}")]
pub struct SourceError {
    pub system: Source,
    pub message: String,
    /// How long the server asked to be left alone (`Retry-After`), in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

impl SourceError {
    pub fn semaphore(message: impl Into<String>) -> Self {
        Self { system: Source::Semaphore, message: message.into(), retry_after_ms: None }
    }

    pub fn auto_scaling(message: impl Into<String>) -> Self {
        Self { system: Source::AutoScaling, message: message.into(), retry_after_ms: None }
    }

    /// The same error, with the server's requested wait.
    pub fn with_retry_after_ms(self, retry_after_ms: Option<u64>) -> Self {
        Self { retry_after_ms, ..self }
    }
}

/// What one tick saw and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TickReport {
    pub observation: Observation,
    pub decision: Decision,
}

/// Reads metrics and the group, decides with agent-aws-stack's policy, and raises the desired
/// capacity when the decision says so. Any failure leaves capacity unchanged.
pub async fn tick<Q: JobQueue, F: Fleet>(queue: &Q, fleet: &F, overprovision: Overprovision) -> Result<TickReport, SourceError> {
    tick_with(queue, fleet, |o| decide(o, overprovision)).await
}

/// [`tick`] with any decision function (a configured policy and its state).
///
/// Both reads are in flight together: neither depends on the other, and the tick waits for the
/// slower one instead of their sum. When both fail, Semaphore's error is the one reported.
pub async fn tick_with<Q, F, D>(queue: &Q, fleet: &F, decide_fn: D) -> Result<TickReport, SourceError>
where
    Q: JobQueue,
    F: Fleet,
    D: FnOnce(&Observation) -> Decision,
{
    let (metrics, capacity) = both(queue.metrics(), fleet.capacity()).await;
    let Metrics { jobs, agents } = metrics?;
    let asg = capacity?;
    let observation = Observation { jobs, agents, asg };
    let decision = decide_fn(&observation);
    if decision.raises() {
        fleet.set_desired(decision.desired_after).await?;
    }
    Ok(TickReport { observation, decision })
}

/// Runs two futures concurrently on the caller's task and returns both outputs.
async fn both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut done_a, mut done_b) = (None, None);
    poll_fn(|cx| {
        if done_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                done_a = Some(v);
            }
        }
        if done_b.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                done_b = Some(v);
            }
        }
        match (done_a.take(), done_b.take()) {
            (Some(x), Some(y)) => Poll::Ready((x, y)),
            (x, y) => {
                (done_a, done_b) = (x, y);
                Poll::Pending
            }
        }
    })
    .await
}

/// Runs `one_tick` at the window's cadence until the window closes; returns how many ticks ran.
pub async fn run_ticks<C, T, Fut>(clock: &C, window: Window, mut one_tick: T) -> usize
where
    C: Clock,
    T: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut start = clock.now_ms();
    if !window.allows_start(start) {
        return 0;
    }
    let mut ticks = 0;
    loop {
        one_tick().await;
        ticks += 1;
        let Some(next) = window.next_tick(start, clock.now_ms()) else { return ticks };
        clock.sleep_until_ms(next).await;
        start = next;
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::time::Duration;

    use super::*;
    use crate::policy::Reason;

    /// Each read finishes only once the other has started: run one after the other, they never end.
    struct Reads {
        started: Cell<u32>,
    }

    impl Reads {
        async fn wait_for_both(&self) {
            self.started.set(self.started.get() + 1);
            poll_fn(|cx| {
                if self.started.get() >= 2 {
                    Poll::Ready(())
                } else {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            })
            .await
        }
    }

    impl JobQueue for Reads {
        async fn metrics(&self) -> Result<Metrics, SourceError> {
            self.wait_for_both().await;
            Err(SourceError::semaphore("metrics failed"))
        }
    }

    impl Fleet for Reads {
        async fn capacity(&self) -> Result<AsgCapacity, SourceError> {
            self.wait_for_both().await;
            Err(SourceError::auto_scaling("describe failed"))
        }
        async fn set_desired(&self, _desired: i64) -> Result<(), SourceError> {
            Ok(())
        }
    }

    #[test]
    fn metrics_and_group_are_read_together_and_semaphore_errors_come_first() {
        let reads = Reads { started: Cell::new(0) };
        let never = |_: &Observation| Decision { desired_before: 0, desired_after: 0, reason: Reason::Enough { demand: 0, target: 0 } };
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap_or_else(|e| panic!("{e}"));
        let outcome = rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), tick_with(&reads, &reads, never)).await });
        assert_eq!(outcome.map(|r| r.map_err(|e| e.message)), Ok(Err("metrics failed".to_string())));
    }
}
