//! `agent-stack`: deploy and run an autoscaling fleet of self-hosted Semaphore agents on AWS.
//!
//! Parses the command line, runs one command, prints its error once and maps it to an exit code.

mod args;
mod error;
mod load;
mod scale;
mod validate;
mod synth;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Validate(a) => validate::run(a),
        Command::Synth(a) => synth::run(a),
        Command::Scale(a) => scale::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.already_reported() {
                eprintln!("error: {e}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}
