//! `agent-stack deploy`: synthesize, upload the Lambda artifact, create or update the stack through
//! a change set, show progress, print outputs.

use agent_stack_aws::cfn;
use agent_stack_aws::{sdk_config, CallProfile};

use crate::args::DeployArgs;
use crate::error::CliError;
use crate::load::load_valid;
use crate::stack_ops::{
    self, change_set, changes_what_agents_boot_with, check_updatable, confirm, deployed, failures, prepare, risky, wait, Prepared,
};

pub fn run(args: &DeployArgs) -> Result<(), CliError> {
    let config = load_valid(&args.config)?;
    for note in &config.notes {
        eprintln!("note: {note}");
    }
    let stack = config.stack_name.clone();
    stack_ops::runtime()?.block_on(async {
        let sdk = sdk_config(CallProfile::Command).await;
        // The agents cannot start without their token: refuse before touching the stack.
        if agent_stack_aws::get_string(&sdk, &config.token_parameter_name).await.map_err(CliError::Failed)?.is_none() {
            return Err(CliError::Failed(format!(
                "token parameter {0} does not exist: store the registration token first (agent-stack token put --name {0})",
                config.token_parameter_name
            )));
        }
        let current = deployed(&sdk, &stack).await?;
        if let Some(d) = &current {
            check_updatable(&stack, &d.info)?;
        }
        let Prepared { template, params, artifact } = prepare(&sdk, &config, &args.inputs(), current.as_ref()).await?;
        artifact.upload(&sdk).await?;
        let create = current.is_none();
        let cs = change_set(&sdk, &stack, &template, &params, create).await?;
        if cs.is_empty_change() {
            let _ = cfn::delete_change_set(&sdk, &stack, &cs.id).await;
            println!("stack {stack} is up to date: nothing to deploy");
            return Ok(());
        }
        eprintln!("{} stack {stack}:", if create { "creating" } else { "updating" });
        for c in &cs.changes {
            let replace = match c.replacement.as_deref() {
                Some("True") => "  (replacement)",
                Some("Conditional") => "  (may be replaced)",
                _ => "",
            };
            eprintln!("  {:<8} {:<45} {}{replace}", c.action, c.logical_id, c.resource_type);
        }
        let risks = risky(&cs);
        if !risks.is_empty() && !confirm(&format!("this deploy changes: {}; continue?", risks.join(", ")), args.yes)? {
            let _ = cfn::delete_change_set(&sdk, &stack, &cs.id).await;
            return Err(CliError::Failed("deploy cancelled; nothing changed".into()));
        }
        cfn::execute_change_set(&sdk, &stack, &cs.id).await.map_err(CliError::Failed)?;
        let info = wait(&sdk, &stack, false).await?;
        if info.status == "CREATE_COMPLETE" || info.status == "UPDATE_COMPLETE" {
            println!("stack {stack}: {}", info.status);
            for (k, v) in &info.outputs {
                println!("  {k} = {v}");
            }
            if !create && changes_what_agents_boot_with(&cs) {
                let config = args.config.config.as_ref().map(|p| format!(" --config {}", p.display())).unwrap_or_default();
                println!("running agents keep the previous launch template and settings until they leave; to replace them without interrupting a job: agent-stack rotate{config}");
            }
            Ok(())
        } else {
            let why = failures(&sdk, &stack).await;
            Err(CliError::Failed(format!(
                "stack {stack} ended in {}{}{}",
                info.status,
                info.reason.map(|r| format!(": {r}")).unwrap_or_default(),
                if why.is_empty() { String::new() } else { format!("\nfailed resources:\n  {}", why.join("\n  ")) }
            )))
        }
    })
}
