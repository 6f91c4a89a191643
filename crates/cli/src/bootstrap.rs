//! `agent-stack bootstrap`: the per-account, per-region assets stack (the Lambda artifact bucket),
//! and the CloudFormation execution policy the agent stack needs, written to a file.

use agent_stack_aws::cfn;
use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_template::assets::{assets_template, execution_policy};
use agent_stack_template::{synth, SynthOptions};

use crate::args::BootstrapArgs;
use crate::error::CliError;
use crate::load::load_valid;
use crate::stack_ops::{self, check_updatable, confirm, failures, wait, ASSETS_STACK};

pub fn run(args: &BootstrapArgs) -> Result<(), CliError> {
    let policy_template = match &args.config.config {
        Some(_) => synth(&load_valid(&args.config)?, &SynthOptions::default()).to_value(),
        None => agent_stack_template::assets::all_resource_types_template(),
    };
    let policy = execution_policy(&policy_template)
        .map_err(|unknown| CliError::Failed(format!("no execution-policy actions known for {}", unknown.join(", "))))?;
    stack_ops::runtime()?.block_on(async {
        let sdk = sdk_config(CallProfile::Command).await;
        let current = cfn::describe_stack(&sdk, ASSETS_STACK).await.map_err(CliError::Failed)?;
        if let Some(info) = &current {
            check_updatable(ASSETS_STACK, info)?;
        }
        let cs = stack_ops::change_set(&sdk, ASSETS_STACK, &assets_template(), &[], current.is_none()).await?;
        if cs.is_empty_change() {
            let _ = cfn::delete_change_set(&sdk, ASSETS_STACK, &cs.id).await;
            println!("{ASSETS_STACK} is up to date");
        } else {
            if !confirm(
                &format!(
                    "{} the {ASSETS_STACK} stack (an S3 bucket for Lambda artifacts)?",
                    if current.is_none() { "create" } else { "update" }
                ),
                args.yes,
            )? {
                let _ = cfn::delete_change_set(&sdk, ASSETS_STACK, &cs.id).await;
                return Err(CliError::Failed("bootstrap cancelled; nothing changed".into()));
            }
            cfn::execute_change_set(&sdk, ASSETS_STACK, &cs.id).await.map_err(CliError::Failed)?;
            let info = wait(&sdk, ASSETS_STACK, false).await?;
            if !info.status.ends_with("_COMPLETE") || info.status.contains("ROLLBACK") {
                return Err(CliError::Failed(format!(
                    "{ASSETS_STACK} ended in {}: {}",
                    info.status,
                    failures(&sdk, ASSETS_STACK).await.join("; ")
                )));
            }
        }
        let bucket = stack_ops::assets_bucket(&sdk, &stack_ops::DeployInputs::default()).await?;
        println!("artifact bucket: {bucket}");
        Ok(())
    })?;
    let text = serde_json::to_string_pretty(&policy).map_err(|e| CliError::Failed(e.to_string()))?;
    std::fs::write(&args.policy_out, text + "\n")
        .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", args.policy_out.display())))?;
    println!("execution policy written to {} (attach it to the role CloudFormation deploys with)", args.policy_out.display());
    Ok(())
}
