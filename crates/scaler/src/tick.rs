//! One scaler tick and the loop of ticks of one invocation, over caller-owned traits.

use std::future::Future;

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
pub async fn tick_with<Q, F, D>(queue: &Q, fleet: &F, decide_fn: D) -> Result<TickReport, SourceError>
where
    Q: JobQueue,
    F: Fleet,
    D: FnOnce(&Observation) -> Decision,
{
    let Metrics { jobs, agents } = queue.metrics().await?;
    let asg = fleet.capacity().await?;
    let observation = Observation { jobs, agents, asg };
    let decision = decide_fn(&observation);
    if decision.raises() {
        fleet.set_desired(decision.desired_after).await?;
    }
    Ok(TickReport { observation, decision })
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
