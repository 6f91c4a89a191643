//! The Semaphore agent's behaviour that agent-stack depends on (`shared/reference/real-agent.md`),
//! checked against the agent the instance tests run: the stand-in (examples/stand_in_agent.rs) by
//! default, the real semaphoreci/agent when `AGENT_STACK_SEMAPHORE_AGENT` names its binary. The
//! same assertions hold for both, so the stand-in cannot drift from the real agent unnoticed.
//! No AWS here: the agent, the Semaphore stub and a hook that records its reason.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use agent_stack_boot::process::agent_pids;
use agent_stack_boot::Layout;
use agent_stack_ops::logs::is_registration_failure;
use agent_stack_testkit::SemaphoreStub;
use support::{agent_log, install_agent, output, wait_until};

const TOKEN: &str = "agent-contract-registration-token";

struct Agent {
    stub: SemaphoreStub,
    dir: tempfile::TempDir,
}

impl Agent {
    async fn new() -> Agent {
        let stub = SemaphoreStub::start().await;
        stub.add_agent_type(TOKEN);
        stub.set_sync_after_ms(300);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        install_agent(dir.path());
        let hook = format!("echo \"$SEMAPHORE_AGENT_SHUTDOWN_REASON\" > {}/hook-reason\n", dir.path().display());
        std::fs::write(dir.path().join("hook.sh"), hook).unwrap_or_else(|e| panic!("{e}"));
        Agent { stub, dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// config.yaml as agent-stack writes it, plus `extra` lines.
    fn configure(&self, name: &str, extra: &str) {
        let endpoint = self.stub.endpoint().trim_start_matches("http://").to_string();
        let text = format!(
            "endpoint: \"{endpoint}\"\nno-https: true\ntoken: \"{TOKEN}\"\nname: \"{name}\"\nupload-job-logs: \"when-trimmed\"\n\
             shutdown-hook-path: \"{}\"\n{extra}",
            self.path("hook.sh").display()
        );
        std::fs::write(self.path("config.yaml"), text).unwrap_or_else(|e| panic!("{e}"));
    }

    /// `<dir>/agent start --config-file <dir>/config.yaml`, as the service runs it.
    fn start(&self) -> Child {
        Command::new(self.path("agent"))
            .args(["start", "--config-file"])
            .arg(self.path("config.yaml"))
            .env("SEMAPHORE_AGENT_LOG_FILE_PATH", self.path("agent-file.log"))
            .current_dir(self.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn hook_reason(&self) -> Option<String> {
        std::fs::read_to_string(self.path("hook-reason")).ok().map(|s| s.trim().to_string())
    }

    fn pids(&self) -> Vec<u32> {
        agent_pids(&Layout::new(self.dir.path())).unwrap_or_default()
    }

    /// SIGTERM to every agent process, as `boot watch` sends it.
    fn terminate(&self) {
        for pid in self.pids() {
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        }
    }

    async fn registered(&self, name: &str) {
        let stub = &self.stub;
        wait_until("the agent to register", || stub.agent_names().iter().any(|n| n == name)).await;
    }
}

async fn finish(agent: Child) -> (i32, String) {
    tokio::time::timeout(Duration::from_secs(120), output(agent)).await.unwrap_or_else(|_| panic!("the agent did not exit"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_keys_and_malformed_entries_stop_the_agent_before_it_registers() {
    let agent = Agent::new().await;
    for (extra, says) in
        [("idle-timeout: 5\n", "Unrecognized option 'idle-timeout'"), ("env-vars: [\"A=1\", \"NO_EQUALS\"]\n", "NO_EQUALS")]
    {
        agent.configure("agent-contract-bad-config", extra);
        let (code, out) = finish(agent.start()).await;
        assert_eq!(code, 1, "{extra}: {out}");
        assert!(out.contains(says), "{extra}: {out}");
    }
    assert!(agent.stub.registrations().is_empty());
    assert_eq!(agent.hook_reason(), None, "no hook without a registration");
}

/// `agent-stack logs` marks the agent's registration failures by the lines the agent writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_registration_is_logged_as_agent_stack_logs_recognizes_it() {
    let agent = Agent::new().await;
    agent.stub.refuse_registration_for(Duration::from_secs(3));
    agent.configure("agent-contract-refused", "disconnect-after-job: true\ndisconnect-after-idle-timeout: 2\n");
    let child = agent.start();
    agent.registered("agent-contract-refused").await;
    let (code, out) = finish(child).await;
    assert_eq!(code, 0, "{out}");
    let failures: Vec<&str> = out.lines().filter(|l| is_registration_failure(l)).collect();
    assert!(!failures.is_empty(), "no line marked as a registration failure in:\n{out}");
    assert!(failures.iter().all(|l| l.contains("503")), "{failures:?}");
    assert!(!out.lines().any(|l| l.contains("registered") && is_registration_failure(l)), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idle_agent_registers_as_two_processes_and_leaves_with_idle() {
    let agent = Agent::new().await;
    agent.configure("agent-contract-idle", "disconnect-after-job: true\ndisconnect-after-idle-timeout: 3\ninterruption-grace-period: 90\n");
    let child = agent.start();
    agent.registered("agent-contract-idle").await;
    // The real agent's panicwrap parent and its child share the command line.
    assert_eq!(agent.pids().len(), 2, "{:?}", agent.pids());
    let (code, out) = finish(child).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(agent.hook_reason().as_deref(), Some("IDLE"));
    let registration = agent.stub.registrations().remove(0);
    for key in ["name", "version", "pid", "os", "arch", "hostname", "single_job", "idle_timeout", "interruption_grace_period", "job_id"] {
        assert!(registration.get(key).is_some(), "{key} missing in {registration}");
    }
    assert_eq!((registration["single_job"].as_bool(), registration["interruption_grace_period"].as_u64()), (Some(true), Some(90)));
    let seen = agent.stub.seen();
    let register = seen.iter().find(|s| s.path == "/register").unwrap_or_else(|| panic!("no register"));
    assert_eq!(register.authorization.as_deref(), Some(format!("Token {TOKEN}").as_str()));
    assert!(seen.iter().any(|s| s.path == "/disconnect"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_runs_its_commands_pushes_its_log_and_the_agent_leaves_after_it() {
    let agent = Agent::new().await;
    agent.stub.set_job_commands(&["echo out-$((6*7))"]);
    agent.stub.enqueue(TOKEN, 1);
    agent.configure("agent-contract-job", "disconnect-after-job: true\ndisconnect-after-idle-timeout: 0\n");
    let (code, out) = finish(agent.start()).await;
    assert_eq!(code, 0, "{out}");
    let results = agent.stub.job_results();
    assert_eq!(results.len(), 1, "{results:?}\n{out}");
    assert_eq!(results[0].1, "passed");
    let log = agent.stub.job_log(&results[0].0).join("\n");
    assert!(log.contains("out-42"), "the command's output must reach the push logger:\n{log}");
    assert_eq!(agent.hook_reason().as_deref(), Some("JOB_FINISHED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_while_idle_is_reported_and_the_agent_leaves_interrupted() {
    let agent = Agent::new().await;
    agent.configure("agent-contract-sigterm", "disconnect-after-job: true\ndisconnect-after-idle-timeout: 0\n");
    let child = agent.start();
    agent.registered("agent-contract-sigterm").await;
    agent.terminate();
    let (code, out) = finish(child).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(agent.stub.interrupted_agents(), vec!["agent-contract-sigterm".to_string()]);
    assert_eq!(agent.hook_reason().as_deref(), Some("INTERRUPTED"));
}

/// The fault `boot watch` must work around: a SIGTERM before registration completes is not
/// reported; the agent registers afresh as if never asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_during_registration_is_lost_and_the_agent_registers_afresh() {
    let agent = Agent::new().await;
    agent.stub.refuse_registration_for(Duration::from_secs(4));
    agent.configure("agent-contract-early", "disconnect-after-job: true\ndisconnect-after-idle-timeout: 0\n");
    let child = agent.start();
    let stub = &agent.stub;
    wait_until("a refused registration", || !stub.registrations().is_empty()).await;
    agent.terminate();
    agent.registered("agent-contract-early").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(stub.interrupted_agents().is_empty(), "the early SIGTERM was not reported");
    assert!(!agent.pids().is_empty(), "the agent runs on");
    // Asked again after registration, it reports the interruption and leaves.
    agent.terminate();
    let (code, out) = finish(child).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(stub.interrupted_agents(), vec!["agent-contract-early".to_string()]);
    assert_eq!(agent.hook_reason().as_deref(), Some("INTERRUPTED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_busy_agent_asked_to_leave_again_and_again_finishes_its_job() {
    let agent = Agent::new().await;
    agent.stub.set_job_commands(&["sleep 4", "echo done-after-sleep"]);
    agent.stub.enqueue(TOKEN, 1);
    agent.configure(
        "agent-contract-busy",
        "disconnect-after-job: false\ndisconnect-after-idle-timeout: 0\ninterruption-grace-period: 86400\n",
    );
    let child = agent.start();
    let stub = &agent.stub;
    wait_until("the job to start", || !stub.busy_agents().is_empty()).await;
    // Only the first SIGTERM after registration counts; the rest change nothing.
    for _ in 0..3 {
        agent.terminate();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    wait_until("the interruption to reach Semaphore", || !stub.interrupted_agents().is_empty()).await;
    let (code, out) = finish(child).await;
    assert_eq!(code, 0, "{out}\n{}", agent_log(agent.dir.path()));
    let results = stub.job_results();
    assert_eq!(results.iter().map(|(_, r)| r.as_str()).collect::<Vec<_>>(), vec!["passed"], "{out}");
    assert!(stub.job_log(&results[0].0).join("\n").contains("done-after-sleep"));
    assert_eq!(agent.hook_reason().as_deref(), Some("INTERRUPTED"));
}

/// config.yaml as `boot start` writes it for every example and every reference config (the
/// endpoint pointed at the stub): the agent starts on it and registers, it does not exit at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_agent_accepts_config_yaml_for_every_example_and_reference_config() {
    use agent_stack_boot::agent_yaml::AgentYaml;
    use agent_stack_config::{load, ConfigFile, RegistrationToken};
    let reference = support::repo_file("../shared/reference/agent-aws-stack");
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [support::repo_file("examples"), reference] {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        files.extend(entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.to_string_lossy().ends_with(".json")));
    }
    files.retain(|p| !p.to_string_lossy().ends_with(".template.json"));
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    let agent = Agent::new().await;
    let endpoint = agent.stub.endpoint().trim_start_matches("http://").to_string();
    for (i, file) in files.iter().enumerate() {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{e}"));
        let name = file.display().to_string();
        let (_, config) = load(Some(ConfigFile { path: &name, contents: &text }), std::iter::empty::<(String, String)>())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut param = agent_stack_template::agent_config(&config);
        param.endpoint = endpoint.clone();
        let agent_name = agent_stack_boot::name::random_name(&format!("i-0{i:016}"));
        let hook = agent.path("hook.sh").display().to_string();
        let yaml =
            AgentYaml::new(&param, RegistrationToken::new(TOKEN), agent_name.clone(), hook).unwrap_or_else(|e| panic!("{name}: {e}"));
        std::fs::write(agent.path("config.yaml"), yaml.render()).unwrap_or_else(|e| panic!("{e}"));
        let child = agent.start();
        agent.registered(&agent_name).await;
        agent.terminate();
        let (code, out) = finish(child).await;
        assert_eq!(code, 0, "{name}: {out}");
    }
}
