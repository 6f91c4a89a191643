//! `destroy` on a macOS stack and its dedicated hosts, against moto: the hosts are listed with the
//! time from which AWS lets them go (a Mac host is billed and kept for at least 24 hours) and the
//! exact command; `--release-hosts` releases those past the minimum; `--wait-for-hosts` waits
//! until Ctrl-C. moto allocates hosts now, so none is past the minimum here: the release itself
//! is checked through the same adapter on a host moto then reports released.

mod common;

use std::process::Stdio;
use std::time::Duration;

use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_testkit::moto::unique;
use agent_stack_testkit::Moto;
use common::{on_moto, run};

const LICENSE: &str = "arn:aws:license-manager:us-east-1:123456789012:license-configuration:lic-0123456789abcdef0123456789abcdef";

fn config(stack: &str, hosts: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("{stack}.json"));
    let json = serde_json::json!({
        "SEMAPHORE_AGENT_STACK_NAME": stack, "SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME": format!("{stack}-token"),
        "SEMAPHORE_ENDPOINT": "hosts.semaphoreci.com", "SEMAPHORE_AGENT_OS": "macos", "SEMAPHORE_AGENT_ARCH": "arm64",
        "SEMAPHORE_AGENT_INSTANCE_TYPE": "mac2.metal", "SEMAPHORE_AGENT_LICENSE_CONFIGURATION_ARN": LICENSE,
        "SEMAPHORE_AGENT_MAC_DEDICATED_HOSTS": hosts,
    });
    std::fs::write(&path, json.to_string()).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn destroy(moto: &Moto, file: &std::path::Path, extra: &[&str]) -> (i32, String, String) {
    run(on_moto(moto).args(["destroy", "--yes", "--config"]).arg(file).args(extra))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_lists_releases_and_waits_for_a_macos_stacks_hosts() {
    let Some(moto) = Moto::shared() else { return };
    moto.export_env();
    let sdk = sdk_config(CallProfile::Command).await;
    let ec2 = agent_stack_aws::ec2_sdk::Client::new(&sdk);
    let allocated = ec2.allocate_hosts().instance_type("mac2.metal").availability_zone("us-east-1a").quantity(2).send().await;
    let ids = allocated.unwrap_or_else(|e| panic!("{e:?}")).host_ids().to_vec();
    let (young, released) = (ids[0].clone(), ids[1].clone());
    let refused = agent_stack_aws::ec2::release_hosts(&sdk, std::slice::from_ref(&released)).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(refused.is_empty(), "{refused:?}");
    let stack = unique("hosts");
    let file = config(&stack, &format!("{young},{released}"));

    // Without the flag: listed, with the time and the exact command.
    let (code, out, err) = destroy(moto, &file, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("does not exist: nothing to destroy"), "{out}");
    assert!(out.contains(&format!("{young} can be released from 20")) && out.contains("24-hour minimum"), "{out}");
    assert!(out.contains(&format!("{released} is released already")), "{out}");
    assert!(out.contains(&format!("release later with: aws ec2 release-hosts --host-ids {young}\n")), "{out}");

    // --release-hosts: nothing is past the minimum yet, so the same list, and the host stays.
    let (code, out, err) = destroy(moto, &file, &["--release-hosts"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("--host-ids {young}")) && !out.contains(&format!("released {young}")), "{out}");
    let state = agent_stack_aws::inspect::hosts(&sdk, std::slice::from_ref(&young)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(state[0].state, "available");

    // --wait-for-hosts waits for it until Ctrl-C, then lists what is left.
    let mut cmd = on_moto(moto);
    cmd.args(["destroy", "--yes", "--release-hosts", "--wait-for-hosts", "--config"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(Duration::from_secs(4)).await;
    let _ = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("waiting until 20") && text.contains(&format!("to release {young}")), "{text}");
    assert!(text.contains("stopped waiting") && text.contains(&format!("--host-ids {young}")), "{text}");

    // Flags that do not fit: exit 2 naming them.
    let plain = std::env::temp_dir().join(format!("{stack}-linux.json"));
    std::fs::write(&plain, format!(r#"{{"SEMAPHORE_AGENT_STACK_NAME":"{stack}","SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME":"t","SEMAPHORE_ENDPOINT":"x.semaphoreci.com"}}"#)).unwrap_or_else(|e| panic!("{e}"));
    let (code, _, err) = destroy(moto, &plain, &["--release-hosts"]);
    assert!(code == 2 && err.contains("--release-hosts") && err.contains("macOS"), "{err}");
    let (code, _, err) = destroy(moto, &file, &["--wait-for-hosts"]);
    assert!(code == 2 && err.contains("--release-hosts"), "{err}");
}
