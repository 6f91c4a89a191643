//! `destroy`: empty the agents' group (busy agents finish their jobs first, or `force` ends them),
//! then delete the stack after confirmation and follow it until it is gone.

use std::time::Duration;

use agent_stack_aws::group::GroupView;
use agent_stack_aws::lifecycle::{ActionResult, LifecycleAction};
use agent_stack_config::drain::DRAIN_HOOK_NAME;
use agent_stack_config::{Config, RegistrationToken};
use agent_stack_scaler::JobQueue;
use agent_stack_template::ids;

use crate::change::{ended_badly, has_warm_pool, wait};
use crate::status::{semaphore_view, SemaphoreView};
use crate::{Error, Group, Parameters, Stacks, Ui};

/// What `destroy` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destroyed {
    /// There was no such stack.
    Missing,
    Deleted,
}

/// How `destroy` treats agents that still run jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DestroyOptions {
    /// Complete the drain's lifecycle actions with ABANDON: the instances go now, their jobs with them.
    pub force: bool,
    /// Time between looks at the group while it empties.
    pub poll: Duration,
}

pub async fn destroy<C, U, Q, E>(
    cloud: &C,
    ui: &mut U,
    config: &Config,
    queue_for: impl FnOnce(RegistrationToken) -> Result<Q, E>,
    options: DestroyOptions,
) -> Result<Destroyed, Error>
where
    C: Stacks + Group + Parameters,
    U: Ui,
    Q: JobQueue,
    E: std::fmt::Display,
{
    let stack = config.stack_name.as_str();
    let Some(info) = cloud.describe_stack(stack).await? else { return Ok(Destroyed::Missing) };
    let group_name = cloud.physical_id(stack, ids::AUTO_SCALING_GROUP).await?;
    let group = match &group_name {
        Some(name) => cloud.describe_group(name).await?,
        None => None,
    };
    let group = group.filter(|g| !g.members.is_empty());
    let mut question = format!("delete stack {stack} ({}) and its agents?", info.status);
    if let Some(g) = &group {
        let semaphore = semaphore_view(cloud, config, queue_for).await;
        question = format!(
            "{}; delete stack {stack} ({})?",
            plan(g, &semaphore, config.agent.interruption_grace_period, options.force),
            info.status
        );
    }
    if !ui.confirm(&question)? {
        return Err(Error::Cancelled("destroy cancelled; nothing changed".into()));
    }
    if let Some(name) = &group_name {
        delete_warm_pool(cloud, ui, stack, name).await?;
    }
    if let Some(g) = &group {
        empty(cloud, ui, &g.name, options).await?;
    }
    cloud.delete_stack(stack).await?;
    match wait(cloud, ui, stack).await? {
        None => Ok(Destroyed::Deleted),
        Some(info) => Err(ended_badly(cloud, stack, &info).await),
    }
}

/// Deletes the group's warm pool first, with its instances and their pending lifecycle actions:
/// no agent runs there, and a termination of a stopped pool instance would otherwise wait the
/// drain's heartbeat timeout. A failure is a warning: the pool then goes with the stack.
async fn delete_warm_pool<C: Stacks + Group, U: Ui>(cloud: &C, ui: &mut U, stack: &str, group: &str) -> Result<(), Error> {
    // The deployed template says whether there is a pool, whatever the config says now.
    let deployed = serde_json::from_str::<serde_json::Value>(&cloud.template(stack).await?).ok();
    if !deployed.as_ref().is_some_and(has_warm_pool) {
        return Ok(());
    }
    match cloud.delete_warm_pool(group).await {
        Ok(()) => ui.progress(&format!("deleted the warm pool of group {group} with its instances")),
        Err(e) => ui.progress(&format!("warning: {e}; the warm pool goes with the stack")),
    }
    Ok(())
}

/// What destroy will do with the group's instances, in one sentence.
pub fn plan(group: &GroupView, semaphore: &SemaphoreView, grace_period_s: u32, force: bool) -> String {
    let n = group.members.len();
    let busy = match semaphore {
        SemaphoreView::Metrics(m) => format!("Semaphore reports {} busy and {} idle agents", m.agents.occupied, m.agents.idle),
        SemaphoreView::Error { error } => format!("how many agents are busy is unknown ({error})"),
    };
    let what = if force {
        "--force: their lifecycle actions are completed with ABANDON, so running jobs are stopped now".to_string()
    } else {
        format!(
            "destroy empties the group first: idle agents leave at once, busy ones finish their jobs (at most the {} grace period) while destroy waits and shows progress; --force stops them now",
            duration_text(grace_period_s)
        )
    };
    format!("group {} has {n} instance{}; {busy}; {what}", group.name, if n == 1 { "" } else { "s" })
}

fn duration_text(s: u32) -> String {
    match s {
        s if s % 3_600 == 0 => format!("{} h", s / 3_600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// Sets the group to zero and waits until its last instance has gone, saying what changes.
async fn empty<C: Group, U: Ui>(cloud: &C, ui: &mut U, group: &str, options: DestroyOptions) -> Result<(), Error> {
    cloud.resize(group, 0, 0, 0).await?;
    ui.progress(&format!(
        "group {group} set to 0 instances (the scaler cannot raise it again); stopping destroy now leaves it empty, run destroy again to finish"
    ));
    let mut last = None;
    loop {
        let Some(view) = cloud.describe_group(group).await? else { return Ok(()) };
        if view.members.is_empty() {
            ui.progress(&format!("group {group} is empty"));
            return Ok(());
        }
        let draining: Vec<&str> = view.members.iter().filter(|m| m.lifecycle_state.is_draining()).map(|m| m.id.as_str()).collect();
        if options.force {
            for id in &draining {
                let action = LifecycleAction { group: group.to_string(), hook: DRAIN_HOOK_NAME.to_string(), instance_id: id.to_string() };
                match cloud.complete_lifecycle_action(&action, ActionResult::Abandon).await {
                    Ok(()) => ui.progress(&format!("{id}: lifecycle action completed with ABANDON; it terminates now")),
                    Err(e) if e.is_not_found() => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        let now = (view.members.len(), draining.len());
        if last != Some(now) {
            ui.progress(&format!("waiting for {} instances to go; {} draining (their agents finish their jobs)", now.0, now.1));
            last = Some(now);
        }
        tokio::time::sleep(options.poll).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_stack_aws::group::Member;
    use agent_stack_aws::states::LifecycleState;
    use agent_stack_scaler::{Agents, Jobs, Metrics};

    fn group(n: usize) -> GroupView {
        let member = |i: usize| Member {
            id: format!("i-{i}"),
            lifecycle_state: LifecycleState::InService,
            health: "Healthy".into(),
            availability_zone: "us-east-1a".into(),
            instance_type: "t3.micro".into(),
            protected_from_scale_in: false,
            launched_from: None,
        };
        GroupView {
            name: "g".into(),
            desired: n as i32,
            min: 0,
            max: 3,
            launches_from: None,
            members: (0..n).map(member).collect(),
            warm_pool: None,
        }
    }

    #[test]
    fn the_plan_says_how_many_agents_are_busy_and_what_destroy_will_do() {
        let metrics = SemaphoreView::Metrics(Metrics { jobs: Jobs { queued: 0, running: 2 }, agents: Agents { idle: 1, occupied: 2 } });
        let text = plan(&group(3), &metrics, 86_400, false);
        assert!(
            text.starts_with("group g has 3 instances; Semaphore reports 2 busy and 1 idle agents; destroy empties the group first"),
            "{text}"
        );
        assert!(text.contains("at most the 24 h grace period") && text.contains("--force stops them now"), "{text}");
        let unknown = SemaphoreView::Error { error: "HTTP 401".into() };
        let text = plan(&group(1), &unknown, 90, true);
        assert!(text.starts_with("group g has 1 instance; how many agents are busy is unknown (HTTP 401); --force: "), "{text}");
        assert!(text.contains("ABANDON"), "{text}");
    }
}
