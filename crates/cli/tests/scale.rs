//! `agent-stack scale` against moto (a stack deployed through CloudFormation) and the Semaphore stub.

use std::process::Command;

use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_config::RegistrationToken;
use agent_stack_testkit::moto::unique;
use agent_stack_testkit::stack::{config, deploy};
use agent_stack_testkit::{Fault, Moto, SemaphoreStub};
use serde_json::Value;

const TOKEN: &str = "cli-scale-registration-token";

struct Setup {
    moto: &'static Moto,
    config_file: std::path::PathBuf,
    asg_name: String,
    stub: SemaphoreStub,
}

async fn setup() -> Option<Setup> {
    let moto = Moto::shared()?;
    moto.export_env();
    let sdk = sdk_config(CallProfile::Command).await;
    let stack = unique("cli-scale");
    let token_name = format!("{stack}-token");
    let stub = SemaphoreStub::start().await;
    stub.add_agent_type(TOKEN);
    let pairs = [
        ("SEMAPHORE_AGENT_STACK_NAME", stack.as_str()),
        ("SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME", token_name.as_str()),
        ("SEMAPHORE_ORGANIZATION", "test"),
        ("SEMAPHORE_AGENT_ASG_MAX_SIZE", "4"),
    ];
    let deployed = deploy(moto, &sdk, config(&pairs), |_event| async {}).await;
    agent_stack_aws::put_token(&sdk, &token_name, &RegistrationToken::new(TOKEN), None).await.unwrap_or_else(|e| panic!("{e}"));
    // The operator's config file: the same stack, with the stub as the Semaphore endpoint.
    let mut file: serde_json::Map<String, Value> = pairs.iter().map(|(k, v)| (k.to_string(), Value::from(*v))).collect();
    file.remove("SEMAPHORE_ORGANIZATION");
    file.insert("SEMAPHORE_ENDPOINT".into(), Value::from(stub.endpoint()));
    let config_file = std::env::temp_dir().join(format!("{stack}.json"));
    std::fs::write(&config_file, Value::Object(file).to_string()).unwrap_or_else(|e| panic!("{e}"));
    Some(Setup { moto, config_file, asg_name: deployed.asg_name, stub })
}

fn scale(s: &Setup, extra: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agent-stack"));
    cmd.args(["scale", "--config"]).arg(&s.config_file).args(extra);
    for (k, v) in s.moto.env() {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("{e}"));
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_finds_the_stacks_group_and_prints_json() {
    let Some(s) = setup().await else { return };
    s.stub.enqueue(TOKEN, 3);
    let (code, out, err) = scale(&s, &["--once", "--output", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["asg_name"], s.asg_name.as_str());
    assert_eq!(v["observation"]["jobs"]["queued"], 3);
    assert_eq!((v["observation"]["asg"]["desired"].clone(), v["observation"]["asg"]["max"].clone()), (0.into(), 4.into()));
    assert_eq!((v["decision"]["desired_before"].clone(), v["decision"]["desired_after"].clone()), (0.into(), 3.into()));
    assert_eq!(v["reason"], "3 jobs need 3 instances");
    assert!(!out.contains(TOKEN) && !err.contains(TOKEN));

    // Text output, with an explicit group name; 9 jobs stop at max 4.
    s.stub.enqueue(TOKEN, 6);
    let (code, out, _) = scale(&s, &["--asg-name", &s.asg_name]);
    assert_eq!(code, 0);
    assert!(out.contains("desired capacity raised: 3 -> 4 (9 jobs want 9 instances; capped at the maximum 4)"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_tick_exits_1_and_changes_nothing() {
    let Some(s) = setup().await else { return };
    s.stub.enqueue(TOKEN, 2);
    s.stub.set_fault(Some(Fault::Status(503)));
    let (code, out, err) = scale(&s, &["--once"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("tick failed, capacity unchanged") && err.contains("HTTP 503"), "{err}");
    s.stub.set_fault(None);
    let (code, out, _) = scale(&s, &["--once", "--output", "json", "--asg-name", "no-such-group"]);
    assert_eq!(code, 1);
    assert!(out.contains("no-such-group not found"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_and_stack_are_explained() {
    let Some(s) = setup().await else { return };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agent-stack"));
    cmd.args(["scale", "--once", "--config"]).arg(&s.config_file);
    cmd.env("AWS_ENDPOINT_URL", &s.moto.endpoint).env("AWS_REGION", "us-east-1").env("AWS_EC2_METADATA_DISABLED", "true");
    cmd.env_remove("AWS_ACCESS_KEY_ID").env_remove("AWS_SECRET_ACCESS_KEY").env_remove("AWS_PROFILE");
    cmd.env("AWS_CONFIG_FILE", "/nonexistent").env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    let out = cmd.output().unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.to_lowercase().contains("credentials"), "{err}");

    let other = std::env::temp_dir().join(format!("{}-other.json", unique("cli")));
    std::fs::write(
        &other,
        r#"{"SEMAPHORE_AGENT_STACK_NAME":"never-deployed","SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME":"t","SEMAPHORE_ORGANIZATION":"o"}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let setup2 = Setup { moto: s.moto, config_file: other, asg_name: String::new(), stub: SemaphoreStub::start().await };
    let (code, _, err) = scale(&setup2, &["--once"]);
    assert_eq!(code, 1);
    assert!(err.contains("never-deployed") && err.contains("--asg-name"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_keeps_ticking_until_interrupted() {
    let Some(s) = setup().await else { return };
    s.stub.enqueue(TOKEN, 1);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agent-stack"));
    cmd.args(["scale", "--watch", "--output", "json", "--config"]).arg(&s.config_file);
    for (k, v) in s.moto.env() {
        cmd.env(k, v);
    }
    let child = cmd.stdout(std::process::Stdio::piped()).spawn().unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap_or_else(|e| panic!("{e}"));
    let out = out.unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let ticks: Vec<Value> = stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(ticks.len() >= 2, "expected several ticks in 5 s: {stdout}");
    assert!(ticks.iter().all(|t| t["asg_name"] == s.asg_name.as_str()));
    assert_eq!(ticks.last().map(|t| t["observation"]["asg"]["desired"].clone()), Some(1.into()));
}
