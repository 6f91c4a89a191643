//! The scaler: a pure policy ([`decide`]), the tick schedule of a Lambda invocation, and the tick
//! itself over narrow traits ([`JobQueue`], [`Fleet`], [`Clock`]) that adapters implement.
//! The Lambda, `agent-stack scale` and the simulator all call the same [`decide`].

pub mod emf;
pub mod policies;
pub mod policy;
pub mod schedule;
mod tick;

pub use policies::{decide_with, default_launch_delay_ms, PolicyState, ScalingPolicy};
pub use policy::{decide, Agents, AsgCapacity, Decision, Instances, Jobs, Metrics, Observation, Reason};
pub use schedule::Window;
pub use tick::{run_ticks, tick, tick_with, Clock, Fleet, JobQueue, Source, SourceError, TickReport};
