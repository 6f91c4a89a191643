//! The scaler honours Semaphore's `Retry-After` across invocations of one container: the real
//! handler against the stack in moto and the Semaphore stub answering 429 or 503. A file of its own
//! because the back-off, like the policy state, lives in the process for as long as it runs.

mod common;

use std::time::Duration;

use agent_stack_testkit::Fault;
use common::{desired_and_instances, invoke_for, invoke_once, scaler_settings, setup, TOKEN};

#[tokio::test]
async fn no_request_and_no_capacity_change_before_retry_after_has_passed() {
    let Some((sdk, deployed, stub)) = setup(&[("SEMAPHORE_AGENT_ASG_MAX_SIZE", "5")]).await else { return };
    let settings = scaler_settings(&deployed, &stub);
    let asg = &deployed.asg_name;
    stub.enqueue(TOKEN, 2);

    for (status, wait_s) in [(429, 3), (503, 2)] {
        // The answer that starts the back-off.
        stub.set_fault(Some(Fault::RetryAfter(status, wait_s.to_string())));
        let summary = invoke_once(&sdk, &settings).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((summary.ticks, summary.failed_ticks, summary.skipped_ticks), (1, 1, 0), "{status}");
        let asked = stub.metrics_requests();
        let not_before = asked[asked.len() - 1] + Duration::from_secs(wait_s);
        let desired = desired_and_instances(&sdk, asg).await.0;

        // The next invocation of the container, with the server answering again and jobs queued:
        // it leaves Semaphore and the group alone.
        stub.set_fault(None);
        let summary = invoke_once(&sdk, &settings).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((summary.ticks, summary.failed_ticks, summary.skipped_ticks), (1, 0, 1), "{status}");
        assert_eq!(stub.metrics_requests().len(), asked.len(), "{status}: asked during the back-off");
        assert_eq!(desired_and_instances(&sdk, asg).await.0, desired, "{status}: capacity changed during the back-off");

        // An invocation that ticks past the wait asks again, only after it, and scales.
        let summary = invoke_for(&sdk, &settings, 2_000 * wait_s).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(summary.skipped_ticks >= 1 && summary.failed_ticks == 0, "{status}: {summary:?}");
        let after = stub.metrics_requests();
        assert!(after.len() > asked.len(), "{status}: never asked again");
        assert!(after[asked.len()..].iter().all(|at| *at >= not_before), "{status}: asked before Retry-After had passed");
        stub.enqueue(TOKEN, 1);
    }
    assert_eq!(desired_and_instances(&sdk, asg).await.0, 3, "scaled once the back-offs were over");
}
