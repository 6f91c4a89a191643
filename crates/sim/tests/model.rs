//! The fleet model: named cases of agent-aws-stack's behaviour, and properties over random traces,
//! settings and policies (no job lost, no negative counts, capacity never above max).

use agent_stack_scaler::{Decision, Observation, Reason, ScalingPolicy};
use agent_stack_sim::{compare, simulate, Contender, FleetModel, Job, Run, Trace};
use proptest::prelude::*;

const T0: u64 = 1_767_571_200_000;
const AWS: Contender = Contender::Deployable(ScalingPolicy::AgentAwsStack);

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

fn any_model() -> impl Strategy<Value = FleetModel> {
    (0..3u32, 0..8u32, 0..6u32, 0..200u64, prop_oneof![Just(0u64), 1..600u64], any::<bool>()).prop_map(
        |(min, extra, initial, delay_s, idle_s, after_job)| FleetModel {
            launch_delay_ms: delay_s * 1000,
            idle_timeout_ms: idle_s * 1000,
            disconnect_after_job: after_job,
            initial_desired: initial,
            max: min + extra,
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
    if m.max > 0 {
        prop_assert_eq!(r.unstarted, 0, "no job lost");
        let total: u64 = t.jobs().iter().map(|j| j.duration_ms).sum();
        prop_assert_eq!(r.accounts.busy_ms, total);
        let a = r.accounts;
        prop_assert_eq!(a.instance_ms, u128::from(a.boot_ms + a.idle_ms + a.busy_ms), "instance time is booting, idle or busy");
    }
    prop_assert!(r.accounts.peak <= i64::from(m.max));
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
