//! The test harness for the instance side: a deployed stack in moto with fake instances, the
//! Semaphore stub, and `agent-stack boot …` run as on an instance (IMDS from a stub per instance),
//! with the Semaphore agent started the way the image's service starts it. The instances reach AWS
//! through the lifecycle proxy (testkit::lifecycle), which answers the lifecycle-action calls moto
//! lacks and holds every termination of the group in `Terminating:Wait`, as the drain hook does.
//! The agent starts as
//! `<agent dir>/agent start --config-file <agent dir>/config.yaml`. The agent is the real
//! semaphoreci/agent when `AGENT_STACK_SEMAPHORE_AGENT` names its binary (scripts/test.sh installs
//! it when the Go module proxy serves it), else the stand-in (examples/stand_in_agent.rs).
#![allow(dead_code)] // each test file uses part of it

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use agent_stack_aws::autoscaling::Client as AutoScaling;
use agent_stack_aws::{sdk_config, AsgFleet, CallProfile, SdkConfig};
use agent_stack_config::RegistrationToken;
use agent_stack_lambda::custom_resource;
use agent_stack_testkit::moto::unique;
use agent_stack_testkit::stack::{config, deploy, DeployedStack};
use agent_stack_testkit::{ImdsStub, LifecycleProxy, Moto, SemaphoreStub};

pub const TOKEN: &str = "boot-test-registration-token";

pub struct Fleet {
    pub moto: &'static Moto,
    pub sdk: SdkConfig,
    pub stack: DeployedStack,
    pub stub: SemaphoreStub,
    pub dir: tempfile::TempDir,
    /// Between the instances and moto: the lifecycle actions of the group's drain hook.
    pub lifecycle: LifecycleProxy,
}

/// A deployed stack whose group runs `desired` instances, and a Semaphore stub with its agent type.
pub async fn fleet(desired: i64, idle_timeout: &str) -> Option<Fleet> {
    fleet_with(desired, &[("SEMAPHORE_AGENT_DISCONNECT_AFTER_IDLE_TIMEOUT", idle_timeout)]).await
}

pub async fn fleet_with(desired: i64, extra: &[(&str, &str)]) -> Option<Fleet> {
    let moto = Moto::shared()?;
    moto.export_env();
    let sdk = sdk_config(CallProfile::Command).await;
    let stub = SemaphoreStub::start().await;
    stub.add_agent_type(TOKEN);
    stub.set_sync_after_ms(300);
    let name = unique("boot");
    let token_name = format!("{name}-token");
    let endpoint = stub.endpoint();
    let mut pairs = vec![
        ("SEMAPHORE_AGENT_STACK_NAME", name.as_str()),
        ("SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME", token_name.as_str()),
        ("SEMAPHORE_ENDPOINT", endpoint.as_str()),
        ("SEMAPHORE_AGENT_ASG_MAX_SIZE", "3"),
    ];
    pairs.extend_from_slice(extra);
    let sdk_ref = &sdk;
    let stack = deploy(moto, &sdk, config(&pairs), |event| async move {
        custom_resource::handle(sdk_ref, &event).await.unwrap_or_else(|e| panic!("custom resource: {e}"));
    })
    .await;
    agent_stack_aws::put_token(&sdk, &token_name, &RegistrationToken::new(TOKEN), None).await.unwrap_or_else(|e| panic!("{e}"));
    AsgFleet::new(&sdk, &stack.asg_name).set_desired(desired).await.unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    install_hook_shim(dir.path());
    let lifecycle = LifecycleProxy::start(&moto.endpoint).await;
    lifecycle.hold_terminations(&stack.asg_name, agent_stack_config::drain::DRAIN_HOOK_NAME);
    Some(Fleet { moto, sdk, stack, stub, dir, lifecycle })
}

/// The image's shutdown hook shim in `<agent dir>/hooks/shutdown`, pointing at the binary under
/// test (through `AGENT_STACK_BIN`).
fn install_hook_shim(agent_dir: &Path) {
    std::fs::create_dir_all(agent_dir.join("hooks")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(repo_file("images/files/shutdown"), agent_dir.join("hooks/shutdown")).unwrap_or_else(|e| panic!("{e}"));
}

pub fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

impl Fleet {
    pub fn agent_dir(&self) -> &Path {
        self.dir.path()
    }

    /// `agent-stack boot …` as on the instance: IMDS from the stub, AWS from moto, and credentials
    /// in the environment that must not be used (the instance profile's come from IMDS).
    pub fn boot(&self, imds: &ImdsStub, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_agent-stack"));
        cmd.arg("boot").args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
        for key in ["AWS_EC2_METADATA_DISABLED", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_SESSION_TOKEN"] {
            cmd.env_remove(key);
        }
        cmd.env("AWS_ENDPOINT_URL", self.lifecycle.endpoint())
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint())
            .env("AWS_ACCESS_KEY_ID", "AKIAJOBLEFTTHESEBEHIND")
            .env("AWS_SECRET_ACCESS_KEY", "from-a-job-not-the-instance-profile")
            .env("AGENT_STACK_BIN", env!("CARGO_BIN_EXE_agent-stack"));
        cmd
    }

    /// Runs `agent-stack boot ARGS…` to completion.
    pub async fn run_boot(&self, imds: &ImdsStub, args: &[String]) -> (i32, String) {
        run(self.boot(imds, &args.iter().map(String::as_str).collect::<Vec<_>>())).await
    }

    /// `boot start` with the test's layout: the agent as `<dir>/agent`.
    pub fn start_args(&self, config_parameter: &str, start_command: &str) -> Vec<String> {
        start_args_in(self.agent_dir(), config_parameter, start_command)
    }

    /// Starts the agent (real or stand-in) in the background, as the agent service would.
    pub fn agent_service_command(&self) -> String {
        agent_service_command_in(self.agent_dir())
    }

    /// A config file for the operator's commands on this stack.
    pub fn config_file(&self) -> PathBuf {
        let path = self.dir.path().join("config.json");
        let config = serde_json::json!({
            "SEMAPHORE_AGENT_STACK_NAME": self.stack.stack_name,
            "SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME": self.stack.config.token_parameter_name,
            "SEMAPHORE_ENDPOINT": self.stub.endpoint(),
        });
        std::fs::write(&path, config.to_string()).unwrap_or_else(|e| panic!("{e}"));
        path
    }

    /// An instance of the group with its own IMDS stub and agent directory (holding the image's
    /// hook shim).
    pub async fn node(&self, id: &str) -> Node {
        let dir = self.dir.path().join(id);
        install_hook_shim(&dir);
        Node { id: id.to_string(), imds: ImdsStub::start(id, "us-east-1").await, dir }
    }
}

/// One instance: its id, its metadata service and its agent directory.
pub struct Node {
    pub id: String,
    pub imds: ImdsStub,
    pub dir: PathBuf,
}

/// `boot start` with the test's layout in `dir`: the agent as `<dir>/agent`.
pub fn start_args_in(dir: &Path, config_parameter: &str, start_command: &str) -> Vec<String> {
    let dir = dir.display().to_string();
    vec![
        "start".into(),
        config_parameter.into(),
        "--agent-dir".into(),
        dir.clone(),
        "--start-command".into(),
        start_command.into(),
        "--agent-user".into(),
        current_user(),
        "--known-hosts".into(),
        format!("{dir}/home/.ssh/known_hosts"),
        "--attempts".into(),
        "2".into(),
        "--poll-seconds".into(),
        "1".into(),
    ]
}

/// The command that starts the agent in `dir` in the background, as the agent service would:
/// like systemd's `Restart=always` in the agent's unit, an agent killed by a signal is started
/// again (after 1 s); one that exits by itself is not.
pub fn agent_service_command_in(dir: &Path) -> String {
    install_agent(dir);
    let dir = dir.display();
    let agent = format!("SEMAPHORE_AGENT_LOG_FILE_PATH={dir}/agent-file.log {dir}/agent start --config-file {dir}/config.yaml");
    format!("nohup bash -c 'while {agent}; [ $? -ge 128 ]; do sleep 1; done' >> {dir}/agent.log 2>&1 &")
}

/// Puts the agent binary at `<dir>/agent`, as the image does: a file of its own, not a symlink
/// (the real agent re-executes itself by its resolved path, which must stay `<dir>/agent`).
pub fn install_agent(dir: &Path) -> PathBuf {
    let path = dir.join("agent");
    if !path.exists() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
        let binary = agent_binary();
        if std::fs::hard_link(&binary, &path).is_err() {
            std::fs::copy(&binary, &path).unwrap_or_else(|e| panic!("copying {}: {e}", binary.display()));
        }
    }
    path
}

/// The variable that names the real semaphoreci/agent binary.
pub const REAL_AGENT_VAR: &str = "AGENT_STACK_SEMAPHORE_AGENT";

/// The real agent when `AGENT_STACK_SEMAPHORE_AGENT` names it, else the stand-in. With
/// `AGENT_STACK_REQUIRE_REAL_AGENT=1` (scripts/test.sh, once it has installed the agent) the
/// stand-in is refused.
pub fn agent_binary() -> PathBuf {
    match std::env::var_os(REAL_AGENT_VAR).filter(|v| !v.is_empty()) {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(path.is_file(), "{REAL_AGENT_VAR}={} is not a file", path.display());
            path
        }
        None => {
            let required = std::env::var("AGENT_STACK_REQUIRE_REAL_AGENT").is_ok_and(|v| v == "1");
            assert!(!required, "AGENT_STACK_REQUIRE_REAL_AGENT=1 but {REAL_AGENT_VAR} is not set");
            stand_in_agent()
        }
    }
}

/// Whether the tests run the real agent.
pub fn real_agent() -> bool {
    std::env::var_os(REAL_AGENT_VAR).is_some_and(|v| !v.is_empty())
}

impl Fleet {
    pub async fn group(&self) -> (i32, Vec<(String, String, String)>) {
        let out = AutoScaling::new(&self.sdk)
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(&self.stack.asg_name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}", agent_stack_aws::Error::from_sdk("setting up", &e)));
        let group = out.auto_scaling_groups().first().cloned().unwrap_or_else(|| panic!("no group"));
        let instances = group
            .instances()
            .iter()
            .map(|i| {
                (
                    i.instance_id().unwrap_or_default().to_string(),
                    i.lifecycle_state().map(|s| s.as_str().to_string()).unwrap_or_default(),
                    i.health_status().unwrap_or_default().to_string(),
                )
            })
            .collect();
        (group.desired_capacity().unwrap_or(-1), instances)
    }

    /// The group's first instance and an IMDS stub that answers as that instance.
    pub async fn first_instance(&self) -> (String, ImdsStub) {
        let instance = self.instance_ids().await.remove(0);
        let imds = ImdsStub::start(&instance, "us-east-1").await;
        (instance, imds)
    }

    /// The stack's `<stack>-config` parameter.
    pub fn config_parameter(&self) -> String {
        format!("{}-config", self.stack.stack_name)
    }

    pub async fn instance_ids(&self) -> Vec<String> {
        self.group().await.1.into_iter().map(|(id, _, _)| id).collect()
    }

    pub async fn wait_for<F: Fn(&(i32, Vec<(String, String, String)>)) -> bool>(&self, what: &str, ok: F) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let group = self.group().await;
            if ok(&group) {
                return;
            }
            let log = agent_log(self.agent_dir());
            assert!(Instant::now() < deadline, "timed out waiting for {what}; group: {group:?}\nagent log:\n{log}");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

/// What the agent in `dir` printed (the stand-in's and the real agent's output).
pub fn agent_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("agent.log")).unwrap_or_default()
}

pub fn current_user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap_or_else(|e| panic!("id: {e}"));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The stand-in agent binary, built by `cargo test` with this package's examples.
pub fn stand_in_agent() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let path = exe.parent().and_then(Path::parent).map(|d| d.join("examples/stand_in_agent")).unwrap_or_default();
    assert!(path.exists(), "{} is missing: run the tests with `cargo test` (it builds the examples)", path.display());
    path
}

/// Waits for a child off the async workers, which serve the stubs it talks to.
pub async fn output(child: Child) -> (i32, String) {
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

pub async fn run<C: std::borrow::BorrowMut<Command>>(mut cmd: C) -> (i32, String) {
    output(cmd.borrow_mut().spawn().unwrap_or_else(|e| panic!("{e}"))).await
}

pub async fn wait_until<F: Fn() -> bool>(what: &str, ok: F) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
