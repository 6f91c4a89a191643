//! What one simulated run produced, and its summary: waits, instance time, cost.

use agent_stack_config::WarmPoolState;
use serde::Serialize;

use crate::model::{FleetModel, PoolModel};

/// Instance time and counts over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Accounts {
    /// From launch to termination (or the end of the run), all instances.
    pub instance_ms: u128,
    /// Launch to registration.
    pub boot_ms: u64,
    /// Registered agents without a job.
    pub idle_ms: u64,
    /// Jobs running (finished jobs only).
    pub busy_ms: u64,
    /// Instances the group ended at their maximum lifetime, each replaced at once.
    pub expired: u64,
    /// Of those, busy ones that finished their job before going (the termination hook's drain).
    pub drained: u64,
    /// Time draining instances ran past their lifetime.
    pub drain_ms: u64,
    /// Jobs killed by a termination at the lifetime without the hook, and how long they had run.
    pub killed: u64,
    pub killed_ms: u64,
    pub launches: u64,
    /// Instances terminated without decrement (after a job, or idle at the minimum).
    pub replaced: u64,
    /// Instances terminated with a decrement (idle, or after a job with [`crate::AfterJob::LowerDesired`]).
    pub scaled_in: u64,
    /// Desired capacities above max the group refused.
    pub rejected: u64,
    /// Most instances at once that count toward desired (draining ones do not).
    pub peak: i64,
    pub ticks: u64,
    /// Ticks that found jobs queued and the group at its maximum.
    pub ticks_at_max: u64,
    /// Launches that started a warm pool instance (of `launches`).
    pub pool_starts: u64,
    /// Warm pool instances waiting, ready (instance-ms).
    pub pool_waiting_ms: u128,
    /// Warm pool refills from their launch to ready: booting and preparing, at the instance price.
    pub pool_refill_ms: u128,
}

/// The fleet at one moment (maxima over a plotting bucket).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Sample {
    /// Since the first job was queued.
    pub t_ms: u64,
    pub queued: i64,
    pub desired: i64,
    pub in_service: i64,
    pub pending: i64,
}

/// Tick samples folded into at most a fixed number of buckets.
#[derive(Debug, Clone)]
pub struct Series {
    bucket_ms: u64,
    samples: Vec<Sample>,
}

impl Series {
    /// Buckets of whole ticks covering about `span_ms` in `points` buckets (0 = keep nothing).
    pub fn new(span_ms: u64, tick_ms: u64, points: usize) -> Series {
        let ticks = span_ms / tick_ms + 1;
        let per_bucket = if points == 0 { u64::MAX } else { ticks.div_ceil(points as u64).max(1) };
        Series { bucket_ms: per_bucket.saturating_mul(tick_ms), samples: Vec::new() }
    }

    pub fn record(&mut self, t_ms: u64, s: Sample) {
        if self.bucket_ms == u64::MAX {
            return;
        }
        let start = t_ms - t_ms % self.bucket_ms;
        match self.samples.last_mut() {
            Some(last) if last.t_ms == start => {
                last.queued = last.queued.max(s.queued);
                last.desired = last.desired.max(s.desired);
                last.in_service = last.in_service.max(s.in_service);
                last.pending = last.pending.max(s.pending);
            }
            _ => self.samples.push(Sample { t_ms: start, ..s }),
        }
    }

    pub fn into_samples(self) -> Vec<Sample> {
        self.samples
    }
}

/// The raw outcome of one run.
#[derive(Debug, Clone)]
pub struct Run {
    /// Per job, in trace order: queued → started (or → end of run if it never started).
    pub waits_ms: Vec<u64>,
    pub unstarted: usize,
    /// Since the first job was queued.
    pub end_ms: u64,
    pub accounts: Accounts,
    pub series: Vec<Sample>,
}

/// One policy's line in the comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub name: String,
    pub jobs: usize,
    /// Jobs that never started (the group could not grow).
    pub unstarted: usize,
    pub wait_p50_s: f64,
    pub wait_p95_s: f64,
    pub wait_max_s: f64,
    pub wait_mean_s: f64,
    /// Instances in the group (not those waiting in a warm pool).
    pub instance_minutes: f64,
    /// The group's instances, plus the warm pool's when there is one.
    pub cost: f64,
    /// Share of registered-agent time without a job.
    pub idle_fraction: f64,
    pub launches: u64,
    pub peak_instances: i64,
    /// Share of the run with jobs queued and the group at its maximum size.
    pub at_max_fraction: f64,
    /// Set when the group has a maximum instance lifetime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<LifetimeSummary>,
    /// Set when the group has a warm pool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<PoolSummary>,
}

/// What a warm pool did in one policy's run, and what it cost.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PoolSummary {
    pub size: u32,
    pub state: WarmPoolState,
    /// From the group taking a pool instance to its agent registering.
    pub start_delay_s: f64,
    /// Launches that started a pool instance, and those that found the pool empty.
    pub starts_from_pool: u64,
    pub cold_launches: u64,
    /// Pool instances waiting, ready (billed at the state's rate).
    pub waiting_instance_minutes: f64,
    /// Refills from launch to ready (billed at the instance price).
    pub refill_instance_minutes: f64,
    /// Both, USD; included in the summary's `cost`.
    pub cost: f64,
}

impl PoolSummary {
    pub fn new(a: &Accounts, pool: &PoolModel, price_per_hour: f64) -> PoolSummary {
        PoolSummary {
            size: pool.size,
            state: pool.state,
            start_delay_s: seconds(pool.start_delay_ms),
            starts_from_pool: a.pool_starts,
            cold_launches: a.launches - a.pool_starts,
            waiting_instance_minutes: round(a.pool_waiting_ms as f64 / 60_000.0, 10.0),
            refill_instance_minutes: round(a.pool_refill_ms as f64 / 60_000.0, 10.0),
            cost: round(pool_usd(a, pool, price_per_hour), 100.0),
        }
    }
}

/// The warm pool's cost over a run, unrounded: waiting time at the state's rate, refills at the instance price.
fn pool_usd(a: &Accounts, pool: &PoolModel, price_per_hour: f64) -> f64 {
    let hours = |ms: u128| ms as f64 / 3_600_000.0;
    hours(a.pool_waiting_ms) * pool.waiting_per_hour(price_per_hour) + hours(a.pool_refill_ms) * price_per_hour
}

/// What a maximum instance lifetime does to one policy's run, with agent-stack's termination hook
/// (busy agents drain) and without it (agent-aws-stack: the group terminates at once).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LifetimeSummary {
    /// Instances the group replaced at their lifetime (with the hook).
    pub replaced: u64,
    /// Jobs killed without the hook: running on an instance when it reached its lifetime.
    pub jobs_killed_without_hook: u64,
    /// Jobs killed with the hook.
    pub jobs_killed_with_hook: u64,
    /// Busy instances that finished their job past their lifetime.
    pub instances_drained: u64,
    /// Instance-minutes draining instances ran past their lifetime, beside their replacements.
    pub drain_instance_minutes: f64,
    pub drain_cost: f64,
}

impl LifetimeSummary {
    /// From the accounts of a run with the hook (`drain`) and one without (`at_once`).
    pub fn new(drain: &Accounts, at_once: &Accounts, price_per_hour: f64) -> LifetimeSummary {
        let minutes = drain.drain_ms as f64 / 60_000.0;
        LifetimeSummary {
            replaced: drain.expired,
            jobs_killed_without_hook: at_once.killed,
            jobs_killed_with_hook: drain.killed,
            instances_drained: drain.drained,
            drain_instance_minutes: round(minutes, 10.0),
            drain_cost: round(minutes / 60.0 * price_per_hour, 100.0),
        }
    }
}

impl Run {
    /// The run's cost in USD under `model`'s prices, its warm pool's included, unrounded.
    pub fn cost(&self, model: &FleetModel) -> f64 {
        let a = &self.accounts;
        let group = a.instance_ms as f64 / 3_600_000.0 * model.price_per_hour;
        group + model.warm_pool.map_or(0.0, |p| pool_usd(a, &p, model.price_per_hour))
    }

    /// The run's figures under `model`'s prices (its warm pool's included).
    pub fn summary(&self, name: &str, model: &FleetModel) -> Summary {
        let price_per_hour = model.price_per_hour;
        let mut waits = self.waits_ms.clone();
        waits.sort_unstable();
        let a = &self.accounts;
        let minutes = a.instance_ms as f64 / 60_000.0;
        let registered = (a.instance_ms as f64 - a.boot_ms as f64).max(0.0);
        let mean = if waits.is_empty() { 0.0 } else { waits.iter().map(|w| *w as f64).sum::<f64>() / waits.len() as f64 };
        Summary {
            name: name.to_string(),
            jobs: waits.len(),
            unstarted: self.unstarted,
            wait_p50_s: seconds(percentile(&waits, 50)),
            wait_p95_s: seconds(percentile(&waits, 95)),
            wait_max_s: seconds(waits.last().copied().unwrap_or(0)),
            wait_mean_s: round(mean / 1000.0, 1000.0),
            instance_minutes: round(minutes, 10.0),
            cost: round(self.cost(model), 100.0),
            idle_fraction: if registered > 0.0 { round(a.idle_ms as f64 / registered, 1000.0) } else { 0.0 },
            launches: a.launches,
            peak_instances: a.peak,
            at_max_fraction: if a.ticks > 0 { round(a.ticks_at_max as f64 / a.ticks as f64, 1000.0) } else { 0.0 },
            lifetime: None,
            pool: model.warm_pool.map(|p| PoolSummary::new(a, &p, price_per_hour)),
        }
    }
}

/// Nearest-rank percentile of sorted values (0 for none).
pub fn percentile(sorted: &[u64], p: u64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (sorted.len() as u64 * p).div_ceil(100).max(1);
    sorted[(rank - 1) as usize]
}

fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

fn round(x: f64, scale: f64) -> f64 {
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!((percentile(&v, 50), percentile(&v, 95), percentile(&v, 100)), (50, 95, 100));
        assert_eq!(percentile(&[7], 95), 7);
        assert_eq!(percentile(&[], 95), 0);
    }

    #[test]
    fn series_keeps_bucket_maxima() {
        let mut s = Series::new(10_000, 2_000, 3);
        for (t, q) in [(0, 1), (2_000, 5), (4_000, 2), (6_000, 0)] {
            s.record(t, Sample { t_ms: t, queued: q, ..Sample::default() });
        }
        let samples = s.into_samples();
        assert_eq!(samples.iter().map(|s| (s.t_ms, s.queued)).collect::<Vec<_>>(), vec![(0, 5), (4_000, 2)]);
    }
}
