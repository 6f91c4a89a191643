//! `agent-stack`: deploy and run an autoscaling fleet of self-hosted Semaphore agents on AWS.
//!
//! Parses the command line, runs one command, prints its error once and maps it to an exit code.

mod args;
mod boot;
mod bootstrap;
mod deploy;
mod destroy;
mod diff;
mod doctor;
mod error;
mod hosts;
mod lambda;
mod load;
mod logs;
mod recommend;
mod rotate;
mod scale;
mod simulate;
mod stack_ops;
mod status;
mod synth;
mod token;
mod validate;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    // Started by Lambda as the function's `bootstrap`: serve invocations (docs/deploy.md).
    if std::env::var_os(agent_stack_lambda::runtime::RUNTIME_API_ENV).is_some() && std::env::args_os().len() == 1 {
        return lambda::serve();
    }
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Boot(_)) {
        end_quietly_on_broken_pipe();
    }
    let result = match &cli.command {
        Command::Validate(a) => validate::run(a),
        Command::Synth(a) => synth::run(a),
        Command::Scale(a) => scale::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Bootstrap(a) => bootstrap::run(a),
        Command::Token(args::TokenCommand::Put(a)) => token::run(a),
        Command::Deploy(a) => deploy::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Destroy(a) => destroy::run(a),
        Command::Status(a) => status::run(a),
        Command::Doctor(a) => doctor::run(a),
        Command::Logs(a) => logs::run(a),
        Command::Rotate(a) => rotate::run(a),
        Command::Boot(c) => boot::run(c),
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

/// Rust starts programs with SIGPIPE ignored, so `println!` to a closed pipe (`agent-stack synth |
/// head`) panics with a backtrace. The operator's commands take the default disposition back and
/// end silently when their reader goes away, as `cat` does; this covers every write to stdout and
/// stderr. Not on the Lambda path (returned above) nor for `boot`, whose long-lived services must
/// outlive a closed pipe.
#[cfg(unix)]
fn end_quietly_on_broken_pipe() {
    // SAFETY: only sets a disposition, before any other thread exists; no handler code runs.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Windows has no SIGPIPE.
#[cfg(not(unix))]
fn end_quietly_on_broken_pipe() {}
