//! `agent-stack status`: the stack, its Auto Scaling group and instances, and Semaphore's metrics;
//! `--watch` keeps it on screen with the scaler's latest decisions.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_config::time::utc_text;
use agent_stack_config::Config;
use agent_stack_ops::logs::LogSource;
use agent_stack_ops::status::status;
use agent_stack_ops::watch::{line, scaler_event, screen, ScalerEvent};
use agent_stack_ops::AwsCloud;
use agent_stack_semaphore::SemaphoreClient;

use crate::args::{Output, StatusArgs};
use crate::error::CliError;
use crate::load::load_valid;
use crate::stack_ops;

pub fn run(args: &StatusArgs) -> Result<(), CliError> {
    let config = load_valid(&args.config)?;
    stack_ops::runtime()?.block_on(async {
        let cloud = AwsCloud::new(&sdk_config(CallProfile::Command).await);
        if args.watch {
            return watch(&cloud, &config, args).await;
        }
        let report = status(&cloud, &config, |token| SemaphoreClient::new(&config.endpoint, token)).await?;
        match args.output {
            Output::Json => println!("{}", serde_json::to_string(&report).map_err(|e| CliError::Failed(e.to_string()))?),
            Output::Text => println!("{report}"),
        }
        Ok(())
    })
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Refreshes every `--interval` seconds until Ctrl-C. A failed refresh is shown and tried again;
/// a stack that does not exist at the start is an error.
async fn watch(cloud: &AwsCloud, config: &Config, args: &StatusArgs) -> Result<(), CliError> {
    let terminal = matches!(args.output, Output::Text) && std::io::stdout().is_terminal();
    let scaler_log = agent_stack_template::log_group_name(config, "scaler");
    let mut since = now_ms() - 3_600_000;
    let (mut decisions, mut seen): (Vec<ScalerEvent>, HashSet<String>) = (Vec::new(), HashSet::new());
    let mut first = true;
    loop {
        let at = utc_text(u64::try_from(now_ms() / 1_000).unwrap_or(0));
        let report = status(cloud, config, |token| SemaphoreClient::new(&config.endpoint, token)).await;
        let report = match report {
            Err(e) if first => return Err(e.into()),
            Err(e) => {
                eprintln!("{at} status failed: {e}; trying again in {} s", args.interval);
                None
            }
            Ok(r) => Some(r),
        };
        first = false;
        let mut new = Vec::new();
        if let Ok(Some(events)) = cloud.log_events(&scaler_log, &[], since).await {
            for event in events {
                since = since.max(event.timestamp);
                if seen.insert(event.id.clone()) {
                    new.extend(scaler_event(&event));
                }
            }
        }
        new.sort_by_key(|e| e.timestamp_ms);
        decisions.extend(new.iter().cloned());
        if let Some(report) = &report {
            let text = match args.output {
                Output::Json => serde_json::json!({ "time": at, "status": report, "decisions": new }).to_string(),
                Output::Text if terminal => format!("\x1b[H\x1b[2J{}", screen(report, &decisions, &at, args.interval)),
                Output::Text => {
                    let mut text = line(report, &at);
                    for d in &new {
                        text.push_str(&format!("\n{} scaler: {}", d.time, d.what));
                    }
                    text
                }
            };
            let mut out = std::io::stdout().lock();
            writeln!(out, "{text}").and_then(|_| out.flush()).map_err(|e| CliError::Failed(format!("writing the status: {e}")))?;
        }
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = tokio::time::sleep(Duration::from_secs(args.interval)) => {}
        }
    }
}
