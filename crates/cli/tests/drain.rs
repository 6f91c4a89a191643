//! Draining on terminations the Auto Scaling group starts (scale-in, max instance lifetime,
//! rebalancing, health replacement), end to end: a deployed stack in moto, `boot start`, the agent
//! and `boot watch` against an IMDS stub, and the Semaphore stub deciding as the server does.
//!
//! moto lacks what this needs of AWS: it never holds an instance in `Terminating:Wait` and does
//! not implement CompleteLifecycleAction or RecordLifecycleActionHeartbeat. Those two calls are
//! answered, in the AWS API reference's shapes, by the recording proxy in front of moto
//! (testkit::lifecycle); everything else goes to moto. The test plays the group's part: it puts
//! the instance in `Terminating:Wait` at the proxy and sets its IMDS target lifecycle state to
//! `Terminated`, as AWS does when the group chooses the instance for a termination.

mod support;

use std::time::Duration;

use agent_stack_testkit::lifecycle::Call;
use support::*;

/// A grace period whose heartbeat timeout is AWS's least whole minute: 60 s, a heartbeat every 20 s.
const GRACE: (&str, &str) = ("SEMAPHORE_AGENT_INTERRUPTION_GRACE_PERIOD", "90");

fn of<'a>(calls: &'a [Call], action: &str) -> Vec<&'a Call> {
    calls.iter().filter(|c| c.action == action).collect()
}

/// `boot start` (the agent runs) and `boot watch` on the group's first instance.
async fn running_instance(fleet: &Fleet) -> (String, agent_stack_testkit::ImdsStub, std::process::Child) {
    let (instance, imds) = fleet.first_instance().await;
    imds.set_lifecycle_state(Some("InService"));
    let param = fleet.config_parameter();
    let (code, log) = fleet.run_boot(&imds, &fleet.start_args(&param, &fleet.agent_service_command())).await;
    assert_eq!(code, 0, "{log}");
    let dir = fleet.agent_dir().display().to_string();
    let watcher = fleet.boot(&imds, &["watch", "--agent-dir", &dir, "--poll-seconds", "1"]).spawn().unwrap_or_else(|e| panic!("{e}"));
    (instance, imds, watcher)
}

/// What the watcher logged, once it is stopped.
async fn stop(mut watcher: std::process::Child) -> String {
    let _ = watcher.kill();
    output(watcher).await.1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_busy_agent_in_a_terminating_instance_finishes_its_job_before_the_instance_goes() {
    let Some(fleet) = fleet_with(1, &[("SEMAPHORE_AGENT_DISCONNECT_AFTER_IDLE_TIMEOUT", "0"), GRACE]).await else { return };
    let stub = &fleet.stub;
    // Longer than one heartbeat interval (20 s), with room for a loaded machine, so the watcher
    // must keep the action alive.
    stub.set_job_commands(&["sleep 30", "echo drained-in-peace"]);
    stub.enqueue(TOKEN, 1);
    let (instance, imds, watcher) = running_instance(&fleet).await;
    wait_until("the agent to take the job", || !stub.busy_agents().is_empty()).await;
    let name = stub.busy_agents().remove(0);
    // The group shrinks and chooses this instance.
    fleet.lifecycle.hold(&instance, true);
    imds.set_lifecycle_state(Some("Terminated"));
    wait_until("Semaphore to learn of the interruption", || stub.interrupted_agents() == vec![name.clone()]).await;
    fleet.wait_for("the drained instance to go", |(desired, i)| *desired == 0 && i.is_empty()).await;
    let results = stub.job_results();
    assert_eq!(results.iter().map(|(_, r)| r.as_str()).collect::<Vec<_>>(), ["passed"], "the job was never stopped");
    assert!(stub.job_log(&results[0].0).join("\n").contains("drained-in-peace"));
    let calls = fleet.lifecycle.calls();
    let heartbeats = of(&calls, "RecordLifecycleActionHeartbeat");
    assert!(heartbeats.len() >= 2 && heartbeats.iter().all(|c| c.answer == "OK"), "{calls:?}");
    assert!(heartbeats.iter().all(|c| c.group == fleet.stack.asg_name && c.hook == "semaphore-agent-drain" && c.instance_id == instance));
    let completions = of(&calls, "CompleteLifecycleAction");
    assert_eq!(completions.len(), 1, "completed exactly once: {calls:?}");
    assert_eq!((completions[0].result.as_deref(), completions[0].answer.as_str()), (Some("CONTINUE"), "OK"));
    assert_eq!(calls.last().map(|c| c.action.as_str()), Some("CompleteLifecycleAction"), "no heartbeat after the completion");
    let log = stop(watcher).await;
    assert!(log.contains("target lifecycle state Terminated") && log.contains("holding") && log.contains("heartbeat"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idle_agent_in_a_terminating_instance_leaves_at_once() {
    let Some(fleet) = fleet_with(1, &[("SEMAPHORE_AGENT_DISCONNECT_AFTER_IDLE_TIMEOUT", "0"), GRACE]).await else { return };
    let stub = &fleet.stub;
    let (instance, imds, watcher) = running_instance(&fleet).await;
    wait_until("the agent to register", || stub.agent_names().len() == 1).await;
    fleet.lifecycle.hold(&instance, true);
    imds.set_lifecycle_state(Some("Terminated"));
    fleet.wait_for("the idle instance to go", |(desired, i)| *desired == 0 && i.is_empty()).await;
    let calls = fleet.lifecycle.calls();
    // Gone before a second heartbeat was due: at most the first, recorded as the drain began.
    assert!(of(&calls, "RecordLifecycleActionHeartbeat").len() <= 1, "{calls:?}");
    let completions = of(&calls, "CompleteLifecycleAction");
    assert_eq!(completions.len(), 1, "{calls:?}");
    assert_eq!(completions[0].result.as_deref(), Some("CONTINUE"));
    assert!(stub.job_results().is_empty());
    assert_eq!(stub.interrupted_agents().len(), 1);
    stop(watcher).await;
}

/// An agent that died mid-job (no process, so no heartbeat and no shutdown hook; it had started,
/// so the watcher cannot tell it from one being restarted): the heartbeat timeout ends the action and the group goes on with the termination. The proxy plays AWS's
/// timeout on a 5 s clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agent_that_died_is_ended_by_the_heartbeat_timeout() {
    let Some(fleet) = fleet_with(1, &[("SEMAPHORE_AGENT_DISCONNECT_AFTER_IDLE_TIMEOUT", "0"), GRACE]).await else { return };
    let stub = &fleet.stub;
    stub.set_job_commands(&["sleep 120"]);
    stub.enqueue(TOKEN, 1);
    fleet.lifecycle.time_out_after(Duration::from_secs(5));
    let (instance, imds, watcher) = running_instance(&fleet).await;
    wait_until("the agent to take the job", || !stub.busy_agents().is_empty()).await;
    // The agent dies hard: its service loop, both agent processes and the job's shell.
    let dir = fleet.agent_dir().display().to_string();
    let _ = std::process::Command::new("pkill").args(["-KILL", "-f", &format!("{dir}/agent")]).status();
    let _ = std::process::Command::new("pkill").args(["-KILL", "-f", "sleep 120"]).status();
    wait_until("the agent to be gone", || {
        agent_stack_boot::process::agent_pids(&agent_stack_boot::Layout::new(fleet.agent_dir())).is_ok_and(|p| p.is_empty())
    })
    .await;
    fleet.lifecycle.hold(&instance, true);
    imds.set_lifecycle_state(Some("Terminated"));
    fleet.wait_for("the heartbeat timeout to end the action", |(desired, i)| *desired == 0 && i.is_empty()).await;
    let calls = fleet.lifecycle.calls();
    assert!(of(&calls, "RecordLifecycleActionHeartbeat").is_empty(), "no agent, no heartbeat: {calls:?}");
    assert!(of(&calls, "CompleteLifecycleAction").is_empty(), "{calls:?}");
    assert_eq!(of(&calls, "HeartbeatTimeout").len(), 1, "{calls:?}");
    let log = stop(watcher).await;
    assert!(log.contains("no agent is running"), "{log}");
}

/// An instance whose agent was never started (its `boot start` failed and marked it Unhealthy, or
/// has not got that far, or it waits in the warm pool, which the group shrinks) has nothing to
/// drain: the watcher lets its termination go on at once instead of holding it for a heartbeat
/// timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_whose_agent_never_started_is_released_at_once() {
    let Some(fleet) = fleet_with(2, &[GRACE]).await else { return };
    let ids = fleet.instance_ids().await;
    for (instance, target) in [(&ids[0], "Terminated"), (&ids[1], "Warmed:Terminated")] {
        let node = fleet.node(instance).await;
        // What `boot start` writes first, before anything can fail.
        std::fs::write(node.dir.join("agent-stack.config-parameter"), fleet.config_parameter()).unwrap_or_else(|e| panic!("{e}"));
        let dir = node.dir.display().to_string();
        let watcher =
            fleet.boot(&node.imds, &["watch", "--agent-dir", &dir, "--poll-seconds", "1"]).spawn().unwrap_or_else(|e| panic!("{e}"));
        fleet.lifecycle.hold(instance, false);
        node.imds.set_lifecycle_state(Some(target));
        // A replacement keeps the desired capacity: the group launches another instance.
        fleet.wait_for("the unstarted instance to go", |(desired, i)| *desired == 2 && !i.iter().any(|(id, _, _)| id == instance)).await;
        let completions = fleet.lifecycle.calls_of("CompleteLifecycleAction", instance);
        assert_eq!(completions.len(), 1, "{target}: {completions:?}");
        assert_eq!(completions[0].result.as_deref(), Some("CONTINUE"));
        assert!(fleet.lifecycle.calls_of("RecordLifecycleActionHeartbeat", instance).is_empty());
        let log = stop(watcher).await;
        assert!(log.contains("no agent was started"), "{target}: {log}");
    }
}
