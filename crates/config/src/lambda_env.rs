//! The Lambda's environment: variable names the template writes and the Lambda binary reads.

use crate::fields::Choice;

/// Which job a function of the stack does; the template sets it, the binary dispatches on it.
pub const FUNCTION: &str = "AGENT_STACK_FUNCTION";
/// The scaler's Auto Scaling group (a `Ref` in the template).
pub const ASG_NAME: &str = "SEMAPHORE_AGENT_ASG_NAME";
/// The SSH-keys refresher's parameter, as agent-aws-stack named it.
pub const SSM_PARAMETER: &str = "SSM_PARAMETER";
/// Where the SSH-keys refresher reads GitHub's keys; defaults to [`GITHUB_META_URL`].
pub const GITHUB_META_URL_ENV: &str = "GITHUB_META_URL";
pub const GITHUB_META_URL: &str = "https://api.github.com/meta";

pub use crate::keys::name::{
    DISCONNECT_AFTER_IDLE_TIMEOUT, ENDPOINT, OS, OVERPROVISION_FACTOR, OVERPROVISION_STRATEGY, SCALING_POLICY, STACK_NAME,
    TOKEN_PARAMETER_NAME,
};

macro_rules! roles {
    ($($variant:ident = $text:literal),+ $(,)?) => {
        /// The role of one function of the stack.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum FunctionRole { $($variant),+ }
        impl Choice for FunctionRole {
            const ALL: &'static [(&'static str, Self)] = &[$(($text, Self::$variant)),+];
        }
    };
}

roles!(Scaler = "scaler", SshKeysUpdater = "ssh-keys-updater", AzRebalanceSuspender = "az-rebalance-suspender");
