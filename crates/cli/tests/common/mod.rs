//! Running the `agent-stack` binary from tests.

#![allow(dead_code)]

use std::process::{Command, Output};

/// The binary, without the developer's `SEMAPHORE_*` settings leaking in.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agent-stack"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SEMAPHORE_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Exit code, stdout and stderr.
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    run_output(cmd.output())
}

/// The binary on moto: its endpoint, test credentials and region, and no profile.
pub fn on_moto(moto: &agent_stack_testkit::Moto) -> Command {
    let mut cmd = bin();
    for (k, v) in moto.env() {
        cmd.env(k, v);
    }
    cmd.env_remove("AWS_PROFILE");
    cmd
}

/// Exit code, stdout and stderr, with `stdin` written to the command's input.
pub fn run_with_stdin(cmd: &mut Command, stdin: Option<&str>) -> (i32, String, String) {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run agent-stack: {e}"));
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let _ = pipe.write_all(text.as_bytes());
    }
    run_output(child.wait_with_output())
}

fn run_output(output: std::io::Result<Output>) -> (i32, String, String) {
    let Output { status, stdout, stderr } = output.unwrap_or_else(|e| panic!("cannot run agent-stack: {e}"));
    (status.code().unwrap_or(-1), String::from_utf8_lossy(&stdout).into_owned(), String::from_utf8_lossy(&stderr).into_owned())
}
