//! The fleet model: named cases of agent-aws-stack's behaviour and of the maximum instance lifetime
//! with and without the termination hook, and properties over random traces, settings and policies
//! (no job lost unless killed at a lifetime, no negative counts, capacity never above max), and the
//! warm pool: starts, refills and its cost.

use agent_stack_config::{OperatingSystem, WarmPoolState};
use agent_stack_scaler::{Decision, Observation, Reason, ScalingPolicy};
use agent_stack_sim::{
    compare, default_pool_start_delay_ms, simulate, Accounts, AfterJob, AtLifetime, Contender, FleetModel, Job, LifetimeSummary, PoolModel,
    PoolSummary, Run, Trace,
};
use proptest::prelude::*;

const T0: u64 = 1_767_571_200_000;
const AWS: Contender = Contender::Deployable(ScalingPolicy::AgentAwsStack);
const DAY_S: u64 = 86_400;

fn trace(jobs: &[(u64, u64)]) -> Trace {
    Trace::new(jobs.iter().map(|&(at_s, dur_s)| Job { queued_at_ms: T0 + at_s * 1000, duration_ms: dur_s * 1000 }).collect())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn run(t: &Trace, model: &FleetModel, who: Contender) -> Run {
    let mut policy = who.instantiate(t, model);
    simulate(t, model, policy.as_mut(), 1, usize::MAX)
}

#[test]
fn a_job_with_no_capacity_waits_the_launch_delay() {
    let model = FleetModel::linux(0, 5);
    let r = run(&trace(&[(0, 60)]), &model, AWS);
    let wait = r.waits_ms[0];
    assert!((model.launch_delay_ms..=model.launch_delay_ms + model.tick_ms).contains(&wait), "{wait}");
    // Queued between ticks: the next tick launches.
    let r = run(&trace(&[(0, 600), (7, 60)]), &model, AWS);
    assert!((50_000..=52_000).contains(&r.waits_ms[1]), "{:?}", r.waits_ms);
}

#[test]
fn min_size_one_starts_a_short_job_at_once() {
    let r = run(&trace(&[(10, 5)]), &FleetModel::linux(1, 5), AWS);
    assert_eq!(r.waits_ms, vec![0]);
}

#[test]
fn idle_timeout_scales_back_in() {
    let r = run(&trace(&[(0, 60)]), &FleetModel::linux(0, 5), AWS);
    let a = r.accounts;
    assert_eq!((a.launches, a.replaced, a.scaled_in), (2, 1, 1));
    // The job's instance: 50 s boot + 60 s job; its replacement: 50 s boot + 300 s idle.
    assert_eq!(a.instance_ms, 460_000);
    let last = r.series.last().copied().unwrap_or_default();
    assert_eq!((last.desired, last.in_service, last.pending), (0, 0, 0));
}

#[test]
fn at_the_minimum_an_idle_agent_is_replaced_not_removed() {
    let r = run(&trace(&[(0, 30)]), &FleetModel::linux(1, 5), AWS);
    // The job's instance is replaced at 30 s; the replacement idles out at 380 s and is replaced too.
    assert_eq!((r.accounts.replaced, r.accounts.scaled_in), (2, 0), "{:?}", r.accounts);
    assert!(r.series.iter().all(|s| s.desired >= 1));
}

#[test]
fn without_disconnect_after_job_an_agent_runs_job_after_job() {
    let model = FleetModel { disconnect_after_job: false, ..FleetModel::linux(0, 5) };
    let r = run(&trace(&[(0, 60), (200, 60), (300, 60)]), &model, AWS);
    assert_eq!(r.accounts.launches, 1);
    assert_eq!(r.waits_ms[1..], [0, 0]);
}

#[test]
fn never_more_instances_than_max() {
    let jobs: Vec<(u64, u64)> = (0..20).map(|i| (i % 3, 120)).collect();
    let r = run(&trace(&jobs), &FleetModel::linux(0, 3), AWS);
    assert_eq!(r.accounts.peak, 3);
    assert_eq!(r.unstarted, 0);
    assert!(r.waits_ms.iter().max().copied().unwrap_or(0) > 6 * 120_000);
}

#[test]
fn max_zero_ends_with_unstarted_jobs() {
    let r = run(&trace(&[(0, 60)]), &FleetModel::linux(0, 0), AWS);
    assert_eq!(r.unstarted, 1);
    assert_eq!(r.accounts.instance_ms, 0);
}

#[test]
fn without_idle_timeout_the_run_ends_with_the_last_job() {
    let model = FleetModel { idle_timeout_ms: 0, ..FleetModel::linux(0, 5) };
    let r = run(&trace(&[(0, 60)]), &model, AWS);
    assert_eq!(r.end_ms, 110_000);
    assert_eq!(r.accounts.instance_ms, 110_000, "the job's instance; its replacement launches as the run ends");
}

/// Agents that stay (no disconnect after job, no idle timeout) in a group that replaces them after a day.
fn long_lived(min: u32, at_lifetime: AtLifetime) -> FleetModel {
    FleetModel {
        disconnect_after_job: false,
        idle_timeout_ms: 0,
        max_instance_lifetime_ms: DAY_S * 1000,
        at_lifetime,
        ..FleetModel::linux(min, 5)
    }
}

#[test]
fn a_job_crossing_the_lifetime_is_killed_without_the_hook_and_finishes_with_it() {
    // The one instance takes a job at 0 that runs 10 min past the instance's lifetime.
    let t = trace(&[(0, DAY_S + 600)]);
    let killed = run(&t, &long_lived(1, AtLifetime::Terminate), AWS);
    let a = killed.accounts;
    assert_eq!((a.expired, a.killed, a.drained, a.drain_ms, a.launches), (1, 1, 0, 0, 1), "{a:?}");
    assert_eq!((a.killed_ms, a.busy_ms), (DAY_S * 1000, 0), "it ran a day and was lost");
    // The run ends with the kill; the replacement launches as it ends.
    assert_eq!((killed.end_ms, a.instance_ms), (DAY_S * 1000, u128::from(DAY_S) * 1000));

    let model = long_lived(1, AtLifetime::Drain);
    let drained = run(&t, &model, AWS);
    let a = drained.accounts;
    assert_eq!((a.expired, a.killed, a.drained, a.drain_ms, a.launches), (1, 0, 1, 600_000, 1), "{a:?}");
    assert_eq!(drained.end_ms, (DAY_S + 600) * 1000);
    // The old instance until its job ends, beside the replacement launched at its lifetime.
    assert_eq!(a.instance_ms, u128::from(DAY_S + 600) * 1000 + 600_000);
    assert_eq!(drained.waits_ms, vec![0]);
    // The draining instance no longer counts toward desired: the replacement alone is in service.
    let registered = (DAY_S * 1000 + model.launch_delay_ms)..drained.end_ms;
    let during: Vec<_> = drained.series.iter().filter(|s| registered.contains(&s.t_ms)).collect();
    assert!(!during.is_empty() && during.iter().all(|s| (s.desired, s.in_service, s.pending) == (1, 1, 0)), "{during:?}");
}

#[test]
fn compare_reports_both_behaviours_at_the_lifetime() {
    let t = trace(&[(0, DAY_S + 600)]);
    let model = FleetModel { price_per_hour: 0.6, ..long_lived(1, AtLifetime::Drain) };
    let (summary, _) = compare(&t, &model, &[AWS], 1, 0).remove(0);
    let want = LifetimeSummary {
        replaced: 1,
        jobs_killed_without_hook: 1,
        jobs_killed_with_hook: 0,
        instances_drained: 1,
        drain_instance_minutes: 10.0,
        drain_cost: 0.1,
    };
    assert_eq!(summary.lifetime, Some(want));
    // The rest of the summary is the drain's run: the job finished.
    assert_eq!((summary.jobs, summary.instance_minutes), (1, 1460.0));
    // Given the other behaviour, compare still reads each figure from the right run.
    let model = FleetModel { at_lifetime: AtLifetime::Terminate, ..model };
    assert_eq!(compare(&t, &model, &[AWS], 1, 0)[0].0.lifetime, Some(want));
}

#[test]
fn without_a_lifetime_nothing_is_ended() {
    let t = trace(&[(0, DAY_S + 600)]);
    let model = FleetModel { max_instance_lifetime_ms: 0, ..long_lived(1, AtLifetime::Terminate) };
    let r = run(&t, &model, AWS);
    let a = r.accounts;
    assert_eq!((a.expired, a.killed, a.drained, a.drain_ms, a.launches), (0, 0, 0, 0, 0), "{a:?}");
    assert_eq!(a.instance_ms, u128::from(DAY_S + 600) * 1000);
    assert_eq!(compare(&t, &model, &[AWS], 1, 0)[0].0.lifetime, None);
}

#[test]
fn idle_instances_at_the_lifetime_go_at_once_and_cost_nothing() {
    // Both instances are idle at the lifetime; a job a little later finds the replacements ready.
    let t = trace(&[(0, 60), (90_000, 60)]);
    let killed = run(&t, &long_lived(2, AtLifetime::Terminate), AWS);
    let drained = run(&t, &long_lived(2, AtLifetime::Drain), AWS);
    assert_eq!(killed.accounts, drained.accounts, "the hook changes nothing for idle instances");
    let a = drained.accounts;
    assert_eq!((a.expired, a.killed, a.drained, a.drain_ms, a.launches), (2, 0, 0, 0, 2), "{a:?}");
    // Two instances for a day, then two replacements from the lifetime to the second job's end.
    assert_eq!(a.instance_ms, 2 * u128::from(DAY_S) * 1000 + 2 * (90_060 - DAY_S as u128) * 1000);
    assert_eq!(drained.waits_ms, vec![0, 0]);
}

#[test]
fn a_drained_instance_is_not_replaced_again_after_its_job() {
    // Disconnect after job: without a lifetime the instance is replaced when its job ends; with one it
    // was replaced at the lifetime already.
    let t = trace(&[(0, DAY_S + 600)]);
    let model = FleetModel { idle_timeout_ms: 0, max_instance_lifetime_ms: DAY_S * 1000, ..FleetModel::linux(1, 5) };
    let r = run(&t, &model, AWS);
    assert_eq!((r.accounts.launches, r.accounts.replaced, r.accounts.drained), (1, 0, 1), "{:?}", r.accounts);
    let r = run(&t, &FleetModel { max_instance_lifetime_ms: 0, ..model }, AWS);
    assert_eq!((r.accounts.launches, r.accounts.replaced), (1, 1), "{:?}", r.accounts);
}

#[test]
fn clairvoyant_has_the_agent_ready() {
    let r = run(&trace(&[(0, 60), (600, 60)]), &FleetModel::linux(0, 5), Contender::Clairvoyant);
    assert_eq!(r.waits_ms[1], 0);
}

#[test]
fn deterministic_for_a_seed() {
    let t = agent_stack_sim::Synthetic::Bursty.generate_hours(3, 4);
    let model = FleetModel::linux(0, 40);
    let all = [AWS, Contender::Deployable(ScalingPolicy::Predictive), Contender::Clairvoyant];
    let a: Vec<_> = compare(&t, &model, &all, 7, 100).into_iter().map(|(s, r)| (s, r.waits_ms, r.series)).collect();
    let b: Vec<_> = compare(&t, &model, &all, 7, 100).into_iter().map(|(s, r)| (s, r.waits_ms, r.series)).collect();
    assert_eq!(a, b);
}

/// A Linux fleet (min 0, max 5) with a warm pool of `size` in `state`, starting in `start_s`.
fn pooled(size: u32, state: WarmPoolState, start_s: u64) -> FleetModel {
    let pool = PoolModel { size, state, start_delay_ms: start_s * 1000, volume_gib: 100, volume_usd_per_gib_month: 0.08 };
    FleetModel { warm_pool: Some(pool), ..FleetModel::linux(0, 5) }
}

#[test]
fn a_job_at_an_empty_fleet_waits_the_pool_start_delay_and_the_pool_refills() {
    let t = trace(&[(0, 60)]);
    let r = run(&t, &pooled(1, WarmPoolState::Stopped, 20), AWS);
    assert_eq!(r.waits_ms, vec![20_000], "the pool instance registers 20 s after the tick that launched it");
    // 0 s: taken, refill launched (ready at 50 s). 20–80 s: the job. 80 s: its replacement takes the
    // refill (registers at 100 s, idles out at 400 s), the second refill is ready at 130 s. End: 80 + 50 + 300 + 2.
    let a = r.accounts;
    assert_eq!(r.end_ms, 432_000);
    assert_eq!((a.launches, a.pool_starts, a.replaced, a.scaled_in), (2, 2, 1, 1), "{a:?}");
    assert_eq!((a.instance_ms, a.boot_ms), (80_000 + 320_000, 40_000), "two 20 s starts, not 50 s launches");
    assert_eq!((a.pool_refill_ms, a.pool_waiting_ms), (2 * 50_000, (80 - 50 + 432 - 130) * 1000));
    // Without the pool the same job waits a cold launch.
    let cold = run(&t, &FleetModel::linux(0, 5), AWS);
    assert!((50_000..=52_000).contains(&cold.waits_ms[0]), "{:?}", cold.waits_ms);
}

#[test]
fn an_empty_pool_launches_cold() {
    let r = run(&trace(&[(0, 60), (0, 60)]), &pooled(1, WarmPoolState::Stopped, 20), AWS);
    assert_eq!(r.waits_ms, vec![20_000, 50_000], "one from the pool, one cold");
    let (summary, _) = compare(&trace(&[(0, 60), (0, 60)]), &pooled(1, WarmPoolState::Stopped, 20), &[AWS], 1, 0).remove(0);
    let pool = summary.pool.unwrap_or_else(|| panic!("no pool figures"));
    assert_eq!((pool.starts_from_pool, pool.cold_launches), (r.accounts.pool_starts, r.accounts.launches - r.accounts.pool_starts));
    // 0 s: one taken (refill ready at 50 s), one cold. 80 s: the first job's replacement takes the refill;
    // 110 s: the second's finds the next refill still preparing (until 130 s) and launches cold.
    assert_eq!((pool.starts_from_pool, pool.cold_launches), (2, 2));
}

#[test]
fn lowering_desired_after_a_job_lets_the_next_job_pull_from_the_pool() {
    // Jobs at 0 s and 200 s. Keeping desired, the first job's replacement takes the pool's refill at
    // 80 s and waits for the second job; lowering it, nothing runs between the jobs and the second
    // starts from the pool 20 s after the tick that sees it.
    let t = trace(&[(0, 60), (200, 60)]);
    let keep = run(&t, &pooled(1, WarmPoolState::Stopped, 20), AWS);
    let lower = run(&t, &FleetModel { after_job: AfterJob::LowerDesired, ..pooled(1, WarmPoolState::Stopped, 20) }, AWS);
    assert_eq!(keep.waits_ms, vec![20_000, 0]);
    assert_eq!(lower.waits_ms, vec![20_000, 20_000]);
    let (k, l) = (keep.accounts, lower.accounts);
    assert_eq!((k.launches, k.replaced, k.scaled_in), (3, 2, 1), "{k:?}");
    assert_eq!((l.launches, l.pool_starts, l.replaced, l.scaled_in), (2, 2, 0, 2), "{l:?}");
    assert_eq!(l.idle_ms, 0, "no agent ever waits for a job");
    assert!(l.instance_ms < k.instance_ms, "{l:?} vs {k:?}");
    // At the minimum the decrement is refused and the instance replaced, as for an idle timeout.
    let at_min = FleetModel { min: 1, initial_desired: 1, after_job: AfterJob::LowerDesired, ..pooled(1, WarmPoolState::Stopped, 20) };
    let r = run(&trace(&[(0, 60)]), &at_min, AWS);
    assert_eq!((r.accounts.replaced, r.accounts.scaled_in), (2, 0), "after its job, then idle: {:?}", r.accounts);
}

#[test]
fn the_scaler_sees_the_ready_pool_instances() {
    let mut seen = Vec::new();
    let mut policy = |o: &Observation, _| {
        seen.push(o.asg.instances.warm);
        let demand = o.jobs.queued + o.jobs.running;
        Decision {
            desired_before: o.asg.desired,
            desired_after: o.asg.desired.max(demand),
            reason: Reason::Enough { demand, target: demand },
        }
    };
    simulate(&trace(&[(0, 600)]), &pooled(2, WarmPoolState::Stopped, 20), &mut policy, 1, 0);
    // Full until the first tick takes one; the refill is ready 50 s later (a tick every 2 s).
    assert_eq!((seen[0], seen[1], seen[24], seen[25]), (2, 1, 1, 2), "{:?}", &seen[..30]);
}

#[test]
fn clairvoyance_plans_with_the_pool_start_while_the_pool_covers_the_arrivals() {
    // Agents that stay 40 s idle; a first job at 0 s (its instance gone by 70 s, the pool refilled at
    // 50 s), then one at 200 s: launched from the pool ~22 s ahead, not a cold launch's 52 s — as early
    // as in a fleet whose every launch takes 20 s. Two jobs at 200 s outnumber the pool of one: both
    // are planned a cold launch ahead, and neither waits.
    let stay = |m: FleetModel| FleetModel { disconnect_after_job: false, idle_timeout_ms: 40_000, ..m };
    let model = stay(pooled(1, WarmPoolState::Stopped, 20));
    let one = run(&trace(&[(0, 10), (200, 60)]), &model, Contender::Clairvoyant);
    assert_eq!(one.waits_ms, vec![20_000, 0]);
    let fast = stay(FleetModel { launch_delay_ms: 20_000, ..FleetModel::linux(0, 5) });
    let fast = run(&trace(&[(0, 10), (200, 60)]), &fast, Contender::Clairvoyant);
    assert_eq!(one.accounts.instance_ms, fast.accounts.instance_ms, "{:?} vs {:?}", one.accounts, fast.accounts);
    let two = run(&trace(&[(0, 10), (200, 60), (200, 60)]), &model, Contender::Clairvoyant);
    assert_eq!(two.waits_ms, vec![20_000, 0, 0]);
    assert_eq!((two.accounts.pool_starts, two.accounts.launches), (2, 3), "one from the pool, one cold at 200 s");
}

#[test]
fn a_running_pool_costs_the_instance_price() {
    // 36 USD/h: one cent per instance-second. Start 5 s: the job runs 5–65 s, its replacement is taken
    // at 65 s (registers at 70 s, idles out at 370 s); refills ready at 50 s and 115 s; end 65 + 50 + 300 + 2.
    let model = FleetModel { price_per_hour: 36.0, ..pooled(1, WarmPoolState::Running, 5) };
    let (summary, run) = compare(&trace(&[(0, 60)]), &model, &[AWS], 1, 0).remove(0);
    assert_eq!((run.end_ms, run.accounts.instance_ms), (417_000, 370_000));
    let want = PoolSummary {
        size: 1,
        state: WarmPoolState::Running,
        start_delay_s: 5.0,
        starts_from_pool: 2,
        cold_launches: 0,
        waiting_instance_minutes: 5.3,
        refill_instance_minutes: 1.7,
        cost: 4.17,
    };
    assert_eq!(summary.pool, Some(want), "317 s waiting and 100 s refilling, at the full price");
    assert_eq!((summary.instance_minutes, summary.cost), (6.2, 7.87), "the group's 3.70 plus the pool's 4.17");
    // Without a pool there are no pool figures.
    assert_eq!(compare(&trace(&[(0, 60)]), &FleetModel::linux(0, 5), &[AWS], 1, 0)[0].0.pool, None);
}

#[test]
fn a_stopped_or_hibernated_pool_costs_its_volumes() {
    // Two instances waiting a 730-hour month on 100 GiB at 0.08 USD per GiB-month: 16 USD; two hours of
    // refills at 0.5 USD/h: 1 USD.
    let month = 730 * 3_600_000u128;
    let a = Accounts { launches: 4, pool_starts: 3, pool_waiting_ms: 2 * month, pool_refill_ms: 7_200_000, ..Accounts::default() };
    for state in [WarmPoolState::Stopped, WarmPoolState::Hibernated] {
        let pool = PoolModel { size: 2, state, start_delay_ms: 20_000, volume_gib: 100, volume_usd_per_gib_month: 0.08 };
        let s = PoolSummary::new(&a, &pool, 0.5);
        assert_eq!((s.cost, s.starts_from_pool, s.cold_launches), (17.0, 3, 1), "{state}");
        assert_eq!((s.waiting_instance_minutes, s.refill_instance_minutes), (87_600.0, 120.0));
    }
    let running =
        PoolModel { size: 2, state: WarmPoolState::Running, start_delay_ms: 5_000, volume_gib: 100, volume_usd_per_gib_month: 0.08 };
    assert_eq!(PoolSummary::new(&a, &running, 0.5).cost, 731.0, "1,460 waiting hours at 0.5 USD/h, plus the refills");
}

#[test]
fn pool_start_delays_by_os_and_state() {
    use OperatingSystem::*;
    use WarmPoolState::*;
    let got: Vec<u64> = [
        (UbuntuNoble, Stopped),
        (UbuntuJammy, Hibernated),
        (UbuntuNoble, Running),
        (Windows, Stopped),
        (Windows, Hibernated),
        (Windows, Running),
    ]
    .into_iter()
    .map(|(os, state)| default_pool_start_delay_ms(os, state))
    .collect();
    assert_eq!(got, [20_000, 20_000, 5_000, 40_000, 40_000, 5_000]);
}

fn any_pool() -> impl Strategy<Value = Option<PoolModel>> {
    let state = prop_oneof![Just(WarmPoolState::Stopped), Just(WarmPoolState::Hibernated), Just(WarmPoolState::Running)];
    prop::option::of((1..4u32, state, 0..60u64)).prop_map(|p| {
        p.map(|(size, state, start_s)| PoolModel {
            size,
            state,
            start_delay_ms: start_s * 1000,
            volume_gib: 64,
            volume_usd_per_gib_month: 0.08,
        })
    })
}

fn any_model() -> impl Strategy<Value = FleetModel> {
    let lifetime = (prop_oneof![Just(0u64), 200..3_600u64], prop_oneof![Just(AtLifetime::Drain), Just(AtLifetime::Terminate)]);
    let after_job = (any::<bool>(), prop_oneof![Just(AfterJob::KeepDesired), Just(AfterJob::LowerDesired)]);
    (0..3u32, 0..8u32, 0..6u32, 0..200u64, prop_oneof![Just(0u64), 1..600u64], after_job, lifetime, any_pool()).prop_map(
        |(min, extra, initial, delay_s, idle_s, (disconnect, after_job), (lifetime_s, at_lifetime), warm_pool)| FleetModel {
            launch_delay_ms: delay_s * 1000,
            idle_timeout_ms: idle_s * 1000,
            disconnect_after_job: disconnect,
            after_job,
            initial_desired: initial,
            max: min + extra,
            max_instance_lifetime_ms: lifetime_s * 1000,
            at_lifetime,
            warm_pool,
            ..FleetModel::linux(min, min + extra)
        },
    )
}

fn any_trace() -> impl Strategy<Value = Trace> {
    prop::collection::vec((0..7_200_000u64, 0..1_500_000u64), 1..50).prop_map(|jobs| {
        Trace::new(jobs.into_iter().map(|(at, dur)| Job { queued_at_ms: T0 + at, duration_ms: dur }).collect())
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

/// A policy that asks for anything: above max, below min, negative.
fn erratic(seed: u64) -> impl FnMut(&Observation, u64) -> Decision {
    let mut x = seed;
    move |o, _| {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let after = (x >> 33) as i64 % 20 - 5;
        Decision { desired_before: o.asg.desired, desired_after: after, reason: Reason::Enough { demand: 0, target: after } }
    }
}

fn check(t: &Trace, m: &FleetModel, r: &Run) -> Result<(), TestCaseError> {
    prop_assert_eq!(r.waits_ms.len(), t.len());
    let a = r.accounts;
    if m.max > 0 {
        prop_assert_eq!(r.unstarted, 0, "every job starts");
        let total: u64 = t.jobs().iter().map(|j| j.duration_ms).sum();
        if a.killed == 0 {
            prop_assert_eq!(a.busy_ms, total, "no job lost");
        } else {
            prop_assert!(a.busy_ms < total);
        }
        let accounted = a.boot_ms + a.idle_ms + a.busy_ms + a.killed_ms;
        prop_assert_eq!(a.instance_ms, u128::from(accounted), "instance time is booting, idle, busy or a killed job's");
    }
    prop_assert!(a.killed + a.drained <= a.expired, "{:?}", a);
    match (m.max_instance_lifetime_ms, m.at_lifetime) {
        (0, _) => prop_assert_eq!((a.expired, a.killed, a.drained), (0, 0, 0)),
        (_, AtLifetime::Drain) => prop_assert_eq!(a.killed, 0, "the hook kills no job"),
        (_, AtLifetime::Terminate) => prop_assert_eq!((a.drained, a.drain_ms), (0, 0)),
    }
    prop_assert!(r.accounts.peak <= i64::from(m.max));
    let size = m.warm_pool.map_or(0, |p| u128::from(p.size));
    prop_assert_eq!(a.pool_waiting_ms + a.pool_refill_ms, size * u128::from(r.end_ms), "the pool always holds its size");
    prop_assert!(a.pool_starts <= a.launches && (size > 0 || a.pool_starts == 0), "{:?}", a);
    for s in &r.series {
        prop_assert!(s.queued >= 0 && s.pending >= 0 && s.in_service >= 0);
        prop_assert!(s.pending + s.in_service <= s.desired, "{:?}", s);
        prop_assert!(s.desired <= i64::from(m.max) && s.desired >= i64::from(m.min.min(m.max)), "{:?}", s);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_policy_keeps_the_invariants(t in any_trace(), m in any_model(), seed in any::<u64>()) {
        for who in [AWS, Contender::Deployable(ScalingPolicy::Predictive), Contender::Clairvoyant] {
            let mut policy = who.instantiate(&t, &m);
            let r = simulate(&t, &m, policy.as_mut(), seed, usize::MAX);
            check(&t, &m, &r)?;
        }
    }

    #[test]
    fn the_group_refuses_what_is_out_of_bounds(t in any_trace(), m in any_model(), seed in any::<u64>()) {
        let r = simulate(&t, &m, &mut erratic(seed), seed, usize::MAX);
        prop_assert_eq!(r.waits_ms.len(), t.len());
        prop_assert!(r.accounts.peak <= i64::from(m.max));
        for s in &r.series {
            prop_assert!(s.pending + s.in_service <= s.desired && s.desired <= i64::from(m.max));
        }
    }
}
