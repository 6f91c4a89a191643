//! `agent-stack destroy`: delete the stack after confirmation and wait with progress.

use agent_stack_aws::cfn;
use agent_stack_aws::{sdk_config, CallProfile};

use crate::args::DestroyArgs;
use crate::error::CliError;
use crate::load::load_valid;
use crate::stack_ops::{self, confirm, failures, wait};

pub fn run(args: &DestroyArgs) -> Result<(), CliError> {
    let config = load_valid(&args.config)?;
    let stack = config.stack_name.clone();
    stack_ops::runtime()?.block_on(async {
        let sdk = sdk_config(CallProfile::Command).await;
        let Some(info) = cfn::describe_stack(&sdk, &stack).await.map_err(CliError::Failed)? else {
            println!("stack {stack} does not exist: nothing to destroy");
            return Ok(());
        };
        if !confirm(&format!("delete stack {stack} ({}) and its agents?", info.status), args.yes)? {
            return Err(CliError::Failed("destroy cancelled; nothing changed".into()));
        }
        cfn::delete_stack(&sdk, &stack).await.map_err(CliError::Failed)?;
        let done = wait(&sdk, &stack, false).await?;
        if done.status != "DELETE_COMPLETE" {
            let why = failures(&sdk, &stack).await;
            return Err(CliError::Failed(format!("stack {stack} ended in {}: {}", done.status, why.join("; "))));
        }
        println!("stack {stack} deleted");
        if let Some(mac) = &config.mac {
            println!(
                "macOS: dedicated hosts are billed for at least 24 h and are not part of the stack; release them in the EC2 console or with `aws ec2 release-hosts --host-ids …`{}",
                if mac.dedicated_hosts.is_empty() { String::new() } else { format!(" ({})", mac.dedicated_hosts.join(", ")) }
            );
        }
        Ok(())
    })
}
