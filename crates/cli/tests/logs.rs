//! `agent-stack logs` against moto's CloudWatch Logs: the lines of a deployed stack's instances,
//! merged by time and prefixed with the instance id, the agent's registration failures marked,
//! `--follow` until Ctrl-C. There is no CloudWatch agent here: the test ships each file's lines as
//! it would (one event per line, a stream per instance id). The agent's lines are those of a real
//! run of the agent the instance tests use (the stand-in, or semaphoreci/agent when given) whose
//! registration the Semaphore stub refused for a while.

mod common;
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agent_stack_aws::logs_sdk::types::InputLogEvent;
use agent_stack_aws::logs_sdk::Client as Logs;
use common::on_moto;
use serde_json::Value;
use support::*;

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Ships `lines` to `group`/`stream` as the CloudWatch agent does, 1 ms apart from `at`.
async fn ship(logs: &Logs, group: &str, stream: &str, lines: &[&str], at: i64) {
    let _ = logs.create_log_group().log_group_name(group).send().await;
    let _ = logs.create_log_stream().log_group_name(group).log_stream_name(stream).send().await;
    let events: Vec<InputLogEvent> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| InputLogEvent::builder().timestamp(at + i as i64).message(*l).build().unwrap_or_else(|e| panic!("{e}")))
        .collect();
    logs.put_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .set_log_events(Some(events))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
}

fn logs_cmd(fleet: &Fleet, args: &[&str]) -> Command {
    let mut cmd = on_moto(fleet.moto);
    cmd.arg("logs").arg("--config").arg(fleet.config_file()).args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

/// A run of the agent whose registration Semaphore refuses for 3 s: its log.
async fn refused_agent_log(fleet: &Fleet) -> String {
    let dir = fleet.agent_dir().join("refused");
    let agent = install_agent(&dir);
    let endpoint = fleet.stub.endpoint().trim_start_matches("http://").to_string();
    let config = format!(
        "endpoint: \"{endpoint}\"\nno-https: true\ntoken: \"{TOKEN}\"\nname: \"logs-refused-agent\"\ndisconnect-after-job: true\ndisconnect-after-idle-timeout: 2\n"
    );
    std::fs::write(dir.join("config.yaml"), config).unwrap_or_else(|e| panic!("{e}"));
    fleet.stub.refuse_registration_for(Duration::from_secs(3));
    let child = Command::new(agent)
        .args(["start", "--config-file"])
        .arg(dir.join("config.yaml"))
        .env("SEMAPHORE_AGENT_LOG_FILE_PATH", dir.join("agent-file.log"))
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, out) = tokio::time::timeout(Duration::from_secs(60), output(child)).await.unwrap_or_else(|_| panic!("the agent did not exit"));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logs_merge_the_stacks_instances_and_mark_registration_failures() {
    let Some(fleet) = fleet_with(2, &[]).await else { return };
    let ids = fleet.instance_ids().await;
    let (a, b) = (ids[0].clone(), ids[1].clone());
    let logs = Logs::new(&fleet.sdk);
    let agent_log = refused_agent_log(&fleet).await;
    let agent_lines: Vec<&str> = agent_log.lines().filter(|l| !l.trim().is_empty()).collect();
    let t0 = now_ms() - 60_000;
    ship(&logs, "/semaphore/cloud-init/output", &b, &["user data: starting the agent"], t0).await;
    ship(&logs, "/semaphore/agent", &a, &agent_lines, t0 + 1_000).await;
    ship(&logs, "/semaphore/system", &format!("{b}-watch"), &["watch: target lifecycle state InService"], t0 + 2_000).await;
    // Another stack's instance, in the same shared groups.
    ship(&logs, "/semaphore/agent", "i-0fffffffffffffff0", &["not this stack's"], t0 + 1_500).await;

    let out = logs_cmd(&fleet, &[]).output().unwrap_or_else(|e| panic!("{e}"));
    let (text, err) = (String::from_utf8_lossy(&out.stdout).to_string(), String::from_utf8_lossy(&out.stderr).to_string());
    assert_eq!(out.status.code(), Some(0), "{err}");
    eprintln!("agent-stack logs:\n{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), agent_lines.len() + 2, "{text}");
    assert!(lines[0].contains(&format!(" {b} cloud-init-output ")) && lines[0].ends_with("user data: starting the agent"), "{text}");
    assert!(lines.last().is_some_and(|l| l.contains(&format!(" {b} system ")) && l.ends_with("InService")), "{text}");
    assert!(lines[1..=agent_lines.len()].iter().all(|l| l.contains(&format!(" {a} agent "))), "in order, prefixed: {text}");
    let marked: Vec<&&str> = lines.iter().filter(|l| l.ends_with("<<< REGISTRATION FAILED")).collect();
    assert!(!marked.is_empty() && marked.iter().all(|l| l.contains("[Register]") || l.contains("failed to register")), "{text}");
    assert!(!text.contains("not this stack's") && !text.contains(TOKEN), "{text}");

    // JSON lines, the agent's group only.
    let out = logs_cmd(&fleet, &["--group", "agent", "--output", "json"]).output().unwrap_or_else(|e| panic!("{e}"));
    let json: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert_eq!(json.len(), agent_lines.len());
    assert!(json
        .iter()
        .all(|l| l["instance"] == a.as_str() && l["group"] == "agent" && l["time"].as_str().is_some_and(|t| t.ends_with('Z'))));
    assert_eq!(json.iter().filter(|l| l["registration_failure"] == true).count(), marked.len());

    // One instance, one group (`userdata` is the user data's output).
    let out = logs_cmd(&fleet, &["--instance", &b, "--group", "userdata"]).output().unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(text.lines().count(), 1, "{text}");
    // Older than --since: nothing, and a note says so.
    let out = logs_cmd(&fleet, &["--since", "10s"]).output().unwrap_or_else(|e| panic!("{e}"));
    assert!(out.stdout.is_empty() && String::from_utf8_lossy(&out.stderr).contains("no log lines"));

    // Bad flags: exit 2 naming them, before AWS.
    for (args, names) in
        [(&["--since", "0m"][..], "--since"), (&["--instance", "web-1"][..], "--instance"), (&["--group", "kernel"][..], "--group")]
    {
        let out = logs_cmd(&fleet, args).output().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(names), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    // --follow: a line shipped later appears; Ctrl-C ends it with exit 0.
    let mut follow = logs_cmd(&fleet, &["--follow", "--group", "system", "--instance", &b]).spawn().unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    ship(&logs, "/semaphore/system", &format!("{b}-watch"), &["watch: target lifecycle state Terminated"], now_ms()).await;
    tokio::time::sleep(Duration::from_secs(8)).await;
    let _ = Command::new("kill").args(["-INT", &follow.id().to_string()]).status();
    let out = tokio::task::spawn_blocking(move || {
        let _ = follow.stdin.take();
        follow.wait_with_output()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(text.lines().filter(|l| l.ends_with("InService")).count(), 1, "shown once: {text}");
    assert!(text.lines().last().is_some_and(|l| l.ends_with("Terminated")), "{text}");
}
