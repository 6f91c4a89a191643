//! The instance's part in its group's launch hook (`agent_stack_config::launch`, only with a warm
//! pool): `boot start` completes the action once the instance is prepared in the pool, so AWS
//! stops it with nothing left half done, and again once its agent has started for service.

use agent_stack_aws::lifecycle::LifecycleAction;
use agent_stack_aws::SdkConfig;
use agent_stack_config::AgentConfigParameter;

use crate::{action, drain, say};

/// What completing the action does, for the log.
pub const PREPARED: &str = "prepared, it waits in the warm pool";
pub const IN_SERVICE: &str = "its agent has started, it goes InService";

/// This instance's action in the launch hook the stack's config parameter names; `None` without
/// one (no warm pool, or a stack made before the hook existed).
pub async fn find(sdk: &SdkConfig, param: &AgentConfigParameter, instance_id: &str) -> Result<Option<LifecycleAction>, String> {
    let (Some(hook), Some(drain)) = (&param.launch_hook_name, &param.drain) else { return Ok(None) };
    let group = drain::read(sdk, &drain.group_name_parameter_name).await?;
    Ok(Some(LifecycleAction { group, hook: hook.clone(), instance_id: instance_id.to_string() }))
}

/// Completes the launch action, if any. A failure is logged, not fatal: the hook's heartbeat
/// timeout lets the launch go on (CONTINUE) all the same, only later.
pub async fn complete(sdk: &SdkConfig, launch: Option<&LifecycleAction>, attempts: u32, outcome: &str) {
    let Some(action) = launch else { return };
    if let Err(e) = action::complete(sdk, action, attempts, false, outcome).await {
        say(&e);
    }
}
