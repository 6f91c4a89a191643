//! Sources whose first read was made during set-up.
//!
//! A scaler's set-up is a chain per source: read the token, then ask Semaphore; find the group, then
//! describe it. Run as two chains at once, the first observation is ready after the slower chain,
//! not after both set-ups plus both reads. [`Primed`] hands that first read to the first tick, so
//! the tick loop and its back-off stay as they are. Build it right before ticking: the first read
//! is only as fresh as the set-up.

use std::cell::Cell;

use crate::policy::{AsgCapacity, Metrics};
use crate::tick::{Fleet, JobQueue, SourceError};

/// A source whose next read is `first`, when there is one; every later read is the source's own.
pub struct Primed<'a, S, T> {
    source: &'a S,
    first: Cell<Option<Result<T, SourceError>>>,
}

impl<'a, S, T> Primed<'a, S, T> {
    /// `first: None` reads from `source` from the start.
    pub fn new(source: &'a S, first: Option<Result<T, SourceError>>) -> Self {
        Self { source, first: Cell::new(first) }
    }
}

impl<Q: JobQueue> JobQueue for Primed<'_, Q, Metrics> {
    async fn metrics(&self) -> Result<Metrics, SourceError> {
        match self.first.take() {
            Some(read) => read,
            None => self.source.metrics().await,
        }
    }
}

impl<F: Fleet> Fleet for Primed<'_, F, AsgCapacity> {
    async fn capacity(&self) -> Result<AsgCapacity, SourceError> {
        match self.first.take() {
            Some(read) => read,
            None => self.source.capacity().await,
        }
    }

    async fn set_desired(&self, desired: i64) -> Result<(), SourceError> {
        self.source.set_desired(desired).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Agents, Instances, Jobs};
    use crate::tick::tick;
    use agent_stack_config::{Overprovision, OverprovisionStrategy};

    const NONE: Overprovision = Overprovision { strategy: OverprovisionStrategy::None, factor: 0 };

    /// A group that counts its describes and remembers the desired capacity it was given.
    struct Group {
        describes: Cell<u32>,
        desired: Cell<i64>,
    }

    impl Fleet for Group {
        async fn capacity(&self) -> Result<AsgCapacity, SourceError> {
            self.describes.set(self.describes.get() + 1);
            Ok(capacity(self.desired.get()))
        }
        async fn set_desired(&self, desired: i64) -> Result<(), SourceError> {
            self.desired.set(desired);
            Ok(())
        }
    }

    /// A queue that always reports `queued` jobs and no agents.
    struct Queue {
        queued: i64,
    }

    impl JobQueue for Queue {
        async fn metrics(&self) -> Result<Metrics, SourceError> {
            Ok(Metrics { jobs: Jobs { queued: self.queued, running: 0 }, agents: Agents::default() })
        }
    }

    fn capacity(desired: i64) -> AsgCapacity {
        AsgCapacity { desired, min: 0, max: 10, instances: Instances::default() }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().unwrap_or_else(|e| panic!("{e}")).block_on(f)
    }

    #[test]
    fn the_first_tick_uses_the_set_up_reads_and_later_ticks_read_again() {
        let group = Group { describes: Cell::new(0), desired: Cell::new(0) };
        let queue = Queue { queued: 3 };
        let fleet = Primed::new(&group, Some(Ok(capacity(1))));
        let jobs = Primed::new(&queue, Some(Ok(Metrics { jobs: Jobs { queued: 2, running: 0 }, ..Metrics::default() })));

        let first = block_on(tick(&jobs, &fleet, NONE)).unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!((first.observation.jobs.queued, first.observation.asg.desired), (2, 1));
        assert_eq!(group.describes.get(), 0, "the first tick describes nothing");
        assert_eq!(group.desired.get(), 2, "desired is set on the source");

        let second = block_on(tick(&jobs, &fleet, NONE)).unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!((second.observation.jobs.queued, second.observation.asg.desired), (3, 2));
        assert_eq!(group.describes.get(), 1);
    }

    #[test]
    fn a_failed_first_read_fails_the_first_tick_only() {
        let group = Group { describes: Cell::new(0), desired: Cell::new(0) };
        let queue = Queue { queued: 0 };
        let fleet = Primed::new(&group, None);
        let jobs = Primed::new(&queue, Some(Err(SourceError::semaphore("HTTP 429"))));

        let first = block_on(tick(&jobs, &fleet, NONE));
        assert_eq!(first.map(|_| ()).map_err(|e| e.message), Err("HTTP 429".to_string()));
        assert!(block_on(tick(&jobs, &fleet, NONE)).is_ok());
        assert_eq!(group.describes.get(), 2, "no first read: the group is described at every tick");
    }
}
