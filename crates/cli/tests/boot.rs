//! The instance side end to end on this machine: `agent-stack boot …` against an IMDSv2 stub, moto
//! (a stack synthesized by us, an Auto Scaling group with fake instances) and the Semaphore stub,
//! with the agent (the real semaphoreci/agent when `AGENT_STACK_SEMAPHORE_AGENT` names it, else
//! the stand-in: support::agent_binary) started the way the image's service starts it:
//! `<agent dir>/agent start --config-file <agent dir>/config.yaml`.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use agent_stack_config::launch::LAUNCH_HOOK_NAME;
use agent_stack_testkit::agent::config_map;
use agent_stack_testkit::{imds, ImdsStub};
use serde_yaml::Value as Yaml;
use support::*;

fn yaml_str(s: &str) -> Yaml {
    Yaml::String(s.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_boots_its_agent_and_leaves_the_group_when_idle() {
    let Some(fleet) = fleet(1, "2").await else { return };
    let (instance, imds) = fleet.first_instance().await;
    imds.set_lifecycle_state(Some("InService"));
    let param = fleet.config_parameter();
    let args = fleet.start_args(&param, &fleet.agent_service_command());
    let (code, log) = fleet.run_boot(&imds, &args).await;
    assert_eq!(code, 0, "{log}");
    assert!(!log.contains(TOKEN), "the token must not be logged:\n{log}");

    // config.yaml: exactly the keys the stack sets, owner-only.
    let config_file = fleet.agent_dir().join("config.yaml");
    let written = config_map(&std::fs::read_to_string(&config_file).unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    let name = written.get("name").and_then(Yaml::as_str).unwrap_or_default().to_string();
    assert!(name.starts_with(&format!("{instance}__")) && name.len() == instance.len() + 15, "{name}");
    let hook = fleet.agent_dir().join("hooks/shutdown").display().to_string();
    let expected: BTreeMap<String, Yaml> = [
        ("endpoint", yaml_str(fleet.stub.endpoint().trim_start_matches("http://"))),
        ("no-https", Yaml::Bool(true)),
        ("token", yaml_str(TOKEN)),
        ("name", yaml_str(&name)),
        ("disconnect-after-job", Yaml::Bool(true)),
        ("disconnect-after-idle-timeout", Yaml::Number(2.into())),
        ("interruption-grace-period", Yaml::Number(86_400.into())),
        ("upload-job-logs", yaml_str("when-trimmed")),
        ("shutdown-hook-path", yaml_str(&hook)),
        ("env-vars", Yaml::Sequence(vec![])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(written, expected);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&config_file).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
    assert_eq!(mode, 0o600);
    let known_hosts = std::fs::read_to_string(fleet.agent_dir().join("home/.ssh/known_hosts")).unwrap_or_default();
    assert!(known_hosts.lines().count() >= 3 && known_hosts.lines().all(|l| l.starts_with("github.com ")), "{known_hosts}");

    // The agent registers under that name; the health check sees it running.
    let stub = &fleet.stub;
    wait_until("the agent to register", || stub.agent_names().contains(&name)).await;
    let dir = fleet.agent_dir().display().to_string();
    let powered_off = fleet.agent_dir().join("powered-off");
    let poweroff = format!("touch {}", powered_off.display());
    let (code, log) = run(fleet.boot(&imds, &["health-check", "--agent-dir", &dir, "--poweroff-command", &poweroff])).await;
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("the agent is running"), "{log}");

    // Idle for 2 s → the server says shutdown/idle → hook → desired capacity 1 → 0.
    fleet.wait_for("the idle instance to leave with a lower desired capacity", |(desired, _)| *desired == 0).await;
    assert!(imds.seen().iter().any(|p| p == &format!("iam/security-credentials/{}", imds::ROLE)), "{:?}", imds.seen());

    // Agent gone → the health check powers the instance off.
    wait_until("the agent process to exit", || {
        agent_stack_boot::process::agent_pids(&agent_stack_boot::Layout::new(fleet.agent_dir())).is_ok_and(|p| p.is_empty())
    })
    .await;
    let (code, log) = run(fleet.boot(&imds, &["health-check", "--agent-dir", &dir, "--poweroff-command", &poweroff])).await;
    assert_eq!(code, 0, "{log}");
    assert!(powered_off.exists(), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_start_that_cannot_read_ssm_or_gets_bad_values_marks_the_instance_unhealthy() {
    let Some(fleet) = fleet(3, "0").await else { return };
    let ids = fleet.instance_ids().await;
    let missing = format!("{}-missing-config", fleet.stack.stack_name);
    let broken = format!("{}-broken-config", fleet.stack.stack_name);
    agent_stack_aws::put_string(&fleet.sdk, &broken, r#"{"endpoint":"org.semaphoreci.com"}"#).await.unwrap_or_else(|e| panic!("{e}"));
    // The stack's own value with an env-vars entry the agent would exit on.
    let bad_env = format!("{}-bad-env-config", fleet.stack.stack_name);
    let good =
        agent_stack_aws::get_string(&fleet.sdk, &fleet.config_parameter()).await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_default();
    let mut value: serde_json::Value = serde_json::from_str(&good).unwrap_or_else(|e| panic!("{e}"));
    value["envVars"] = serde_json::json!(["CACHE=on", "NO_EQUALS_SIGN"]);
    agent_stack_aws::put_string(&fleet.sdk, &bad_env, &value.to_string()).await.unwrap_or_else(|e| panic!("{e}"));
    // A parameter that is not there, one whose value is not the stack's config, one with a bad value.
    let started = fleet.agent_dir().join("should-not-run");
    let start_command = format!("touch {}", started.display());
    for (instance, parameter, cause) in
        [(&ids[0], &missing, "not found"), (&ids[1], &broken, "missing field"), (&ids[2], &bad_env, "envVars entry \"NO_EQUALS_SIGN\"")]
    {
        let imds = ImdsStub::start(instance, "us-east-1").await;
        let (code, log) = fleet.run_boot(&imds, &fleet.start_args(parameter, &start_command)).await;
        assert_eq!(code, 1, "{log}");
        assert!(log.contains(parameter.as_str()) && log.contains(cause) && log.contains("Unhealthy"), "{log}");
        let (_, instances) = fleet.group().await;
        let health = instances.iter().find(|(id, _, _)| id == instance).map(|(_, _, h)| h.clone()).unwrap_or_default();
        assert_eq!(health.to_ascii_lowercase(), "unhealthy", "{instances:?}");
    }
    assert!(!fleet.agent_dir().join("config.yaml").exists());
    assert!(!started.exists(), "no agent is started from a bad parameter");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_shutdown_hook_lowers_desired_capacity_only_for_an_idle_agent_and_completes_the_drain() {
    let Some(fleet) = fleet(2, "0").await else { return };
    let ids = fleet.instance_ids().await;
    // As `boot start` leaves it: the stack's config parameter saved in the agent directory.
    std::fs::write(fleet.agent_dir().join("agent-stack.config-parameter"), fleet.config_parameter()).unwrap_or_else(|e| panic!("{e}"));
    let dir = fleet.agent_dir().display().to_string();
    let hook = |id: &str, reason: &str, lifecycle_state: &str| {
        let (id, reason, state, dir) = (id.to_string(), reason.to_string(), lifecycle_state.to_string(), dir.clone());
        let fleet = &fleet;
        async move {
            let imds = ImdsStub::start(&id, "us-east-1").await;
            imds.set_lifecycle_state(Some(&state));
            let (code, log) =
                run(fleet.boot(&imds, &["shutdown-hook", "--agent-dir", &dir]).env("SEMAPHORE_AGENT_SHUTDOWN_REASON", &reason)).await;
            assert_eq!(code, 0, "{log}");
            let profile_used = imds.seen().iter().any(|p| p.starts_with("iam/security-credentials/"));
            (log, profile_used)
        }
    };
    let completions = |id: &str| -> Vec<(String, String)> {
        fleet.lifecycle.calls_of("CompleteLifecycleAction", id).into_iter().map(|c| (c.result.unwrap_or_default(), c.answer)).collect()
    };
    let continued = vec![("CONTINUE".to_string(), "OK".to_string())];
    let (log, profile_used) = hook(&ids[0], "JOB_FINISHED", "InService").await;
    assert!(profile_used, "instance profile credentials not used");
    fleet.wait_for("the finished instance to leave", |(_, i)| !i.iter().any(|(id, _, _)| id == &ids[0])).await;
    assert_eq!(fleet.group().await.0, 2, "JOB_FINISHED keeps the desired capacity");
    // Its own termination waits on the drain hook too, and the hook lets it go on at once.
    assert_eq!(completions(&ids[0]), continued, "{log}");
    assert!(log.contains("completed the lifecycle action") && !fleet.lifecycle.is_held(&ids[0]), "{log}");
    // Throttled beyond the SDK's own retries (4 attempts per call): the hook tries again and
    // completes exactly once.
    fleet.lifecycle.throttle_next(4);
    let (log, _) = hook(&ids[1], "IDLE", "InService").await;
    fleet.wait_for("the idle instance to leave", |(desired, i)| *desired == 1 && !i.iter().any(|(id, _, _)| id == &ids[1])).await;
    let answers: Vec<String> = completions(&ids[1]).into_iter().map(|(_, a)| a).collect();
    assert_eq!(answers, ["Throttling", "Throttling", "Throttling", "Throttling", "OK"], "{log}");
    assert!(log.contains("Throttling") && log.contains("trying again"), "{log}");
    // An instance the group is terminating (a scale-in here) waits in Terminating:Wait for its
    // agent; the hook completes the action instead of terminating it again.
    let last = fleet.instance_ids().await.remove(0);
    fleet.lifecycle.hold(&last, true);
    let (log, _) = hook(&last, "INTERRUPTED", "Terminated").await;
    assert!(log.contains("completing the drain"), "{log}");
    assert_eq!(completions(&last), continued);
    fleet.wait_for("the group to let the drained instance go", |(desired, i)| *desired == 0 && i.is_empty()).await;
    // Run again (an agent restarted by its service): no action is pending, nothing to do.
    let (log, _) = hook(&last, "INTERRUPTED", "Terminated").await;
    assert!(log.contains("no pending lifecycle action"), "{log}");
    assert_eq!(completions(&last).last().map(|(_, a)| a.as_str()), Some("ValidationError"));
    assert!(fleet.lifecycle.calls().iter().all(|c| c.action != "RecordLifecycleActionHeartbeat"), "the hook never heartbeats");
}

/// A warm-pool instance may wait for hours: its agent's name (a pre-signed URL valid for 15
/// minutes) and token are made when it goes InService, not before.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_warm_pool_instance_makes_its_agent_config_only_when_in_service() {
    let Some(fleet) = fleet_with(1, &[("SEMAPHORE_AGENT_USE_PRE_SIGNED_URL", "true")]).await else { return };
    let (_, imds) = fleet.first_instance().await;
    imds.set_lifecycle_state(Some("Warmed:Running"));
    let started = fleet.agent_dir().join("agent-started");
    let param = fleet.config_parameter();
    let args = fleet.start_args(&param, &format!("touch {}", started.display()));
    let child = fleet.boot(&imds, &args.iter().map(String::as_str).collect::<Vec<_>>()).spawn().unwrap_or_else(|e| panic!("{e}"));
    let known_hosts = fleet.agent_dir().join("home/.ssh/known_hosts");
    wait_until("the instance to prepare itself", || known_hosts.exists()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let config_file = fleet.agent_dir().join("config.yaml");
    assert!(!config_file.exists(), "no config.yaml (name, token) while in the warm pool");
    assert!(!started.exists(), "the agent must not start in the warm pool");
    // SigV4's X-Amz-Date form: YYYYMMDDTHHMMSSZ.
    let in_service_at = agent_stack_testkit::utc_text(agent_stack_testkit::unix_now()).replace(['-', ':'], "");
    imds.set_lifecycle_state(Some("InService"));
    let (code, log) = output(child).await;
    assert_eq!(code, 0, "{log}");
    assert!(started.exists() && log.contains("warm pool"), "{log}");
    let written = config_map(&std::fs::read_to_string(&config_file).unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    let url = written.get("name").and_then(Yaml::as_str).unwrap_or_default().to_string();
    let signed_at = query_param(&url, "X-Amz-Date");
    assert!(signed_at >= in_service_at, "signed at {signed_at}, before the instance went InService at {in_service_at}");
    // The parameter is saved for the image's boot unit, which runs `boot start` on later boots.
    let saved = std::fs::read_to_string(fleet.agent_dir().join("agent-stack.config-parameter")).unwrap_or_default();
    assert_eq!(saved, param);
}

/// A Stopped warm pool instance, as AWS walks it: launched into the pool (`Warmed:Pending`, target
/// `Warmed:Stopped`), stopped mid-wait (the process dies with the power), started for service
/// (`Pending`, target `InService`), when the image's later-boot unit runs `boot start` without the
/// parameter name. The agent starts only then, with a name and token made then.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stopped_warm_pool_instance_starts_its_agent_on_the_boot_that_puts_it_in_service() {
    let Some(fleet) = fleet_with(1, &[("SEMAPHORE_AGENT_WARM_POOL_SIZE", "1")]).await else { return };
    let (instance, imds) = fleet.first_instance().await;
    // Launched into the pool: the group's launch hook holds it in Warmed:Pending:Wait.
    let group = fleet.stack.asg_name.clone();
    fleet.lifecycle.hold_launch(&instance, &group, LAUNCH_HOOK_NAME);
    imds.set_lifecycle_state(Some("Warmed:Stopped"));
    let started = fleet.agent_dir().join("agent-started");
    let param = fleet.config_parameter();
    let first = fleet.start_args(&param, &format!("touch {}", started.display()));
    let mut child = fleet.boot(&imds, &first.iter().map(String::as_str).collect::<Vec<_>>()).spawn().unwrap_or_else(|e| panic!("{e}"));
    let known_hosts = fleet.agent_dir().join("home/.ssh/known_hosts");
    let completions = || fleet.lifecycle.calls_of("CompleteLifecycleAction", &instance);
    wait_until("the pool instance to prepare itself and complete its launch action", || !completions().is_empty()).await;
    assert!(known_hosts.exists(), "prepared before AWS may stop it");
    let prepared = completions().remove(0);
    assert_eq!(
        (prepared.group.as_str(), prepared.hook.as_str(), prepared.result.as_deref()),
        (group.as_str(), LAUNCH_HOOK_NAME, Some("CONTINUE"))
    );
    assert_eq!(prepared.answer, "OK");
    // AWS stops the instance.
    let _ = child.kill();
    let _ = output(child).await;
    assert!(!fleet.agent_dir().join("config.yaml").exists() && !started.exists(), "nothing agent-related before service");
    // Started for service: held again in Pending:Wait; the later-boot unit runs `boot start` with
    // the saved parameter.
    fleet.lifecycle.hold_launch(&instance, &group, LAUNCH_HOOK_NAME);
    imds.set_lifecycle_state(Some("InService"));
    let later: Vec<String> = first.iter().enumerate().filter(|(i, _)| *i != 1).map(|(_, a)| a.clone()).collect();
    assert_eq!(later[0], "start");
    let (code, log) = fleet.run_boot(&imds, &later).await;
    assert_eq!(code, 0, "{log}");
    assert!(started.exists() && fleet.agent_dir().join("config.yaml").exists(), "{log}");
    assert!(log.contains(&param), "the saved parameter was used: {log}");
    let calls = completions();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!((calls[1].hook.as_str(), calls[1].answer.as_str()), (LAUNCH_HOOK_NAME, "OK"));
    let (agent, in_service) = (log.find("started the agent"), log.find("it goes InService"));
    assert!(agent.is_some() && in_service > agent, "the action is completed once the agent runs: {log}");
}

/// A stack's first instances launch before its launch hook exists (the hook waits for the group's
/// name parameter): `boot start` finds no action to complete and goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_launched_before_the_launch_hook_existed_starts_all_the_same() {
    let Some(fleet) = fleet_with(1, &[("SEMAPHORE_AGENT_WARM_POOL_SIZE", "1")]).await else { return };
    let (instance, imds) = fleet.first_instance().await;
    let started = fleet.agent_dir().join("agent-started");
    let (code, log) = fleet.run_boot(&imds, &fleet.start_args(&fleet.config_parameter(), &format!("touch {}", started.display()))).await;
    assert_eq!(code, 0, "{log}");
    assert!(started.exists(), "{log}");
    let calls = fleet.lifecycle.calls_of("CompleteLifecycleAction", &instance);
    assert_eq!(calls.iter().map(|c| c.answer.as_str()).collect::<Vec<_>>(), ["ValidationError"], "asked once: {calls:?}");
    assert!(log.contains("no pending lifecycle action"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agent_that_ran_its_job_leaves_the_group_without_lowering_desired() {
    let Some(fleet) = fleet(2, "0").await else { return };
    let (instance, imds) = fleet.first_instance().await;
    fleet.stub.set_job_commands(&["echo built-$((2*21))"]);
    fleet.stub.enqueue(TOKEN, 1);
    let param = fleet.config_parameter();
    let (code, log) = fleet.run_boot(&imds, &fleet.start_args(&param, &fleet.agent_service_command())).await;
    assert_eq!(code, 0, "{log}");
    // register → job → JOB_FINISHED → the hook terminates the instance, keeping the capacity.
    fleet.wait_for("the instance to leave after its job", |(_, i)| !i.iter().any(|(id, _, _)| id == &instance)).await;
    assert_eq!(fleet.group().await.0, 2, "JOB_FINISHED keeps the desired capacity");
    let results = fleet.stub.job_results();
    assert_eq!(results.iter().map(|(_, r)| r.as_str()).collect::<Vec<_>>(), ["passed"]);
    assert!(fleet.stub.job_log(&results[0].0).join("\n").contains("built-42"));
}

/// With a warm pool the next job's instance comes from the pool when demand asks for it: after
/// its job an instance lowers the desired capacity instead of leaving a replacement waiting idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_a_warm_pool_an_agent_that_ran_its_job_lowers_desired() {
    let pool = [("SEMAPHORE_AGENT_WARM_POOL_SIZE", "1"), ("SEMAPHORE_AGENT_DISCONNECT_AFTER_IDLE_TIMEOUT", "0")];
    let Some(fleet) = fleet_with(2, &pool).await else { return };
    let (instance, imds) = fleet.first_instance().await;
    fleet.stub.set_job_commands(&["echo pooled"]);
    fleet.stub.enqueue(TOKEN, 1);
    let (code, log) = fleet.run_boot(&imds, &fleet.start_args(&fleet.config_parameter(), &fleet.agent_service_command())).await;
    assert_eq!(code, 0, "{log}");
    fleet
        .wait_for("the instance to leave after its job, lowering desired", |(desired, i)| {
            *desired == 1 && !i.iter().any(|(id, _, _)| id == &instance)
        })
        .await;
    let results = fleet.stub.job_results();
    assert_eq!(results.iter().map(|(_, r)| r.as_str()).collect::<Vec<_>>(), ["passed"]);
}

/// `boot watch` for the whole life of an instance, as the image runs it.
fn watcher(fleet: &Fleet, imds: &ImdsStub) -> std::process::Child {
    let dir = fleet.agent_dir().display().to_string();
    fleet.boot(imds, &["watch", "--agent-dir", &dir, "--poll-seconds", "1"]).spawn().unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_spot_notice_while_busy_lets_the_job_pass_and_the_agent_leave_interrupted() {
    let Some(fleet) = fleet(1, "0").await else { return };
    let (instance, imds) = fleet.first_instance().await;
    let stub = &fleet.stub;
    stub.set_job_commands(&["sleep 5", "echo finished-in-peace"]);
    stub.enqueue(TOKEN, 1);
    let param = fleet.config_parameter();
    let (code, log) = fleet.run_boot(&imds, &fleet.start_args(&param, &fleet.agent_service_command())).await;
    assert_eq!(code, 0, "{log}");
    let watcher = watcher(&fleet, &imds);
    wait_until("the agent to take the job", || !stub.busy_agents().is_empty()).await;
    let name = stub.busy_agents().remove(0);
    imds.set_instance_action(Some(r#"{"action":"terminate","time":"2026-11-28T12:00:00Z"}"#));
    wait_until("Semaphore to learn of the interruption", || stub.interrupted_agents() == vec![name.clone()]).await;
    // INTERRUPTED after the job: the instance leaves, and the group keeps its capacity.
    fleet.wait_for("the interrupted instance to leave", |(desired, i)| *desired == 1 && !i.iter().any(|(id, _, _)| id == &instance)).await;
    let results = stub.job_results();
    assert_eq!(results.iter().map(|(_, r)| r.as_str()).collect::<Vec<_>>(), ["passed"], "the job was never stopped");
    assert!(stub.job_log(&results[0].0).join("\n").contains("finished-in-peace"));
    let mut watcher = watcher;
    let _ = watcher.kill();
    let (_, log) = output(watcher).await;
    assert!(log.contains("spot interruption notice") && log.contains("asking the agent"), "{log}");
}

/// The notice is there before the agent has registered (the common case: a spot instance whose
/// notice comes while it boots). A SIGTERM then is lost, so the watcher asks until it counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_drain_that_arrives_during_registration_still_reaches_semaphore() {
    let Some(fleet) = fleet(1, "0").await else { return };
    let (instance, imds) = fleet.first_instance().await;
    let stub = &fleet.stub;
    stub.refuse_registration_for(Duration::from_secs(5));
    imds.set_instance_action(Some(r#"{"action":"terminate","time":"2026-11-28T12:00:00Z"}"#));
    let watcher = watcher(&fleet, &imds);
    let param = fleet.config_parameter();
    let (code, log) = fleet.run_boot(&imds, &fleet.start_args(&param, &fleet.agent_service_command())).await;
    assert_eq!(code, 0, "{log}");
    wait_until("a refused registration", || !stub.registrations().is_empty()).await;
    fleet.wait_for("the interrupted instance to leave", |(desired, i)| *desired == 1 && !i.iter().any(|(id, _, _)| id == &instance)).await;
    let names = stub.agent_names();
    assert_eq!(stub.interrupted_agents().len(), 1, "the agent reported the interruption; registered: {names:?}");
    assert!(stub.job_results().is_empty(), "no job was taken");
    let mut watcher = watcher;
    let _ = watcher.kill();
    let (_, log) = output(watcher).await;
    assert!(log.contains("spot interruption notice"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_pre_signed_urls_the_agent_is_named_by_a_signed_sts_request() {
    let Some(fleet) = fleet_with(1, &[("SEMAPHORE_AGENT_USE_PRE_SIGNED_URL", "true")]).await else { return };
    let (_, imds) = fleet.first_instance().await;
    let param = fleet.config_parameter();
    let args = fleet.start_args(&param, "true");
    let (code, log) = fleet.run_boot(&imds, &args).await;
    assert_eq!(code, 0, "{log}");
    let written =
        config_map(&std::fs::read_to_string(fleet.agent_dir().join("config.yaml")).unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    let url = written.get("name").and_then(Yaml::as_str).unwrap_or_default().to_string();
    assert!(!log.contains(&url), "the signed URL is a credential for 15 minutes; it must not be logged");
    // Signed in the query with the instance profile's key, valid for 15 minutes.
    for part in ["Action=GetCallerIdentity", "Version=2011-06-15", "X-Amz-Expires=900", "X-Amz-Signature=", "X-Amz-Security-Token="] {
        assert!(url.contains(part), "{part} missing in {url}");
    }
    assert!(url.starts_with(&fleet.lifecycle.endpoint()) && url.contains(&format!("X-Amz-Credential={}%2F", imds::ACCESS_KEY_ID)), "{url}");
    // What STS checks when Semaphore calls it: the signature, recomputed here from the SigV4
    // specification with the instance profile's secret. (moto's server cannot answer a query-signed
    // GET: it routes unsigned-looking requests to S3.)
    assert_eq!(sigv4_query_signature(&url, "imds-stub-secret"), query_param(&url, "X-Amz-Signature"));
}

fn query_param(url: &str, key: &str) -> String {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query.split('&').find_map(|kv| kv.strip_prefix(&format!("{key}="))).unwrap_or_default().to_string()
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SigV4 for a query-signed GET of `/` with an empty body, signing only the host header.
fn sigv4_query_signature(url: &str, secret: &str) -> String {
    use sha2::{Digest, Sha256};
    let (base, query) = url.split_once("/?").unwrap_or_default();
    let host = base.split_once("://").map(|(_, h)| h).unwrap_or_default();
    let mut pairs: Vec<&str> = query.split('&').filter(|kv| !kv.starts_with("X-Amz-Signature=")).collect();
    pairs.sort_unstable();
    let empty_body = hex(&Sha256::digest(b""));
    let canonical = format!("GET\n/\n{}\nhost:{host}\n\nhost\n{empty_body}", pairs.join("&"));
    let amz_date = query_param(url, "X-Amz-Date");
    let scope = query_param(url, "X-Amz-Credential").replace("%2F", "/").split_once('/').map(|(_, s)| s.to_string()).unwrap_or_default();
    let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", hex(&Sha256::digest(canonical.as_bytes())));
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in scope.split('/') {
        key = hmac_sha256(&key, part.as_bytes());
    }
    hex(&hmac_sha256(&key, to_sign.as_bytes()))
}
