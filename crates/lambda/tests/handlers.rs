//! The custom resource and SSH-keys handlers against moto, a local GitHub meta stand-in and a
//! local endpoint that records CloudFormation responses.

mod common;

use std::sync::{Arc, Mutex};

use agent_stack_lambda::{custom_resource, ssh_keys};
use agent_stack_testkit::moto::unique;
use common::{custom_resource_event as event, github_meta, moto_sdk, response_sink};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_resource_reports_success_and_failure_to_cloudformation() {
    let Some(sdk) = moto_sdk().await else { return };
    let (sink, seen) = response_sink().await;
    let url = format!("{}/response", sink.url());
    // A group that does not exist: Create fails and CloudFormation is told why.
    let out = custom_resource::handle(&sdk, &event("Create", Some(&url), "no-such-group")).await;
    assert!(out.is_ok(), "{out:?}");
    // Delete always succeeds and keeps the physical ID.
    custom_resource::handle(&sdk, &event("Delete", Some(&url), "no-such-group")).await.unwrap_or_else(|e| panic!("{e}"));
    let seen = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert_eq!(seen.len(), 2);
    let (content_type, failed) = &seen[0];
    assert_eq!(content_type.as_deref(), Some(""), "pre-signed URLs are signed without a content type");
    assert_eq!(failed["Status"], "FAILED");
    assert_eq!((failed["RequestId"].clone(), failed["LogicalResourceId"].clone()), (json!("req-1"), json!("azRebalanceSuspension")));
    assert!(failed["Reason"].as_str().is_some_and(|r| r.contains("no-such-group")), "{failed}");
    assert_eq!(seen[1].1["Status"], "SUCCESS");
    assert_eq!(seen[1].1["PhysicalResourceId"], "az-rebalance-suspension/no-such-group");
}

#[tokio::test]
async fn cdk_provider_framework_events_get_a_direct_answer() {
    let Some(sdk) = moto_sdk().await else { return };
    // During migration CDK's provider framework forwards events with ResponseURL redacted ("...").
    let out = custom_resource::handle(&sdk, &event("Delete", Some("..."), "old-group")).await;
    assert_eq!(out, Ok(json!({ "PhysicalResourceId": "az-rebalance-suspension/old-group" })));
    let out = custom_resource::handle(&sdk, &event("Create", None, "")).await;
    assert!(out.is_err_and(|e| e.contains("AutoScalingGroupName")));
    assert!(custom_resource::is_custom_resource_event(&event("Update", None, "g")));
    assert!(!custom_resource::is_custom_resource_event(&json!({ "source": "aws.events", "time": "2026-01-01T00:00:00Z" })));
}

#[tokio::test]
async fn ssh_keys_are_written_only_when_github_changes_them() {
    let Some(sdk) = moto_sdk().await else { return };
    let keys = Arc::new(Mutex::new(vec!["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl".to_string()]));
    let github = github_meta(&keys).await;
    let meta = format!("{}/meta", github.url());
    let parameter = unique("ssh-keys");
    let first = ssh_keys::refresh(&sdk, &parameter, &meta).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first["changed"], true, "a missing parameter is created");
    let again = ssh_keys::refresh(&sdk, &parameter, &meta).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again["changed"], false);
    keys.lock().unwrap_or_else(|p| p.into_inner()).push("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCj7ndNxQowgcQ".into());
    let changed = ssh_keys::refresh(&sdk, &parameter, &meta).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((changed["changed"].clone(), changed["keys"].clone()), (json!(true), json!(2)));
    let stored = agent_stack_aws::get_string(&sdk, &parameter).await.ok().flatten().unwrap_or_default();
    assert_eq!(serde_json::from_str::<Vec<String>>(&stored).map(|v| v.len()).unwrap_or(0), 2);
}

#[test]
fn implausible_github_answers_are_rejected() {
    for body in [r#"{}"#, r#"{"ssh_keys":[]}"#, r#"{"ssh_keys":["hello"]}"#, r#"{"ssh_keys":[1]}"#, "<html>"] {
        assert!(ssh_keys::keys_from_meta(body.as_bytes()).is_err(), "{body}");
    }
}
