//! `agent-stack destroy`: empty the group (busy agents finish their jobs, or `--force` ends them),
//! delete the stack after confirmation and wait with progress.

use std::time::Duration;

use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_ops::destroy::{destroy, DestroyOptions, Destroyed};
use agent_stack_ops::AwsCloud;
use agent_stack_semaphore::SemaphoreClient;

use crate::args::DestroyArgs;
use crate::error::CliError;
use crate::load::load_valid;
use crate::stack_ops::{self, Terminal};

pub fn run(args: &DestroyArgs) -> Result<(), CliError> {
    let config = load_valid(&args.config)?;
    let stack = &config.stack_name;
    let destroyed = stack_ops::runtime()?.block_on(async {
        let cloud = AwsCloud::new(&sdk_config(CallProfile::Command).await);
        let options = DestroyOptions { force: args.force, poll: Duration::from_secs(5) };
        let queue_for = |token| SemaphoreClient::new(&config.endpoint, token);
        destroy(&cloud, &mut Terminal { yes: args.yes }, &config, queue_for, options).await
    })?;
    if destroyed == Destroyed::Missing {
        println!("stack {stack} does not exist: nothing to destroy");
        return Ok(());
    }
    println!("stack {stack} deleted");
    if let Some(mac) = &config.mac {
        println!(
            "macOS: dedicated hosts are billed for at least 24 h and are not part of the stack; release them in the EC2 console or with `aws ec2 release-hosts --host-ids …`{}",
            if mac.dedicated_hosts.is_empty() { String::new() } else { format!(" ({})", mac.dedicated_hosts.join(", ")) }
        );
    }
    Ok(())
}
