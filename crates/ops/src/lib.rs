//! The stack operations behind the CLI's commands — bootstrap, deploy, diff, destroy, rotate and
//! status — written once over narrow traits ([`Stacks`], [`Group`], [`Parameters`], [`Artifacts`],
//! [`Images`]): [`AwsCloud`] implements them with the SDK, [`fake::FakeCloud`] in memory. The
//! workflows ask and report through [`Ui`], and fail with one [`Error`] whose kind decides the exit
//! code.

// The traits are used with concrete types on one thread; their futures need not be `Send`.
#![allow(async_fn_in_trait)]

pub mod bootstrap;
mod change;
pub mod deploy;
pub mod destroy;
pub mod doctor;
mod error;
pub mod fake;
pub mod hosts;
pub mod logs;
mod ports;
pub mod rotate;
pub mod status;
pub mod watch;

pub use change::{changes_what_agents_boot_with, check_updatable, risky, Applied, Deployed};
pub use error::Error;
pub use ports::{Artifacts, AwsCloud, Cloud, Group, Images, Parameters, Stacks, Ui};

/// The stack `agent-stack bootstrap` creates in each account and region.
pub const ASSETS_STACK: &str = "agent-stack-assets";
