//! `agent-stack rotate` end to end: a deployed stack in moto with two instances, each running
//! `boot start`, the agent (support::agent_binary) and `boot watch` against its own IMDS stub, and the Semaphore
//! stub deciding as the server does. The IMDS stubs are told each instance's target lifecycle
//! state from moto, as EC2's metadata service reflects the group.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::*;

/// The busy agent's job: well past the moment rotate takes its instance out of service.
const JOB: &str = "sleep 10";

fn rotate(fleet: &Fleet, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agent-stack"));
    cmd.arg("rotate").arg("--config").arg(fleet.config_file()).args(args);
    cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    cmd
}

/// The lifecycle state moto gives the instance, if it is still in the group.
async fn lifecycle_state(fleet: &Fleet, id: &str) -> Option<String> {
    fleet.group().await.1.into_iter().find(|(i, _, _)| i == id).map(|(_, state, _)| state)
}

/// Creates a launch template version from the group's current one and points the group at it, as
/// a stack update does; returns the new version number.
async fn upgrade(fleet: &Fleet) -> String {
    use agent_stack_aws::autoscaling::types::{LaunchTemplate, LaunchTemplateSpecification, MixedInstancesPolicy};
    use agent_stack_aws::ec2_sdk::types::RequestLaunchTemplateData;
    let group = agent_stack_aws::group::describe_group(&fleet.sdk, &fleet.stack.asg_name).await.unwrap_or_else(|e| panic!("{e}"));
    let from = group.and_then(|g| g.launches_from).unwrap_or_else(|| panic!("the group names no launch template"));
    let created = agent_stack_aws::ec2_sdk::Client::new(&fleet.sdk)
        .create_launch_template_version()
        .launch_template_id(&from.template)
        .source_version(&from.version)
        .launch_template_data(RequestLaunchTemplateData::builder().instance_type("t3.small".into()).build())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}", agent_stack_aws::Error::from_sdk("setting up", &e)));
    let version = created.launch_template_version().and_then(|v| v.version_number()).unwrap_or_default().to_string();
    let spec = LaunchTemplateSpecification::builder().launch_template_id(&from.template).version(&version).build();
    let policy =
        MixedInstancesPolicy::builder().launch_template(LaunchTemplate::builder().launch_template_specification(spec).build()).build();
    agent_stack_aws::autoscaling::Client::new(&fleet.sdk)
        .update_auto_scaling_group()
        .auto_scaling_group_name(&fleet.stack.asg_name)
        .mixed_instances_policy(policy)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}", agent_stack_aws::Error::from_sdk("setting up", &e)));
    version
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotate_replaces_instances_without_interrupting_a_running_job() {
    let Some(fleet) = fleet(2, "0").await else { return };
    let old = fleet.instance_ids().await;
    let param = fleet.config_parameter();
    let mut nodes = Vec::new();
    for id in &old {
        let node = fleet.node(id).await;
        node.imds.set_lifecycle_state(Some("InService"));
        let args = start_args_in(&node.dir, &param, &agent_service_command_in(&node.dir));
        let (code, log) = run(fleet.boot(&node.imds, &args.iter().map(String::as_str).collect::<Vec<_>>())).await;
        assert_eq!(code, 0, "{log}");
        nodes.push(node);
    }
    let stub = &fleet.stub;
    wait_until("both agents to register", || stub.agent_names().len() == 2).await;
    let watchers: Vec<_> = nodes
        .iter()
        .map(|n| {
            let dir = n.dir.display().to_string();
            fleet.boot(&n.imds, &["watch", "--agent-dir", &dir, "--poll-seconds", "1"]).spawn().unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();

    // Every instance runs the group's launch template version: nothing to do without --all.
    let (code, text) = run(rotate(&fleet, &["--yes", "--output", "json"])).await;
    assert_eq!(code, 0, "{text}");
    let plan: serde_json::Value = serde_json::from_str(text.lines().next().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(plan["rotate"], serde_json::json!([]), "{text}");
    assert_eq!(plan["current"].as_array().map(Vec::len), Some(2), "{text}");

    // An upgrade: a new launch template version, which the group launches from (what a stack
    // update does). Now both instances are old.
    let version = upgrade(&fleet).await;
    let (code, text) = run(rotate(&fleet, &["--yes", "--output", "json", "--poll-seconds", "1"]).arg("--help")).await;
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Examples:") && text.contains("SEMAPHORE_AGENT_INTERRUPTION_GRACE_PERIOD"), "{text}");

    // Without --yes and without a terminal, rotate asks and changes nothing.
    let (code, text) = run(rotate(&fleet, &[])).await;
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("--yes"), "{text}");
    assert!(lifecycle_state(&fleet, &old[0]).await.as_deref() == Some("InService"));

    // One agent takes a job; then rotate takes both instances out of service.
    stub.set_job_commands(&[JOB]);
    stub.enqueue(TOKEN, 1);
    wait_until("one agent to take the job", || stub.busy_agents().len() == 1).await;
    let busy_agent = stub.busy_agents().remove(0);
    let busy = nodes.iter().position(|n| busy_agent.starts_with(&format!("{}__", n.id))).unwrap_or_else(|| panic!("{busy_agent}"));
    let started = Instant::now();
    let child = rotate(&fleet, &["--yes", "--wait", "--poll-seconds", "1"]).spawn().unwrap_or_else(|e| panic!("{e}"));
    let waiting = tokio::spawn(output(child));
    // EC2's metadata service reflects the group: Standby reaches each instance.
    let mut left_at = vec![None; nodes.len()];
    let deadline = Instant::now() + Duration::from_secs(90);
    while left_at.iter().any(Option::is_none) {
        assert!(Instant::now() < deadline, "timed out; group: {:?}", fleet.group().await);
        for (i, node) in nodes.iter().enumerate() {
            match lifecycle_state(&fleet, &node.id).await {
                Some(state) => node.imds.set_lifecycle_state(Some(&state)),
                None if left_at[i].is_none() => left_at[i] = Some(started.elapsed()),
                None => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let (code, text) = waiting.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(&format!("new instances launch from launch template version {version}")), "{text}");
    assert!(text.contains(&format!("to rotate: {}, {}", old[0], old[1])), "{text}");
    assert!(text.contains("rotation complete"), "{text}");

    // The job ran to its end; Semaphore never stopped it.
    let results: Vec<String> = stub.job_results().into_iter().map(|(_, result)| result).collect();
    assert_eq!(results, ["passed"]);
    // Both agents were asked to leave; the idle one left first, the busy one after its job.
    let logs: Vec<String> = nodes.iter().map(|n| std::fs::read_to_string(n.dir.join("agent.log")).unwrap_or_default()).collect();
    assert_eq!(stub.interrupted_agents().len(), 2, "{logs:#?}");
    let idle = 1 - busy;
    assert!(left_at[idle] < left_at[busy], "{left_at:?}");
    let busy_log = std::fs::read_to_string(nodes[busy].dir.join("agent.log")).unwrap_or_default();
    assert!(busy_log.contains("in Standby: its replacement is already running"), "{busy_log}");
    // The group kept its capacity: two replacements in service, the old instances gone.
    let (desired, members) = fleet.group().await;
    assert_eq!(desired, 2);
    let in_service: Vec<&String> = members.iter().filter(|(_, s, _)| s == "InService").map(|(id, _, _)| id).collect();
    assert_eq!(in_service.len(), 2, "{members:?}");
    assert!(in_service.iter().all(|id| !old.contains(id)), "{members:?}");
    // (Which version the replacements run is AWS's part and not checked: moto records every
    // instance as launched from the group's first version.)
    for mut watcher in watchers {
        let _ = watcher.kill();
        let (_, log) = output(watcher).await;
        assert!(log.contains("asking the agent") && log.contains("target lifecycle state Standby"), "{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotate_names_a_missing_stack() {
    let Some(fleet) = fleet(0, "0").await else { return };
    let config = fleet.dir.path().join("missing.json");
    let missing = format!("{}-missing", fleet.stack.stack_name);
    let text = serde_json::json!({
        "SEMAPHORE_AGENT_STACK_NAME": missing,
        "SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME": "t",
        "SEMAPHORE_ORGANIZATION": "test",
    });
    std::fs::write(&config, text.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agent-stack"));
    cmd.args(["rotate", "--yes", "--config"]).arg(&config);
    let (code, text) = run(cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped())).await;
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(&missing) && text.contains("does not exist"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotate_leaves_instances_of_unknown_images_alone_unless_told() {
    let Some(fleet) = fleet(1, "0").await else { return };
    let id = fleet.instance_ids().await.remove(0);
    let images = agent_stack_aws::ec2::instance_images(&fleet.sdk, std::slice::from_ref(&id)).await.unwrap_or_else(|e| panic!("{e}"));
    let (image, name) = images.get(&id).cloned().unwrap_or_else(|| panic!("no image for {id}: {images:?}"));
    assert!(name.is_some_and(|n| n.starts_with("agent-stack-")), "the test stack runs an agent-stack image");
    // The image is gone (deregistered): nothing says the instance runs `boot watch`.
    agent_stack_aws::ec2_sdk::Client::new(&fleet.sdk)
        .deregister_image()
        .image_id(&image)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}", agent_stack_aws::Error::from_sdk("setting up", &e)));
    let (code, text) = run(rotate(&fleet, &["--all", "--yes"])).await;
    assert_eq!(code, 2, "{text}");
    assert!(text.contains(&id) && text.contains("image not found") && text.contains("--any-image"), "{text}");
    assert_eq!(lifecycle_state(&fleet, &id).await.as_deref(), Some("InService"), "nothing changed");
    let (code, text) = run(rotate(&fleet, &["--all", "--yes", "--any-image"])).await;
    assert_eq!(code, 0, "{text}");
    assert_eq!(lifecycle_state(&fleet, &id).await.as_deref(), Some("Standby"));
}
