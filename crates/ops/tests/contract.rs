//! The operations' contract: one test body, run against the in-memory [`FakeCloud`] and against
//! moto through [`AwsCloud`] (the AWS SDK adapters). What the fake promises, AWS (as moto plays
//! it) does too.

use agent_stack_aws::group::Member;
use agent_stack_aws::states::{LifecycleState, StackStatus};
use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_config::{Arch, Config, ConfigFile, RawConfig, RegistrationToken};
use agent_stack_lambda::custom_resource;
use agent_stack_ops::bootstrap::bootstrap;
use agent_stack_ops::deploy::{deploy, diff, Deployment, Difference, Inputs};
use agent_stack_ops::destroy::{destroy as destroy_with, DestroyOptions, Destroyed};
use agent_stack_ops::fake::{FakeCloud, ScriptedUi};
use agent_stack_ops::status::{status, SemaphoreView};
use agent_stack_ops::{rotate, AwsCloud, Cloud, Error, Group, Stacks};
use agent_stack_scaler::{Agents, JobQueue, Jobs, Metrics, SourceError};
use agent_stack_template::diff::ResourceDiff;
use agent_stack_template::ids;
use agent_stack_testkit::moto::{unique, Moto};
use agent_stack_testkit::stack::answer_az_rebalance;
use serde_json::json;

/// Semaphore's side of `status`, fixed: this contract is about the AWS side.
struct Queue;

const METRICS: Metrics = Metrics { jobs: Jobs { queued: 2, running: 1 }, agents: Agents { idle: 0, occupied: 1 } };

impl JobQueue for Queue {
    async fn metrics(&self) -> Result<Metrics, SourceError> {
        Ok(METRICS)
    }
}

fn config(stack: &str, max_size: &str) -> Config {
    config_with_image(stack, max_size, "ami-0123456789abcdef0")
}

fn config_with_image(stack: &str, max_size: &str, image: &str) -> Config {
    config_with(stack, max_size, image, &[])
}

/// A config of the contract's stacks with a warm pool of 1, with `env` overriding the file.
fn config_with(stack: &str, max_size: &str, image: &str, env: &[(&str, &str)]) -> Config {
    let contents = json!({
        "SEMAPHORE_AGENT_STACK_NAME": stack,
        "SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME": format!("{stack}-token"),
        "SEMAPHORE_ORGANIZATION": "test",
        "SEMAPHORE_AGENT_AMI": image,
        "SEMAPHORE_AGENT_VOLUME_NAME": "/dev/sda1",
        "SEMAPHORE_AGENT_VOLUME_SIZE": "16",
        "SEMAPHORE_AGENT_ASG_MAX_SIZE": max_size,
        "SEMAPHORE_AGENT_WARM_POOL_SIZE": "1",
    })
    .to_string();
    let raw = RawConfig::from_sources(Some(ConfigFile { path: "config.json", contents: &contents }), env.iter().copied());
    Config::try_from(&raw).unwrap_or_else(|e| panic!("{e}"))
}

fn inputs() -> Inputs {
    Inputs { lambda_zip: b"zip".to_vec(), lambda_arch: Arch::X86_64, image_id: None, default_vpc_id: None, bucket: None }
}

/// What differs between the backends: storing the token, and answering the stack's custom
/// resource while it is created (our Lambda does that in AWS).
trait Backend {
    async fn store_token(&self, name: &str);
    fn answer_custom_resource(&self, stack: &str);
    /// Two instances in service in the group, as the scaler would launch them.
    async fn launch_two(&self, group: &str);
    /// An image the group can launch instances from.
    async fn image(&self) -> String;
}

/// `destroy` that waits for busy agents, looking at the group without delay.
async fn destroy<C: Cloud>(cloud: &C, ui: &mut ScriptedUi, config: &Config) -> Result<Destroyed, Error> {
    let options = DestroyOptions { force: false, poll: std::time::Duration::ZERO };
    destroy_with(cloud, ui, config, |_token| Ok::<_, String>(Queue), options).await
}

async fn contract<C: Cloud + Backend>(cloud: &C) {
    let yes = &mut ScriptedUi::answering(true);
    let no = &mut ScriptedUi::answering(false);

    // bootstrap creates the assets stack once (moto may have it from another test already).
    let first = bootstrap(cloud, yes).await.unwrap_or_else(|e| panic!("{e}"));
    let again = bootstrap(cloud, yes).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(again.up_to_date && again.bucket == first.bucket && !first.bucket.is_empty(), "{first:?} {again:?}");

    let stack = unique("contract");
    let image = cloud.image().await;
    let small = config_with_image(&stack, "2", &image);
    assert_eq!(diff(cloud, no, &small, &inputs()).await, Ok(Difference::Missing));

    // No token: refused before anything is created.
    let refused = deploy(cloud, yes, &small, &inputs()).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused.contains(&format!("token parameter {stack}-token does not exist")), "{refused}");
    cloud.store_token(&format!("{stack}-token")).await;

    // The create has IAM changes: declined, nothing is deployed.
    let declined = deploy(cloud, no, &small, &inputs()).await;
    assert_eq!(declined, Err(Error::Cancelled("deploy cancelled; nothing changed".into())));
    assert!(no.questions.iter().any(|q| q.contains("(IAM)")), "{:?}", no.questions);
    assert_eq!(diff(cloud, no, &small, &inputs()).await, Ok(Difference::Missing));
    assert_eq!(cloud.describe_stack(&stack).await, Ok(None), "not even an empty stack is left");

    cloud.answer_custom_resource(&stack);
    match deploy(cloud, yes, &small, &inputs()).await {
        Ok(Deployment::Done { created: true, status: StackStatus::CreateComplete, .. }) => {}
        other => panic!("create: {other:?}"),
    }
    assert!(yes.lines.iter().any(|l| l.contains(ids::AUTO_SCALING_GROUP)), "the changes are shown: {:?}", yes.lines);
    assert_eq!(diff(cloud, no, &small, &inputs()).await, Ok(Difference::Same));
    assert_eq!(deploy(cloud, no, &small, &inputs()).await, Ok(Deployment::UpToDate));

    let report = status(cloud, &small, |_token| Ok::<_, String>(Queue)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.stack_status, StackStatus::CreateComplete);
    let group = report.asg.clone().unwrap_or_else(|| panic!("a group: {report:?}"));
    assert_eq!((group.min, group.max, group.desired), (0, 2, 0));
    assert_eq!(report.instances, Some(vec![]));
    assert_eq!(report.semaphore, SemaphoreView::Metrics(METRICS));
    let (asg, plan) = rotate::planned(cloud, &stack, true).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((asg, plan.rotate), (group.name.clone(), vec![]));

    // A larger group: diff names the property, deploy updates in place.
    let larger = config_with_image(&stack, "3", &image);
    match diff(cloud, no, &larger, &inputs()).await {
        Ok(Difference::Differs { resources, params, .. }) => {
            assert!(params.is_empty(), "{params:?}");
            assert!(
                resources.iter().any(|r| matches!(r, ResourceDiff::Modified { logical_id, paths, .. }
                    if logical_id == ids::AUTO_SCALING_GROUP && paths.iter().any(|p| p.contains("/Properties/MaxSize")))),
                "{resources:?}"
            );
        }
        other => panic!("diff: {other:?}"),
    }
    match deploy(cloud, yes, &larger, &inputs()).await {
        Ok(Deployment::Done { created: false, status: StackStatus::UpdateComplete, .. }) => {}
        other => panic!("update: {other:?}"),
    }
    let report = status(cloud, &larger, |_token| Ok::<_, String>(Queue)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.asg.as_ref().map(|g| g.max), Some(3));
    // (moto makes a new group on an update; AWS updates it in place.)
    let group = report.asg.unwrap_or_else(|| panic!("no group after the update"));

    // A deploy that shrinks the group says that busy agents finish first.
    cloud.launch_two(&group.name).await;
    let single = config_with_image(&stack, "1", &image);
    let yes = &mut ScriptedUi::answering(true);
    assert!(matches!(deploy(cloud, yes, &single, &inputs()).await, Ok(Deployment::Done { created: false, .. })));
    let note = "the group shrinks from 2 to 1 instances: idle agents leave at once, busy ones finish their jobs";
    assert!(yes.lines.iter().any(|l| l.starts_with(note)), "{:?}", yes.lines);

    // destroy says what it will do with the agents, asks, empties the group (busy agents drain),
    // deletes, and is a no-op after.
    assert!(matches!(deploy(cloud, yes, &larger, &inputs()).await, Ok(Deployment::Done { created: false, .. })));
    let group = cloud.physical_id(&stack, ids::AUTO_SCALING_GROUP).await.ok().flatten().unwrap_or_default();
    cloud.launch_two(&group).await;
    let no = &mut ScriptedUi::answering(false);
    assert_eq!(destroy(cloud, no, &larger).await, Err(Error::Cancelled("destroy cancelled; nothing changed".into())));
    let question = no.questions.last().cloned().unwrap_or_default();
    assert!(question.contains(&format!("group {group} has 2 instances; Semaphore reports 1 busy and 0 idle agents")), "{question}");
    assert!(question.contains("busy ones finish their jobs") && question.contains(&format!("delete stack {stack}")), "{question}");
    let yes = &mut ScriptedUi::answering(true);
    assert_eq!(destroy(cloud, yes, &larger).await, Ok(Destroyed::Deleted));
    assert!(yes.lines.iter().any(|l| l == &format!("group {group} is empty")), "destroy emptied the group first: {:?}", yes.lines);
    let pool_deleted = format!("deleted the warm pool of group {group} with its instances");
    assert_eq!(yes.lines.iter().position(|l| l == &pool_deleted), Some(0), "the warm pool goes first: {:?}", yes.lines);
    assert_eq!(destroy(cloud, yes, &larger).await, Ok(Destroyed::Missing));
    let gone = status(cloud, &larger, |_token| Ok::<_, String>(Queue)).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(gone.contains("does not exist"), "{gone}");
}

impl Backend for FakeCloud {
    async fn store_token(&self, name: &str) {
        self.put_parameter(name, "t0k3n");
    }
    fn answer_custom_resource(&self, _stack: &str) {}
    async fn launch_two(&self, group: &str) {
        let mut view = self.describe_group(group).await.ok().flatten().unwrap_or_else(|| panic!("no group {group}"));
        view.members = (1..=2).map(|i| member(&format!("i-fake{i}"), LifecycleState::InService)).collect();
        view.desired = 2;
        self.set_group(view);
        // Their agents finish their jobs after two looks at the group.
        self.drain_after(2);
    }
    async fn image(&self) -> String {
        "ami-0123456789abcdef0".into()
    }
}

fn member(id: &str, lifecycle_state: LifecycleState) -> Member {
    Member {
        id: id.into(),
        lifecycle_state,
        health: "Healthy".into(),
        availability_zone: "us-east-1a".into(),
        instance_type: "t3.micro".into(),
        protected_from_scale_in: false,
        launched_from: None,
    }
}

#[tokio::test]
async fn the_fake_keeps_the_contract() {
    contract(&FakeCloud::new()).await;
}

/// moto through the SDK adapters.
impl Backend for AwsCloud {
    async fn store_token(&self, name: &str) {
        agent_stack_aws::put_token(self.sdk(), name, &RegistrationToken::new("t0k3n"), None).await.unwrap_or_else(|e| panic!("{e}"));
    }

    /// Answers the stack's AZ-rebalance custom resource once its group exists, as our Lambda would.
    fn answer_custom_resource(&self, stack: &str) {
        let endpoint = Moto::shared().map(|m| m.endpoint.clone()).unwrap_or_default();
        let (sdk, stack) = (self.sdk().clone(), stack.to_string());
        tokio::spawn(async move {
            let sdk = &sdk;
            let answered =
                answer_az_rebalance(sdk, &endpoint, &stack, |event| async move { custom_resource::handle(sdk, &event).await.is_ok() })
                    .await;
            if !answered {
                eprintln!("the custom resource of {stack} was not answered");
            }
        });
    }

    /// moto launches instances only from an image it knows.
    async fn image(&self) -> String {
        let image = agent_stack_aws::ec2_sdk::Client::new(self.sdk())
            .register_image()
            .name(unique("agent-stack-contract-image"))
            .root_device_name("/dev/sda1")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}", agent_stack_aws::Error::from_sdk("RegisterImage", &e)));
        image.image_id().unwrap_or_default().to_string()
    }

    /// moto launches them at once (and terminates them at once: it has no drain hook).
    async fn launch_two(&self, group: &str) {
        agent_stack_aws::AsgFleet::new(self.sdk(), group).set_desired(2).await.unwrap_or_else(|e| panic!("{e}"));
        let members = self.describe_group(group).await.ok().flatten().map(|g| g.members.len());
        assert_eq!(members, Some(2));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_through_moto_keeps_the_contract() {
    let Some(moto) = Moto::shared() else { return };
    moto.export_env();
    let sdk = sdk_config(CallProfile::Command).await;
    contract(&AwsCloud::new(&sdk)).await;
}

/// A stack deployed from a template that is not JSON (hand-written YAML): diff cannot compare it
/// and says so, instead of calling every resource added.
#[tokio::test]
async fn diff_refuses_a_deployed_template_it_cannot_read() {
    let (cloud, yes) = (FakeCloud::new(), &mut ScriptedUi::answering(true));
    bootstrap(&cloud, yes).await.unwrap_or_else(|e| panic!("{e}"));
    let config = config("yaml", "2");
    cloud.store_token("yaml-token").await;
    assert!(matches!(deploy(&cloud, yes, &config, &inputs()).await, Ok(Deployment::Done { created: true, .. })));
    cloud.set_template_body("yaml", "Resources: {}\n");
    match diff(&cloud, yes, &config, &inputs()).await {
        Err(Error::Refused(m)) => assert!(m.contains("the deployed template of stack yaml is not JSON"), "{m}"),
        other => panic!("{other:?}"),
    }
}

/// `destroy --force`: the drain's lifecycle actions are completed with ABANDON instead of waiting
/// for the jobs.
#[tokio::test]
async fn destroy_force_abandons_the_drain_instead_of_waiting() {
    let (cloud, yes) = (FakeCloud::new(), &mut ScriptedUi::answering(true));
    bootstrap(&cloud, yes).await.unwrap_or_else(|e| panic!("{e}"));
    let config = config("forced", "2");
    cloud.store_token("forced-token").await;
    assert!(matches!(deploy(&cloud, yes, &config, &inputs()).await, Ok(Deployment::Done { created: true, .. })));
    let group = cloud.physical_id("forced", ids::AUTO_SCALING_GROUP).await.ok().flatten().unwrap_or_default();
    let mut view = cloud.describe_group(&group).await.ok().flatten().unwrap_or_else(|| panic!("no group"));
    view.members = vec![member("i-busy1", LifecycleState::InService), member("i-busy2", LifecycleState::InService)];
    cloud.set_group(view);
    let options = DestroyOptions { force: true, poll: std::time::Duration::ZERO };
    let ui = &mut ScriptedUi::answering(true);
    assert_eq!(destroy_with(&cloud, ui, &config, |_token| Ok::<_, String>(Queue), options).await, Ok(Destroyed::Deleted));
    assert!(ui.questions.iter().any(|q| q.contains("--force: their lifecycle actions are completed with ABANDON")), "{:?}", ui.questions);
    assert_eq!(cloud.completed_actions(), vec![("i-busy1".to_string(), "ABANDON"), ("i-busy2".to_string(), "ABANDON")]);
}

/// Removing the warm pool: deploy asks, deletes the pool first (AWS has refused to give a group
/// with a pool its mixed instances policy back), then updates the stack; declined, nothing changes.
#[tokio::test]
async fn a_deploy_that_removes_the_warm_pool_deletes_it_first_once_confirmed() {
    let (cloud, yes) = (FakeCloud::new(), &mut ScriptedUi::answering(true));
    bootstrap(&cloud, yes).await.unwrap_or_else(|e| panic!("{e}"));
    let pooled = config("pooled", "2");
    cloud.store_token("pooled-token").await;
    assert!(matches!(deploy(&cloud, yes, &pooled, &inputs()).await, Ok(Deployment::Done { created: true, .. })));
    let group = cloud.physical_id("pooled", ids::AUTO_SCALING_GROUP).await.ok().flatten().unwrap_or_default();
    let unpooled = config_with("pooled", "2", "ami-0123456789abcdef0", &[("SEMAPHORE_AGENT_WARM_POOL_SIZE", "0")]);
    let no = &mut ScriptedUi::answering(false);
    assert_eq!(deploy(&cloud, no, &unpooled, &inputs()).await, Err(Error::Cancelled("deploy cancelled; nothing changed".into())));
    assert!(no.questions.iter().any(|q| q.contains("removes the warm pool")), "{:?}", no.questions);
    assert!(cloud.warm_pools_deleted().is_empty(), "declined: the pool stays");
    let yes = &mut ScriptedUi::answering(true);
    assert!(matches!(deploy(&cloud, yes, &unpooled, &inputs()).await, Ok(Deployment::Done { created: false, .. })));
    assert_eq!(cloud.warm_pools_deleted(), vec![group.clone()]);
    let deleted = yes.lines.iter().position(|l| l == &format!("deleted the warm pool of group {group} with its instances"));
    let updating = yes.lines.iter().position(|l| l == "updating stack pooled:");
    assert!(deleted.is_some() && deleted < updating, "the pool goes before the change set: {:?}", yes.lines);
    // Nothing to remove any more: no question about it.
    let again = &mut ScriptedUi::answering(true);
    assert_eq!(deploy(&cloud, again, &unpooled, &inputs()).await, Ok(Deployment::UpToDate));
    assert!(again.questions.is_empty());
}
