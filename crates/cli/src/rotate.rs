//! `agent-stack rotate`: replaces the group's instances without interrupting a running job
//! (`agent_stack_ops::rotate` says how).

use std::time::Duration;

use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_ops::rotate::{planned, rotate, wait_until_gone, Plan};
use agent_stack_ops::AwsCloud;

use crate::args::{Output, RotateArgs};
use crate::error::CliError;
use crate::load::load_valid;
use crate::stack_ops::{self, Terminal};

pub fn run(args: &RotateArgs) -> Result<(), CliError> {
    let config = load_valid(&args.config)?;
    stack_ops::runtime()?.block_on(async {
        let cloud = AwsCloud::new(&sdk_config(CallProfile::Command).await);
        let (asg, plan) = planned(&cloud, &config.stack_name, args.all).await?;
        report(&plan, args.output)?;
        if plan.rotate.is_empty() {
            return Ok(());
        }
        let ui = &mut Terminal { yes: args.yes };
        rotate(&cloud, ui, &asg, &plan, args.any_image).await?;
        if args.wait {
            wait_until_gone(&cloud, ui, &asg, &plan.rotate, Duration::from_secs(args.poll_seconds)).await;
        }
        Ok(())
    })
}

fn report(plan: &Plan, output: Output) -> Result<(), CliError> {
    match output {
        Output::Json => println!("{}", serde_json::to_string(plan).map_err(|e| CliError::Failed(e.to_string()))?),
        Output::Text => {
            let version = plan.launch_template_version.as_deref().unwrap_or("unknown");
            println!("new instances launch from launch template version {version}");
            for (what, ids) in [
                ("to rotate", &plan.rotate),
                ("current, kept", &plan.current),
                ("already leaving", &plan.leaving),
                ("not in service yet, left alone (run rotate again later)", &plan.not_in_service),
            ] {
                if !ids.is_empty() {
                    println!("  {what}: {}", ids.join(", "));
                }
            }
            if plan.rotate.is_empty() {
                println!("nothing to rotate");
            }
        }
    }
    Ok(())
}
