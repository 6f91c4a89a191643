//! `agent-stack bootstrap`: the per-account, per-region assets stack (the Lambda artifact bucket),
//! and the CloudFormation execution policy the agent stack needs, written to a file.

use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_ops::bootstrap::bootstrap;
use agent_stack_ops::{AwsCloud, ASSETS_STACK};
use agent_stack_template::assets::execution_policy;
use agent_stack_template::{synth, SynthOptions};

use crate::args::BootstrapArgs;
use crate::error::CliError;
use crate::load::load_valid;
use crate::stack_ops::{self, Terminal};

pub fn run(args: &BootstrapArgs) -> Result<(), CliError> {
    let policy_template = match &args.config.config {
        Some(_) => synth(&load_valid(&args.config)?, &SynthOptions::default()).to_value(),
        None => agent_stack_template::assets::all_resource_types_template(),
    };
    let policy = execution_policy(&policy_template)
        .map_err(|unknown| CliError::Failed(format!("no execution-policy actions known for {}", unknown.join(", "))))?;
    let done = stack_ops::runtime()?.block_on(async {
        let cloud = AwsCloud::new(&sdk_config(CallProfile::Command).await);
        bootstrap(&cloud, &mut Terminal { yes: args.yes }).await
    })?;
    if done.up_to_date {
        println!("{ASSETS_STACK} is up to date");
    }
    println!("artifact bucket: {}", done.bucket);
    let text = serde_json::to_string_pretty(&policy).map_err(|e| CliError::Failed(e.to_string()))?;
    std::fs::write(&args.policy_out, text + "\n")
        .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", args.policy_out.display())))?;
    println!("execution policy written to {} (attach it to the role CloudFormation deploys with)", args.policy_out.display());
    Ok(())
}
