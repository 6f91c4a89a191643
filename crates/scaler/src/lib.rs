//! The scaler: a pure policy ([`decide`]), the tick schedule of a Lambda invocation, and the tick
//! itself over narrow traits ([`JobQueue`], [`Fleet`], [`Clock`]) that adapters implement, with
//! the back-off Semaphore asks for ([`tick_politely`]).
//! The Lambda, `agent-stack scale` and the simulator all call the same [`decide`].

mod backoff;
pub mod emf;
pub mod policies;
pub mod policy;
mod primed;
pub mod schedule;
mod tick;

pub use backoff::{tick_politely, Backoff, PoliteTick, MAX_BACKOFF_MS};
pub use policies::{decide_with, default_launch_delay_ms, default_pool_start_delay_ms, planning_lead_ms, PolicyState, ScalingPolicy};
pub use policy::{decide, Agents, AsgCapacity, Decision, Instances, Jobs, Metrics, Observation, Reason};
pub use primed::Primed;
pub use schedule::Window;
pub use tick::{run_ticks, tick, tick_with, Clock, Fleet, JobQueue, Source, SourceError, TickReport};
