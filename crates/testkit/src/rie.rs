//! AWS's Lambda Runtime Interface Emulator (`aws-lambda-rie`, installed by scripts/test.sh with
//! `go install`): runs a function binary as Lambda's provided.al2023 runtime would and takes
//! invocations on its HTTP invoke endpoint. Found through `AGENT_STACK_LAMBDA_RIE`; without it the
//! emulator tests are skipped with a message, unless `AGENT_STACK_REQUIRE_RIE` is set (CI).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The variable naming the emulator binary.
pub const RIE_VAR: &str = "AGENT_STACK_LAMBDA_RIE";

/// The emulator binary; `None` (with a message) when not installed and not required.
pub fn binary() -> Option<PathBuf> {
    match std::env::var_os(RIE_VAR).filter(|v| !v.is_empty()) {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(path.is_file(), "{RIE_VAR}={} is not a file", path.display());
            Some(path)
        }
        None => {
            let required = std::env::var_os("AGENT_STACK_REQUIRE_RIE").is_some();
            assert!(!required, "the Lambda runtime emulator is required (AGENT_STACK_REQUIRE_RIE) but {RIE_VAR} is not set");
            eprintln!("{RIE_VAR} not set: Lambda emulator tests skipped (scripts/test.sh installs aws-lambda-rie)");
            None
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// A running emulator with one function; stopped when dropped.
pub struct Emulator {
    child: Child,
    invoke_url: String,
    output: PathBuf,
    _dir: tempfile::TempDir,
}

impl Emulator {
    /// Runs `function` under the emulator `rie` with exactly `env` (plus PATH) and a function
    /// timeout of `timeout_s` (`AWS_LAMBDA_FUNCTION_TIMEOUT`). The function starts at the first
    /// invocation, as in Lambda.
    pub fn start(rie: &Path, function: &Path, env: &[(String, String)], timeout_s: u64) -> Emulator {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let output = dir.path().join("emulator.log");
        let log = std::fs::File::create(&output).unwrap_or_else(|e| panic!("{e}"));
        let err = log.try_clone().unwrap_or_else(|e| panic!("{e}"));
        let (invoke, api) = (free_port(), free_port());
        let child = Command::new(rie)
            .arg("--runtime-interface-emulator-address")
            .arg(format!("127.0.0.1:{invoke}"))
            .arg("--runtime-api-address")
            .arg(format!("127.0.0.1:{api}"))
            .arg(function)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_FUNCTION_TIMEOUT", timeout_s.to_string())
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(dir.path())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", rie.display()));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", invoke)).is_err() {
            assert!(Instant::now() < deadline, "the emulator did not listen on {invoke}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Emulator { child, invoke_url: format!("http://127.0.0.1:{invoke}/2015-03-31/functions/function/invocations"), output, _dir: dir }
    }

    /// One invocation: the emulator's status code and body.
    pub async fn invoke(&self, event: &Value) -> (u16, String) {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(600)).build().unwrap_or_else(|e| panic!("{e}"));
        let response = http.post(&self.invoke_url).body(event.to_string()).send().await.unwrap_or_else(|e| panic!("invoke: {e}"));
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// What the emulator printed: the function's output (its log records), START/END/REPORT
    /// lines and the emulator's own log.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
