//! CloudFormation synthesis for agent-stack: `synth(&Config) -> Template`, pure and deterministic.
//!
//! Resources, properties and the logical IDs of named or stateful resources follow the templates
//! agent-aws-stack synthesizes, so deploying over a stack it created updates it in place. Values
//! only known at deploy time (the AMI, the Lambda artifact, the default VPC) are template parameters.

pub mod assets;
mod cfn;
pub mod dashboard;
pub mod diff;
mod fleet;
mod functions;
mod iam;
pub mod ids;
mod instances;

use std::collections::BTreeMap;

use agent_stack_config::Config;
use serde_json::{json, Map, Value};

pub use cfn::referenced_ids;
pub use functions::{log_group_name, LOG_RETENTION_DAYS, SCALER_TIMEOUT_S};
pub use instances::{agent_config, GITHUB_SSH_KEYS};

/// The stack description, as agent-aws-stack set it.
pub const DESCRIPTION: &str = "Semaphore agent autoscaling stack";

/// Deploy-time values that may be baked in as parameter defaults (`synth --image-id …`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SynthOptions {
    pub image_id: Option<String>,
    pub lambda_code_bucket: Option<String>,
    pub lambda_code_key: Option<String>,
    /// `x86_64` or `arm64`; the default is `x86_64`.
    pub lambda_architecture: Option<String>,
    pub default_vpc_id: Option<String>,
}

/// A synthesized template. Keys are kept sorted, so output is byte-for-byte deterministic.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Template {
    resources: BTreeMap<String, Value>,
    parameters: BTreeMap<String, Value>,
    outputs: BTreeMap<String, Value>,
}

impl Template {
    fn add(&mut self, logical_id: &str, mut resource: Value) {
        cfn::prune_implied_dependencies(&mut resource);
        self.resources.insert(logical_id.to_string(), resource);
    }

    /// The resource with this logical ID.
    pub fn resource(&self, logical_id: &str) -> Option<&Value> {
        self.resources.get(logical_id)
    }

    /// All resources by logical ID.
    pub fn resources(&self) -> &BTreeMap<String, Value> {
        &self.resources
    }

    /// The whole template as JSON.
    pub fn to_value(&self) -> Value {
        let section = |m: &BTreeMap<String, Value>| Value::Object(m.clone().into_iter().collect::<Map<_, _>>());
        json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": DESCRIPTION,
            "Parameters": section(&self.parameters),
            "Resources": section(&self.resources),
            "Outputs": section(&self.outputs),
        })
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.to_value()).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// Synthesizes the stack for `config`.
pub fn synth(config: &Config, options: &SynthOptions) -> Template {
    let mut t = Template::default();
    add_parameters(&mut t, config, options);
    instances::add(&mut t, config);
    fleet::add(&mut t, config);
    functions::add(&mut t, config);
    dashboard::add(&mut t, config);
    add_outputs(&mut t, config);
    t
}

fn parameter(kind: &str, description: &str, default: Option<&str>) -> Value {
    let mut p = json!({ "Type": kind, "Description": description });
    if let Some(d) = default {
        p["Default"] = json!(d);
    }
    p
}

fn add_parameters(t: &mut Template, config: &Config, o: &SynthOptions) {
    use ids::param::*;
    let image = o.image_id.as_deref().or(config.ami.as_deref());
    t.parameters.insert(
        IMAGE_ID.into(),
        parameter("AWS::EC2::Image::Id", "AMI of the agent instances (deploy resolves the stack's own image)", image),
    );
    t.parameters.insert(
        LAMBDA_CODE_BUCKET.into(),
        parameter("String", "S3 bucket holding the agent-stack Lambda artifact", o.lambda_code_bucket.as_deref()),
    );
    t.parameters.insert(
        LAMBDA_CODE_KEY.into(),
        parameter("String", "S3 key of the agent-stack Lambda artifact (zip with bootstrap)", o.lambda_code_key.as_deref()),
    );
    let mut arch =
        parameter("String", "CPU architecture of the Lambda artifact", Some(o.lambda_architecture.as_deref().unwrap_or("x86_64")));
    arch["AllowedValues"] = json!(["x86_64", "arm64"]);
    t.parameters.insert(LAMBDA_ARCHITECTURE.into(), arch);
    if config.creates_security_group() && matches!(config.placement, agent_stack_config::Placement::DefaultVpc { .. }) {
        t.parameters.insert(
            DEFAULT_VPC_ID.into(),
            parameter("AWS::EC2::VPC::Id", "The region's default VPC, home of the agents' security group", o.default_vpc_id.as_deref()),
        );
    }
}

fn add_outputs(t: &mut Template, config: &Config) {
    let output = |description: &str, value: Value| json!({ "Description": description, "Value": value });
    t.outputs.insert("AutoScalingGroupName".into(), output("Auto Scaling group of the agents", cfn::ref_(ids::AUTO_SCALING_GROUP)));
    t.outputs.insert(
        "AgentConfigParameterName".into(),
        output("SSM parameter with the agents' settings", json!(config.agent_config_parameter_name())),
    );
    if config.dynamic_scaling {
        t.outputs.insert("ScalerFunctionName".into(), output("Scaler Lambda function", cfn::ref_(ids::SCALER_FUNCTION)));
    }
    if config.mac.is_some() {
        t.outputs.insert("HostResourceGroupArn".into(), output("Dedicated-host resource group", fleet::host_resource_group_arn()));
    }
}
