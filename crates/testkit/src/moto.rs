//! Starts one `moto_server` per test binary on a free loopback port and stops it when the binary exits.
//!
//! Tests share the server and keep apart by using unique resource names. Without `moto_server` on
//! PATH the moto-backed tests are skipped with a message, unless `AGENT_STACK_REQUIRE_MOTO` is set
//! (CI), in which case they fail.

use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A running moto server.
#[derive(Debug)]
pub struct Moto {
    pub endpoint: String,
    pub port: u16,
}

static MOTO: OnceLock<Option<Moto>> = OnceLock::new();

impl Moto {
    /// The shared server, started on first use; `None` when moto is not installed and not required.
    pub fn shared() -> Option<&'static Moto> {
        MOTO.get_or_init(start).as_ref()
    }

    /// Environment for a child process (or SDK) to talk to this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    /// Sets the process environment so the AWS SDK in this test binary uses moto.
    pub fn export_env(&self) {
        for (k, v) in self.env() {
            // Test binaries set this once, before any SDK client is built.
            unsafe { std::env::set_var(k, v) };
        }
        unsafe { std::env::remove_var("AWS_PROFILE") };
    }
}

/// Whether missing stand-ins must fail the tests instead of skipping them.
pub fn required() -> bool {
    std::env::var_os("AGENT_STACK_REQUIRE_MOTO").is_some()
}

fn start() -> Option<Moto> {
    if Command::new("moto_server").arg("--help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
        assert!(!required(), "moto_server is required (AGENT_STACK_REQUIRE_MOTO) but not installed: pip install -r requirements-dev.txt");
        eprintln!("moto_server not installed: moto-backed tests skipped (pip install -r requirements-dev.txt)");
        return None;
    }
    let port =
        TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or_else(|e| panic!("no free port: {e}"));
    let log = std::env::temp_dir().join(format!("moto-{port}.log"));
    // The shell watches this test process and stops moto when it is gone.
    let script = format!(
        "moto_server -H 127.0.0.1 -p {port} >{log} 2>&1 & m=$!; trap 'kill $m 2>/dev/null' EXIT INT TERM; \
         while kill -0 {parent} 2>/dev/null && kill -0 $m 2>/dev/null; do sleep 0.5; done",
        log = log.display(),
        parent = std::process::id()
    );
    // Not waited for: the shell lives as long as this test binary and ends moto when it is gone.
    #[allow(clippy::zombie_processes)]
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start moto_server: {e}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not start on port {port}; see {}", log.display());
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(Moto { endpoint: format!("http://127.0.0.1:{port}"), port })
}

/// A name unique within this test run, for keeping tests apart on the shared server.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}
