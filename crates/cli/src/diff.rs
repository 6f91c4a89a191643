//! `agent-stack diff`: what deploy would change. Exit 0 when nothing differs, 1 when something does,
//! 2 when it could not tell (bad input, or an AWS call that failed).

use agent_stack_aws::cfn;
use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_template::diff::{diff_resources, ResourceDiff};

use crate::args::DeployArgs;
use crate::error::CliError;
use crate::load::load_valid;
use crate::stack_ops::{self, change_set, check_updatable, deployed, prepare, Prepared};

pub fn run(args: &DeployArgs) -> Result<(), CliError> {
    compare(args).map_err(|e| match e {
        // Exit 1 means "differs": a failure must not look like an answer.
        CliError::Failed(message) => CliError::Unanswered(message),
        other => other,
    })
}

fn compare(args: &DeployArgs) -> Result<(), CliError> {
    let config = load_valid(&args.config)?;
    let stack = config.stack_name.clone();
    stack_ops::runtime()?.block_on(async {
        let sdk = sdk_config(CallProfile::Command).await;
        let Some(current) = deployed(&sdk, &stack).await? else {
            println!("stack {stack} does not exist: deploy would create it");
            return Err(CliError::Reported(1));
        };
        check_updatable(&stack, &current.info)?;
        let Prepared { template, params, .. } = prepare(&sdk, &config, &args.inputs(), Some(&current)).await?;
        let cs = change_set(&sdk, &stack, &template, &params, false).await?;
        let _ = cfn::delete_change_set(&sdk, &stack, &cs.id).await;
        let resources = diff_resources(&current.template, &template);
        let changed_params: Vec<&(String, String)> =
            params.iter().filter(|(k, v)| !current.info.parameters.iter().any(|(pk, pv)| pk == k && pv == v)).collect();
        if cs.is_empty_change() && resources.is_empty() && changed_params.is_empty() {
            println!("stack {stack}: no differences");
            return Ok(());
        }
        println!("stack {stack}: differences");
        for d in &resources {
            match d {
                ResourceDiff::Added { logical_id, resource_type } => println!("  + {logical_id} ({resource_type})"),
                ResourceDiff::Removed { logical_id, resource_type } => println!("  - {logical_id} ({resource_type})"),
                ResourceDiff::Modified { logical_id, resource_type, paths } => {
                    let replacement = cs
                        .changes
                        .iter()
                        .find(|c| &c.logical_id == logical_id)
                        .and_then(|c| c.replacement.as_deref())
                        .filter(|r| *r != "False")
                        .map(|r| format!(" [replacement: {r}]"))
                        .unwrap_or_default();
                    println!("  ~ {logical_id} ({resource_type}){replacement}");
                    for p in paths {
                        println!("      {p}");
                    }
                }
            }
        }
        for (k, v) in changed_params {
            println!("  parameter {k} = {v}");
        }
        Err(CliError::Reported(1))
    })
}
