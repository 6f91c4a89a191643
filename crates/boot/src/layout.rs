//! Where the agent lives on an instance, and the platform's defaults.

use std::path::{Path, PathBuf};

/// The agent's directory as agent-aws-stack's images lay it out.
#[cfg(not(windows))]
pub const DEFAULT_AGENT_DIR: &str = "/opt/semaphore/agent";
#[cfg(windows)]
pub const DEFAULT_AGENT_DIR: &str = "C:\\semaphore-agent";

/// The user the agent service runs as; owns config.yaml and the SSH known_hosts.
pub const DEFAULT_AGENT_USER: &str = "semaphore";

/// Starts the agent service installed on our images.
#[cfg(target_os = "linux")]
pub const DEFAULT_START_COMMAND: &str = "systemctl start semaphore-agent";
#[cfg(target_os = "macos")]
pub const DEFAULT_START_COMMAND: &str = "launchctl start com.semaphoreci.agent";
#[cfg(windows)]
pub const DEFAULT_START_COMMAND: &str = "Start-Service semaphore-agent";
#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
pub const DEFAULT_START_COMMAND: &str = "false";

/// Powers the instance off from the OS (the last resort when the agent is gone).
#[cfg(target_os = "linux")]
pub const DEFAULT_POWEROFF_COMMAND: &str = "systemctl poweroff";
#[cfg(windows)]
pub const DEFAULT_POWEROFF_COMMAND: &str = "Stop-Computer -Force";
#[cfg(not(any(target_os = "linux", windows)))]
pub const DEFAULT_POWEROFF_COMMAND: &str = "shutdown -h now";

/// Paths inside the agent directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub agent_dir: PathBuf,
}

impl Default for Layout {
    fn default() -> Self {
        Self::new(DEFAULT_AGENT_DIR)
    }
}

impl Layout {
    pub fn new(agent_dir: impl AsRef<Path>) -> Self {
        Self { agent_dir: agent_dir.as_ref().to_path_buf() }
    }

    /// The agent's configuration, `DIR/config.yaml`.
    pub fn config_file(&self) -> PathBuf {
        self.agent_dir.join("config.yaml")
    }

    /// The agent binary the service runs as `<binary> start …`.
    pub fn agent_binary(&self) -> PathBuf {
        self.agent_dir.join(if cfg!(windows) { "agent.exe" } else { "agent" })
    }

    /// The hook the agent runs when it shuts down.
    pub fn shutdown_hook(&self) -> PathBuf {
        self.agent_dir.join("hooks").join(if cfg!(windows) { "shutdown.ps1" } else { "shutdown" })
    }

    /// The stack's config parameter as the first `boot start` was given it, so that the image's
    /// boot unit can run `boot start` again on later boots (a warm-pool instance started for
    /// service), when user data does not run.
    pub fn saved_config_parameter(&self) -> PathBuf {
        self.agent_dir.join("agent-stack.config-parameter")
    }

    /// Written once `boot start` has started the agent; the health check only acts after that.
    pub fn started_marker(&self) -> PathBuf {
        self.agent_dir.join("agent-stack.started")
    }
}

/// Runs an operator-supplied command line through the platform's shell; its exit code.
pub fn run_command(command: &str) -> Result<(), String> {
    let (shell, args) = if cfg!(windows) {
        ("powershell", vec!["-NoProfile", "-NonInteractive", "-Command", command])
    } else {
        ("sh", vec!["-c", command])
    };
    run_program(shell, &args, &format!("`{command}`"))
}

/// Runs `program` with `args` to completion; an error names it as `shown` and says why.
pub fn run_program(program: &str, args: &[&str], shown: &str) -> Result<(), String> {
    let status = std::process::Command::new(program).args(args).status().map_err(|e| format!("{shown} could not run: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}
