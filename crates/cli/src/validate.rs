//! `agent-stack validate`: every problem at once, or the resolved configuration with defaults marked.

use agent_stack_config::{Resolved, Source};
use serde_json::json;

use crate::args::{Output, ValidateArgs};
use crate::error::CliError;
use crate::load::load;

pub fn run(args: &ValidateArgs) -> Result<(), CliError> {
    let (raw, config) = load(&args.config)?;
    let resolved = raw.resolved();
    match (config, args.output) {
        (Ok(config), Output::Text) => {
            println!(
                "configuration is valid: stack {} ({} {}, {}, {}..{} instances)",
                config.stack_name, config.os, config.arch, config.instance_type, config.asg.min_size, config.asg.max_size
            );
            print_parameters(&resolved);
            for note in &config.notes {
                println!("note: {note}");
            }
            Ok(())
        }
        (Ok(config), Output::Json) => {
            let out = json!({ "valid": true, "parameters": resolved, "notes": config.notes });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            Ok(())
        }
        (Err(errors), Output::Text) => Err(CliError::Config(errors)),
        (Err(errors), Output::Json) => {
            let list: Vec<_> = errors.0.iter().map(|e| json!({ "parameter": e.parameter, "message": e.message })).collect();
            println!("{}", serde_json::to_string_pretty(&json!({ "valid": false, "errors": list })).unwrap_or_default());
            Err(CliError::Reported(2))
        }
    }
}

fn print_parameters(resolved: &[Resolved]) {
    let width = resolved.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for r in resolved {
        let value = r.value.as_deref().unwrap_or("(unset)");
        let marker = match (r.source, &r.value) {
            (Source::Default, Some(_)) => "  (default)",
            (Source::Default, None) => "",
            (Source::File, _) => "  (file)",
            (Source::Env, _) => "  (environment)",
        };
        println!("  {:<width$} = {value}{marker}", r.name);
    }
}
