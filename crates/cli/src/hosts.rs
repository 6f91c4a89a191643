//! `destroy` on macOS: the stack's dedicated hosts, released (`--release-hosts`), waited for
//! (`--wait-for-hosts`) or listed with the command to release them later.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agent_stack_config::time::utc_text;
use agent_stack_config::Config;
use agent_stack_ops::hosts::{look_up, release_command, Hosts};
use agent_stack_ops::Stacks;
use agent_stack_template::ids;

use crate::error::CliError;

/// What to do with the hosts.
#[derive(Debug, Clone, Copy)]
pub struct HostChoice {
    pub release: bool,
    pub wait: bool,
}

fn now_s() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// The stack's hosts, found before its group empties: those the config names and those its
/// instances run or ran on.
pub async fn find<C: Stacks + Hosts>(cloud: &C, config: &Config) -> Vec<String> {
    let mut ids: Vec<String> = config.mac.as_ref().map(|m| m.dedicated_hosts.clone()).unwrap_or_default();
    if let Ok(Some(group)) = cloud.physical_id(&config.stack_name, ids::AUTO_SCALING_GROUP).await {
        match cloud.group_instance_hosts(&group).await {
            Ok(found) => ids.extend(found),
            Err(e) => eprintln!("note: could not list the hosts the group's instances ran on ({e}); only the configured hosts are handled"),
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

/// Releases, waits for or lists the hosts after the stack is gone.
pub async fn after_destroy<C: Hosts>(cloud: &C, ids: &[String], choice: HostChoice) -> Result<(), CliError> {
    if ids.is_empty() {
        println!("macOS: no dedicated hosts of this stack found (none named, none used by its instances within the last hour)");
        return Ok(());
    }
    let plan = look_up(cloud, ids, now_s()).await.map_err(|e| CliError::Failed(format!("looking up the dedicated hosts: {e}")))?;
    for id in &plan.gone {
        println!("macOS: {id} is released already (or not this account's)");
    }
    let mut left: Vec<String> = Vec::new();
    let mut failed = false;
    if !plan.due.is_empty() {
        if choice.release {
            failed |= release(cloud, &plan.due, &mut left).await;
        } else {
            println!("macOS: {} can be released now", plan.due.join(", "));
            left.extend(plan.due.iter().cloned());
        }
    }
    let mut later = plan.later.clone();
    if choice.wait && !later.is_empty() {
        while let Some((id, at)) = later.first().cloned() {
            let wait = u64::try_from(at - now_s()).unwrap_or(0);
            println!("macOS: waiting until {} to release {id} (24-hour minimum; Ctrl-C stops waiting)", utc_text(at as u64));
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {
                    println!("stopped waiting");
                    break;
                }
                _ = tokio::time::sleep(Duration::from_secs(wait)) => {}
            }
            later.remove(0);
            failed |= release(cloud, std::slice::from_ref(&id), &mut left).await;
        }
    }
    for (id, at) in &later {
        println!("macOS: {id} can be released from {} (24-hour minimum allocation)", utc_text(*at as u64));
        left.push(id.clone());
    }
    if !left.is_empty() {
        println!("release later with: {}", release_command(&left));
    }
    if failed {
        return Err(CliError::Reported(1));
    }
    Ok(())
}

/// Releases `ids`; those AWS refused go to `left`. Whether any failed.
async fn release<C: Hosts>(cloud: &C, ids: &[String], left: &mut Vec<String>) -> bool {
    match cloud.release_hosts(ids).await {
        Ok(refused) => {
            for id in ids.iter().filter(|id| !refused.iter().any(|(r, _)| r == *id)) {
                println!("macOS: released {id}");
            }
            for (id, why) in &refused {
                eprintln!("error: ReleaseHosts {id}: {why}");
                left.push(id.clone());
            }
            !refused.is_empty()
        }
        Err(e) => {
            eprintln!("error: {e}");
            left.extend(ids.iter().cloned());
            true
        }
    }
}
