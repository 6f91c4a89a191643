//! Test support, not an example for users: the stand-in Semaphore agent process that the boot
//! tests start as `<agent dir>/agent start --config-file <agent dir>/config.yaml` (a symlink to
//! this binary), like the agent service on an image.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let config = match args.as_slice() {
        [_, start, flag, path] if start == "start" && flag == "--config-file" => path.clone(),
        _ => {
            eprintln!("usage: agent start --config-file FILE");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(agent_stack_testkit::agent::run(&config)) {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stand-in agent: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
