//! Deploys a synthesized stack into moto through CloudFormation, the way `deploy` will in AWS.

use agent_stack_aws::cloudformation::types::{Capability, Parameter};
use agent_stack_aws::SdkConfig;
use agent_stack_config::{load, Config};
use agent_stack_template::{ids, synth, SynthOptions};
use serde_json::Value;

use crate::moto::Moto;

/// A stack created in moto.
#[derive(Debug, Clone)]
pub struct DeployedStack {
    pub stack_id: String,
    pub stack_name: String,
    pub asg_name: String,
    pub config: Config,
    pub template: Value,
}

/// An empty zip archive: moto only checks that the Lambda code object exists.
const EMPTY_ZIP: [u8; 22] = [0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// A config from `SEMAPHORE_*` pairs. moto cannot launch instances from a block device mapping
/// without a size (real EC2 takes it from the AMI), so a root volume size is always given.
pub fn config(pairs: &[(&str, &str)]) -> Config {
    let mut all = vec![("SEMAPHORE_AGENT_VOLUME_NAME", "/dev/sda1"), ("SEMAPHORE_AGENT_VOLUME_SIZE", "16")];
    all.extend_from_slice(pairs);
    match load(None, all) {
        Ok((_, config)) => config,
        Err(e) => panic!("test config is invalid: {e}"),
    }
}

fn param(key: &str, value: &str) -> Parameter {
    Parameter::builder().parameter_key(key).parameter_value(value).build()
}

/// Synthesizes `config` and creates the stack; completes the AZ-rebalance custom resource with
/// `complete_custom_resource` (which receives the CloudFormation event our Lambda would get).
pub async fn deploy<F, Fut>(moto: &Moto, sdk: &SdkConfig, config: Config, complete_custom_resource: F) -> DeployedStack
where
    F: FnOnce(Value) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let bucket = "agent-stack-test-artifacts";
    let key = format!("{}/lambda.zip", config.stack_name);
    agent_stack_aws::s3::ensure_bucket(sdk, bucket).await.unwrap_or_else(|e| panic!("{e}"));
    agent_stack_aws::s3::put_object(sdk, bucket, &key, EMPTY_ZIP.to_vec()).await.unwrap_or_else(|e| panic!("{e}"));
    // An image named as images/ names ours (no deploy look-up pattern matches the `test` OS).
    let image = agent_stack_aws::ec2_sdk::Client::new(sdk)
        .register_image()
        .name(format!("agent-stack-test-x86_64-{}", config.stack_name))
        .root_device_name("/dev/sda1")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}", agent_stack_aws::Error::from_sdk("RegisterImage", &e)));
    let image_id = image.image_id().unwrap_or_default().to_string();
    let template = synth(&config, &SynthOptions::default());
    let cfn = agent_stack_aws::cloudformation::Client::new(sdk);
    let mut request = cfn
        .create_stack()
        .stack_name(&config.stack_name)
        .template_body(template.to_json())
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .parameters(param(ids::param::IMAGE_ID, &image_id))
        .parameters(param(ids::param::LAMBDA_CODE_BUCKET, bucket))
        .parameters(param(ids::param::LAMBDA_CODE_KEY, &key));
    if template.to_value()["Parameters"].get(ids::param::DEFAULT_VPC_ID).is_some() {
        request = request.parameters(param(ids::param::DEFAULT_VPC_ID, "vpc-12345678"));
    }
    let out = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}", agent_stack_aws::Error::from_sdk(format!("CreateStack {}", config.stack_name), &e)));
    let stack_id = out.stack_id().unwrap_or_default().to_string();
    let asg_name = agent_stack_aws::cfn::Stacks::new(sdk)
        .physical_id(&config.stack_name, ids::AUTO_SCALING_GROUP)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("stack {} has no Auto Scaling group", config.stack_name));
    let event = az_rebalance_event(&moto.endpoint, &stack_id, &asg_name);
    complete_custom_resource(event).await;
    DeployedStack { stack_id, stack_name: config.stack_name.clone(), asg_name, template: template.to_value(), config }
}

/// The Create request CloudFormation sends the stack's AZ-rebalance custom resource, with its
/// response URL on moto at `moto_endpoint`.
pub fn az_rebalance_event(moto_endpoint: &str, stack_id: &str, asg_name: &str) -> Value {
    serde_json::json!({
        "RequestType": "Create",
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:az-rebalance",
        "ResponseURL": format!("{moto_endpoint}/cloudformation_us-east-1/cfnresponse?stack={stack_id}"),
        "StackId": stack_id,
        "RequestId": format!("req-{asg_name}"),
        "LogicalResourceId": ids::AZ_REBALANCE_SUSPENSION,
        "ResourceType": "Custom::AzRebalanceSuspender",
        "ResourceProperties": { "AutoScalingGroupName": asg_name },
    })
}

/// Waits (up to a minute) until a stack being created through a change set has its group, then
/// answers its AZ-rebalance custom resource with `answer`, as the stack's Lambda would; whether
/// the answer succeeded.
pub async fn answer_az_rebalance<F, Fut>(sdk: &SdkConfig, moto_endpoint: &str, stack: &str, answer: F) -> bool
where
    F: FnOnce(Value) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let stacks = agent_stack_aws::cfn::Stacks::new(sdk);
    for _ in 0..600 {
        if let (Ok(Some(info)), Ok(Some(asg))) = (stacks.describe(stack).await, stacks.physical_id(stack, ids::AUTO_SCALING_GROUP).await) {
            return answer(az_rebalance_event(moto_endpoint, &info.id, &asg)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// The stack's status.
pub async fn stack_status(sdk: &SdkConfig, stack: &str) -> String {
    let out = agent_stack_aws::cloudformation::Client::new(sdk).describe_stacks().stack_name(stack).send().await;
    out.ok().and_then(|o| o.stacks().first().and_then(|s| s.stack_status().map(|s| s.as_str().to_string()))).unwrap_or_default()
}
