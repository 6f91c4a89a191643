//! CloudFormation operations for the stack commands: stacks, change sets, events, templates and
//! resources, as plain values with typed states.

use aws_sdk_cloudformation::types::{Capability, ChangeSetType, Parameter};
use aws_sdk_cloudformation::Client;

use crate::states::{ChangeAction, ChangeSetStatus, Replacement, StackStatus};
use crate::Error;

/// CloudFormation answers `ValidationError` for a stack (or stack resource) that does not exist.
const STACK_NOT_FOUND: &[&str] = &["ValidationError"];

/// A stack as `describe_stack` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackInfo {
    pub id: String,
    pub status: StackStatus,
    pub reason: Option<String>,
    pub outputs: Vec<(String, String)>,
    pub parameters: Vec<(String, String)>,
}

/// One resource change of a change set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceChange {
    pub action: ChangeAction,
    pub logical_id: String,
    pub resource_type: String,
    /// Where CloudFormation says (moto does not).
    pub replacement: Option<Replacement>,
    /// Property paths CloudFormation names as changed.
    pub details: Vec<String>,
}

/// A change set once CloudFormation has computed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    pub id: String,
    pub status: ChangeSetStatus,
    pub reason: Option<String>,
    pub changes: Vec<ResourceChange>,
}

/// One stack event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackEvent {
    pub id: String,
    pub timestamp: String,
    pub logical_id: String,
    pub resource_type: String,
    /// The resource's status (`CREATE_FAILED`, …) as CloudFormation spells it.
    pub status: String,
    pub reason: Option<String>,
}

/// A change set to create: a new stack's (`create`) or an update's.
pub struct ChangeSetRequest<'a> {
    pub stack: &'a str,
    pub name: &'a str,
    pub template_body: &'a str,
    pub parameters: &'a [(String, String)],
    pub create: bool,
}

/// CloudFormation for one account and region.
#[derive(Debug, Clone)]
pub struct Stacks {
    client: Client,
}

impl Stacks {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self { client: Client::new(config) }
    }

    /// The stack; `None` when it does not exist (or is deleted).
    pub async fn describe(&self, stack: &str) -> Result<Option<StackInfo>, Error> {
        let out = match self.client.describe_stacks().stack_name(stack).send().await {
            Ok(out) => out,
            Err(e) => {
                let err = Error::from_sdk_with(format!("DescribeStacks {stack}"), &e, STACK_NOT_FOUND);
                return if err.is_not_found() { Ok(None) } else { Err(err) };
            }
        };
        // A deleted stack may still be listed for a while; it no longer exists.
        let live = out.stacks().iter().find(|s| s.stack_status().map(|x| x.as_str()) != Some(StackStatus::DeleteComplete.as_str()));
        Ok(live.map(|s| StackInfo {
            id: s.stack_id().unwrap_or_default().to_string(),
            status: StackStatus::parse(s.stack_status().map(|x| x.as_str()).unwrap_or_default()),
            reason: s.stack_status_reason().map(str::to_string),
            outputs: s
                .outputs()
                .iter()
                .map(|o| (o.output_key().unwrap_or_default().to_string(), o.output_value().unwrap_or_default().to_string()))
                .collect(),
            parameters: s
                .parameters()
                .iter()
                .map(|p| (p.parameter_key().unwrap_or_default().to_string(), p.parameter_value().unwrap_or_default().to_string()))
                .collect(),
        }))
    }

    /// The deployed template body.
    pub async fn template(&self, stack: &str) -> Result<String, Error> {
        let out =
            self.client.get_template().stack_name(stack).send().await.map_err(|e| Error::from_sdk(format!("GetTemplate {stack}"), &e))?;
        Ok(out.template_body().unwrap_or_default().to_string())
    }

    /// The physical ID of a stack's resource (e.g. the group name of `autoScalingGroup`); `None`
    /// when the stack or the resource does not exist, or has no physical resource yet.
    pub async fn physical_id(&self, stack: &str, logical_id: &str) -> Result<Option<String>, Error> {
        let out = match self.client.describe_stack_resource().stack_name(stack).logical_resource_id(logical_id).send().await {
            Ok(out) => out,
            Err(e) => {
                let err = Error::from_sdk_with(format!("DescribeStackResource {stack} {logical_id}"), &e, STACK_NOT_FOUND);
                return if err.is_not_found() { Ok(None) } else { Err(err) };
            }
        };
        Ok(out.stack_resource_detail().and_then(|d| d.physical_resource_id()).filter(|id| !id.is_empty()).map(str::to_string))
    }

    /// Creates a change set and waits until CloudFormation has computed it.
    pub async fn create_change_set(&self, request: &ChangeSetRequest<'_>) -> Result<ChangeSet, Error> {
        let stack = request.stack;
        let mut call = self
            .client
            .create_change_set()
            .stack_name(stack)
            .change_set_name(request.name)
            .template_body(request.template_body)
            .change_set_type(if request.create { ChangeSetType::Create } else { ChangeSetType::Update })
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam);
        for (k, v) in request.parameters {
            call = call.parameters(Parameter::builder().parameter_key(k).parameter_value(v).build());
        }
        let out = call.send().await.map_err(|e| Error::from_sdk(format!("CreateChangeSet {stack}"), &e))?;
        let id = out.id().unwrap_or(request.name).to_string();
        for _ in 0..300 {
            let cs = self.describe_change_set(stack, &id).await?;
            if !cs.status.is_pending() {
                return Ok(cs);
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
        Err(Error::new(
            format!("DescribeChangeSet {stack} {}", request.name),
            crate::Kind::Setup("the change set was not ready after 5 minutes; try again".into()),
        ))
    }

    async fn describe_change_set(&self, stack: &str, id: &str) -> Result<ChangeSet, Error> {
        let out = self
            .client
            .describe_change_set()
            .stack_name(stack)
            .change_set_name(id)
            .send()
            .await
            .map_err(|e| Error::from_sdk(format!("DescribeChangeSet {stack}"), &e))?;
        let changes = out
            .changes()
            .iter()
            .filter_map(|c| c.resource_change())
            .map(|r| ResourceChange {
                action: ChangeAction::parse(r.action().map(|a| a.as_str()).unwrap_or_default()),
                logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
                resource_type: r.resource_type().unwrap_or_default().to_string(),
                replacement: r.replacement().map(|x| Replacement::parse(x.as_str())),
                details: r.details().iter().filter_map(|d| d.target().and_then(|t| t.name()).map(str::to_string)).collect(),
            })
            .collect();
        Ok(ChangeSet {
            id: id.to_string(),
            status: ChangeSetStatus::parse(out.status().map(|s| s.as_str()).unwrap_or_default()),
            reason: out.status_reason().map(str::to_string),
            changes,
        })
    }

    pub async fn execute_change_set(&self, stack: &str, id: &str) -> Result<(), Error> {
        self.client
            .execute_change_set()
            .stack_name(stack)
            .change_set_name(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| Error::from_sdk(format!("ExecuteChangeSet {stack}"), &e))
    }

    pub async fn delete_change_set(&self, stack: &str, id: &str) -> Result<(), Error> {
        self.client
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| Error::from_sdk(format!("DeleteChangeSet {stack}"), &e))
    }

    pub async fn delete_stack(&self, stack: &str) -> Result<(), Error> {
        self.client
            .delete_stack()
            .stack_name(stack)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| Error::from_sdk(format!("DeleteStack {stack}"), &e))
    }

    /// The stack's events, newest first (one page).
    pub async fn events(&self, stack: &str) -> Result<Vec<StackEvent>, Error> {
        let out = self
            .client
            .describe_stack_events()
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| Error::from_sdk(format!("DescribeStackEvents {stack}"), &e))?;
        Ok(out
            .stack_events()
            .iter()
            .map(|e| StackEvent {
                id: e.event_id().unwrap_or_default().to_string(),
                timestamp: e.timestamp().map(|t| t.to_string()).unwrap_or_default(),
                logical_id: e.logical_resource_id().unwrap_or_default().to_string(),
                resource_type: e.resource_type().unwrap_or_default().to_string(),
                status: e.resource_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                reason: e.resource_status_reason().map(str::to_string),
            })
            .collect())
    }
}
