//! `agent-stack boot …`: the instance side, run by the image on each agent instance
//! (docs/images.md). The work happens in the agent-stack-boot crate.

use std::path::PathBuf;
use std::time::Duration;

use agent_stack_boot::layout::{DEFAULT_AGENT_DIR, DEFAULT_AGENT_USER, DEFAULT_POWEROFF_COMMAND, DEFAULT_START_COMMAND};
use agent_stack_boot::start::StartOptions;
use agent_stack_boot::watch::WatchOptions;
use agent_stack_boot::Layout;
use clap::{Args, Subcommand};

use crate::error::CliError;
use crate::stack_ops::runtime;

#[derive(Debug, Subcommand)]
pub enum BootCommand {
    /// Fetch the stack's config and token from SSM, write the agent's config.yaml and start the
    /// agent. On failure the instance marks itself Unhealthy so its group replaces it.
    #[command(after_help = include_str!("../help/boot-start.txt"))]
    Start(StartArgs),
    /// The agent's shutdown hook: terminate this instance through its Auto Scaling group,
    /// lowering the desired capacity only when the agent was idle.
    #[command(after_help = include_str!("../help/boot-shutdown-hook.txt"))]
    ShutdownHook(HookArgs),
    /// Power the instance off when the agent process has gone away (run every minute).
    #[command(after_help = include_str!("../help/boot-health-check.txt"))]
    HealthCheck(HealthArgs),
    /// Ask the agent to leave (SIGTERM) when the instance goes to Standby (`agent-stack rotate`)
    /// or is terminating, on a spot interruption notice or on a rebalance recommendation. The agent
    /// takes no new job and finishes a running one within the interruption grace period.
    #[command(after_help = include_str!("../help/boot-watch.txt"))]
    Watch(WatchArgs),
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// The stack's agent config SSM parameter (`<stack>-config`) [default: the one the first
    /// `boot start` on this instance was given, as the image's boot unit runs it on later boots].
    #[arg(value_name = "CONFIG_PARAMETER")]
    pub config_parameter: Option<String>,
    /// The agent's directory; config.yaml is written there.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_AGENT_DIR)]
    pub agent_dir: PathBuf,
    /// Command that starts the agent service.
    #[arg(long, value_name = "CMD", default_value = DEFAULT_START_COMMAND)]
    pub start_command: String,
    /// User the agent runs as: owns config.yaml and its SSH known_hosts.
    #[arg(long, value_name = "USER", default_value = DEFAULT_AGENT_USER)]
    pub agent_user: String,
    /// known_hosts file for GitHub's SSH keys [default: ~USER/.ssh/known_hosts].
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
    /// Tries per SSM read, 0.75–5 s apart.
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub attempts: u32,
    /// Seconds between looks at the warm-pool state.
    #[arg(long, value_name = "S", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub poll_seconds: u64,
}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// The agent's directory (where `boot start` saved the stack's config parameter).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_AGENT_DIR)]
    pub agent_dir: PathBuf,
    /// Tries of the termination and lifecycle calls, 0.75–5 s apart.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub attempts: u32,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The agent's directory.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_AGENT_DIR)]
    pub agent_dir: PathBuf,
    /// Command that powers the instance off.
    #[arg(long, value_name = "CMD", default_value = DEFAULT_POWEROFF_COMMAND)]
    pub poweroff_command: String,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The agent's directory.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_AGENT_DIR)]
    pub agent_dir: PathBuf,
    /// Seconds between looks at IMDS.
    #[arg(long, value_name = "S", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub poll_seconds: u64,
    /// Act on spot interruption notices only, not on rebalance recommendations.
    #[arg(long)]
    pub ignore_rebalance: bool,
}

pub fn run(command: &BootCommand) -> Result<(), CliError> {
    match command {
        BootCommand::Start(a) => {
            let layout = Layout::new(&a.agent_dir);
            let config_parameter = match &a.config_parameter {
                Some(name) => name.clone(),
                None => agent_stack_boot::start::saved_config_parameter(&layout).map_err(CliError::Input)?,
            };
            if !agent_stack_config::syntax_ok_ssm_name(&config_parameter) {
                return Err(CliError::Input(format!(
                    "CONFIG_PARAMETER {config_parameter:?} is not an SSM parameter name (letters, digits, . - _ / only)"
                )));
            }
            let options = StartOptions {
                config_parameter,
                layout,
                start_command: a.start_command.clone(),
                agent_user: Some(a.agent_user.clone()),
                known_hosts: a.known_hosts.clone(),
                attempts: a.attempts,
                poll: Duration::from_secs(a.poll_seconds),
            };
            runtime()?.block_on(agent_stack_boot::start::start(&options)).map_err(CliError::Failed)
        }
        BootCommand::ShutdownHook(a) => {
            let reason = std::env::var(agent_stack_boot::hook::REASON_VAR).ok();
            let layout = Layout::new(&a.agent_dir);
            runtime()?.block_on(agent_stack_boot::hook::shutdown_hook(reason.as_deref(), a.attempts, &layout)).map_err(CliError::Failed)
        }
        BootCommand::HealthCheck(a) => {
            agent_stack_boot::health::health_check(&Layout::new(&a.agent_dir), &a.poweroff_command).map(|_| ()).map_err(CliError::Failed)
        }
        BootCommand::Watch(a) => {
            let options = WatchOptions {
                layout: Layout::new(&a.agent_dir),
                poll: Duration::from_secs(a.poll_seconds),
                ignore_rebalance: a.ignore_rebalance,
            };
            runtime()?.block_on(agent_stack_boot::watch::watch(&options)).map_err(CliError::Failed)
        }
    }
}
