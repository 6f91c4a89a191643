//! The scaler end to end: the synthesized stack deployed into moto through CloudFormation, the token
//! as an SSM SecureString, jobs queued in the Semaphore stub, one invocation of the real handler.

mod common;

use agent_stack_aws::AsgFleet;
use agent_stack_testkit::stack::stack_status;
use agent_stack_testkit::Fault;
use common::{desired_and_instances, invoke_once, scaler_settings as settings, setup, suspended_processes, TOKEN};

#[tokio::test]
async fn scales_to_jobs_plus_overprovision_up_to_max_and_survives_faults() {
    let Some((sdk, deployed, stub)) = setup(&[
        ("SEMAPHORE_AGENT_ASG_MAX_SIZE", "5"),
        ("SEMAPHORE_AGENT_OVERPROVISION_STRATEGY", "number"),
        ("SEMAPHORE_AGENT_OVERPROVISION_FACTOR", "1"),
    ])
    .await
    else {
        return;
    };
    assert_eq!(stack_status(&sdk, &deployed.stack_name).await, "CREATE_COMPLETE", "custom resource answered");
    let settings = settings(&deployed, &stub);
    let asg = &deployed.asg_name;

    // No jobs: the "number" strategy keeps one spare instance, as agent-aws-stack does.
    let summary = invoke_once(&sdk, &settings).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((summary.ticks, summary.failed_ticks, summary.scaled), (1, 0, 1));
    assert_eq!(desired_and_instances(&sdk, asg).await, (1, 1));

    // Two jobs + 1 extra: three instances appear.
    stub.enqueue(TOKEN, 2);
    let summary = invoke_once(&sdk, &settings).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summary.scaled, 1);
    assert_eq!(desired_and_instances(&sdk, asg).await, (3, 3));

    // Faults never change capacity, and the next tick goes on.
    stub.enqueue(TOKEN, 10);
    for fault in [Fault::Status(500), Fault::Status(404), Fault::Body("{\"jobs\":".into())] {
        stub.set_fault(Some(fault.clone()));
        let summary = invoke_once(&sdk, &settings).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((summary.ticks, summary.failed_ticks), (1, 1), "{fault:?}");
        assert_eq!(desired_and_instances(&sdk, asg).await.0, 3, "{fault:?}");
    }

    // 12 jobs: stops at the maximum, although moto itself would launch more.
    stub.set_fault(None);
    invoke_once(&sdk, &settings).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(desired_and_instances(&sdk, asg).await, (5, 5));
    assert!(stub.seen().iter().all(|s| s.agent.as_deref() == Some("aws-dynamic-scaler")));
}

#[tokio::test]
async fn without_jobs_nothing_changes() {
    let Some((sdk, deployed, stub)) = setup(&[("SEMAPHORE_AGENT_ASG_MAX_SIZE", "3")]).await else { return };
    let settings = settings(&deployed, &stub);
    for _ in 0..2 {
        let summary = invoke_once(&sdk, &settings).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((summary.ticks, summary.failed_ticks, summary.scaled), (1, 0, 0));
        assert_eq!(desired_and_instances(&sdk, &deployed.asg_name).await, (0, 0));
    }
    stub.add_running(TOKEN, 2);
    invoke_once(&sdk, &settings).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(desired_and_instances(&sdk, &deployed.asg_name).await, (2, 2), "running jobs count too");
}

#[tokio::test]
async fn az_rebalance_is_suspended_by_the_custom_resource() {
    let Some((sdk, deployed, _stub)) = setup(&[]).await else { return };
    assert_eq!(suspended_processes(&sdk, &deployed.asg_name).await, ["AZRebalance"]);
}

#[tokio::test]
async fn a_missing_token_fails_the_invocation_without_touching_capacity() {
    let Some((sdk, deployed, stub)) = setup(&[]).await else { return };
    stub.enqueue(TOKEN, 1);
    let mut settings = settings(&deployed, &stub);
    settings.env.token_parameter_name = format!("/{}/missing", deployed.stack_name);
    let err = invoke_once(&sdk, &settings).await.err().unwrap_or_else(|| panic!("expected failure"));
    assert!(err.contains("not found") && err.contains("/missing"), "{err}");
    assert_eq!(desired_and_instances(&sdk, &deployed.asg_name).await.0, 0);
}

#[tokio::test]
async fn an_unknown_group_is_a_failed_tick_not_a_crash() {
    let Some((sdk, deployed, stub)) = setup(&[]).await else { return };
    stub.enqueue(TOKEN, 1);
    let mut settings = settings(&deployed, &stub);
    settings.env.asg_name = "no-such-group".into();
    let summary = invoke_once(&sdk, &settings).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((summary.ticks, summary.failed_ticks), (1, 1));
    let err = AsgFleet::new(&sdk, "no-such-group").capacity().await.err().unwrap_or_else(|| panic!("expected an error"));
    assert!(err.message.contains("no-such-group not found"), "{err}");
}
