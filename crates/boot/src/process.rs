//! The running agent: found by its command line (`<agent dir>/agent start …`, as the service
//! starts it) and asked to leave: SIGTERM on Linux and macOS; on Windows a console Ctrl-C event
//! (see [`interrupt`]). The agent reports either to Semaphore as an interruption and stops when
//! Semaphore tells it to.

use std::path::Path;

#[cfg(unix)]
use crate::layout::run_program;
use crate::Layout;

/// Whether a NUL-separated command line is `<binary> start …`.
pub fn is_agent_command_line(cmdline: &[u8], binary: &Path) -> bool {
    let mut args = cmdline.split(|b| *b == 0).map(String::from_utf8_lossy);
    let program = args.next().unwrap_or_default();
    Path::new(program.as_ref()) == binary && args.next().is_some_and(|a| a == "start")
}

/// Process ids of the agent.
#[cfg(target_os = "linux")]
pub fn agent_pids(layout: &Layout) -> Result<Vec<u32>, String> {
    let binary = layout.agent_binary();
    let entries = std::fs::read_dir("/proc").map_err(|e| format!("listing /proc: {e}"))?;
    let mut pids: Vec<u32> = entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| is_agent_command_line(&c, &binary)))
        .collect();
    pids.sort_unstable();
    Ok(pids)
}

/// Process ids of the agent.
#[cfg(all(unix, not(target_os = "linux")))]
pub fn agent_pids(layout: &Layout) -> Result<Vec<u32>, String> {
    let pattern = format!("^{} start", layout.agent_binary().display());
    let out = std::process::Command::new("pgrep").args(["-f", &pattern]).output().map_err(|e| format!("pgrep: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect())
}

/// Process ids of the agent.
#[cfg(windows)]
pub fn agent_pids(layout: &Layout) -> Result<Vec<u32>, String> {
    let image = layout.agent_binary().file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let filter = format!("IMAGENAME eq {image}");
    let out = std::process::Command::new("tasklist")
        .args(["/FI", &filter, "/FO", "CSV", "/NH"])
        .output()
        .map_err(|e| format!("tasklist: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.split("\",\"").nth(1)?.parse().ok()).collect())
}

/// Asks an agent process to leave: SIGTERM, which the agent's handler reports as `interrupted_at`.
#[cfg(unix)]
pub fn interrupt(pid: u32) -> Result<(), String> {
    let pid = pid.to_string();
    run_program("kill", &["-TERM", &pid], &format!("kill -TERM {pid}"))
}

/// Asks an agent process to leave, on Windows. The agent listens for `os.Interrupt`, which Go
/// delivers for a console Ctrl-C or Ctrl-Break event; a window message or `taskkill` without /F
/// never reaches a windowless service process, and a service stop ends in TerminateProcess. NSSM
/// gives the agent a console, so the watcher attaches to it and raises Ctrl-C there. The agent
/// starts its job's processes in their own process groups, where Ctrl-C is disabled, so the job
/// itself is not interrupted; the watcher ignores the event while it is attached.
#[cfg(windows)]
pub fn interrupt(pid: u32) -> Result<(), String> {
    use windows_sys::Win32::System::Console::{AttachConsole, FreeConsole, GenerateConsoleCtrlEvent, SetConsoleCtrlHandler, CTRL_C_EVENT};
    // SAFETY: plain Win32 calls with no pointers; the watcher leaves the agent's console again
    // whatever happens, and its own output goes to a file, not to a console.
    unsafe {
        FreeConsole();
        if AttachConsole(pid) == 0 {
            return Err(format!("cannot attach to the console of process {pid}: {}", std::io::Error::last_os_error()));
        }
        SetConsoleCtrlHandler(None, 1);
        let sent = GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0);
        let error = std::io::Error::last_os_error();
        FreeConsole();
        if sent == 0 {
            return Err(format!("cannot send Ctrl-C to the console of process {pid}: {error}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_agent_service_command_line() {
        let binary = Path::new("/opt/semaphore/agent/agent");
        assert!(is_agent_command_line(b"/opt/semaphore/agent/agent\0start\0--config-file\0/opt/semaphore/agent/config.yaml\0", binary));
        assert!(!is_agent_command_line(b"/opt/semaphore/agent/agent\0version\0", binary));
        assert!(!is_agent_command_line(b"grep\0/opt/semaphore/agent/agent start\0", binary));
        assert!(!is_agent_command_line(b"", binary));
    }
}
