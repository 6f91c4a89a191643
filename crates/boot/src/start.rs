//! `agent-stack boot start <config-param>`: what agent-aws-stack's start-agent.sh did, in one
//! program. IMDS → the stack's config parameter → GitHub's SSH keys → (wait while the instance is
//! in a warm pool, once the launch hook is told the instance is prepared) → the registration token and the agent's name → config.yaml → start the agent
//! service. The name (a pre-signed URL is valid for 15 minutes) and the token are made right
//! before the agent starts, never before a warm-pool wait of unknown length. Any failure marks the
//! instance Unhealthy, so its group replaces it.

use std::path::PathBuf;
use std::time::Duration;

use agent_stack_aws::imds::Imds;
use agent_stack_aws::instance::{mark_unhealthy, ThisInstance};
use agent_stack_aws::states::LifecycleState;
use agent_stack_aws::SdkConfig;
use agent_stack_config::AgentConfigParameter;

use crate::agent_yaml::AgentYaml;
use crate::files::{ensure_dir, lookup_user, write_atomic, User};
use crate::layout::run_command;
use crate::retry::with_jitter;
use crate::{known_hosts, launch, name, say, Layout};

/// How `start` runs.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// The stack's `<stack>-config` SSM parameter.
    pub config_parameter: String,
    pub layout: Layout,
    /// Starts the agent service.
    pub start_command: String,
    /// Owner of config.yaml and known_hosts; `None` leaves files owned by the caller.
    pub agent_user: Option<String>,
    /// Defaults to `~<agent user>/.ssh/known_hosts`.
    pub known_hosts: Option<PathBuf>,
    /// Tries per SSM read (agent-aws-stack: 30).
    pub attempts: u32,
    /// How often to look at the warm-pool state.
    pub poll: Duration,
}

/// Prepares and starts the agent; on failure marks the instance Unhealthy and returns why.
pub async fn start(options: &StartOptions) -> Result<(), String> {
    let ThisInstance { imds, id: instance_id, sdk } = ThisInstance::discover().await?;
    say(&format!("starting the Semaphore agent on {instance_id} from SSM parameter {}", options.config_parameter));
    let Err(reason) = prepare_and_start(&imds, &sdk, &instance_id, options).await else {
        return Ok(());
    };
    say(&format!("start failed: {reason}"));
    match mark_unhealthy(&sdk, &instance_id).await {
        Ok(()) => say(&format!("marked {instance_id} Unhealthy; its Auto Scaling group replaces it")),
        Err(e) => say(&format!("could not mark the instance Unhealthy: {e}")),
    }
    Err(reason)
}

async fn prepare_and_start(imds: &Imds, sdk: &SdkConfig, instance_id: &str, options: &StartOptions) -> Result<(), String> {
    let user = options.agent_user.as_deref().map(lookup_user).transpose()?;
    let saved = options.layout.saved_config_parameter();
    write_atomic(&saved, options.config_parameter.as_bytes(), 0o644, None)?;
    let param = read_parameter(sdk, &options.config_parameter, options.attempts).await?;
    let (param, unknown) =
        AgentConfigParameter::from_json(&param).map_err(|e| format!("SSM parameter {}: {e}", options.config_parameter))?;
    if !unknown.is_empty() {
        say(&format!("ignoring fields this version does not know in {}: {}", options.config_parameter, unknown.join(", ")));
    }
    param.check().map_err(|e| format!("SSM parameter {}: {e}", options.config_parameter))?;

    let keys = read_parameter(sdk, &param.ssh_keys_parameter_name, options.attempts).await?;
    let known_hosts = install_known_hosts(&keys, options.known_hosts.clone(), user.as_ref())?;
    say(&format!("wrote GitHub's SSH host keys to {}", known_hosts.display()));

    let launch = launch::find(sdk, &param, instance_id).await.unwrap_or_else(|e| {
        say(&format!("could not find the launch hook: {e}; its heartbeat timeout lets the launch go on"));
        None
    });

    // A stale marker would let the health check power off an instance whose agent has not started.
    remove_if_present(&options.layout.started_marker())?;
    if target_state(imds, options.attempts).await?.is_some_and(|s| s.is_warmed()) {
        launch::complete(sdk, launch.as_ref(), options.attempts, launch::PREPARED).await;
        wait_until_in_service(imds, options).await?;
    }

    let token_name = param.agent_token_parameter_name.as_str();
    let token = with_jitter(&format!("reading the registration token from SSM parameter {token_name}"), options.attempts, || async move {
        agent_stack_aws::read_token(sdk, token_name).await.map_err(|e| e.to_string())
    })
    .await?;
    let agent_name =
        if param.use_pre_signed_url { agent_stack_aws::presign::caller_identity_url(sdk).await? } else { name::random_name(instance_id) };
    let hook = options.layout.shutdown_hook().display().to_string();
    let yaml = AgentYaml::new(&param, token, agent_name, hook).map_err(|e| format!("SSM parameter {}: {e}", options.config_parameter))?;
    let config_file = options.layout.config_file();
    write_atomic(&config_file, yaml.render().as_bytes(), 0o600, user.as_ref())?;
    let shown_name = if param.use_pre_signed_url { "a pre-signed STS URL".to_string() } else { yaml.name.clone() };
    say(&format!("wrote {} (agent name: {shown_name})", config_file.display()));

    let command = options.start_command.clone();
    tokio::task::spawn_blocking(move || run_command(&command)).await.map_err(|e| format!("start command: {e}"))??;
    write_atomic(&options.layout.started_marker(), instance_id.as_bytes(), 0o644, None)?;
    say(&format!("started the agent ({})", options.start_command));
    launch::complete(sdk, launch.as_ref(), options.attempts, launch::IN_SERVICE).await;
    Ok(())
}

/// The config parameter an earlier `boot start` saved in `layout`, for a later boot.
pub fn saved_config_parameter(layout: &Layout) -> Result<String, String> {
    let path = layout.saved_config_parameter();
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => Ok(text.trim().to_string()),
        Ok(_) => Err(format!("{} is empty", path.display())),
        Err(e) => Err(format!("no CONFIG_PARAMETER given, and none saved by an earlier `boot start` in {}: {e}", path.display())),
    }
}

async fn read_parameter(sdk: &SdkConfig, name: &str, attempts: u32) -> Result<String, String> {
    with_jitter(&format!("reading SSM parameter {name}"), attempts, || async move {
        agent_stack_aws::get_string(sdk, name).await?.ok_or_else(|| "not found".to_string())
    })
    .await
}

fn remove_if_present(path: &std::path::Path) -> Result<(), String> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(format!("removing {}: {e}", path.display())),
        _ => Ok(()),
    }
}

fn install_known_hosts(keys: &str, path: Option<PathBuf>, user: Option<&User>) -> Result<PathBuf, String> {
    let path = path
        .or_else(|| user.map(|u| u.home.join(".ssh").join("known_hosts")))
        .ok_or("no known_hosts path: give --known-hosts or --agent-user")?;
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("reading {}: {e}", path.display())),
    };
    let text = known_hosts::with_github_keys(&existing, keys)?;
    if let Some(dir) = path.parent() {
        ensure_dir(dir, 0o700, user)?;
    }
    write_atomic(&path, text.as_bytes(), 0o644, user)?;
    Ok(path)
}

/// The instance's target lifecycle state, asked up to `attempts` times.
async fn target_state(imds: &Imds, attempts: u32) -> Result<Option<LifecycleState>, String> {
    let mut failures = 0;
    loop {
        match imds.target_lifecycle_state().await {
            Ok(state) => return Ok(state),
            Err(e) => {
                failures += 1;
                if failures >= attempts.max(1) {
                    return Err(e.into());
                }
                say(&format!("{e}; asking again"));
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// A warm-pool instance (`Warmed:*`) is prepared but its agent waits until the instance goes
/// InService, so it takes no job while parked. A stopped pool instance ends this wait with its
/// power; the image's boot unit runs `boot start` again when the instance is started for service.
async fn wait_until_in_service(imds: &Imds, options: &StartOptions) -> Result<(), String> {
    let mut announced = false;
    loop {
        match target_state(imds, options.attempts).await? {
            Some(state) if state.is_warmed() => {
                if !announced {
                    say(&format!("instance is in the warm pool ({state}): the agent starts when it goes InService"));
                    announced = true;
                }
            }
            _ => return Ok(()),
        }
        tokio::time::sleep(options.poll).await;
    }
}
