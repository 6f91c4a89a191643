//! The simulated fleet's settings: the stack's configuration plus the timing facts it cannot state
//! (how long an instance takes from launch to a registered agent, what an instance-hour costs).

use agent_stack_config::{Config, OperatingSystem, Overprovision, OverprovisionStrategy};
use agent_stack_scaler::policies::default_launch_delay_ms;
use agent_stack_scaler::schedule::TICK_INTERVAL_MS;

use crate::price;

/// Everything the discrete-event model needs besides the trace and the policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FleetModel {
    /// From the ASG launching an instance to its agent registering with Semaphore.
    pub launch_delay_ms: u64,
    /// An idle agent shuts down after this long and its instance leaves the group; 0 = never.
    pub idle_timeout_ms: u64,
    /// After one job the agent shuts down and its instance is replaced (desired unchanged).
    pub disconnect_after_job: bool,
    pub min: u32,
    pub max: u32,
    /// Instances registered and idle when the trace starts (clamped to min..=max).
    pub initial_desired: u32,
    pub overprovision: Overprovision,
    /// Time between scaler ticks.
    pub tick_ms: u64,
    /// On-demand price of one instance-hour, USD.
    pub price_per_hour: f64,
    /// The group replaces an instance this long after its launch; 0 = never.
    pub max_instance_lifetime_ms: u64,
    /// What that replacement does to an instance running a job.
    pub at_lifetime: AtLifetime,
}

/// How the group's termination at the maximum instance lifetime meets a busy agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtLifetime {
    /// agent-stack's termination lifecycle hook: the agent finishes its job, then the instance goes.
    Drain,
    /// agent-aws-stack, without a hook: the instance goes at once and its job is killed.
    Terminate,
}

impl AtLifetime {
    pub fn other(self) -> AtLifetime {
        match self {
            AtLifetime::Drain => AtLifetime::Terminate,
            AtLifetime::Terminate => AtLifetime::Drain,
        }
    }
}

impl FleetModel {
    /// The model of a stack as configured, with the OS's launch delay and the instance type's list price
    /// (`None` when the type is not in [`price::hourly`]'s table).
    pub fn from_config(config: &Config) -> (FleetModel, Option<f64>) {
        let price = price::hourly(&config.instance_type, config.os);
        let model = FleetModel {
            launch_delay_ms: default_launch_delay_ms(config.os),
            idle_timeout_ms: u64::from(config.agent.disconnect_after_idle_timeout) * 1000,
            disconnect_after_job: config.agent.disconnect_after_job,
            min: config.asg.min_size,
            max: config.asg.max_size,
            initial_desired: config.asg.desired.unwrap_or(config.asg.min_size),
            overprovision: config.overprovision,
            tick_ms: TICK_INTERVAL_MS,
            price_per_hour: price.unwrap_or(price::FALLBACK_PER_HOUR),
            max_instance_lifetime_ms: u64::from(config.asg.max_instance_lifetime.unwrap_or(0)) * 1000,
            at_lifetime: AtLifetime::Drain,
        };
        (model, price)
    }

    /// A Linux fleet with agent-aws-stack's agent defaults (disconnect after job, 300 s idle timeout)
    /// and no maximum instance lifetime.
    pub fn linux(min: u32, max: u32) -> FleetModel {
        FleetModel {
            launch_delay_ms: default_launch_delay_ms(OperatingSystem::UbuntuNoble),
            idle_timeout_ms: 300_000,
            disconnect_after_job: true,
            min,
            max,
            initial_desired: min,
            overprovision: Overprovision { strategy: OverprovisionStrategy::None, factor: 0 },
            tick_ms: TICK_INTERVAL_MS,
            price_per_hour: price::FALLBACK_PER_HOUR,
            max_instance_lifetime_ms: 0,
            at_lifetime: AtLifetime::Drain,
        }
    }
}
