//! The instance side of agent-stack, run as `agent-stack boot …` on each agent instance:
//! `start` (IMDS → SSM → the agent's config.yaml → the agent service), `shutdown-hook`
//! (terminate through the Auto Scaling group), `health-check` (power off when the agent is gone)
//! and `watch` (interrupt the agent gracefully on spot interruption or rebalance notices, and on
//! terminations its group starts, which wait for the agent through the drain hook).
//!
//! Pure pieces (config.yaml, known_hosts, names) are separate from the I/O that uses them.

pub mod action;
pub mod agent_yaml;
pub mod drain;
mod files;
pub mod health;
pub mod hook;
pub mod known_hosts;
pub mod launch;
pub mod layout;
mod log;
pub mod name;
pub mod process;
mod retry;
pub mod start;
pub mod watch;

pub use layout::Layout;
pub use log::say;
