//! The one change-set flow both stacks go through: compare, create the change set, show it, ask,
//! execute, and follow the stack's events until CloudFormation is done.

use std::collections::BTreeSet;
use std::time::Duration;

use agent_stack_aws::cfn::{ChangeSet, ChangeSetRequest, StackInfo};
use agent_stack_aws::states::{ChangeAction, ChangeSetStatus, Replacement, StackStatus};
use agent_stack_template::ids;
use serde_json::Value;

use crate::{Error, Stacks, Ui};

/// A stack as deployed.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployed {
    pub info: StackInfo,
    /// Its template; `None` when it is not JSON (written by hand in YAML, say).
    pub template: Option<Value>,
}

impl Deployed {
    /// The value of a stack parameter, when set and not empty.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.info.parameters.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    /// The parameters `params` names whose deployed values differ.
    pub fn changed_parameters<'a>(&self, params: &'a [(String, String)]) -> Vec<&'a (String, String)> {
        params.iter().filter(|(k, v)| !self.info.parameters.iter().any(|(pk, pv)| pk == k && pv == v)).collect()
    }

    /// Same template and parameter values: CloudFormation would have nothing to do.
    pub fn is_same(&self, template: &Value, params: &[(String, String)]) -> bool {
        self.template.as_ref() == Some(template) && self.changed_parameters(params).is_empty()
    }
}

/// The stack as deployed; `None` also for a stack that only ever had a change set
/// (REVIEW_IN_PROGRESS, e.g. a cancelled first deploy): CloudFormation expects another CREATE
/// change set for it.
pub async fn deployed<C: Stacks>(cloud: &C, stack: &str) -> Result<Option<Deployed>, Error> {
    let Some(info) = cloud.describe_stack(stack).await? else { return Ok(None) };
    if info.status == StackStatus::ReviewInProgress {
        return Ok(None);
    }
    let template = serde_json::from_str(&cloud.template(stack).await?).ok();
    Ok(Some(Deployed { info, template }))
}

/// Whether a template gives the group a warm pool.
pub(crate) fn has_warm_pool(template: &Value) -> bool {
    template["Resources"].get(ids::WARM_POOL).is_some()
}

/// Refuses to touch a stack CloudFormation is busy with or that a failed create left behind.
pub fn check_updatable(stack: &str, info: &StackInfo) -> Result<(), Error> {
    let s = &info.status;
    if s.is_in_progress() {
        return Err(Error::Refused(format!("stack {stack} is busy ({s}); wait for it to finish and deploy again")));
    }
    if s.needs_delete() {
        return Err(Error::Refused(format!(
            "stack {stack} is in {s} after a failed create{}; delete it (agent-stack destroy) and deploy again",
            info.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
        )));
    }
    Ok(())
}

/// Resource types whose changes deploy asks about before applying.
pub fn risky(cs: &ChangeSet) -> Vec<String> {
    let mut out = BTreeSet::new();
    for c in &cs.changes {
        let action = c.action.as_str().to_lowercase();
        if c.replacement.as_ref().is_some_and(Replacement::may_replace) {
            out.insert(format!("{} ({}) may be replaced", c.logical_id, c.resource_type));
        }
        if c.resource_type.starts_with("AWS::IAM::") {
            out.insert(format!("{action} {} (IAM)", c.logical_id));
        }
        if c.resource_type == "AWS::EC2::SecurityGroup" {
            out.insert(format!("{action} {} (security group rules)", c.logical_id));
        }
    }
    out.into_iter().collect()
}

/// Whether the change touches what an agent reads only at boot (the launch template, the agent
/// config parameter): running agents keep the old until they are replaced.
pub fn changes_what_agents_boot_with(cs: &ChangeSet) -> bool {
    cs.changes
        .iter()
        .any(|c| c.action == ChangeAction::Modify && [ids::LAUNCH_TEMPLATE, ids::AGENT_CONFIG_PARAMETER].contains(&c.logical_id.as_str()))
}

/// What [`apply`] did.
// One value per command, returned once: not worth boxing the larger variant.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// The stack already has this template and these parameters.
    UpToDate,
    /// The change set was executed and the stack is deployed.
    Done { info: StackInfo, change_set: ChangeSet, created: bool },
}

/// One change to one stack.
pub(crate) struct Change<'a> {
    /// Names the operation in messages ("deploy", "bootstrap").
    pub operation: &'static str,
    pub stack: &'a str,
    pub template: &'a Value,
    pub params: &'a [(String, String)],
    pub current: Option<&'a Deployed>,
}

/// Creates, shows, confirms (when `question` has one), executes and follows a change set.
pub(crate) async fn apply<C: Stacks, U: Ui>(
    cloud: &C,
    ui: &mut U,
    change: Change<'_>,
    question: impl FnOnce(&ChangeSet) -> Option<String>,
) -> Result<Applied, Error> {
    let Change { operation, stack, template, params, current } = change;
    if current.is_some_and(|d| d.is_same(template, params)) {
        return Ok(Applied::UpToDate);
    }
    let created = current.is_none();
    let cs = change_set(cloud, ui, stack, template, params, created).await?;
    ui.progress(&format!("{} stack {stack}:", if created { "creating" } else { "updating" }));
    for c in &cs.changes {
        let replace = match c.replacement {
            Some(Replacement::True) => "  (replacement)",
            Some(Replacement::Conditional) => "  (may be replaced)",
            _ => "",
        };
        ui.progress(&format!("  {:<8} {:<45} {}{replace}", c.action, c.logical_id, c.resource_type));
    }
    if let Some(q) = question(&cs) {
        if !ui.confirm(&q)? {
            discard(cloud, ui, stack, &cs.id, created).await;
            return Err(Error::Cancelled(format!("{operation} cancelled; nothing changed")));
        }
    }
    cloud.execute_change_set(stack, &cs.id).await?;
    match wait(cloud, ui, stack).await? {
        Some(info) if info.status.is_deployed() => Ok(Applied::Done { info, change_set: cs, created }),
        Some(info) => Err(ended_badly(cloud, stack, &info).await),
        None => Err(Error::Refused(format!("stack {stack} disappeared during the {operation}; run it again"))),
    }
}

/// Creates a change set and returns it computed; a change set CloudFormation rejects is deleted
/// and reported.
pub(crate) async fn change_set<C: Stacks, U: Ui>(
    cloud: &C,
    ui: &mut U,
    stack: &str,
    template: &Value,
    params: &[(String, String)],
    create: bool,
) -> Result<ChangeSet, Error> {
    // Unique per run: concurrent deploys must not share a name (moto even mixes them up across stacks).
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let name = format!("agent-stack-{}-{}-{}", now.as_secs(), std::process::id(), now.subsec_nanos());
    let body = template.to_string();
    let cs = cloud.create_change_set(&ChangeSetRequest { stack, name: &name, template_body: &body, parameters: params, create }).await?;
    if cs.status == ChangeSetStatus::Failed {
        discard(cloud, ui, stack, &cs.id, create).await;
        return Err(Error::Refused(format!(
            "CloudFormation rejected the change to stack {stack}: {}",
            cs.reason.as_deref().unwrap_or("no reason given")
        )));
    }
    Ok(cs)
}

/// Deletes a change set that will not be executed; for a stack it would have created, the empty
/// stack (REVIEW_IN_PROGRESS) CloudFormation made for it too. A failure is shown, not fatal.
pub(crate) async fn discard<C: Stacks, U: Ui>(cloud: &C, ui: &mut U, stack: &str, id: &str, created: bool) {
    let deleted = if created { cloud.delete_stack(stack).await } else { cloud.delete_change_set(stack, id).await };
    if let Err(e) = deleted {
        ui.progress(&format!("warning: {e}; nothing was applied, delete the change set in the CloudFormation console"));
    }
}

/// Follows the stack until CloudFormation is done with it, showing new events; `None` once the
/// stack is gone (deleted).
pub(crate) async fn wait<C: Stacks, U: Ui>(cloud: &C, ui: &mut U, stack: &str) -> Result<Option<StackInfo>, Error> {
    let mut seen: BTreeSet<String> = cloud.events(stack).await.unwrap_or_default().into_iter().map(|e| e.id).collect();
    for round in 0..3600u32 {
        let Some(info) = cloud.describe_stack(stack).await? else { return Ok(None) };
        // Events are only shown: a failure to read them must not end the wait.
        let mut events = cloud.events(stack).await.unwrap_or_default();
        events.reverse();
        for e in events.into_iter().filter(|e| seen.insert(e.id.clone())) {
            let reason = e.reason.map(|r| format!("  {r}")).unwrap_or_default();
            ui.progress(&format!("  {:<28} {:<45} {}{reason}", e.status, e.logical_id, e.resource_type));
        }
        if !info.status.is_in_progress() {
            return Ok(Some(info));
        }
        if round % 15 == 14 {
            ui.progress(&format!("  … still {} ({} s)", info.status, (round + 1) * 2));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    Err(Error::Refused(format!("stack {stack} did not finish within 2 hours; see its events in the CloudFormation console")))
}

/// The error for a stack that ended in a failed state, with the failed resources' reasons.
pub(crate) async fn ended_badly<C: Stacks>(cloud: &C, stack: &str, info: &StackInfo) -> Error {
    let failed: Vec<String> = cloud
        .events(stack)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.status.ends_with("_FAILED"))
        .map(|e| format!("{} ({}): {}", e.logical_id, e.resource_type, e.reason.unwrap_or_else(|| e.status.clone())))
        .collect();
    Error::Refused(format!(
        "stack {stack} ended in {}{}{}",
        info.status,
        info.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default(),
        if failed.is_empty() { String::new() } else { format!("\nfailed resources:\n  {}", failed.join("\n  ")) }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_stack_aws::cfn::ResourceChange;

    fn info(status: &str) -> StackInfo {
        StackInfo {
            id: "id".into(),
            status: StackStatus::parse(status),
            reason: Some("Resource creation cancelled".into()),
            outputs: vec![],
            parameters: vec![],
        }
    }

    #[test]
    fn busy_and_failed_stacks_are_refused_with_the_next_step() {
        for (status, hint) in [
            ("UPDATE_IN_PROGRESS", "wait for it"),
            ("CREATE_IN_PROGRESS", "wait for it"),
            ("ROLLBACK_COMPLETE", "agent-stack destroy"),
            ("DELETE_FAILED", "agent-stack destroy"),
        ] {
            let err = check_updatable("s", &info(status)).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(status) && err.contains(hint), "{status}: {err}");
        }
        for ok in ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"] {
            assert!(check_updatable("s", &info(ok)).is_ok(), "{ok}");
        }
    }

    fn change(action: &str, id: &str, kind: &str, replacement: Option<&str>) -> ResourceChange {
        ResourceChange {
            action: ChangeAction::parse(action),
            logical_id: id.into(),
            resource_type: kind.into(),
            replacement: replacement.map(Replacement::parse),
            details: vec![],
        }
    }

    /// Recorded from real CloudFormation change sets (moto reports no replacement details).
    #[test]
    fn iam_security_group_and_replacements_need_confirmation() {
        let cs = ChangeSet {
            id: "cs".into(),
            status: ChangeSetStatus::CreateComplete,
            reason: None,
            changes: vec![
                change("Modify", "instanceProfilePolicy62AF6D2B", "AWS::IAM::Policy", Some("False")),
                change("Modify", "securityGroup32C48086", "AWS::EC2::SecurityGroup", Some("False")),
                change("Modify", "launchTemplateDEE5742D", "AWS::EC2::LaunchTemplate", Some("False")),
                change("Modify", "autoScalingGroup", "AWS::AutoScaling::AutoScalingGroup", Some("Conditional")),
                change("Modify", "SemaphoreAgentConfigParameterF91637D0", "AWS::SSM::Parameter", Some("True")),
            ],
        };
        let risks = risky(&cs);
        assert_eq!(risks.len(), 4, "{risks:?}");
        assert!(risks.iter().any(|r| r.contains("autoScalingGroup") && r.contains("may be replaced")));
        assert!(risks.iter().any(|r| r.contains("SemaphoreAgentConfigParameterF91637D0") && r.contains("replaced")));
        assert!(risks.iter().any(|r| r.contains("(IAM)")) && risks.iter().any(|r| r.contains("security group")));
        assert!(changes_what_agents_boot_with(&cs));
        let quiet = ChangeSet { changes: vec![change("Modify", "scalerLogGroup", "AWS::Logs::LogGroup", Some("False"))], ..cs };
        assert!(risky(&quiet).is_empty());
        assert!(!changes_what_agents_boot_with(&quiet));
        let agent_settings =
            ChangeSet { changes: vec![change("Modify", ids::AGENT_CONFIG_PARAMETER, "AWS::SSM::Parameter", Some("False"))], ..quiet };
        assert!(changes_what_agents_boot_with(&agent_settings));
    }
}

#[cfg(test)]
mod flow_tests {
    use super::*;
    use crate::fake::{FakeCloud, ScriptedUi};
    use serde_json::json;

    fn template(bucket_name: &str) -> Value {
        json!({ "Resources": { "bucket": { "Type": "AWS::S3::Bucket", "Properties": { "BucketName": bucket_name } } } })
    }

    async fn created(cloud: &FakeCloud, ui: &mut ScriptedUi) {
        let change = Change { operation: "deploy", stack: "s", template: &template("a"), params: &[], current: None };
        assert!(matches!(apply(cloud, ui, change, |_| None).await, Ok(Applied::Done { created: true, .. })));
    }

    /// A change set CloudFormation computes as FAILED is reported with its reason and deleted.
    #[tokio::test]
    async fn a_rejected_change_set_is_reported_and_deleted() {
        let (cloud, ui) = (FakeCloud::new(), &mut ScriptedUi::answering(true));
        created(&cloud, ui).await;
        let err = change_set(&cloud, ui, "s", &template("a"), &[], false).await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            err.starts_with("CloudFormation rejected the change to stack s: The submitted information didn't contain changes"),
            "{err}"
        );
        // Deleting it again fails: it is gone.
        let last = ui.lines.len();
        discard(&cloud, ui, "s", "arn:fake:changeSet/00000002", false).await;
        assert!(ui.lines[last..].iter().any(|l| l.starts_with("warning: DeleteChangeSet s: ChangeSetNotFound")), "{:?}", ui.lines);
    }

    /// A deployed template that is not JSON is not taken for an empty one.
    #[tokio::test]
    async fn a_deployed_template_that_is_not_json_is_none() {
        let (cloud, ui) = (FakeCloud::new(), &mut ScriptedUi::answering(true));
        created(&cloud, ui).await;
        cloud.set_template_body("s", "Resources:\n  bucket:\n    Type: AWS::S3::Bucket\n");
        let current = deployed(&cloud, "s").await.ok().flatten().unwrap_or_else(|| panic!("deployed"));
        assert_eq!(current.template, None);
        assert!(!current.is_same(&template("a"), &[]), "an unreadable template never counts as unchanged");
    }
}
