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
    let Output { status, stdout, stderr } = cmd.output().unwrap_or_else(|e| panic!("cannot run agent-stack: {e}"));
    (status.code().unwrap_or(-1), String::from_utf8_lossy(&stdout).into_owned(), String::from_utf8_lossy(&stderr).into_owned())
}
