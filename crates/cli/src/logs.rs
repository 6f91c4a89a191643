//! `agent-stack logs`: the stack's instances' log lines (docs/deploy.md).

use std::io::{IsTerminal, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_ops::logs::{fetch, parse_since, LogGroup, LogLine, Tail};
use agent_stack_ops::AwsCloud;

use crate::args::{LogGroupArg, LogsArgs, Output};
use crate::error::CliError;
use crate::load::load_valid;
use crate::stack_ops;

/// How often `--follow` asks again.
const FOLLOW_EVERY: Duration = Duration::from_secs(5);

fn groups(arg: Option<LogGroupArg>) -> Vec<LogGroup> {
    match arg {
        None => LogGroup::ALL.to_vec(),
        Some(LogGroupArg::Agent) => vec![LogGroup::Agent],
        Some(LogGroupArg::Health) => vec![LogGroup::Health],
        Some(LogGroupArg::CloudInit) => vec![LogGroup::CloudInit],
        Some(LogGroupArg::CloudInitOutput | LogGroupArg::Userdata) => vec![LogGroup::CloudInitOutput],
        Some(LogGroupArg::System) => vec![LogGroup::System],
    }
}

/// An EC2 instance id: `i-` and 8 or 17 hex digits.
fn instance_id_ok(id: &str) -> bool {
    id.strip_prefix("i-").is_some_and(|h| (h.len() == 8 || h.len() == 17) && h.chars().all(|c| c.is_ascii_hexdigit()))
}

pub fn run(args: &LogsArgs) -> Result<(), CliError> {
    let since = parse_since(&args.since).map_err(CliError::Input)?;
    if let Some(id) = args.instance.as_deref().filter(|id| !instance_id_ok(id)) {
        return Err(CliError::Input(format!("--instance {id:?} is not an EC2 instance id; allowed: i- and 8 or 17 hex digits")));
    }
    let config = load_valid(&args.config)?;
    let groups = groups(args.group);
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let start_ms = i64::try_from(now_ms.saturating_sub(since.as_millis())).unwrap_or(0);
    let color = matches!(args.output, Output::Text) && std::io::stdout().is_terminal();
    let runtime = stack_ops::runtime()?;
    runtime.block_on(async {
        let cloud = AwsCloud::new(&sdk_config(CallProfile::Command).await);
        let mut tail = Tail::new(start_ms);
        let mut first = true;
        loop {
            let fetched = fetch(&cloud, &config.stack_name, args.instance.as_deref(), &groups, tail.start_ms()).await?;
            let lines = tail.take(fetched.lines);
            print(&lines, args.output, color)?;
            if first {
                first = false;
                for group in &fetched.missing_groups {
                    eprintln!("note: log group {group} does not exist yet: no instance has written to it");
                }
                if fetched.instances.is_empty() {
                    eprintln!("note: the stack's group has no instances now or within the last hour");
                } else if lines.is_empty() && !args.follow {
                    eprintln!("note: no log lines from {} instance(s) in the last {}", fetched.instances.len(), args.since);
                }
            }
            if !args.follow {
                return Ok(());
            }
            tokio::select! {
                _ = tokio::signal::ctrl_c() => return Ok(()),
                _ = tokio::time::sleep(FOLLOW_EVERY) => {}
            }
        }
    })
}

fn print(lines: &[LogLine], output: Output, color: bool) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    for line in lines {
        let text = match output {
            Output::Text => line.text(color),
            Output::Json => serde_json::to_string(line).map_err(|e| CliError::Failed(e.to_string()))?,
        };
        writeln!(out, "{text}").map_err(|e| CliError::Failed(format!("writing the log lines: {e}")))?;
    }
    out.flush().map_err(|e| CliError::Failed(format!("writing the log lines: {e}")))
}
