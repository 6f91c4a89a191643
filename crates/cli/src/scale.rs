//! `agent-stack scale`: the scaler's tick, run from the operator's machine.

use agent_stack_aws::{read_token, sdk_config, AsgFleet, CallProfile, SdkConfig};
use agent_stack_config::Config;
use agent_stack_lambda::clock::SystemClock;
use agent_stack_scaler::policies::{decide_with, PolicyState};
use agent_stack_scaler::{
    run_ticks, tick_politely, tick_with, Backoff, Clock, JobQueue, PoliteTick, Primed, SourceError, TickReport, Window,
};
use agent_stack_semaphore::{Http, SemaphoreClient};
use agent_stack_template::ids;
use serde_json::json;

use crate::args::{Output, ScaleArgs};
use crate::error::CliError;
use crate::load::load_valid;

pub fn run(args: &ScaleArgs) -> Result<(), CliError> {
    agent_stack_aws::preload_trust_store();
    let config = load_valid(&args.config)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let sdk = sdk_config(CallProfile::Command).await;
        // Two chains at once, each ending in the first tick's read: the token, then Semaphore's
        // metrics; the group's name, then the group. The set-up's errors come before any tick.
        let (group, jobs) = tokio::join!(
            async {
                let name = group_name(&sdk, args, &config).await?;
                let fleet = AsgFleet::new(&sdk, name.as_str());
                let first = fleet.capacity().await;
                Ok::<_, CliError>((name, fleet, first))
            },
            async {
                let (token, http) = tokio::join!(read_token(&sdk, &config.token_parameter_name), Http::build_aside());
                let token = token.map_err(|e| CliError::Failed(e.to_string()))?;
                let http = http.map_err(|e| CliError::Failed(e.to_string()))?;
                let client = SemaphoreClient::with_http(&http, &config.endpoint, token);
                let first = JobQueue::metrics(&client).await;
                Ok::<_, CliError>((client, first))
            }
        );
        let (asg_name, group, first_capacity) = group?;
        let (client, first_metrics) = jobs?;
        let queue = Primed::new(&client, Some(first_metrics));
        let fleet = Primed::new(&group, Some(first_capacity));
        let state = std::cell::RefCell::new(PolicyState::for_config(&config));
        let decide = |o: &agent_stack_scaler::Observation| {
            decide_with(config.scaling_policy, o, config.overprovision, &mut state.borrow_mut(), SystemClock.now_ms())
        };
        if args.watch {
            let backoff = std::cell::Cell::new(Backoff::default());
            let ticks = run_ticks(&SystemClock, Window::unbounded(), || async {
                match tick_politely(&SystemClock, &backoff, &queue, &fleet, decide).await {
                    PoliteTick::Ran(outcome) => print(args.output, &asg_name, &outcome),
                    // Once per back-off; the message says how long the scaler waits.
                    PoliteTick::BackOff { cause, .. } => print(args.output, &asg_name, &Err(cause)),
                    PoliteTick::Skipped { .. } => {}
                }
            });
            tokio::select! {
                _ = ticks => Ok(()),
                _ = tokio::signal::ctrl_c() => Ok(()),
            }
        } else {
            let outcome = tick_with(&queue, &fleet, decide).await;
            print(args.output, &asg_name, &outcome);
            outcome.map(|_| ()).map_err(|_| CliError::Reported(1))
        }
    })
}

/// The group to scale: `--asg-name`, or the one the stack created.
async fn group_name(sdk: &SdkConfig, args: &ScaleArgs, config: &Config) -> Result<String, CliError> {
    if let Some(name) = &args.asg_name {
        return Ok(name.clone());
    }
    agent_stack_aws::cfn::Stacks::new(sdk)
        .physical_id(&config.stack_name, ids::AUTO_SCALING_GROUP)
        .await
        .map_err(|e| CliError::Failed(format!("cannot find the stack's Auto Scaling group: {e}")))?
        .ok_or_else(|| {
            CliError::Failed(format!(
                "cannot find the stack's Auto Scaling group: stack {} has none in this account and region; deploy it first or pass --asg-name",
                config.stack_name
            ))
        })
}

fn print(output: Output, asg_name: &str, outcome: &Result<TickReport, SourceError>) {
    match (output, outcome) {
        (Output::Json, Ok(r)) => println!(
            "{}",
            json!({
                "asg_name": asg_name,
                "observation": r.observation,
                "decision": { "desired_before": r.decision.desired_before, "desired_after": r.decision.desired_after, "raised": r.decision.raises() },
                "reason": r.decision.reason.to_string(),
            })
        ),
        (Output::Json, Err(e)) => println!("{}", json!({ "asg_name": asg_name, "error": e })),
        (Output::Text, Ok(r)) => {
            let o = &r.observation;
            println!(
                "jobs {} queued, {} running; agents {} idle, {} occupied; group {asg_name} desired {} (min {}, max {})",
                o.jobs.queued, o.jobs.running, o.agents.idle, o.agents.occupied, o.asg.desired, o.asg.min, o.asg.max
            );
            let verb = if r.decision.raises() { "raised" } else { "kept" };
            println!("desired capacity {verb}: {} -> {} ({})", r.decision.desired_before, r.decision.desired_after, r.decision.reason);
        }
        (Output::Text, Err(e)) => eprintln!("tick failed, capacity unchanged: {}", e.message),
    }
}
