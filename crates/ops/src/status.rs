//! `status`: the stack, its Auto Scaling group and instances, and Semaphore's metrics, as one
//! serializable report that also renders as text.

use std::fmt;

use agent_stack_aws::states::{LifecycleState, StackStatus};
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSummary {
    pub name: String,
    pub desired: i32,
    pub min: i32,
    pub max: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstanceSummary {
    pub id: String,
    pub lifecycle_state: LifecycleState,
    pub health: String,
    pub availability_zone: String,
    pub instance_type: String,
    pub protected_from_scale_in: bool,
    pub launch_template_version: Option<String>,
}

/// Semaphore's metrics for the agent type, or why they could not be read.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SemaphoreView {
    Metrics(Metrics),
    Error { error: String },
}

/// Builds the report; `queue_for` makes the Semaphore client for the stack's token.
pub async fn status<C, Q>(
    cloud: &C,
    config: &Config,
    queue_for: impl FnOnce(RegistrationToken) -> Result<Q, String>,
) -> Result<StatusReport, Error>
where
    C: Stacks + Group + Parameters,
    Q: JobQueue,
{
    let stack = config.stack_name.as_str();
    let Some(info) = cloud.describe_stack(stack).await? else {
        return Err(Error::Refused(format!("stack {stack} does not exist in this account and region: deploy it first")));
    };
    let group = match cloud.physical_id(stack, ids::AUTO_SCALING_GROUP).await? {
        Some(name) => cloud.describe_group(&name).await?,
        None => None,
    };
    let semaphore = match cloud.read_token(&config.token_parameter_name).await {
        Ok(token) => match queue_for(token) {
            Ok(queue) => match queue.metrics().await {
                Ok(m) => SemaphoreView::Metrics(m),
                Err(e) => SemaphoreView::Error { error: e.message },
            },
            Err(error) => SemaphoreView::Error { error },
        },
        Err(e) => SemaphoreView::Error { error: e.to_string() },
    };
    Ok(StatusReport {
        stack: stack.to_string(),
        stack_status: info.status,
        stack_status_reason: info.reason,
        asg: group.as_ref().map(|g| GroupSummary { name: g.name.clone(), desired: g.desired, min: g.min, max: g.max }),
        instances: group.map(|g| {
            g.members
                .into_iter()
                .map(|m| InstanceSummary {
                    id: m.id,
                    lifecycle_state: m.lifecycle_state,
                    health: m.health,
                    availability_zone: m.availability_zone,
                    instance_type: m.instance_type,
                    protected_from_scale_in: m.protected_from_scale_in,
                    launch_template_version: m.launched_from.map(|t| t.version),
                })
                .collect()
        }),
        semaphore,
    })
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "stack {}: {}", self.stack, self.stack_status)?;
        if let Some(g) = &self.asg {
            writeln!(f, "group {}: desired {}, min {}, max {}", g.name, g.desired, g.min, g.max)?;
        }
        for i in self.instances.iter().flatten() {
            writeln!(
                f,
                "  {}  {:<12} {:<10} {:<12} {:<12} template version {}",
                i.id,
                i.lifecycle_state.as_str(),
                i.health,
                i.availability_zone,
                i.instance_type,
                i.launch_template_version.as_deref().unwrap_or("?")
            )?;
        }
        match &self.semaphore {
            SemaphoreView::Error { error } => write!(f, "semaphore: {error}"),
            SemaphoreView::Metrics(m) => write!(
                f,
                "semaphore: {} queued, {} running jobs; {} idle, {} occupied agents",
                m.jobs.queued, m.jobs.running, m.agents.idle, m.agents.occupied
            ),
        }
    }
}
