//! The simulated fleet's settings: the stack's configuration plus the timing facts it cannot state
//! (how long an instance takes from launch to a registered agent, what an instance-hour costs).

use agent_stack_config::{Config, OperatingSystem, Overprovision, OverprovisionStrategy, VolumeType, WarmPoolState};
use agent_stack_scaler::policies::default_launch_delay_ms;
pub use agent_stack_scaler::policies::default_pool_start_delay_ms;
use agent_stack_scaler::schedule::TICK_INTERVAL_MS;

use crate::price;

/// Everything the discrete-event model needs besides the trace and the policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FleetModel {
    /// From the ASG launching an instance to its agent registering with Semaphore.
    pub launch_delay_ms: u64,
    /// An idle agent shuts down after this long and its instance leaves the group; 0 = never.
    pub idle_timeout_ms: u64,
    /// After one job the agent shuts down and its instance leaves the group.
    pub disconnect_after_job: bool,
    /// What that shutdown does to desired.
    pub after_job: AfterJob,
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
    /// The group's warm pool, if it has one.
    pub warm_pool: Option<PoolModel>,
}

/// A warm pool of fixed size: prepared instances the group starts instead of launching new ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolModel {
    /// Instances in the pool, ready or being prepared.
    pub size: u32,
    pub state: WarmPoolState,
    /// From the group taking a ready pool instance to its agent registering.
    pub start_delay_ms: u64,
    /// Root volume of each instance, billed while it waits stopped or hibernated.
    pub volume_gib: u32,
    /// EBS price of that volume, USD per GiB-month.
    pub volume_usd_per_gib_month: f64,
}

/// Root volume size assumed when the configuration does not set one (the stack's image).
pub const DEFAULT_VOLUME_GIB: u32 = 64;
/// gp3 in US East (N. Virginia), USD per GB-month (AWS's EBS price list); gp2 is 0.10.
pub const GP3_USD_PER_GIB_MONTH: f64 = 0.08;
const GP2_USD_PER_GIB_MONTH: f64 = 0.10;
/// AWS bills EBS per GB-month of 730 hours.
pub const HOURS_PER_MONTH: f64 = 730.0;

impl PoolModel {
    /// The pool as configured, with the OS's start delay and the root volume's size and price.
    pub fn from_config(config: &Config) -> Option<PoolModel> {
        let pool = config.asg.warm_pool?;
        let volume = config.root_volume.as_ref().and_then(|r| r.settings.as_ref());
        Some(PoolModel {
            size: pool.size,
            state: pool.state,
            start_delay_ms: default_pool_start_delay_ms(config.os, pool.state),
            volume_gib: volume.map_or(DEFAULT_VOLUME_GIB, |v| v.size_gib),
            volume_usd_per_gib_month: match volume.map(|v| v.volume_type) {
                Some(VolumeType::Gp2) => GP2_USD_PER_GIB_MONTH,
                _ => GP3_USD_PER_GIB_MONTH,
            },
        })
    }

    /// USD per hour of one instance waiting in the pool: its volume when stopped or hibernated (the
    /// hibernated memory lives on that volume, sized for it), the full instance price when running.
    pub fn waiting_per_hour(&self, instance_per_hour: f64) -> f64 {
        match self.state {
            WarmPoolState::Running => instance_per_hour,
            WarmPoolState::Stopped | WarmPoolState::Hibernated => {
                f64::from(self.volume_gib) * self.volume_usd_per_gib_month / HOURS_PER_MONTH
            }
        }
    }
}

/// What the shutdown hook does to desired when an agent disconnects after its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterJob {
    /// Terminate without a decrement (today's hook): the group replaces the instance at once,
    /// from the warm pool when it has a ready one.
    KeepDesired,
    /// Terminate with a decrement (refused at the minimum, then replaced): the scaler raises desired
    /// again for the next job, which the group starts from the pool.
    LowerDesired,
    /// [`AfterJob::LowerDesired`] when the group has a warm pool, else [`AfterJob::KeepDesired`].
    LowerWithPool,
}

impl FleetModel {
    /// Whether an agent's shutdown after its job lowers desired in this model.
    pub fn lowers_after_job(&self) -> bool {
        match self.after_job {
            AfterJob::KeepDesired => false,
            AfterJob::LowerDesired => true,
            AfterJob::LowerWithPool => self.warm_pool.is_some_and(|p| p.size > 0),
        }
    }
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
    /// The model of a stack as configured, with the OS's launch delay, the instance type's list price
    /// (`None` when the type is not in [`price::hourly`]'s table) and agent-stack's shutdown hook,
    /// which lowers desired after a job when the group has a warm pool (docs/simulate.md, "After a job").
    pub fn from_config(config: &Config) -> (FleetModel, Option<f64>) {
        let price = price::hourly(&config.instance_type, config.os);
        let model = FleetModel {
            launch_delay_ms: default_launch_delay_ms(config.os),
            idle_timeout_ms: u64::from(config.agent.disconnect_after_idle_timeout) * 1000,
            disconnect_after_job: config.agent.disconnect_after_job,
            after_job: AfterJob::LowerWithPool,
            min: config.asg.min_size,
            max: config.asg.max_size,
            initial_desired: config.asg.desired.unwrap_or(config.asg.min_size),
            overprovision: config.overprovision,
            tick_ms: TICK_INTERVAL_MS,
            price_per_hour: price.unwrap_or(price::FALLBACK_PER_HOUR),
            max_instance_lifetime_ms: u64::from(config.asg.max_instance_lifetime.unwrap_or(0)) * 1000,
            at_lifetime: AtLifetime::Drain,
            warm_pool: PoolModel::from_config(config),
        };
        (model, price)
    }

    /// A Linux fleet with agent-aws-stack's agent defaults (disconnect after job, 300 s idle timeout)
    /// and hook (desired kept after a job), no maximum instance lifetime and no warm pool.
    pub fn linux(min: u32, max: u32) -> FleetModel {
        FleetModel {
            launch_delay_ms: default_launch_delay_ms(OperatingSystem::UbuntuNoble),
            idle_timeout_ms: 300_000,
            disconnect_after_job: true,
            after_job: AfterJob::KeepDesired,
            min,
            max,
            initial_desired: min,
            overprovision: Overprovision { strategy: OverprovisionStrategy::None, factor: 0 },
            tick_ms: TICK_INTERVAL_MS,
            price_per_hour: price::FALLBACK_PER_HOUR,
            max_instance_lifetime_ms: 0,
            at_lifetime: AtLifetime::Drain,
            warm_pool: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(contents: &str, pool_size: &str) -> FleetModel {
        let file = agent_stack_config::ConfigFile { path: "example.json", contents };
        let raw = agent_stack_config::RawConfig::from_sources(Some(file), [("SEMAPHORE_AGENT_WARM_POOL_SIZE", pool_size)]);
        FleetModel::from_config(&Config::try_from(&raw).unwrap_or_else(|e| panic!("{e}"))).0
    }

    #[test]
    fn agent_stacks_hook_lowers_desired_after_a_job_only_with_a_pool() {
        let pooled = include_str!("../../../examples/linux-warm-pool.json");
        assert!(model(pooled, "3").lowers_after_job());
        assert!(!model(pooled, "0").lowers_after_job());
        assert!(!FleetModel::linux(0, 5).lowers_after_job(), "agent-aws-stack's hook keeps desired");
        let keep = FleetModel { after_job: AfterJob::KeepDesired, ..model(pooled, "3") };
        assert!(!keep.lowers_after_job());
    }
}
