//! CloudFormation operations for deploy, diff, status and destroy: change sets, stack events,
//! templates and outputs, as plain values.

use aws_sdk_cloudformation::types::{Capability, ChangeSetType, Parameter};
use aws_sdk_cloudformation::Client;

use crate::sdk::error_text;

/// A stack as `describe_stack` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackInfo {
    pub id: String,
    pub status: String,
    pub reason: Option<String>,
    pub outputs: Vec<(String, String)>,
    pub parameters: Vec<(String, String)>,
}

/// One resource change of a change set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceChange {
    pub action: String,
    pub logical_id: String,
    pub resource_type: String,
    /// `True`, `False` or `Conditional` where CloudFormation says (moto does not).
    pub replacement: Option<String>,
    /// Property paths CloudFormation names as changed.
    pub details: Vec<String>,
}

/// A change set once CloudFormation has computed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    pub id: String,
    pub status: String,
    pub reason: Option<String>,
    pub changes: Vec<ResourceChange>,
}

impl ChangeSet {
    /// CloudFormation's way of saying there is nothing to do.
    pub fn is_empty_change(&self) -> bool {
        self.status == "FAILED"
            && self.reason.as_deref().is_some_and(|r| r.contains("didn't contain changes") || r.contains("No updates are to be performed"))
    }
}

/// One stack event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackEvent {
    pub id: String,
    pub timestamp: String,
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
}

pub async fn describe_stack(config: &aws_config::SdkConfig, stack: &str) -> Result<Option<StackInfo>, String> {
    match Client::new(config).describe_stacks().stack_name(stack).send().await {
        Ok(out) => Ok(out.stacks().first().map(|s| StackInfo {
            id: s.stack_id().unwrap_or_default().to_string(),
            status: s.stack_status().map(|x| x.as_str().to_string()).unwrap_or_default(),
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
        })),
        Err(e) => {
            let text = error_text(&e);
            if text.contains("does not exist") {
                Ok(None)
            } else {
                Err(format!("DescribeStacks {stack}: {text}"))
            }
        }
    }
}

/// The deployed template body.
pub async fn get_template(config: &aws_config::SdkConfig, stack: &str) -> Result<String, String> {
    let out = Client::new(config)
        .get_template()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| format!("GetTemplate {stack}: {}", error_text(&e)))?;
    Ok(out.template_body().unwrap_or_default().to_string())
}

/// Creates a change set (CREATE when the stack does not exist) and waits until it is computed.
pub async fn create_change_set(
    config: &aws_config::SdkConfig,
    stack: &str,
    name: &str,
    template_body: &str,
    parameters: &[(String, String)],
    create: bool,
) -> Result<ChangeSet, String> {
    let client = Client::new(config);
    let mut request = client
        .create_change_set()
        .stack_name(stack)
        .change_set_name(name)
        .template_body(template_body)
        .change_set_type(if create { ChangeSetType::Create } else { ChangeSetType::Update })
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam);
    for (k, v) in parameters {
        request = request.parameters(Parameter::builder().parameter_key(k).parameter_value(v).build());
    }
    let out = match request.send().await {
        Ok(out) => out,
        // Some CloudFormation implementations refuse an empty change set outright.
        Err(e) if error_text(&e).contains("No updates are to be performed") => {
            return Ok(ChangeSet { id: name.to_string(), status: "FAILED".into(), reason: Some(error_text(&e)), changes: vec![] });
        }
        Err(e) => return Err(format!("CreateChangeSet {stack}: {}", error_text(&e))),
    };
    let id = out.id().unwrap_or(name).to_string();
    for _ in 0..300 {
        let cs = describe_change_set(config, stack, &id).await?;
        if !matches!(cs.status.as_str(), "CREATE_PENDING" | "CREATE_IN_PROGRESS") {
            return Ok(cs);
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    Err(format!("change set {name} of {stack} was not ready after 5 minutes"))
}

async fn describe_change_set(config: &aws_config::SdkConfig, stack: &str, id: &str) -> Result<ChangeSet, String> {
    let out = Client::new(config)
        .describe_change_set()
        .stack_name(stack)
        .change_set_name(id)
        .send()
        .await
        .map_err(|e| format!("DescribeChangeSet {stack}: {}", error_text(&e)))?;
    let changes = out
        .changes()
        .iter()
        .filter_map(|c| c.resource_change())
        .map(|r| ResourceChange {
            action: r.action().map(|a| a.as_str().to_string()).unwrap_or_default(),
            logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
            resource_type: r.resource_type().unwrap_or_default().to_string(),
            replacement: r.replacement().map(|x| x.as_str().to_string()),
            details: r.details().iter().filter_map(|d| d.target().and_then(|t| t.name()).map(str::to_string)).collect(),
        })
        .collect();
    Ok(ChangeSet {
        id: id.to_string(),
        status: out.status().map(|s| s.as_str().to_string()).unwrap_or_default(),
        reason: out.status_reason().map(str::to_string),
        changes,
    })
}

pub async fn execute_change_set(config: &aws_config::SdkConfig, stack: &str, id: &str) -> Result<(), String> {
    Client::new(config)
        .execute_change_set()
        .stack_name(stack)
        .change_set_name(id)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("ExecuteChangeSet {stack}: {}", error_text(&e)))
}

pub async fn delete_change_set(config: &aws_config::SdkConfig, stack: &str, id: &str) -> Result<(), String> {
    Client::new(config)
        .delete_change_set()
        .stack_name(stack)
        .change_set_name(id)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("DeleteChangeSet {stack}: {}", error_text(&e)))
}

pub async fn delete_stack(config: &aws_config::SdkConfig, stack: &str) -> Result<(), String> {
    Client::new(config)
        .delete_stack()
        .stack_name(stack)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("DeleteStack {stack}: {}", error_text(&e)))
}

/// The stack's events, newest first (one page).
pub async fn events(config: &aws_config::SdkConfig, stack: &str) -> Result<Vec<StackEvent>, String> {
    let out = Client::new(config)
        .describe_stack_events()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| format!("DescribeStackEvents {stack}: {}", error_text(&e)))?;
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
