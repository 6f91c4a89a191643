//! An in-memory cloud for the operations' tests: CloudFormation stacks and change sets (changes
//! computed per resource, applied at once), the groups the stacks create, SSM parameters, S3
//! objects and EC2 images. It behaves as AWS does where the operations look: `ValidationError`s
//! for what does not exist, a CREATE change set leaving a `REVIEW_IN_PROGRESS` stack, a change set
//! without changes `FAILED`.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use agent_stack_aws::cfn::{ChangeSet, ChangeSetRequest, ResourceChange, StackEvent, StackInfo};
use agent_stack_aws::group::{GroupView, WarmPoolView};
use agent_stack_aws::lifecycle::{ActionResult, LifecycleAction};
use agent_stack_aws::states::{ChangeAction, ChangeSetStatus, StackStatus};
use agent_stack_aws::{Error as AwsError, Kind, TokenError};
use agent_stack_config::RegistrationToken;
use serde_json::Value;

use crate::{Artifacts, Error, Group, Images, Parameters, Stacks, Ui};

const GROUP_TYPE: &str = "AWS::AutoScaling::AutoScalingGroup";
const POOL_TYPE: &str = "AWS::AutoScaling::WarmPool";

#[derive(Debug, Clone)]
struct FakeStack {
    info: StackInfo,
    template: Value,
    /// Logical ID → physical ID.
    resources: BTreeMap<String, String>,
    events: Vec<StackEvent>,
}

#[derive(Debug, Clone)]
struct Pending {
    change_set: ChangeSet,
    template: Value,
    parameters: Vec<(String, String)>,
}

#[derive(Debug, Default)]
struct State {
    stacks: BTreeMap<String, FakeStack>,
    change_sets: BTreeMap<String, Pending>,
    groups: BTreeMap<String, GroupView>,
    parameters: BTreeMap<String, String>,
    objects: BTreeSet<(String, String)>,
    /// (creation date, id, name).
    images: Vec<(String, String, String)>,
    instance_images: BTreeMap<String, String>,
    /// Template bodies GetTemplate answers instead of the stack's JSON (YAML, say).
    template_bodies: BTreeMap<String, String>,
    default_vpc: Option<String>,
    next_id: u64,
    /// Looks at a group a draining member stays for (its agent finishing its job); `None`: it stays
    /// until its lifecycle action is completed.
    drain_looks: Option<u32>,
    /// Looks at each draining member so far.
    drained_looks: BTreeMap<String, u32>,
    /// Lifecycle actions completed: (instance, result).
    completed: Vec<(String, &'static str)>,
    /// Groups whose warm pool was deleted.
    pools_deleted: Vec<String>,
}

/// The in-memory cloud.
#[derive(Debug, Default)]
pub struct FakeCloud {
    state: RefCell<State>,
}

fn rejected(operation: String, code: &str, message: String) -> AwsError {
    AwsError::new(operation, Kind::Rejected { code: code.into(), message })
}

impl FakeCloud {
    pub fn new() -> Self {
        let cloud = Self::default();
        cloud.state.borrow_mut().default_vpc = Some("vpc-fake0001".into());
        cloud
    }

    pub fn put_parameter(&self, name: &str, value: &str) {
        self.state.borrow_mut().parameters.insert(name.into(), value.into());
    }

    pub fn add_image(&self, id: &str, name: &str, created: &str) {
        self.state.borrow_mut().images.push((created.into(), id.into(), name.into()));
    }

    /// Members in `Terminating:Wait` leave after `looks` looks at their group, as agents that
    /// finish their jobs; without it they wait for their lifecycle action to be completed.
    pub fn drain_after(&self, looks: u32) {
        self.state.borrow_mut().drain_looks = Some(looks);
    }

    /// The lifecycle actions completed so far: (instance, result).
    pub fn completed_actions(&self) -> Vec<(String, &'static str)> {
        self.state.borrow().completed.clone()
    }

    /// The groups whose warm pool was deleted, in order.
    pub fn warm_pools_deleted(&self) -> Vec<String> {
        self.state.borrow().pools_deleted.clone()
    }

    /// Replaces a group's view (its members, say).
    pub fn set_group(&self, group: GroupView) {
        self.state.borrow_mut().groups.insert(group.name.clone(), group);
    }

    /// Makes GetTemplate answer `body` for `stack`, as for a stack deployed from a hand-written template.
    pub fn set_template_body(&self, stack: &str, body: &str) {
        self.state.borrow_mut().template_bodies.insert(stack.into(), body.into());
    }

    pub fn set_instance_image(&self, instance: &str, image: &str) {
        self.state.borrow_mut().instance_images.insert(instance.into(), image.into());
    }

    fn next(&self, prefix: &str) -> String {
        let mut s = self.state.borrow_mut();
        s.next_id += 1;
        format!("{prefix}{:08x}", s.next_id)
    }
}

/// Resource changes between two templates, by logical ID.
fn changes(old: &Value, new: &Value) -> Vec<ResourceChange> {
    let empty = serde_json::Map::new();
    let (old, new) = (old["Resources"].as_object().unwrap_or(&empty), new["Resources"].as_object().unwrap_or(&empty));
    let change = |action, id: &String, r: &Value| ResourceChange {
        action,
        logical_id: id.clone(),
        resource_type: r["Type"].as_str().unwrap_or_default().to_string(),
        replacement: None,
        details: vec![],
    };
    let mut out: Vec<ResourceChange> = new
        .iter()
        .filter_map(|(id, r)| match old.get(id) {
            None => Some(change(ChangeAction::Add, id, r)),
            Some(before) if before != r => Some(change(ChangeAction::Modify, id, r)),
            Some(_) => None,
        })
        .collect();
    out.extend(old.iter().filter(|(id, _)| !new.contains_key(*id)).map(|(id, r)| change(ChangeAction::Remove, id, r)));
    out
}

impl Stacks for FakeCloud {
    async fn describe_stack(&self, stack: &str) -> Result<Option<StackInfo>, AwsError> {
        Ok(self.state.borrow().stacks.get(stack).map(|s| s.info.clone()))
    }

    async fn template(&self, stack: &str) -> Result<String, AwsError> {
        let state = self.state.borrow();
        let s = state
            .stacks
            .get(stack)
            .ok_or_else(|| rejected(format!("GetTemplate {stack}"), "ValidationError", format!("Stack with id {stack} does not exist")))?;
        Ok(state.template_bodies.get(stack).cloned().unwrap_or_else(|| s.template.to_string()))
    }

    async fn physical_id(&self, stack: &str, logical_id: &str) -> Result<Option<String>, AwsError> {
        Ok(self.state.borrow().stacks.get(stack).and_then(|s| s.resources.get(logical_id).cloned()))
    }

    async fn create_change_set(&self, request: &ChangeSetRequest<'_>) -> Result<ChangeSet, AwsError> {
        let operation = format!("CreateChangeSet {}", request.stack);
        let template: Value = serde_json::from_str(request.template_body)
            .map_err(|e| rejected(operation.clone(), "ValidationError", format!("Template format error: {e}")))?;
        let existing = self.state.borrow().stacks.get(request.stack).cloned();
        let old = match (&existing, request.create) {
            (Some(s), true) if s.info.status != StackStatus::ReviewInProgress => {
                return Err(rejected(operation, "AlreadyExistsException", format!("Stack [{}] already exists", request.stack)))
            }
            (None, false) => return Err(rejected(operation, "ValidationError", format!("Stack [{}] does not exist", request.stack))),
            (Some(s), false) => s.template.clone(),
            _ => Value::Null,
        };
        let id = self.next("arn:fake:changeSet/");
        let changes = changes(&old, &template);
        let same_parameters = existing.as_ref().is_some_and(|s| request.parameters.iter().all(|p| s.info.parameters.contains(p)));
        let (status, reason) = if changes.is_empty() && same_parameters && !request.create {
            (
                ChangeSetStatus::Failed,
                Some("The submitted information didn't contain changes. Submit different information to create a change set.".to_string()),
            )
        } else {
            (ChangeSetStatus::CreateComplete, None)
        };
        let change_set = ChangeSet { id: id.clone(), status, reason, changes };
        let mut state = self.state.borrow_mut();
        if existing.is_none() {
            let info = StackInfo {
                id: format!("arn:fake:stack/{}", request.stack),
                status: StackStatus::ReviewInProgress,
                reason: None,
                outputs: vec![],
                parameters: vec![],
            };
            let stack = FakeStack { info, template: Value::Null, resources: BTreeMap::new(), events: vec![] };
            state.stacks.insert(request.stack.to_string(), stack);
        }
        let pending = Pending { change_set: change_set.clone(), template, parameters: request.parameters.to_vec() };
        state.change_sets.insert(id, pending);
        Ok(change_set)
    }

    async fn execute_change_set(&self, stack: &str, id: &str) -> Result<(), AwsError> {
        let operation = format!("ExecuteChangeSet {stack}");
        let pending = self.state.borrow_mut().change_sets.remove(id);
        let Some(Pending { change_set, template, parameters }) = pending else {
            return Err(rejected(operation, "ChangeSetNotFound", format!("ChangeSet [{id}] does not exist")));
        };
        if change_set.status != ChangeSetStatus::CreateComplete {
            return Err(rejected(operation, "InvalidChangeSetStatus", format!("ChangeSet [{id}] cannot be executed")));
        }
        let mut physical = BTreeMap::new();
        for c in &change_set.changes {
            if c.action != ChangeAction::Remove {
                physical.insert(c.logical_id.clone(), self.next(&format!("{stack}-{}-", c.logical_id)));
            }
        }
        let mut state = self.state.borrow_mut();
        let Some(s) = state.stacks.get_mut(stack) else {
            return Err(rejected(operation, "ValidationError", format!("Stack [{stack}] does not exist")));
        };
        let created = s.info.status == StackStatus::ReviewInProgress;
        for c in &change_set.changes {
            match c.action {
                ChangeAction::Remove => {
                    s.resources.remove(&c.logical_id);
                }
                _ => {
                    s.resources.entry(c.logical_id.clone()).or_insert_with(|| physical[&c.logical_id].clone());
                }
            }
            let n = s.events.len();
            let verb = if c.action == ChangeAction::Remove {
                "DELETE"
            } else if created {
                "CREATE"
            } else {
                "UPDATE"
            };
            s.events.insert(
                0,
                StackEvent {
                    id: format!("event-{n}"),
                    timestamp: String::new(),
                    logical_id: c.logical_id.clone(),
                    resource_type: c.resource_type.clone(),
                    status: format!("{verb}_COMPLETE"),
                    reason: None,
                },
            );
        }
        s.template = template.clone();
        s.info.parameters = parameters;
        s.info.status = if created { StackStatus::CreateComplete } else { StackStatus::UpdateComplete };
        s.info.outputs =
            template["Outputs"].as_object().map(|o| o.keys().map(|k| (k.clone(), format!("{k}-value"))).collect()).unwrap_or_default();
        let groups: Vec<(String, Value)> = template["Resources"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, r)| r["Type"] == GROUP_TYPE)
            .filter_map(|(id, r)| Some((s.resources.get(id)?.clone(), r["Properties"].clone())))
            .collect();
        // The warm pool the template gives the group, as AWS keeps it: full.
        let pool = template["Resources"].as_object().into_iter().flatten().find(|(_, r)| r["Type"] == POOL_TYPE).map(|(_, r)| {
            let p = &r["Properties"];
            let size = p["MinSize"].as_i64().and_then(|v| i32::try_from(v).ok()).unwrap_or(0);
            WarmPoolView { state: p["PoolState"].as_str().unwrap_or("Stopped").to_string(), size, instances: size }
        });
        for (name, props) in groups {
            let size = |key: &str| props[key].as_str().and_then(|v| v.parse().ok()).or(props[key].as_i64().map(|v| v as i32));
            let group = state.groups.entry(name.clone()).or_insert_with(|| GroupView {
                name,
                desired: 0,
                min: 0,
                max: 0,
                launches_from: None,
                members: vec![],
                warm_pool: None,
            });
            group.min = size("MinSize").unwrap_or(group.min);
            group.max = size("MaxSize").unwrap_or(group.max);
            group.desired = size("DesiredCapacity").unwrap_or(group.min.max(group.desired.min(group.max)));
            group.warm_pool = pool.clone();
        }
        Ok(())
    }

    async fn delete_change_set(&self, stack: &str, id: &str) -> Result<(), AwsError> {
        match self.state.borrow_mut().change_sets.remove(id) {
            Some(_) => Ok(()),
            None => Err(rejected(format!("DeleteChangeSet {stack}"), "ChangeSetNotFound", format!("ChangeSet [{id}] does not exist"))),
        }
    }

    async fn delete_stack(&self, stack: &str) -> Result<(), AwsError> {
        let mut state = self.state.borrow_mut();
        if let Some(s) = state.stacks.remove(stack) {
            for physical in s.resources.values() {
                state.groups.remove(physical);
            }
        }
        Ok(())
    }

    async fn events(&self, stack: &str) -> Result<Vec<StackEvent>, AwsError> {
        let state = self.state.borrow();
        let s = state.stacks.get(stack).ok_or_else(|| {
            rejected(format!("DescribeStackEvents {stack}"), "ValidationError", format!("Stack [{stack}] does not exist"))
        })?;
        Ok(s.events.clone())
    }
}

impl Group for FakeCloud {
    async fn describe_group(&self, name: &str) -> Result<Option<GroupView>, AwsError> {
        let mut state = self.state.borrow_mut();
        let State { groups, drain_looks, drained_looks, .. } = &mut *state;
        let Some(group) = groups.get_mut(name) else { return Ok(None) };
        if let Some(limit) = *drain_looks {
            group.members.retain(|m| {
                if !m.lifecycle_state.is_draining() {
                    return true;
                }
                let looks = drained_looks.entry(m.id.clone()).or_default();
                *looks += 1;
                *looks <= limit
            });
        }
        Ok(Some(group.clone()))
    }

    /// Members beyond the new desired capacity go to `Terminating:Wait` (the drain hook holds
    /// every termination): those listed last.
    async fn resize(&self, group: &str, min: i32, max: i32, desired: i32) -> Result<(), AwsError> {
        let mut state = self.state.borrow_mut();
        let g = state.groups.get_mut(group).ok_or_else(|| {
            rejected(format!("UpdateAutoScalingGroup {group}"), "ValidationError", format!("AutoScalingGroup name not found - {group}"))
        })?;
        (g.min, g.max, g.desired) = (min, max, desired);
        let staying = usize::try_from(desired).unwrap_or(0);
        for m in g.members.iter_mut().filter(|m| !m.lifecycle_state.is_leaving()).skip(staying) {
            m.lifecycle_state = agent_stack_aws::states::LifecycleState::TerminatingWait;
        }
        Ok(())
    }

    async fn complete_lifecycle_action(&self, action: &LifecycleAction, result: ActionResult) -> Result<(), AwsError> {
        let mut state = self.state.borrow_mut();
        let operation = format!("CompleteLifecycleAction {} {}", action.instance_id, result.as_str());
        let group = state.groups.get_mut(&action.group).ok_or_else(|| AwsError::new(operation.clone(), Kind::NotFound))?;
        let before = group.members.len();
        group.members.retain(|m| !(m.id == action.instance_id && m.lifecycle_state.is_draining()));
        if group.members.len() == before {
            return Err(AwsError::new(operation, Kind::NotFound));
        }
        state.completed.push((action.instance_id.clone(), result.as_str()));
        Ok(())
    }

    async fn delete_warm_pool(&self, group: &str) -> Result<(), AwsError> {
        let mut state = self.state.borrow_mut();
        if !state.groups.contains_key(group) {
            return Err(rejected(
                format!("DeleteWarmPool {group}"),
                "ValidationError",
                format!("AutoScalingGroup name not found - {group}"),
            ));
        }
        state.pools_deleted.push(group.to_string());
        if let Some(g) = state.groups.get_mut(group) {
            g.warm_pool = None;
        }
        Ok(())
    }

    async fn enter_standby(&self, group: &str, instance_ids: &[String]) -> Result<(), AwsError> {
        let mut state = self.state.borrow_mut();
        let g = state.groups.get_mut(group).ok_or_else(|| {
            rejected(format!("EnterStandby in {group}"), "ValidationError", format!("AutoScalingGroup name not found - {group}"))
        })?;
        for m in g.members.iter_mut().filter(|m| instance_ids.contains(&m.id)) {
            m.lifecycle_state = agent_stack_aws::states::LifecycleState::Standby;
        }
        Ok(())
    }
}

impl Parameters for FakeCloud {
    async fn get_string(&self, name: &str) -> Result<Option<String>, AwsError> {
        Ok(self.state.borrow().parameters.get(name).cloned())
    }

    async fn read_token(&self, name: &str) -> Result<RegistrationToken, TokenError> {
        match self.state.borrow().parameters.get(name) {
            Some(v) if v.is_empty() => Err(TokenError::Empty(name.into())),
            Some(v) => Ok(RegistrationToken::new(v)),
            None => Err(TokenError::NotFound(name.into())),
        }
    }
}

impl Artifacts for FakeCloud {
    async fn object_exists(&self, bucket: &str, key: &str) -> Result<bool, AwsError> {
        Ok(self.state.borrow().objects.contains(&(bucket.to_string(), key.to_string())))
    }

    async fn put_object(&self, bucket: &str, key: &str, _bytes: Vec<u8>) -> Result<(), AwsError> {
        self.state.borrow_mut().objects.insert((bucket.to_string(), key.to_string()));
        Ok(())
    }
}

/// `*` in an EC2 name filter matches any run of characters.
fn matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, rest)) => {
            name.starts_with(head)
                && (0..=name.len() - head.len()).any(|i| name.is_char_boundary(head.len() + i) && matches(rest, &name[head.len() + i..]))
        }
    }
}

impl Images for FakeCloud {
    async fn newest_own_image(&self, patterns: &[String]) -> Result<Option<(String, String)>, AwsError> {
        let state = self.state.borrow();
        Ok(patterns.iter().find_map(|p| {
            state.images.iter().filter(|(_, _, name)| matches(p, name)).max().map(|(_, id, name)| (id.clone(), name.clone()))
        }))
    }

    async fn default_vpc_id(&self) -> Result<Option<String>, AwsError> {
        Ok(self.state.borrow().default_vpc.clone())
    }

    async fn instance_images(&self, instance_ids: &[String]) -> Result<BTreeMap<String, (String, Option<String>)>, AwsError> {
        let state = self.state.borrow();
        Ok(instance_ids
            .iter()
            .filter_map(|id| {
                let image = state.instance_images.get(id)?;
                let name = state.images.iter().find(|(_, i, _)| i == image).map(|(_, _, n)| n.clone());
                Some((id.clone(), (image.clone(), name)))
            })
            .collect())
    }
}

/// A [`Ui`] that answers every question the same and keeps what it was shown.
#[derive(Debug, Default)]
pub struct ScriptedUi {
    pub answer: bool,
    pub questions: Vec<String>,
    pub lines: Vec<String>,
}

impl ScriptedUi {
    pub fn answering(answer: bool) -> Self {
        Self { answer, ..Self::default() }
    }
}

impl Ui for ScriptedUi {
    fn confirm(&mut self, question: &str) -> Result<bool, Error> {
        self.questions.push(question.to_string());
        Ok(self.answer)
    }

    fn progress(&mut self, line: &str) {
        self.lines.push(line.to_string());
    }
}
