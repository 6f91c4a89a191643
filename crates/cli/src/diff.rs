//! `agent-stack diff`: what deploy would change. Exit 0 when nothing differs, 1 when something does,
//! 2 when it could not tell (bad input, or an AWS call that failed).

use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_ops::deploy::{diff, Difference};
use agent_stack_ops::AwsCloud;
use agent_stack_template::diff::ResourceDiff;

use crate::args::DeployArgs;
use crate::error::CliError;
use crate::load::load_valid;
use crate::stack_ops::{self, Terminal};

pub fn run(args: &DeployArgs) -> Result<(), CliError> {
    compare(args).map_err(|e| match e {
        // Exit 1 means "differs": a failure must not look like an answer.
        CliError::Failed(message) => CliError::Unanswered(message),
        other => other,
    })
}

fn compare(args: &DeployArgs) -> Result<(), CliError> {
    let config = load_valid(&args.config)?;
    let inputs = stack_ops::inputs(args)?;
    let stack = &config.stack_name;
    let difference = stack_ops::runtime()?.block_on(async {
        let cloud = AwsCloud::new(&sdk_config(CallProfile::Command).await);
        diff(&cloud, &mut Terminal { yes: false }, &config, &inputs).await
    })?;
    let (resources, replacements, params) = match difference {
        Difference::Same => {
            println!("stack {stack}: no differences");
            return Ok(());
        }
        Difference::Missing => {
            println!("stack {stack} does not exist: deploy would create it");
            return Err(CliError::Reported(1));
        }
        Difference::Differs { resources, replacements, params } => (resources, replacements, params),
    };
    println!("stack {stack}: differences");
    for d in &resources {
        match d {
            ResourceDiff::Added { logical_id, resource_type } => println!("  + {logical_id} ({resource_type})"),
            ResourceDiff::Removed { logical_id, resource_type } => println!("  - {logical_id} ({resource_type})"),
            ResourceDiff::Modified { logical_id, resource_type, paths } => {
                let replacement =
                    replacements.iter().find(|(id, _)| id == logical_id).map(|(_, r)| format!(" [replacement: {r}]")).unwrap_or_default();
                println!("  ~ {logical_id} ({resource_type}){replacement}");
                for p in paths {
                    println!("      {p}");
                }
            }
        }
    }
    for (k, v) in params {
        println!("  parameter {k} = {v}");
    }
    Err(CliError::Reported(1))
}
