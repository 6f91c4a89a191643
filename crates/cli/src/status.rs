//! `agent-stack status`: the stack, its Auto Scaling group and instances, and Semaphore's metrics.

use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_ops::status::status;
use agent_stack_ops::AwsCloud;
use agent_stack_semaphore::SemaphoreClient;

use crate::args::{Output, StatusArgs};
use crate::error::CliError;
use crate::load::load_valid;
use crate::stack_ops;

pub fn run(args: &StatusArgs) -> Result<(), CliError> {
    let config = load_valid(&args.config)?;
    let report = stack_ops::runtime()?.block_on(async {
        let cloud = AwsCloud::new(&sdk_config(CallProfile::Command).await);
        status(&cloud, &config, |token| SemaphoreClient::new(&config.endpoint, token)).await
    })?;
    match args.output {
        Output::Json => println!("{}", serde_json::to_string(&report).map_err(|e| CliError::Failed(e.to_string()))?),
        Output::Text => println!("{report}"),
    }
    Ok(())
}
