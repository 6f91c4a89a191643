//! `agent-stack synth`: the CloudFormation template, to stdout or a file.

use std::io::Write;

use agent_stack_template::{synth, SynthOptions};

use crate::args::SynthArgs;
use crate::error::CliError;
use crate::load::load_valid;

pub fn run(args: &SynthArgs) -> Result<(), CliError> {
    let options = options(args)?;
    let config = load_valid(&args.config)?;
    let text = synth(&config, &options).to_json();
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|e| CliError::Failed(format!("cannot write {}: {e}", path.display()))),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| CliError::Failed(format!("cannot write the template to stdout: {e}"))),
    }
}

fn options(args: &SynthArgs) -> Result<SynthOptions, CliError> {
    let check = |flag: &str, value: &Option<String>, prefix: &str| match value {
        Some(v) if !(v.starts_with(prefix) && v.len() > prefix.len() && v[prefix.len()..].chars().all(|c| c.is_ascii_hexdigit())) => {
            Err(CliError::Input(format!("{flag} {v:?} is not allowed; expected an id such as {prefix}0123456789abcdef0")))
        }
        _ => Ok(()),
    };
    check("--image-id", &args.image_id, "ami-")?;
    check("--default-vpc-id", &args.default_vpc_id, "vpc-")?;
    Ok(SynthOptions {
        image_id: args.image_id.clone(),
        lambda_code_bucket: args.lambda_bucket.clone(),
        lambda_code_key: args.lambda_key.clone(),
        lambda_architecture: args.lambda_arch.map(|a| agent_stack_config::Arch::from(a).to_string()),
        default_vpc_id: args.default_vpc_id.clone(),
    })
}
