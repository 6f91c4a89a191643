//! `agent-stack deploy`: synthesize, upload the Lambda artifact, create or update the stack through
//! a change set, show progress, print outputs.

use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_ops::deploy::{deploy, Deployment};
use agent_stack_ops::AwsCloud;

use crate::args::DeployArgs;
use crate::error::CliError;
use crate::load::load_valid;
use crate::stack_ops::{self, Terminal};

pub fn run(args: &DeployArgs) -> Result<(), CliError> {
    let config = load_valid(&args.config)?;
    for note in &config.notes {
        eprintln!("note: {note}");
    }
    let inputs = stack_ops::inputs(args)?;
    let stack = &config.stack_name;
    let deployment = stack_ops::runtime()?.block_on(async {
        let cloud = AwsCloud::new(&sdk_config(CallProfile::Command).await);
        deploy(&cloud, &mut Terminal { yes: args.yes }, &config, &inputs).await
    })?;
    match deployment {
        Deployment::UpToDate => println!("stack {stack} is up to date: nothing to deploy"),
        Deployment::Done { status, outputs, agents_need_rotate, .. } => {
            println!("stack {stack}: {status}");
            for (k, v) in &outputs {
                println!("  {k} = {v}");
            }
            if agents_need_rotate {
                let config = args.config.config.as_ref().map(|p| format!(" --config {}", p.display())).unwrap_or_default();
                println!("running agents keep the previous launch template and settings until they leave; to replace them without interrupting a job: agent-stack rotate{config}");
            }
        }
    }
    Ok(())
}
