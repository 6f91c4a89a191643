//! Dev-only stand-ins shared by integration tests: a Semaphore hub stub that follows
//! `shared/reference/semaphore-api.md` (status codes included) and a moto server launcher,
//! an IMDSv2 stub, a stand-in for the Semaphore agent, the Lambda runtime emulator's harness, and
//! a recording proxy for the lifecycle-action calls moto lacks, and a TLS front for any of them.

pub mod agent;
pub mod hub;
pub mod imds;
pub mod lifecycle;
pub mod missing;
pub mod moto;
pub mod rie;
pub mod serve;
pub mod stack;
pub mod tls;

pub use hub::{Fault, SemaphoreStub};
pub use imds::ImdsStub;
pub use lifecycle::LifecycleProxy;
pub use missing::MissingApis;
pub use moto::Moto;

/// Seconds since the Unix epoch: how the agent protocol stamps `interrupted_at`.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

pub use agent_stack_config::time::utc_text;
