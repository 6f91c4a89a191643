//! The very `bootstrap` binary under AWS's Lambda Runtime Interface Emulator (aws-lambda-rie),
//! invoked over its HTTP endpoint with the events the stack sends, against moto, the Semaphore stub
//! and loopback stand-ins for GitHub's `/meta` and CloudFormation's response URL. Each test checks
//! what the invocation did, what it answered and what it logged. Skipped with a message when the
//! emulator is not installed (scripts/test.sh installs it and requires it).

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use agent_stack_lambda::runtime::{HANDLER_ERROR_TYPE, INIT_ERROR_TYPE};
use agent_stack_testkit::moto::unique;
use agent_stack_testkit::rie::{self, Emulator};
use agent_stack_testkit::Moto;
use common::*;
use serde_json::{json, Value};

const SCALER: &str = "scalerLambdaEE0B7FDF";
const SSH_KEYS: &str = "sshKeysUpdaterLambda1B004349";
const AZ_REBALANCE: &str = "azRebalanceSuspenderLambda107177D1";

fn bootstrap() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_bootstrap"))
}

/// The function's environment in Lambda: its template variables, plus what Lambda's execution
/// role and the region would give (here: moto's endpoint and keys).
fn lambda_env(moto: &Moto, function_env: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = moto.env().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    env.extend(function_env);
    env
}

/// The function's timeout as the template sets it.
fn template_timeout(deployed: &agent_stack_testkit::stack::DeployedStack, function: &str) -> u64 {
    deployed.template["Resources"][function]["Properties"]["Timeout"].as_u64().unwrap_or_else(|| panic!("{function} has no Timeout"))
}

/// An EventBridge scheduled event as the stack's rules send it, for now.
fn scheduled_event() -> Value {
    let now = agent_stack_testkit::utc_text(agent_stack_testkit::unix_now());
    json!({
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": now, "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/scaler"], "detail": {},
    })
}

fn json_body(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// The scaler's scheduled invocation with the template's own timeout: it ticks until shortly past
/// the next scheduled invocation and ends before Lambda's deadline, having raised the group to the
/// queue, with one JSON record and five EMF metrics records per tick.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduled_scaler_raises_capacity_and_ends_before_its_timeout() {
    let Some(rie) = rie::binary() else { return };
    let Some((sdk, deployed, stub)) = setup(&[("SEMAPHORE_AGENT_ASG_MAX_SIZE", "5")]).await else { return };
    let Some(moto) = Moto::shared() else { return };
    stub.enqueue(TOKEN, 3);
    let env = lambda_env(moto, function_env(&deployed, SCALER, &[("SEMAPHORE_ENDPOINT", stub.endpoint())]));
    let timeout = template_timeout(&deployed, SCALER);
    let emulator = Emulator::start(&rie, bootstrap(), &env, timeout);
    let (status, body) = emulator.invoke(&scheduled_event()).await;
    let log = emulator.output();
    assert_eq!(status, 200, "{body}\n{log}");
    assert!(!body.contains("Task timed out"), "the tick loop must end before the {timeout} s timeout: {body}\n{log}");
    assert!(!log.contains("Reset initiated"), "{log}");
    let summary = json_body(&body);
    let ticks = summary["ticks"].as_u64().unwrap_or(0);
    // Ticks every 2 s from now until 10 s past the next scheduled minute: about 35.
    assert!(ticks >= 20, "{summary}");
    assert_eq!(summary["failed_ticks"], 0, "{summary}");
    assert_eq!(desired_and_instances(&sdk, &deployed.asg_name).await.0, 3);
    // Lambda's log: the emulator's START/END/REPORT lines around the function's JSON records and
    // one Embedded Metric Format record per tick.
    for line in ["START RequestId", "END RequestId", "REPORT RequestId"] {
        assert!(log.contains(line), "{line} missing:\n{log}");
    }
    let records: Vec<Value> = log.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).collect();
    assert_eq!(records.iter().filter(|r| r["message"] == "tick").count() as u64, ticks, "one record per tick:\n{log}");
    // JobCount (queued, running) and AgentCount (idle, occupied), as agent-aws-stack published them,
    // and the decision's DesiredCapacityBefore/After.
    let emf: Vec<&Value> = records.iter().filter(|v| v.get("_aws").is_some()).collect();
    assert_eq!(emf.len() as u64, 5 * ticks, "five EMF records per tick:\n{log}");
    let last = emf.iter().rev().find(|r| r.get("DesiredCapacityAfter").is_some()).unwrap_or_else(|| panic!("no decision metric:\n{log}"));
    assert_eq!(last["DesiredCapacityAfter"], 3, "{last}");
    let metrics = &emf[0]["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(metrics["Namespace"], "Semaphore", "{}", emf[0]);
    assert_eq!(emf[0]["StackName"], deployed.stack_name.as_str(), "{}", emf[0]);
    assert!(!log.contains(TOKEN), "the token must not be logged");
}

/// With a timeout shorter than a schedule period, the loop stops early enough for its last tick
/// to finish before the deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_timeout_ends_the_tick_loop_in_time() {
    let Some(rie) = rie::binary() else { return };
    let Some((sdk, deployed, stub)) = setup(&[]).await else { return };
    let Some(moto) = Moto::shared() else { return };
    stub.enqueue(TOKEN, 1);
    let env = lambda_env(moto, function_env(&deployed, SCALER, &[("SEMAPHORE_ENDPOINT", stub.endpoint())]));
    let emulator = Emulator::start(&rie, bootstrap(), &env, 12);
    let (status, body) = emulator.invoke(&scheduled_event()).await;
    let log = emulator.output();
    assert_eq!(status, 200, "{body}\n{log}");
    let summary = json_body(&body);
    assert!(summary["ticks"].as_u64().is_some_and(|t| (1..=3).contains(&t)), "{summary}\n{log}");
    assert!(!log.contains("Reset initiated"), "{log}");
    assert_eq!(desired_and_instances(&sdk, &deployed.asg_name).await.0, 1);
}

/// The AZ-rebalance custom resource: Create and Update suspend AZRebalance and answer SUCCESS on
/// the response URL; Delete answers SUCCESS and leaves the group alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_custom_resource_answers_cloudformation_for_create_update_and_delete() {
    let Some(rie) = rie::binary() else { return };
    let Some((sdk, deployed, _stub)) = setup(&[]).await else { return };
    let Some(moto) = Moto::shared() else { return };
    agent_stack_aws::autoscaling::Client::new(&sdk)
        .resume_processes()
        .auto_scaling_group_name(&deployed.asg_name)
        .scaling_processes("AZRebalance")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}", agent_stack_aws::Error::from_sdk("setting up", &e)));
    assert!(suspended_processes(&sdk, &deployed.asg_name).await.is_empty());
    let (sink, seen) = response_sink().await;
    let url = format!("{}/response", sink.url());
    let env = lambda_env(moto, function_env(&deployed, AZ_REBALANCE, &[]));
    let emulator = Emulator::start(&rie, bootstrap(), &env, template_timeout(&deployed, AZ_REBALANCE));
    for request in ["Create", "Update", "Delete"] {
        let (status, body) = emulator.invoke(&custom_resource_event(request, Some(&url), &deployed.asg_name)).await;
        assert_eq!(status, 200, "{request}: {body}\n{}", emulator.output());
        let answers = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let (content_type, answer) = answers.last().cloned().unwrap_or_else(|| panic!("{request}: no response PUT"));
        assert_eq!(answer["Status"], "SUCCESS", "{request}: {answer}");
        assert_eq!(answer["RequestId"], "req-1");
        assert_eq!(answer["PhysicalResourceId"], format!("az-rebalance-suspension/{}", deployed.asg_name));
        assert_eq!(content_type.as_deref(), Some(""), "the pre-signed URL is signed for an empty content type");
        if request == "Create" {
            assert_eq!(suspended_processes(&sdk, &deployed.asg_name).await, ["AZRebalance"]);
        }
    }
    assert_eq!(seen.lock().unwrap_or_else(|p| p.into_inner()).len(), 3);
    assert_eq!(suspended_processes(&sdk, &deployed.asg_name).await, ["AZRebalance"], "Delete leaves the group alone");
    let log = emulator.output();
    assert_eq!(log.matches("\"message\":\"custom resource\"").count(), 3, "{log}");
}

/// A response URL that cannot be reached fails the invocation as Lambda reports a handler error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_invocation_is_reported_with_its_message() {
    let Some(rie) = rie::binary() else { return };
    let Some(moto) = Moto::shared() else { return };
    let env = lambda_env(moto, vec![("AGENT_STACK_FUNCTION".into(), "az-rebalance-suspender".into())]);
    let emulator = Emulator::start(&rie, bootstrap(), &env, 30);
    let (status, body) = emulator.invoke(&custom_resource_event("Delete", Some("http://127.0.0.1:9/response"), "g")).await;
    assert_eq!(status, 200, "{body}");
    let error = json_body(&body);
    assert_eq!(error["errorType"], HANDLER_ERROR_TYPE, "{body}");
    assert!(error["errorMessage"].as_str().is_some_and(|m| m.contains("custom resource response")), "{body}");
}

/// The SSH-keys refresher on its schedule writes GitHub's keys to the stack's parameter, and only
/// when they changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ssh_keys_refresher_keeps_the_parameter_equal_to_githubs_keys() {
    let Some(rie) = rie::binary() else { return };
    let Some((sdk, deployed, _stub)) = setup(&[]).await else { return };
    let Some(moto) = Moto::shared() else { return };
    let keys: Keys =
        Arc::new(Mutex::new(vec!["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl".to_string()]));
    let github = github_meta(&keys).await;
    let meta = format!("{}/meta", github.url());
    let env = lambda_env(moto, function_env(&deployed, SSH_KEYS, &[("GITHUB_META_URL", meta)]));
    let parameter = env.iter().find(|(k, _)| k == "SSM_PARAMETER").map(|(_, v)| v.clone()).unwrap_or_default();
    let emulator = Emulator::start(&rie, bootstrap(), &env, template_timeout(&deployed, SSH_KEYS));
    let (status, body) = emulator.invoke(&scheduled_event()).await;
    assert_eq!(status, 200, "{body}\n{}", emulator.output());
    assert_eq!(json_body(&body), json!({ "parameter": parameter, "keys": 1, "changed": true }));
    let stored = agent_stack_aws::get_string(&sdk, &parameter).await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_default();
    assert_eq!(serde_json::from_str::<Vec<String>>(&stored).unwrap_or_default(), keys.lock().unwrap_or_else(|p| p.into_inner()).clone());
    let (_, body) = emulator.invoke(&scheduled_event()).await;
    assert_eq!(json_body(&body)["changed"], false, "{body}");
    assert!(emulator.output().contains("\"message\":\"ssh keys refreshed\""));
}

/// A broken environment fails the function's init: reported on the Runtime API's init/error, which
/// the invoke answers as Lambda does (502 with the error), naming what is missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_environment_is_an_init_error() {
    let Some(rie) = rie::binary() else { return };
    let Some(moto) = Moto::shared() else { return };
    let stack = unique("init");
    for (env, names) in [
        (
            vec![("AGENT_STACK_FUNCTION", "scaler"), ("SEMAPHORE_AGENT_STACK_NAME", stack.as_str())],
            "SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME is not set",
        ),
        (
            vec![
                ("AGENT_STACK_FUNCTION", "scaler"),
                ("SEMAPHORE_AGENT_STACK_NAME", stack.as_str()),
                ("SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME", "token"),
                ("SEMAPHORE_ENDPOINT", "org.semaphoreci.com"),
                ("SEMAPHORE_AGENT_ASG_NAME", "asg"),
                ("SEMAPHORE_AGENT_OS", "ubuntu-bionic"),
            ],
            "SEMAPHORE_AGENT_OS \"ubuntu-bionic\" is not allowed",
        ),
        (vec![("AGENT_STACK_FUNCTION", "ssh-keys-updater")], "SSM_PARAMETER is not set"),
        (vec![("AGENT_STACK_FUNCTION", "scaler-v2")], "AGENT_STACK_FUNCTION is \"scaler-v2\""),
    ] {
        let env = lambda_env(moto, env.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        let emulator = Emulator::start(&rie, bootstrap(), &env, 30);
        let (status, body) = emulator.invoke(&scheduled_event()).await;
        let log = emulator.output();
        assert_eq!(status, 502, "{body}\n{log}");
        let error = json_body(&body);
        assert_eq!(error["errorType"], INIT_ERROR_TYPE, "{body}");
        assert!(error["errorMessage"].as_str().is_some_and(|m| m.contains(names)), "{body}");
        assert!(log.contains("\"message\":\"init failed\"") && log.contains("Init failed"), "{log}");
    }
}
