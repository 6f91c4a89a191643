//! Logical IDs. Those of agent-aws-stack's named or stateful resources are kept verbatim so that
//! deploying over a stack it created updates that stack in place.

pub const SSH_KEYS_PARAMETER: &str = "sshKeysUpdaterParameter4EB9ACDD";
pub const SSH_KEYS_POLICY: &str = "sshKeysUpdaterRolePolicyF5F35E6B";
pub const SSH_KEYS_ROLE: &str = "sshKeysUpdaterRole765585CA";
pub const SSH_KEYS_FUNCTION: &str = "sshKeysUpdaterLambda1B004349";
pub const SSH_KEYS_RULE: &str = "sshKeysUpdaterEventRule9491D909";
pub const SSH_KEYS_PERMISSION: &str = "sshKeysUpdaterEventRuleAllowEventRuleAwsSemaphoreAgentStacksshKeysUpdaterLambda0266771E9C582ED9";
pub const SSH_KEYS_LOG_GROUP: &str = "sshKeysUpdaterLogGroup";

pub const AGENT_CONFIG_PARAMETER: &str = "SemaphoreAgentConfigParameterF91637D0";
pub const INSTANCE_POLICY: &str = "instanceProfilePolicy62AF6D2B";
pub const INSTANCE_ROLE: &str = "instanceProfileRole47059124";
pub const INSTANCE_PROFILE: &str = "launchTemplateProfileB2BF4FB7";
pub const SECURITY_GROUP: &str = "securityGroup32C48086";
pub const LAUNCH_TEMPLATE: &str = "launchTemplateDEE5742D";
pub const AUTO_SCALING_GROUP: &str = "autoScalingGroup";
pub const HOST_RESOURCE_GROUP: &str = "hostResourceGroup";
/// New: the group's warm pool, with `SEMAPHORE_AGENT_WARM_POOL_SIZE`.
pub const WARM_POOL: &str = "warmPool";
/// New: with a warm pool, the hook that holds launches until the instance is prepared.
pub const LAUNCH_HOOK: &str = "launchLifecycleHook";
/// New: the group's name for the instances' drain (see `agent_stack_config::drain`).
pub const GROUP_NAME_PARAMETER: &str = "autoScalingGroupNameParameter";

pub const AZ_REBALANCE_POLICY: &str = "azRebalanceSuspenderPolicy8FF50B4F";
pub const AZ_REBALANCE_ROLE: &str = "azRebalanceSuspenderRoleFD1D9251";
pub const AZ_REBALANCE_FUNCTION: &str = "azRebalanceSuspenderLambda107177D1";
pub const AZ_REBALANCE_LOG_GROUP: &str = "azRebalanceSuspenderLogGroup";
/// New ID: CloudFormation refuses to change the ServiceToken of agent-aws-stack's `azRebalanceSuspender`.
pub const AZ_REBALANCE_SUSPENSION: &str = "azRebalanceSuspension";

pub const SCALER_POLICY: &str = "scalerLambdaPolicy55529EAF";
pub const SCALER_ROLE: &str = "scalerLambdaRole1D61EB11";
pub const SCALER_FUNCTION: &str = "scalerLambdaEE0B7FDF";
pub const SCALER_SECURITY_GROUP: &str = "scalerLambdaSecurityGroupB905E544";
pub const SCALER_INVOKE_CONFIG: &str = "scalerLambdaEventInvokeConfigE655BB6E";
pub const SCALER_RULE: &str = "scalerRule7E4F6830";
pub const SCALER_PERMISSION: &str = "scalerRuleAllowEventRuleAwsSemaphoreAgentStackscalerLambdaEE2241706771B033";
pub const SCALER_LOG_GROUP: &str = "scalerLogGroup";

/// New: the stack's CloudWatch dashboard.
pub const DASHBOARD: &str = "dashboard";

/// Template parameters filled in at deploy time.
pub mod param {
    pub const IMAGE_ID: &str = "ImageId";
    pub const LAMBDA_CODE_BUCKET: &str = "LambdaCodeBucket";
    pub const LAMBDA_CODE_KEY: &str = "LambdaCodeKey";
    pub const LAMBDA_ARCHITECTURE: &str = "LambdaArchitecture";
    pub const DEFAULT_VPC_ID: &str = "DefaultVpcId";
}
