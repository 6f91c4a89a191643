//! `agent-stack destroy`: empty the group (busy agents finish their jobs, or `--force` ends them),
//! delete the stack after confirmation and wait with progress.

use std::time::Duration;

use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_ops::destroy::{destroy, DestroyOptions, Destroyed};
use agent_stack_ops::AwsCloud;
use agent_stack_semaphore::SemaphoreClient;

use crate::args::DestroyArgs;
use crate::error::CliError;
use crate::hosts::{self, HostChoice};
use crate::load::load_valid;
use crate::stack_ops::{self, Terminal};

pub fn run(args: &DestroyArgs) -> Result<(), CliError> {
    let config = load_valid(&args.config)?;
    if args.release_hosts && config.mac.is_none() {
        return Err(CliError::Input(
            "--release-hosts applies to macOS stacks only (SEMAPHORE_AGENT_OS=macos): other stacks have no dedicated hosts".into(),
        ));
    }
    let stack = &config.stack_name;
    stack_ops::runtime()?.block_on(async {
        let cloud = AwsCloud::new(&sdk_config(CallProfile::Command).await);
        // Found before the group empties, while its instances still name their hosts.
        let hosts = if config.mac.is_some() { hosts::find(&cloud, &config).await } else { Vec::new() };
        let options = DestroyOptions { force: args.force, poll: Duration::from_secs(5) };
        let queue_for = |token| SemaphoreClient::new(&config.endpoint, token);
        let destroyed = destroy(&cloud, &mut Terminal { yes: args.yes }, &config, queue_for, options).await?;
        if destroyed == Destroyed::Missing {
            println!("stack {stack} does not exist: nothing to destroy");
        } else {
            println!("stack {stack} deleted");
        }
        if config.mac.is_some() {
            hosts::after_destroy(&cloud, &hosts, HostChoice { release: args.release_hosts, wait: args.wait_for_hosts }).await?;
        }
        Ok(())
    })
}
