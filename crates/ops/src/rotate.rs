//! `rotate`: replaces the group's instances without interrupting a running job.
//!
//! Each instance launched from an older launch template version (every in-service instance with
//! `all`) is moved to Standby, keeping the desired capacity: the group launches its replacement
//! at once. On the instance, `boot watch` sees the Standby target state and asks the agent to leave
//! (SIGTERM); Semaphore gives it no new job, lets a running one finish (within the interruption
//! grace period), and the agent's shutdown hook terminates the instance.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use agent_stack_aws::group::{GroupView, Member};
use agent_stack_aws::states::LifecycleState;
use agent_stack_template::ids;
use serde::Serialize;

use crate::{Error, Group, Images, Stacks, Ui};

/// What rotate does with each instance of the group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Launch template version new instances get.
    pub launch_template_version: Option<String>,
    /// In service and launched from an older template version (or any, with `all`): to rotate.
    pub rotate: Vec<String>,
    /// In service and launched from the current version: kept.
    pub current: Vec<String>,
    /// Already on their way out (Standby, Terminating, …).
    pub leaving: Vec<String>,
    /// Not in service yet (Pending, warm pool): left alone; run rotate again once they are.
    pub not_in_service: Vec<String>,
}

/// How images/ names the images it builds; only they run `agent-stack boot watch`.
pub const OWN_IMAGE_PREFIX: &str = "agent-stack-";

/// The instances (of those to rotate) whose image is not known to run `boot watch`: their agent
/// would not notice Standby. `images`: instance → (image id, image name if known).
pub fn without_watcher(rotate: &[String], images: &BTreeMap<String, (String, Option<String>)>) -> Vec<String> {
    rotate
        .iter()
        .filter_map(|id| match images.get(id) {
            Some((_, Some(name))) if name.starts_with(OWN_IMAGE_PREFIX) => None,
            Some((image, Some(name))) => Some(format!("{id} ({image}, {name})")),
            Some((image, None)) => Some(format!("{id} ({image}, image not found)")),
            None => Some(format!("{id} (image unknown)")),
        })
        .collect()
}

/// Sorts the group's members; without `all`, needs the group to name a launch template version.
pub fn plan(group: &GroupView, all: bool) -> Result<Plan, Error> {
    let current = group.launches_from.as_ref().filter(|t| t.version.parse::<u64>().is_ok());
    if current.is_none() && !all {
        let named =
            group.launches_from.as_ref().map_or("no launch template".to_string(), |t| format!("launch template version {}", t.version));
        return Err(Error::Input(format!(
            "group {} launches from {named}, so old and new instances cannot be told apart: pass --all to rotate every instance",
            group.name
        )));
    }
    let mut plan = Plan { launch_template_version: group.launches_from.as_ref().map(|t| t.version.clone()), ..Plan::default() };
    for Member { id, lifecycle_state, launched_from, .. } in &group.members {
        let list = match lifecycle_state {
            LifecycleState::InService if all || launched_from.as_ref() != current => &mut plan.rotate,
            LifecycleState::InService => &mut plan.current,
            state if state.is_leaving() => &mut plan.leaving,
            _ => &mut plan.not_in_service,
        };
        list.push(id.clone());
    }
    Ok(plan)
}

/// The stack's group, and the plan for it.
pub async fn planned<C: Stacks + Group>(cloud: &C, stack: &str, all: bool) -> Result<(String, Plan), Error> {
    let Some(asg) = cloud.physical_id(stack, ids::AUTO_SCALING_GROUP).await? else {
        let why = if cloud.describe_stack(stack).await?.is_none() {
            "does not exist in this account and region"
        } else {
            "has no Auto Scaling group yet"
        };
        return Err(Error::Refused(format!("stack {stack} {why}: deploy it first")));
    };
    let group = cloud
        .describe_group(&asg)
        .await?
        .ok_or_else(|| Error::Refused(format!("stack {stack}: Auto Scaling group {asg} not found; deploy the stack again")))?;
    let plan = plan(&group, all)?;
    Ok((asg, plan))
}

/// Moves the plan's instances to Standby, after checking their images run `boot watch` (unless
/// `any_image`) and asking.
pub async fn rotate<C: Group + Images, U: Ui>(cloud: &C, ui: &mut U, asg: &str, plan: &Plan, any_image: bool) -> Result<(), Error> {
    let images = cloud.instance_images(&plan.rotate).await?;
    let unwatched = without_watcher(&plan.rotate, &images);
    if !unwatched.is_empty() && !any_image {
        return Err(Error::Input(format!(
            "not rotating: these instances run images not named {OWN_IMAGE_PREFIX}*, which may lack `agent-stack boot watch`, so their agents would not notice Standby and would keep their instance: {}. Replace them as described in docs/deploy.md, or pass --any-image if their image runs `agent-stack boot watch`",
            unwatched.join("; ")
        )));
    }
    let question = format!(
        "take {} instance(s) of {asg} out of service? The group launches replacements now; each old instance leaves once its agent has finished its job",
        plan.rotate.len()
    );
    if !ui.confirm(&question)? {
        return Err(Error::Cancelled("rotate cancelled; nothing changed".into()));
    }
    cloud.enter_standby(asg, &plan.rotate).await?;
    ui.progress(&format!("{} instance(s) in Standby; replacements are launching", plan.rotate.len()));
    Ok(())
}

/// Follows the rotated instances until none is left in the group; a failed look-up is shown and
/// asked again.
pub async fn wait_until_gone<C: Group, U: Ui>(cloud: &C, ui: &mut U, asg: &str, rotated: &[String], poll: Duration) {
    let mut left: BTreeSet<&String> = rotated.iter().collect();
    let mut first = true;
    loop {
        let members: BTreeSet<String> = match cloud.describe_group(asg).await {
            Ok(Some(g)) => g.members.into_iter().map(|m| m.id).collect(),
            Ok(None) => BTreeSet::new(),
            Err(e) => {
                ui.progress(&format!("{e}; asking again"));
                tokio::time::sleep(poll).await;
                continue;
            }
        };
        let still: BTreeSet<&String> = left.iter().copied().filter(|id| members.contains(*id)).collect();
        for gone in left.difference(&still) {
            ui.progress(&format!("{gone} has left the group"));
        }
        if still.is_empty() {
            ui.progress("rotation complete");
            return;
        }
        if first || still.len() != left.len() {
            let ids: Vec<&str> = still.iter().map(|s| s.as_str()).collect();
            ui.progress(&format!("waiting for {} agent(s) to finish their jobs: {}", ids.len(), ids.join(", ")));
        }
        (left, first) = (still, false);
        tokio::time::sleep(poll).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_stack_aws::group::TemplateVersion;

    fn member(id: &str, state: &str, version: Option<&str>) -> Member {
        Member {
            id: id.into(),
            lifecycle_state: LifecycleState::parse(state),
            health: "Healthy".into(),
            availability_zone: "us-east-1a".into(),
            instance_type: "t3.micro".into(),
            protected_from_scale_in: false,
            launched_from: version.map(|v| TemplateVersion { template: "lt-0abc".into(), version: v.into() }),
        }
    }

    fn group(version: &str, members: Vec<Member>) -> GroupView {
        GroupView {
            name: "asg".into(),
            desired: 3,
            min: 0,
            max: 5,
            launches_from: Some(TemplateVersion { template: "lt-0abc".into(), version: version.into() }),
            members,
            warm_pool: None,
        }
    }

    #[test]
    fn instances_from_older_versions_are_rotated_others_left_alone() {
        let g = group(
            "3",
            vec![
                member("i-old", "InService", Some("2")),
                member("i-new", "InService", Some("3")),
                member("i-unknown", "InService", None),
                member("i-standby", "Standby", Some("1")),
                member("i-going", "Terminating:Wait", Some("1")),
                member("i-pending", "Pending", Some("2")),
                member("i-warm", "Warmed:Running", Some("2")),
            ],
        );
        let p = plan(&g, false).unwrap();
        assert_eq!(p.rotate, ["i-old", "i-unknown"]);
        assert_eq!(p.current, ["i-new"]);
        assert_eq!(p.leaving, ["i-standby", "i-going"]);
        assert_eq!(p.not_in_service, ["i-pending", "i-warm"]);
        assert_eq!(p.launch_template_version.as_deref(), Some("3"));
    }

    #[test]
    fn another_template_counts_as_old() {
        let mut other = member("i-other", "InService", Some("3"));
        other.launched_from = Some(TemplateVersion { template: "lt-0def".into(), version: "3".into() });
        assert_eq!(plan(&group("3", vec![other]), false).unwrap().rotate, ["i-other"]);
    }

    #[test]
    fn all_rotates_every_instance_in_service() {
        let g =
            group("3", vec![member("i-a", "InService", Some("3")), member("i-b", "InService", Some("2")), member("i-c", "Standby", None)]);
        let p = plan(&g, true).unwrap();
        assert_eq!((p.rotate, p.leaving), (vec!["i-a".to_string(), "i-b".to_string()], vec!["i-c".to_string()]));
    }

    #[test]
    fn only_agent_stack_images_are_known_to_watch_for_standby() {
        let images: BTreeMap<String, (String, Option<String>)> = [
            ("i-ours", ("ami-1", Some("agent-stack-ubuntu-noble-arm64-0.1.0-20261128"))),
            ("i-legacy", ("ami-2", Some("semaphore-agent-v0.10.0-ubuntu-focal-x86_64-1"))),
            ("i-gone", ("ami-3", None)),
        ]
        .into_iter()
        .map(|(i, (a, n))| (i.to_string(), (a.to_string(), n.map(str::to_string))))
        .collect();
        let rotate: Vec<String> = ["i-ours", "i-legacy", "i-gone", "i-unknown"].map(String::from).to_vec();
        assert_eq!(
            without_watcher(&rotate, &images),
            [
                "i-legacy (ami-2, semaphore-agent-v0.10.0-ubuntu-focal-x86_64-1)",
                "i-gone (ami-3, image not found)",
                "i-unknown (image unknown)"
            ]
        );
    }

    #[test]
    fn a_symbolic_version_needs_all() {
        let g = group("$Latest", vec![member("i-a", "InService", Some("$Latest"))]);
        let e = plan(&g, false).unwrap_err().to_string();
        assert!(e.contains("$Latest") && e.contains("--all"), "{e}");
        assert_eq!(plan(&g, true).unwrap().rotate, ["i-a"]);
        let no_template = GroupView { launches_from: None, ..g };
        assert!(plan(&no_template, false).unwrap_err().to_string().contains("no launch template"));
    }
}
