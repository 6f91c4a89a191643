//! `status`: the stack, its Auto Scaling group and instances, and Semaphore's metrics, as one
//! serializable report that also renders as text.

use std::fmt;

use agent_stack_aws::group::{Member, WarmPoolView};
use agent_stack_aws::states::StackStatus;
use agent_stack_config::{Config, RegistrationToken};
use agent_stack_scaler::{JobQueue, Metrics};
use agent_stack_template::ids;
use serde::Serialize;

use crate::{Error, Group, Parameters, Stacks};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusReport {
    pub stack: String,
    pub stack_status: StackStatus,
    pub stack_status_reason: Option<String>,
    /// `None` while the stack has no group.
    pub asg: Option<GroupSummary>,
    pub instances: Option<Vec<InstanceSummary>>,
    pub semaphore: SemaphoreView,
    /// The stack's CloudWatch dashboard in the console; `None` for a stack deployed before the
    /// dashboard existed, or in a partition whose console address is unknown.
    pub dashboard: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSummary {
    pub name: String,
    pub desired: i32,
    pub min: i32,
    pub max: i32,
    /// Absent without a warm pool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warm_pool: Option<WarmPoolView>,
}

/// A member of the group, with the launch template version it was launched from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstanceSummary {
    #[serde(flatten)]
    pub member: Member,
    pub launch_template_version: Option<String>,
    /// In `Terminating:Wait`: the drain hook holds it while its agent finishes its job.
    pub draining: bool,
}

/// Semaphore's metrics for the agent type, or why they could not be read.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SemaphoreView {
    Metrics(Metrics),
    Error { error: String },
}

/// Builds the report; `queue_for` makes the Semaphore client for the stack's token.
pub async fn status<C, Q, E>(
    cloud: &C,
    config: &Config,
    queue_for: impl FnOnce(RegistrationToken) -> Result<Q, E>,
) -> Result<StatusReport, Error>
where
    C: Stacks + Group + Parameters,
    Q: JobQueue,
    E: std::fmt::Display,
{
    let stack = config.stack_name.as_str();
    let Some(info) = cloud.describe_stack(stack).await? else {
        return Err(Error::Refused(format!("stack {stack} does not exist in this account and region: deploy it first")));
    };
    let group = match cloud.physical_id(stack, ids::AUTO_SCALING_GROUP).await? {
        Some(name) => cloud.describe_group(&name).await?,
        None => None,
    };
    let dashboard = cloud.physical_id(stack, ids::DASHBOARD).await?.and_then(|name| dashboard_url(&info.id, &name));
    let semaphore = semaphore_view(cloud, config, queue_for).await;
    Ok(StatusReport {
        stack: stack.to_string(),
        stack_status: info.status,
        stack_status_reason: info.reason,
        asg: group.as_ref().map(|g| GroupSummary {
            name: g.name.clone(),
            desired: g.desired,
            min: g.min,
            max: g.max,
            warm_pool: g.warm_pool.clone(),
        }),
        instances: group.map(|g| {
            g.members
                .into_iter()
                .map(|m| InstanceSummary {
                    launch_template_version: m.launched_from.as_ref().map(|t| t.version.clone()),
                    draining: m.lifecycle_state.is_draining(),
                    member: m,
                })
                .collect()
        }),
        semaphore,
        dashboard,
    })
}

/// The console page of dashboard `name`, in the partition and region of the stack whose ARN is
/// `stack_id` (`arn:<partition>:cloudformation:<region>:…`).
pub fn dashboard_url(stack_id: &str, name: &str) -> Option<String> {
    let mut parts = stack_id.split(':');
    let (Some("arn"), Some(partition), Some("cloudformation"), Some(region)) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let plain = |s: &str, extra: char| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == extra);
    if !plain(region, '-') || !plain(name, '_') {
        return None;
    }
    let host = match partition {
        "aws" => format!("{region}.console.aws.amazon.com"),
        "aws-cn" => "console.amazonaws.cn".to_string(),
        "aws-us-gov" => "console.amazonaws-us-gov.com".to_string(),
        _ => return None,
    };
    Some(format!("https://{host}/cloudwatch/home?region={region}#dashboards/dashboard/{name}"))
}

/// Semaphore's metrics for the stack's agent type, read with its registration token.
pub async fn semaphore_view<C, Q, E>(cloud: &C, config: &Config, queue_for: impl FnOnce(RegistrationToken) -> Result<Q, E>) -> SemaphoreView
where
    C: Parameters,
    Q: JobQueue,
    E: std::fmt::Display,
{
    match cloud.read_token(&config.token_parameter_name).await {
        Ok(token) => match queue_for(token) {
            Ok(queue) => match queue.metrics().await {
                Ok(m) => SemaphoreView::Metrics(m),
                Err(e) => SemaphoreView::Error { error: e.message },
            },
            Err(e) => SemaphoreView::Error { error: e.to_string() },
        },
        Err(e) => SemaphoreView::Error { error: e.to_string() },
    }
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "stack {}: {}", self.stack, self.stack_status)?;
        if let Some(g) = &self.asg {
            let pool = match &g.warm_pool {
                Some(p) => format!("; warm pool {} of {} ({})", p.instances, p.size, p.state),
                None => String::new(),
            };
            writeln!(f, "group {}: desired {}, min {}, max {}{pool}", g.name, g.desired, g.min, g.max)?;
        }
        for InstanceSummary { member: m, launch_template_version, draining } in self.instances.iter().flatten() {
            writeln!(
                f,
                "  {}  {:<12} {:<10} {:<12} {:<12} template version {}{}",
                m.id,
                m.lifecycle_state.as_str(),
                m.health,
                m.availability_zone,
                m.instance_type,
                launch_template_version.as_deref().unwrap_or("?"),
                if *draining { "  draining" } else { "" }
            )?;
        }
        let draining = self.instances.iter().flatten().filter(|i| i.draining).count();
        if draining > 0 {
            let busy = match &self.semaphore {
                SemaphoreView::Metrics(m) => {
                    format!("; Semaphore counts {} occupied agents in all, theirs among them while they run a job", m.agents.occupied)
                }
                SemaphoreView::Error { .. } => String::new(),
            };
            let what = match draining {
                1 => "1 terminating instance waits for its agent to finish its job, then goes".to_string(),
                n => format!("{n} terminating instances wait for their agents to finish their jobs, then go"),
            };
            writeln!(f, "draining: {what}{busy}")?;
        }
        match &self.semaphore {
            SemaphoreView::Error { error } => write!(f, "semaphore: {error}")?,
            SemaphoreView::Metrics(m) => write!(
                f,
                "semaphore: {} queued, {} running jobs; {} idle, {} occupied agents",
                m.jobs.queued, m.jobs.running, m.agents.idle, m.agents.occupied
            )?,
        }
        match &self.dashboard {
            Some(url) => write!(f, "\ndashboard: {url}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use agent_stack_aws::group::TemplateVersion;
    use agent_stack_aws::states::LifecycleState;
    use agent_stack_scaler::{Agents, Jobs};
    use serde_json::json;

    pub(crate) fn report(semaphore: SemaphoreView) -> StatusReport {
        let member = Member {
            id: "i-1".into(),
            lifecycle_state: LifecycleState::TerminatingWait,
            health: "Healthy".into(),
            availability_zone: "us-east-1a".into(),
            instance_type: "t3.micro".into(),
            protected_from_scale_in: false,
            launched_from: Some(TemplateVersion { template: "lt-1".into(), version: "4".into() }),
        };
        StatusReport {
            stack: "s".into(),
            stack_status: StackStatus::UpdateComplete,
            stack_status_reason: None,
            asg: Some(GroupSummary { name: "g".into(), desired: 1, min: 0, max: 3, warm_pool: None }),
            instances: Some(vec![InstanceSummary { launch_template_version: Some("4".into()), draining: true, member }]),
            semaphore,
            dashboard: None,
        }
    }

    /// The JSON `status --output json` has printed since its first version, plus `draining` and
    /// `dashboard`.
    #[test]
    fn json_keeps_its_shape() {
        let metrics = Metrics { jobs: Jobs { queued: 2, running: 1 }, agents: Agents { idle: 0, occupied: 1 } };
        let value = serde_json::to_value(report(SemaphoreView::Metrics(metrics))).unwrap_or_default();
        assert_eq!(
            value,
            json!({
                "stack": "s", "stack_status": "UPDATE_COMPLETE", "stack_status_reason": null,
                "asg": { "name": "g", "desired": 1, "min": 0, "max": 3 },
                "instances": [{
                    "id": "i-1", "lifecycle_state": "Terminating:Wait", "health": "Healthy",
                    "availability_zone": "us-east-1a", "instance_type": "t3.micro",
                    "protected_from_scale_in": false, "launch_template_version": "4", "draining": true,
                }],
                "semaphore": { "jobs": { "queued": 2, "running": 1 }, "agents": { "idle": 0, "occupied": 1 } },
                "dashboard": null,
            })
        );
        let failed = serde_json::to_value(report(SemaphoreView::Error { error: "GET …: HTTP 401".into() })).unwrap_or_default();
        assert_eq!(failed["semaphore"], json!({ "error": "GET …: HTTP 401" }));
    }

    #[test]
    fn text_has_one_line_per_instance() {
        let text = report(SemaphoreView::Error { error: "no token".into() }).to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "stack s: UPDATE_COMPLETE");
        assert_eq!(lines[1], "group g: desired 1, min 0, max 3");
        let mut pooled = report(SemaphoreView::Error { error: "no token".into() });
        if let Some(g) = pooled.asg.as_mut() {
            g.warm_pool = Some(WarmPoolView { state: "Stopped".into(), size: 3, instances: 2 });
        }
        assert_eq!(pooled.to_string().lines().nth(1), Some("group g: desired 1, min 0, max 3; warm pool 2 of 3 (Stopped)"));
        let json = serde_json::to_value(&pooled).unwrap_or_default();
        assert_eq!(json["asg"]["warm_pool"], json!({ "state": "Stopped", "size": 3, "instances": 2 }));
        assert!(lines[2].starts_with("  i-1  Terminating:Wait") && lines[2].ends_with("template version 4  draining"), "{text}");
        assert_eq!(lines[3], "draining: 1 terminating instance waits for its agent to finish its job, then goes");
        assert_eq!(lines[4], "semaphore: no token");
        let metrics = Metrics { jobs: Jobs { queued: 0, running: 1 }, agents: Agents { idle: 0, occupied: 1 } };
        let text = report(SemaphoreView::Metrics(metrics)).to_string();
        assert!(text.contains("; Semaphore counts 1 occupied agents in all"), "{text}");
    }

    #[test]
    fn the_dashboard_link_follows_the_stacks_partition_and_region() {
        let stack = |partition: &str, region: &str| format!("arn:{partition}:cloudformation:{region}:123456789012:stack/s/0f1e2d3c");
        assert_eq!(
            dashboard_url(&stack("aws", "eu-west-1"), "s-eu-west-1").as_deref(),
            Some("https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/s-eu-west-1")
        );
        assert_eq!(
            dashboard_url(&stack("aws-cn", "cn-north-1"), "s-cn-north-1").as_deref(),
            Some("https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#dashboards/dashboard/s-cn-north-1")
        );
        assert_eq!(
            dashboard_url(&stack("aws-us-gov", "us-gov-west-1"), "s").as_deref(),
            Some("https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#dashboards/dashboard/s")
        );
        for (id, name) in [
            (stack("aws-iso", "us-iso-east-1"), "s"),
            ("arn:fake:stack/s".to_string(), "s"),
            (stack("aws", ""), "s"),
            (stack("aws", "us-east-1"), "s#x"),
        ] {
            assert_eq!(dashboard_url(&id, name), None, "{id} {name}");
        }
    }

    #[test]
    fn text_and_json_carry_the_dashboard_link() {
        let mut r = report(SemaphoreView::Error { error: "no token".into() });
        let url = "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/s-us-east-1";
        r.dashboard = Some(url.into());
        assert_eq!(r.to_string().lines().last(), Some(format!("dashboard: {url}").as_str()));
        assert_eq!(serde_json::to_value(&r).unwrap_or_default()["dashboard"], url);
    }
}
