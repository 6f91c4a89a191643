//! The scaling policy: named cases compatible with agent-aws-stack, and properties over all integers.

use agent_stack_config::{Overprovision, OverprovisionStrategy};
use agent_stack_scaler::{decide, AsgCapacity, Jobs, Observation, Reason};
use proptest::prelude::*;

const NONE: Overprovision = Overprovision { strategy: OverprovisionStrategy::None, factor: 0 };

fn number(n: u32) -> Overprovision {
    Overprovision { strategy: OverprovisionStrategy::Number, factor: n }
}

fn percent(n: u32) -> Overprovision {
    Overprovision { strategy: OverprovisionStrategy::Percentage, factor: n }
}

fn obs(queued: i64, running: i64, desired: i64, min: i64, max: i64) -> Observation {
    Observation { jobs: Jobs { queued, running }, asg: AsgCapacity { desired, min, max, ..Default::default() }, ..Default::default() }
}

#[test]
fn named_cases() {
    // (name, observation, overprovision, desired after)
    let cases = [
        ("no jobs, nothing wanted", obs(0, 0, 0, 0, 5), NONE, 0),
        ("queued and running jobs both count", obs(2, 1, 0, 0, 5), NONE, 3),
        ("already enough wanted", obs(2, 1, 4, 0, 5), NONE, 4),
        ("never lowers capacity", obs(0, 0, 3, 0, 5), NONE, 3),
        ("clamped to max", obs(9, 0, 1, 0, 5), NONE, 5),
        ("below min keeps min, without overprovisioning", obs(1, 0, 0, 2, 5), number(3), 2),
        ("number adds N", obs(2, 0, 0, 0, 10), number(3), 5),
        ("percentage rounds up", obs(3, 0, 0, 0, 10), percent(20), 4),
        ("percentage of zero is zero", obs(0, 0, 0, 0, 10), percent(50), 0),
        ("overprovision clamped to max", obs(4, 0, 0, 0, 5), number(3), 5),
        ("demand equal to min gets overprovisioned", obs(2, 0, 0, 2, 10), number(1), 3),
        ("desired above max is left alone", obs(9, 0, 7, 0, 5), NONE, 7),
        ("negative counts are zero", obs(-5, -1, 0, 0, 5), NONE, 0),
        ("min above max: no change", obs(3, 0, 0, 6, 5), NONE, 0),
    ];
    for (name, o, op, want) in cases {
        let d = decide(&o, op);
        assert_eq!(d.desired_after, want, "{name}: {d:?}");
        assert_eq!(d.raises(), want > o.asg.desired, "{name}");
    }
}

#[test]
fn instances_are_counted_by_lifecycle_state() {
    let n = agent_stack_scaler::Instances::count(["InService", "Pending", "Pending:Wait", "Terminating", "InService", "Standby"]);
    assert_eq!((n.pending, n.in_service, n.other), (2, 2, 2));
}

#[test]
fn reasons_explain_the_decision() {
    assert_eq!(decide(&obs(3, 0, 0, 0, 5), NONE).reason, Reason::ScaleUp { demand: 3, target: 3 });
    assert_eq!(decide(&obs(9, 0, 0, 0, 5), NONE).reason, Reason::ScaleUpToMax { demand: 9, wanted: 9, max: 5 });
    assert_eq!(decide(&obs(1, 0, 2, 0, 5), NONE).reason, Reason::Enough { demand: 1, target: 1 });
    assert_eq!(decide(&obs(1, 0, 0, 6, 5), NONE).reason, Reason::InvalidGroup { desired: 0, min: 6, max: 5 });
    assert_eq!(decide(&obs(1, 0, -1, 0, 5), NONE).desired_after, -1);
    assert_eq!(Reason::ScaleUpToMax { demand: 9, wanted: 9, max: 5 }.to_string(), "9 jobs want 9 instances; capped at the maximum 5");
}

fn any_overprovision() -> impl Strategy<Value = Overprovision> {
    (0..3u8, any::<u32>()).prop_map(|(s, factor)| match s {
        0 => Overprovision { strategy: OverprovisionStrategy::None, factor },
        1 => Overprovision { strategy: OverprovisionStrategy::Number, factor },
        _ => Overprovision { strategy: OverprovisionStrategy::Percentage, factor },
    })
}

fn any_observation() -> impl Strategy<Value = Observation> {
    (any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>()).prop_map(
        |(queued, running, idle, occupied, desired, min, max)| Observation {
            jobs: Jobs { queued, running },
            agents: agent_stack_scaler::Agents { idle, occupied },
            asg: AsgCapacity { desired, min, max, ..Default::default() },
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Total over all integers (including negative and overflowing), never above max when it changes
    /// anything, never below the current desired capacity or the minimum.
    #[test]
    fn bounded_and_monotone(o in any_observation(), op in any_overprovision()) {
        let d = decide(&o, op);
        prop_assert_eq!(d.desired_before, o.asg.desired);
        prop_assert!(d.desired_after >= o.asg.desired);
        if d.raises() {
            prop_assert!(d.desired_after <= o.asg.max);
            prop_assert!(d.desired_after >= o.asg.min);
        }
    }

    #[test]
    fn deterministic(o in any_observation(), op in any_overprovision()) {
        prop_assert_eq!(decide(&o, op), decide(&o, op));
    }

    /// For sane inputs: the group ends up wanting at least the jobs it has, up to max.
    #[test]
    fn covers_demand_up_to_max(queued in 0..10_000i64, running in 0..10_000i64, desired in 0..100i64, min in 0..50i64, extra in 0..100i64, op in any_overprovision()) {
        let max = min + extra;
        let desired = desired.min(max).max(min);
        let d = decide(&obs(queued, running, desired, min, max), op);
        prop_assert!(d.desired_after >= (queued + running).min(max));
        prop_assert!(d.desired_after >= min);
    }
}
