//! `agent-stack doctor`: pre-flight checks (docs/deploy.md).

use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_ops::doctor::doctor;
use agent_stack_ops::AwsCloud;
use agent_stack_semaphore::SemaphoreClient;

use crate::args::{DoctorArgs, Output};
use crate::error::CliError;
use crate::load::load_valid;
use crate::stack_ops;

pub fn run(args: &DoctorArgs) -> Result<(), CliError> {
    let config = load_valid(&args.config)?;
    let report = stack_ops::runtime()?.block_on(async {
        let cloud = AwsCloud::new(&sdk_config(CallProfile::Command).await);
        doctor(&cloud, &config, |token| SemaphoreClient::new(&config.endpoint, token)).await
    });
    match args.output {
        Output::Json => println!("{}", serde_json::to_string(&report).map_err(|e| CliError::Failed(e.to_string()))?),
        Output::Text => println!("{report}"),
    }
    if report.failed() {
        return Err(CliError::Reported(1));
    }
    Ok(())
}
