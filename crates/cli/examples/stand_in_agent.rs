//! Test support, not an example for users: the stand-in Semaphore agent process that the boot
//! tests start as `<agent dir>/agent start --config-file <agent dir>/config.yaml` (a symlink to
//! this binary), like the agent service on an image. Like the real agent it runs as two processes
//! (agent_stack_testkit::agent::wrapped).

use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use agent_stack_testkit::agent::{run, wrapped, WRAPPED_VAR};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let config = match args.as_slice() {
        [_, start, flag, path] if start == "start" && flag == "--config-file" => path.clone(),
        _ => {
            eprintln!("usage: agent start --config-file FILE");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if std::env::var_os(WRAPPED_VAR).is_none() {
        let exe = std::path::PathBuf::from(&args[0]);
        match runtime.block_on(wrapped(&exe, &args[1..])) {
            Ok(Some(code)) => return ExitCode::from(u8::try_from(code).unwrap_or(1)),
            Err(e) => {
                eprintln!("stand-in agent: {e}");
                return ExitCode::FAILURE;
            }
            // The child was killed by a signal: the parent runs the agent itself, with the signal
            // dispositions a fresh process has (as panicwrap's parent does after it stops forwarding).
            Ok(None) => {
                drop(runtime);
                let e = std::process::Command::new(&exe).args(&args[1..]).env(WRAPPED_VAR, "parent").exec();
                eprintln!("stand-in agent: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    match runtime.block_on(run(&config)) {
        Ok("UNABLE_TO_SYNC") => ExitCode::FAILURE,
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
