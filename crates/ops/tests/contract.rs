//! The operations' contract: one test body, run against the in-memory [`FakeCloud`] and against
//! moto through [`AwsCloud`] (the AWS SDK adapters). What the fake promises, AWS (as moto plays
//! it) does too.

use agent_stack_aws::states::StackStatus;
use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_config::{Arch, Config, ConfigFile, RawConfig, RegistrationToken};
use agent_stack_lambda::custom_resource;
use agent_stack_ops::bootstrap::bootstrap;
use agent_stack_ops::deploy::{deploy, diff, Deployment, Difference, Inputs};
use agent_stack_ops::destroy::{destroy, Destroyed};
use agent_stack_ops::fake::{FakeCloud, ScriptedUi};
use agent_stack_ops::status::{status, SemaphoreView};
use agent_stack_ops::{rotate, AwsCloud, Cloud, Error};
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
    let contents = json!({
        "SEMAPHORE_AGENT_STACK_NAME": stack,
        "SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME": format!("{stack}-token"),
        "SEMAPHORE_ORGANIZATION": "test",
        "SEMAPHORE_AGENT_AMI": "ami-0123456789abcdef0",
        "SEMAPHORE_AGENT_VOLUME_NAME": "/dev/sda1",
        "SEMAPHORE_AGENT_VOLUME_SIZE": "16",
        "SEMAPHORE_AGENT_ASG_MAX_SIZE": max_size,
    })
    .to_string();
    let raw =
        RawConfig::from_sources(Some(ConfigFile { path: "config.json", contents: &contents }), std::iter::empty::<(String, String)>());
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
}

async fn contract<C: Cloud + Backend>(cloud: &C) {
    let yes = &mut ScriptedUi::answering(true);
    let no = &mut ScriptedUi::answering(false);

    // bootstrap creates the assets stack once (moto may have it from another test already).
    let first = bootstrap(cloud, yes).await.unwrap_or_else(|e| panic!("{e}"));
    let again = bootstrap(cloud, yes).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(again.up_to_date && again.bucket == first.bucket && !first.bucket.is_empty(), "{first:?} {again:?}");

    let stack = unique("contract");
    let small = config(&stack, "2");
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
    let larger = config(&stack, "3");
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
    assert_eq!(report.asg.map(|g| g.max), Some(3));

    // destroy asks, deletes, and is a no-op after.
    assert_eq!(destroy(cloud, no, &stack).await, Err(Error::Cancelled("destroy cancelled; nothing changed".into())));
    assert_eq!(destroy(cloud, yes, &stack).await, Ok(Destroyed::Deleted));
    assert_eq!(destroy(cloud, yes, &stack).await, Ok(Destroyed::Missing));
    let gone = status(cloud, &larger, |_token| Ok::<_, String>(Queue)).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(gone.contains("does not exist"), "{gone}");
}

impl Backend for FakeCloud {
    async fn store_token(&self, name: &str) {
        self.put_parameter(name, "t0k3n");
    }
    fn answer_custom_resource(&self, _stack: &str) {}
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
