//! The grid `simulate --recommend` searches: the settings a user may change without giving up job
//! isolation — warm pool, overprovisioning, idle timeout, scaling policy — and the values each may
//! take for a configuration and a trace.

use agent_stack_config::keys::name::{
    DISCONNECT_AFTER_IDLE_TIMEOUT, OVERPROVISION_FACTOR, OVERPROVISION_STRATEGY, SCALING_POLICY, WARM_POOL_SIZE, WARM_POOL_STATE,
};
use agent_stack_config::{Config, Overprovision, OverprovisionStrategy, WarmPoolState};
use agent_stack_scaler::ScalingPolicy;

use crate::model::{default_pool_start_delay_ms, FleetModel, PoolModel};
use crate::trace::Trace;

/// Idle timeouts tried besides the configured one, seconds.
pub const IDLE_TIMEOUTS_S: [u32; 4] = [60, 120, 300, 600];
/// Warm pool sizes tried (up to the group's maximum) besides none, the configured one and the
/// trace's bursts ([`Space::with_burst_pools`]).
pub const POOL_SIZES: [u32; 9] = [1, 2, 3, 4, 6, 8, 10, 16, 32];
/// Pools sized to the trace's bursts: (percentile of the jobs' places in their bursts, multiple in
/// halves). A pool of the 95th percentile starts 95% of the jobs if it is full when each burst comes;
/// half as much again covers replacements and refills that overlap the next burst.
pub const BURST_POOLS: [(u64, u32); 4] = [(95, 2), (95, 3), (100, 2), (100, 3)];
/// Warm pool states tried besides the configured one (Hibernated needs a named, encrypted root volume
/// and starts no faster than Stopped).
pub const POOL_STATES: [WarmPoolState; 2] = [WarmPoolState::Stopped, WarmPoolState::Running];

/// The settings the search varies; everything else is the configuration's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub policy: ScalingPolicy,
    pub overprovision: Overprovision,
    pub idle_timeout_s: u32,
    pub pool: Option<PoolModel>,
}

impl Settings {
    /// The settings of `model` under `policy`.
    pub fn of(model: &FleetModel, policy: ScalingPolicy) -> Settings {
        Settings {
            policy,
            overprovision: model.overprovision,
            idle_timeout_s: (model.idle_timeout_ms / 1000) as u32,
            pool: model.warm_pool,
        }
    }

    /// `model` with these settings.
    pub fn apply(&self, model: &FleetModel) -> FleetModel {
        FleetModel {
            overprovision: self.overprovision,
            idle_timeout_ms: u64::from(self.idle_timeout_s) * 1000,
            warm_pool: self.pool,
            ..*model
        }
    }

    /// The configuration lines that turn `configured` into these settings, in a fixed order.
    pub fn changes(&self, configured: &Settings) -> Vec<(&'static str, String)> {
        let mut lines = Vec::new();
        let size = |s: &Settings| s.pool.map_or(0, |p| p.size);
        if size(self) != size(configured) {
            lines.push((WARM_POOL_SIZE, size(self).to_string()));
        }
        if let Some(pool) = self.pool {
            // Named whenever a pool is new: the file may hold a state for a pool it turned off.
            if configured.pool.is_none_or(|c| c.state != pool.state) {
                lines.push((WARM_POOL_STATE, pool.state.to_string()));
            }
        }
        if self.overprovision != configured.overprovision {
            lines.push((OVERPROVISION_STRATEGY, self.overprovision.strategy.to_string()));
            // 0 with none: the configuration refuses a factor without a strategy.
            lines.push((OVERPROVISION_FACTOR, self.overprovision.factor.to_string()));
        }
        if self.idle_timeout_s != configured.idle_timeout_s {
            lines.push((DISCONNECT_AFTER_IDLE_TIMEOUT, self.idle_timeout_s.to_string()));
        }
        if self.policy != configured.policy {
            lines.push((SCALING_POLICY, self.policy.name().to_string()));
        }
        lines
    }

    /// How many of the four settings differ from `configured`.
    pub(crate) fn distance(&self, configured: &Settings) -> usize {
        [
            self.policy != configured.policy,
            self.overprovision != configured.overprovision,
            self.idle_timeout_s != configured.idle_timeout_s,
            self.pool != configured.pool,
        ]
        .into_iter()
        .filter(|d| *d)
        .count()
    }
}

/// The values the search may give each setting: only what the configuration would accept.
#[derive(Debug, Clone, PartialEq)]
pub struct Space {
    pub policies: Vec<ScalingPolicy>,
    pub overprovision: Vec<Overprovision>,
    pub idle_timeouts_s: Vec<u32>,
    /// Pools besides none; empty when the configuration cannot have one.
    pub pools: Vec<PoolModel>,
}

impl Space {
    /// The grid for a stack: each setting's configured value plus the constants above; no pool where
    /// the configuration refuses one (macOS, spot, launch template overrides, an instances
    /// distribution, capacity rebalance); policy and overprovisioning stay as they are without
    /// dynamic scaling, which they do not affect.
    pub fn for_config(config: &Config, model: &FleetModel) -> Space {
        let mut space = Space {
            policies: vec![config.scaling_policy],
            overprovision: vec![model.overprovision],
            idle_timeouts_s: vec![(model.idle_timeout_ms / 1000) as u32],
            pools: model.warm_pool.into_iter().collect(),
        };
        if config.dynamic_scaling {
            space.policies.extend(ScalingPolicy::POLICIES);
            let number = |factor| Overprovision { strategy: OverprovisionStrategy::Number, factor };
            let percentage = |factor| Overprovision { strategy: OverprovisionStrategy::Percentage, factor };
            space.overprovision.push(Overprovision { strategy: OverprovisionStrategy::None, factor: 0 });
            space.overprovision.extend([1, 2, 3].map(number));
            space.overprovision.extend([10, 20, 30, 50].map(percentage));
        }
        space.idle_timeouts_s.extend(IDLE_TIMEOUTS_S);
        if pool_allowed(config) {
            let template = PoolModel::from_config(config).unwrap_or_else(|| volume_of(config));
            for state in POOL_STATES {
                for size in POOL_SIZES.into_iter().filter(|s| *s <= model.max) {
                    let start_delay_ms = default_pool_start_delay_ms(config.os, state);
                    space.pools.push(PoolModel { size, state, start_delay_ms, ..template });
                }
            }
        }
        dedup(&mut space.policies);
        dedup(&mut space.overprovision);
        dedup(&mut space.idle_timeouts_s);
        dedup(&mut space.pools);
        space
    }

    /// Adds pools sized to the trace's bursts ([`BURST_POOLS`]) — jobs queued within one cold launch
    /// delay, which a pool must cover before its first refill is ready — in each state the grid
    /// holds, up to the group's maximum. Nothing without pools in the grid.
    pub fn with_burst_pools(mut self, trace: &Trace, model: &FleetModel) -> Space {
        let places = trace.burst_places(model.launch_delay_ms);
        let mut templates: Vec<PoolModel> = Vec::new();
        for pool in &self.pools {
            if !templates.iter().any(|t| t.state == pool.state) {
                templates.push(*pool);
            }
        }
        for template in templates {
            for (p, halves) in BURST_POOLS {
                let burst = u32::try_from(crate::run::percentile(&places, p)).unwrap_or(u32::MAX);
                let size = burst.saturating_mul(halves).div_ceil(2);
                if (1..=model.max).contains(&size) {
                    self.pools.push(PoolModel { size, ..template });
                }
            }
        }
        dedup(&mut self.pools);
        self
    }

    /// Every pool's start delay set to `ms` (`--pool-start-delay`).
    pub fn with_pool_start_delay(mut self, ms: u64) -> Space {
        self.pools.iter_mut().for_each(|p| p.start_delay_ms = ms);
        self
    }

    /// Settings one move from `s`: one setting changed, the idle timeout free with it (it is what
    /// pays for a pool or overprovisioning).
    pub(crate) fn neighbours(&self, s: &Settings) -> Vec<Settings> {
        let mut out = Vec::new();
        for &idle_timeout_s in &self.idle_timeouts_s {
            let base = Settings { idle_timeout_s, ..*s };
            out.push(base);
            out.extend(self.policies.iter().map(|&policy| Settings { policy, ..base }));
            out.extend(self.overprovision.iter().map(|&overprovision| Settings { overprovision, ..base }));
            out.extend(std::iter::once(None).chain(self.pools.iter().copied().map(Some)).map(|pool| Settings { pool, ..base }));
        }
        dedup(&mut out);
        out
    }
}

/// Whether the configuration accepts a warm pool (config.rs `warm_pool` refuses the rest).
pub fn pool_allowed(config: &Config) -> bool {
    let asg = &config.asg;
    let d = &asg.distribution;
    !config.os.is_macos()
        && d.on_demand_percentage_above_base >= 100
        && d.on_demand_base_capacity == 0
        && d.on_demand_allocation_strategy.is_none()
        && d.spot_allocation_strategy.is_none()
        && asg.launch_template_overrides.is_empty()
        && !asg.capacity_rebalance
}

/// A size-0 pool carrying the configuration's root volume, for the grid's pools to copy.
fn volume_of(config: &Config) -> PoolModel {
    let mut with_pool = config.clone();
    with_pool.asg.warm_pool = Some(agent_stack_config::WarmPool { size: 0, state: WarmPoolState::Stopped });
    PoolModel::from_config(&with_pool).unwrap_or(PoolModel {
        size: 0,
        state: WarmPoolState::Stopped,
        start_delay_ms: 0,
        volume_gib: crate::model::DEFAULT_VOLUME_GIB,
        volume_usd_per_gib_month: crate::model::GP3_USD_PER_GIB_MONTH,
    })
}

pub(crate) fn dedup<T: PartialEq>(v: &mut Vec<T>) {
    let mut kept: Vec<T> = Vec::with_capacity(v.len());
    for x in v.drain(..) {
        if !kept.contains(&x) {
            kept.push(x);
        }
    }
    *v = kept;
}

/// Traces, pools and grids for the search's tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::trace::Job;

    pub(crate) const T0: u64 = 1_767_571_200_000;

    pub(crate) fn trace(jobs: &[(u64, u64)]) -> Trace {
        Trace::new(jobs.iter().map(|&(at_s, dur_s)| Job { queued_at_ms: T0 + at_s * 1000, duration_ms: dur_s * 1000 }).collect())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub(crate) fn stopped_pools(max: u32) -> Vec<PoolModel> {
        POOL_SIZES
            .into_iter()
            .filter(|s| *s <= max)
            .map(|size| PoolModel {
                size,
                state: WarmPoolState::Stopped,
                start_delay_ms: 20_000,
                volume_gib: 64,
                volume_usd_per_gib_month: crate::model::GP3_USD_PER_GIB_MONTH,
            })
            .collect()
    }

    pub(crate) fn space(pools: Vec<PoolModel>, idle: Vec<u32>) -> Space {
        Space {
            policies: ScalingPolicy::POLICIES.to_vec(),
            overprovision: vec![
                Overprovision { strategy: OverprovisionStrategy::None, factor: 0 },
                Overprovision { strategy: OverprovisionStrategy::Number, factor: 1 },
            ],
            idle_timeouts_s: idle,
            pools,
        }
    }

    pub(crate) fn example(name: &str, contents: &str) -> Config {
        let raw = agent_stack_config::RawConfig::from_sources(
            Some(agent_stack_config::ConfigFile { path: name, contents }),
            std::iter::empty::<(&str, &str)>(),
        );
        Config::try_from(&raw).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn the_grid_holds_only_pools_the_configuration_accepts() {
        let linux = example("linux", include_str!("../../../examples/linux.json"));
        let (model, _) = FleetModel::from_config(&linux);
        let space = Space::for_config(&linux, &model);
        assert!(!space.pools.is_empty() && space.pools.iter().all(|p| p.size <= model.max), "{space:?}");
        assert_eq!((space.policies.len(), space.overprovision.len()), (2, 8), "{space:?}");
        assert_eq!(space.idle_timeouts_s, vec![300, 60, 120, 600]);
        for (name, contents) in [
            ("linux-spot-arm64", include_str!("../../../examples/linux-spot-arm64.json")),
            ("macos", include_str!("../../../examples/macos.json")),
        ] {
            let config = example(name, contents);
            assert!(!pool_allowed(&config), "{name}");
            assert!(Space::for_config(&config, &FleetModel::from_config(&config).0).pools.is_empty(), "{name}");
        }
    }

    #[test]
    fn burst_pools_cover_the_largest_burst_up_to_the_maximum() {
        // Ten jobs within a second, then ten single ones: places 1–10 and ten 1s; the 95th percentile
        // is 9 (pools of 9 and 14), the largest 10 (pools of 10 and 15).
        let mut jobs: Vec<(u64, u64)> = (0..10).map(|_| (0, 60)).collect();
        jobs.extend((1..=10).map(|i| (i * 600, 60)));
        let mut running = stopped_pools(16)[0];
        running.state = WarmPoolState::Running;
        let grid = space(vec![stopped_pools(16)[0], running], vec![300]);
        let model = FleetModel::linux(0, 16);
        let with = grid.clone().with_burst_pools(&trace(&jobs), &model);
        let sizes = |state| -> Vec<u32> { with.pools.iter().filter(|p| p.state == state).map(|p| p.size).collect() };
        assert_eq!(sizes(WarmPoolState::Stopped), vec![1, 9, 14, 10, 15]);
        assert_eq!(sizes(WarmPoolState::Running), vec![1, 9, 14, 10, 15]);
        let small = grid.with_burst_pools(&trace(&jobs), &FleetModel::linux(0, 12));
        assert!(small.pools.iter().all(|p| p.size <= 12), "{small:?}");
        let no_pools = space(vec![], vec![300]).with_burst_pools(&trace(&jobs), &model);
        assert!(no_pools.pools.is_empty(), "a configuration that refuses a pool gets none");
    }

    #[test]
    fn changes_name_only_what_differs_and_clear_the_factor() {
        let model = FleetModel::linux(0, 5);
        let configured = Settings {
            overprovision: Overprovision { strategy: OverprovisionStrategy::Number, factor: 2 },
            ..Settings::of(&model, ScalingPolicy::AgentAwsStack)
        };
        assert_eq!(configured.changes(&configured), vec![]);
        let pool = stopped_pools(5)[2];
        let s =
            Settings { overprovision: Overprovision { strategy: OverprovisionStrategy::None, factor: 0 }, pool: Some(pool), ..configured };
        assert_eq!(
            s.changes(&configured),
            vec![
                (WARM_POOL_SIZE, "3".to_string()),
                (WARM_POOL_STATE, "Stopped".to_string()),
                (OVERPROVISION_STRATEGY, "none".to_string()),
                (OVERPROVISION_FACTOR, "0".to_string()),
            ]
        );
    }
}
