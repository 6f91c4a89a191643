//! The `agent-stack` binary as users run it: exit codes, output and files.

mod common;

use common::{bin, run};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("agent-stack-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap_or_else(|e| panic!("{e}"));
    path
}

const MIN: &str =
    r#"{"SEMAPHORE_AGENT_STACK_NAME":"test-stack","SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME":"test-token","SEMAPHORE_ORGANIZATION":"test"}"#;

#[test]
fn validate_accepts_every_example_and_marks_defaults() {
    for example in ["linux", "linux-spot-arm64", "linux-warm-pool", "windows", "macos", "static"] {
        let path = repo().join(format!("examples/{example}.json"));
        let (code, out, err) = run(bin().args(["validate", "--config"]).arg(&path));
        assert_eq!(code, 0, "{example}: {err}");
        assert!(out.starts_with("configuration is valid"), "{example}: {out}");
        assert!(out.contains("(default)") && out.contains("(file)"), "{example}: {out}");
    }
}

#[test]
fn validate_reports_every_problem_with_exit_code_2() {
    let path = temp_file(
        "bad.json",
        r#"{"SEMAPHORE_AGENT_STACK_NAME":"1bad","SEMAPHORE_AGENT_OS":"linux","SEMAPHORE_AGENT_INSTANCE_TPYE":"c5.large","SEMAPHORE_AGENT_USE_IPV6":"yes"}"#,
    );
    let (code, out, err) = run(bin().args(["validate", "--config"]).arg(&path));
    assert_eq!(code, 2, "{out}{err}");
    for needle in [
        "SEMAPHORE_AGENT_STACK_NAME",
        "SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME",
        "SEMAPHORE_ENDPOINT",
        "SEMAPHORE_AGENT_OS",
        "did you mean SEMAPHORE_AGENT_INSTANCE_TYPE?",
        "SEMAPHORE_AGENT_USE_IPV6: \"yes\" is not allowed; expected true or false",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn validate_json_output_for_scripts() {
    let path = temp_file("min.json", MIN);
    let (code, out, _) = run(bin().args(["validate", "--output", "json", "--config"]).arg(&path));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["valid"], true);
    let os = v["parameters"].as_array().and_then(|ps| ps.iter().find(|p| p["name"] == "SEMAPHORE_AGENT_OS")).cloned();
    assert_eq!(os, Some(serde_json::json!({ "name": "SEMAPHORE_AGENT_OS", "value": "ubuntu-focal", "source": "default" })));

    let bad = temp_file("bad-json.json", r#"{"SEMAPHORE_AGENT_STACK_NAME":"x"}"#);
    let (code, out, _) = run(bin().args(["validate", "--output", "json", "--config"]).arg(&bad));
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["valid"], false);
    assert!(v["errors"].as_array().is_some_and(|e| e.iter().any(|e| e["parameter"] == "SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME")));
}

#[test]
fn config_file_from_environment_and_overrides() {
    let path = temp_file("env.json", MIN);
    let (code, out, err) =
        run(bin().args(["validate"]).env("SEMAPHORE_AGENT_STACK_CONFIG", &path).env("SEMAPHORE_AGENT_INSTANCE_TYPE", "c6i.large"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("c6i.large  (environment)"), "{out}");
}

#[test]
fn validate_accepts_the_token_parameter_name_as_kms_key_with_a_note() {
    let path = temp_file("kms-as-param.json", MIN);
    let (code, out, err) = run(bin().args(["validate", "--config"]).arg(&path).env("SEMAPHORE_AGENT_TOKEN_KMS_KEY", "test-token"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("note: SEMAPHORE_AGENT_TOKEN_KMS_KEY is \"test-token\", the token's parameter name, not a KMS key"), "{out}");
    let (code, _, err) = run(bin().args(["validate", "--config"]).arg(&path).env("SEMAPHORE_AGENT_TOKEN_KMS_KEY", "some-key"));
    assert_eq!(code, 2);
    assert!(err.contains("SEMAPHORE_AGENT_TOKEN_KMS_KEY"), "{err}");
}

#[test]
fn boot_start_without_a_parameter_needs_one_saved_by_a_first_start() {
    let dir = std::env::temp_dir().join(format!("agent-stack-boot-saved-{}", std::process::id()));
    let (code, _, err) = run(bin().args(["boot", "start", "--agent-dir"]).arg(&dir));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no CONFIG_PARAMETER given") && err.contains("agent-stack.config-parameter"), "{err}");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("agent-stack.config-parameter"), "\n").unwrap_or_else(|e| panic!("{e}"));
    let (code, _, err) = run(bin().args(["boot", "start", "--agent-dir"]).arg(&dir));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("agent-stack.config-parameter is empty"), "{err}");
}

#[test]
fn missing_config_file_is_bad_input() {
    let (code, _, err) = run(bin().args(["validate", "--config", "/nonexistent/config.json"]));
    assert_eq!(code, 2);
    assert!(err.contains("cannot read config file /nonexistent/config.json"), "{err}");
}

#[test]
fn synth_is_deterministic_and_writes_files() {
    let path = repo().join("examples/linux.json");
    let (code, first, err) = run(bin().args(["synth", "--config"]).arg(&path));
    assert_eq!(code, 0, "{err}");
    let (_, second, _) = run(bin().args(["synth", "--config"]).arg(&path));
    assert_eq!(first, second);
    let out = std::env::temp_dir().join(format!("agent-stack-cli-{}-template.json", std::process::id()));
    let (code, stdout, _) = run(bin().args(["synth", "--config"]).arg(&path).arg("-o").arg(&out));
    assert_eq!((code, stdout.as_str()), (0, ""));
    assert_eq!(std::fs::read_to_string(&out).unwrap_or_default(), first);
    let v: serde_json::Value = serde_json::from_str(&first).unwrap_or_else(|e| panic!("{e}"));
    assert!(v["Resources"]["autoScalingGroup"].is_object());
}

#[test]
fn synth_refuses_invalid_config_and_flags() {
    let bad = temp_file("synth-bad.json", r#"{"SEMAPHORE_AGENT_STACK_NAME":"x"}"#);
    let (code, out, _) = run(bin().args(["synth", "--config"]).arg(&bad));
    assert_eq!((code, out.as_str()), (2, ""));
    let good = temp_file("synth-good.json", MIN);
    let (code, _, err) = run(bin().args(["synth", "--image-id", "ubuntu", "--config"]).arg(&good));
    assert_eq!(code, 2);
    assert!(err.contains("--image-id"), "{err}");
    let (code, _, _) = run(bin().args(["synth", "--lambda-arch", "sparc", "--config"]).arg(&good));
    assert_eq!(code, 2);
}

/// cfn-lint on the template of every example and reference config: no errors (warnings allowed).
/// Runs when cfn-lint is installed; CI sets AGENT_STACK_REQUIRE_CFN_LINT=1 so it cannot be skipped.
#[test]
fn cfn_lint_finds_no_errors_in_synthesized_templates() {
    let required = std::env::var_os("AGENT_STACK_REQUIRE_CFN_LINT").is_some();
    if Command::new("cfn-lint").arg("--version").output().is_err() {
        assert!(!required, "cfn-lint is required (AGENT_STACK_REQUIRE_CFN_LINT) but not installed");
        eprintln!("cfn-lint not installed: skipped (pip install -r requirements-dev.txt)");
        return;
    }
    let reference = repo().join("../shared/reference/agent-aws-stack");
    let mut configs: Vec<PathBuf> = ["linux", "linux-spot-arm64", "linux-warm-pool", "windows", "macos", "static"]
        .iter()
        .map(|e| repo().join(format!("examples/{e}.json")))
        .collect();
    if reference.is_dir() {
        configs
            .extend(["linux-min", "linux-full", "windows", "macos", "static"].iter().map(|n| reference.join(format!("{n}.config.json"))));
    } else {
        assert!(!required, "reference configs not found at {}", reference.display());
    }
    let dir = std::env::temp_dir().join(format!("agent-stack-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let mut templates = Vec::new();
    for (i, config) in configs.iter().enumerate() {
        let out = dir.join(format!("{i}-{}", config.file_name().and_then(|n| n.to_str()).unwrap_or("t")));
        let (code, _, err) = run(bin().args(["synth", "--config"]).arg(config).arg("-o").arg(&out));
        assert_eq!(code, 0, "{}: {err}", config.display());
        templates.push(out);
    }
    let output = Command::new("cfn-lint").args(templates.iter().map(|p| p.as_path()).collect::<Vec<&Path>>()).output();
    let output = output.unwrap_or_else(|e| panic!("cfn-lint: {e}"));
    let code = output.status.code().unwrap_or(-1);
    let report = String::from_utf8_lossy(&output.stdout);
    // cfn-lint's exit code is a bit mask: 2 = errors, 4 = warnings, 8 = informational, 1 = fatal.
    assert!(code >= 0 && code & 0b11 == 0, "cfn-lint found errors (exit {code}):\n{report}");
}

/// A static Linux build of `agent-stack` is its own Lambda artifact: started by Lambda (no
/// arguments, `AWS_LAMBDA_RUNTIME_API` set) it serves the Runtime API like `bootstrap`. Run here
/// under AWS's Lambda Runtime Interface Emulator. (A CDK provider-framework event, whose
/// ResponseURL is redacted, gets its answer as the invocation's result.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_stack_serves_the_lambda_runtime_api_when_lambda_starts_it() {
    let Some(rie) = agent_stack_testkit::rie::binary() else { return };
    let event = serde_json::json!({
        "RequestType": "Delete", "ResponseURL": "...", "StackId": "s", "RequestId": "r",
        "LogicalResourceId": "azRebalanceSuspender", "PhysicalResourceId": "CustomResourcePhysicalID",
        "ResourceProperties": { "AutoScalingGroupName": "g" },
    });
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_agent-stack"));
    let env = [("AGENT_STACK_FUNCTION".to_string(), "az-rebalance-suspender".to_string()), ("AWS_REGION".into(), "us-east-1".into())];
    let emulator = agent_stack_testkit::rie::Emulator::start(&rie, binary, &env, 30);
    let (status, body) = emulator.invoke(&event).await;
    assert_eq!(status, 200, "{body}\n{}", emulator.output());
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).ok(),
        Some(serde_json::json!({ "PhysicalResourceId": "CustomResourcePhysicalID" }))
    );
    assert!(emulator.output().contains("\"message\":\"custom resource\""), "{}", emulator.output());
}

#[test]
fn boot_start_rejects_a_parameter_name_ssm_cannot_hold() {
    let (code, _, err) = run(bin().args(["boot", "start", "my stack/config!"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("CONFIG_PARAMETER") && err.contains("my stack/config!"), "{err}");
    let (code, _, err) = run(bin().args(["boot", "start", "my-stack-config", "--attempts", "0"]));
    assert_eq!(code, 2);
    assert!(err.contains("--attempts"), "{err}");
}

#[test]
fn every_command_has_help_with_examples() {
    let commands: &[&[&str]] = &[
        &["validate"],
        &["synth"],
        &["scale"],
        &["bootstrap"],
        &["token", "put"],
        &["deploy"],
        &["diff"],
        &["destroy"],
        &["status"],
        &["doctor"],
        &["rotate"],
        &["simulate"],
        &["boot", "start"],
        &["boot", "shutdown-hook"],
        &["boot", "health-check"],
        &["boot", "watch"],
    ];
    for command in commands {
        let (code, out, err) = run(bin().args(*command).arg("--help"));
        assert_eq!(code, 0, "{command:?}: {err}");
        let examples = out.split_once("Examples:\n").map(|(_, e)| e).unwrap_or_default();
        assert!(examples.lines().next().is_some_and(|l| l.contains("agent-stack ")), "{command:?} --help has no examples:\n{out}");
    }
}

#[test]
fn doctor_rejects_bad_flags_before_calling_aws() {
    let config = temp_file("doctor.json", MIN);
    let (code, _, err) = run(bin().args(["doctor", "--output", "yaml", "--config"]).arg(&config));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--output") && err.contains("yaml"), "{err}");
}

#[test]
fn rotate_rejects_bad_flags_and_configs_before_calling_aws() {
    let config = temp_file("rotate.json", MIN);
    let (code, _, err) = run(bin().args(["rotate", "--poll-seconds", "0", "--config"]).arg(&config));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--poll-seconds"), "{err}");
    let bad = temp_file("rotate-bad.json", r#"{"SEMAPHORE_AGENT_STACK_NAME":"1bad"}"#);
    let (code, _, err) = run(bin().args(["rotate", "--yes", "--config"]).arg(&bad));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("SEMAPHORE_AGENT_STACK_NAME"), "{err}");
}

/// A reader that goes away early (`agent-stack synth | head`) ends the command quietly: no panic,
/// no backtrace, killed by SIGPIPE as `cat` would be (or done, had it finished writing first).
#[cfg(unix)]
#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let config = repo().join("examples/linux.json");
    for command in ["validate", "synth"] {
        let mut child = bin()
            .args([command, "--config"])
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.is_empty(), "{command}: {err}");
        assert!(out.status.success() || out.status.signal() == Some(13), "{command}: {:?}", out.status);
    }
}

/// `diff` exits 1 only for "differs": bad input before any AWS call is 2 (the AWS failures are in
/// lifecycle.rs).
#[test]
fn diff_exits_2_for_bad_input() {
    let bad = temp_file("diff-bad.json", r#"{"SEMAPHORE_AGENT_STACK_NAME":"1bad"}"#);
    let (code, _, err) = run(bin().args(["diff", "--config"]).arg(&bad));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("SEMAPHORE_AGENT_STACK_NAME"), "{err}");
    let config = temp_file("diff.json", MIN);
    let (code, _, err) = run(bin().args(["diff", "--lambda-zip", "/nonexistent/bootstrap.zip", "--config"]).arg(&config));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--lambda-zip /nonexistent/bootstrap.zip"), "{err}");
}
