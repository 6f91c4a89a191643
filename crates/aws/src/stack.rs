//! CloudFormation look-ups.

use aws_sdk_cloudformation::Client;

use crate::sdk::error_text;

/// The physical ID of a stack's resource (e.g. the ASG name of `autoScalingGroup`).
pub async fn physical_id(config: &aws_config::SdkConfig, stack: &str, logical_id: &str) -> Result<String, String> {
    let out =
        Client::new(config).describe_stack_resource().stack_name(stack).logical_resource_id(logical_id).send().await.map_err(|e| {
            let text = error_text(&e);
            if text.contains("does not exist") {
                format!("stack {stack} does not exist in this account and region")
            } else {
                format!("stack {stack}, resource {logical_id}: {text}")
            }
        })?;
    out.stack_resource_detail()
        .and_then(|d| d.physical_resource_id())
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("stack {stack} has no physical resource for {logical_id} yet"))
}
