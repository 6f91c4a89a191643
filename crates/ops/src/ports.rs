//! The narrow traits the operations use, and their AWS implementation.

use std::collections::BTreeMap;

use agent_stack_aws::cfn::{self, ChangeSet, ChangeSetRequest, StackEvent, StackInfo};
use agent_stack_aws::group::GroupView;
use agent_stack_aws::lifecycle::{ActionResult, LifecycleAction};
use agent_stack_aws::{Error as AwsError, SdkConfig, TokenError};
use agent_stack_config::RegistrationToken;

use crate::Error;

/// CloudFormation stacks and change sets.
pub trait Stacks {
    /// `None` when the stack does not exist.
    async fn describe_stack(&self, stack: &str) -> Result<Option<StackInfo>, AwsError>;
    async fn template(&self, stack: &str) -> Result<String, AwsError>;
    /// `None` when the stack or resource does not exist or has no physical resource yet.
    async fn physical_id(&self, stack: &str, logical_id: &str) -> Result<Option<String>, AwsError>;
    /// Creates the change set and returns it once computed.
    async fn create_change_set(&self, request: &ChangeSetRequest<'_>) -> Result<ChangeSet, AwsError>;
    async fn execute_change_set(&self, stack: &str, id: &str) -> Result<(), AwsError>;
    async fn delete_change_set(&self, stack: &str, id: &str) -> Result<(), AwsError>;
    async fn delete_stack(&self, stack: &str) -> Result<(), AwsError>;
    /// Newest first.
    async fn events(&self, stack: &str) -> Result<Vec<StackEvent>, AwsError>;
}

/// The agents' Auto Scaling group.
pub trait Group {
    /// `None` when the group does not exist.
    async fn describe_group(&self, name: &str) -> Result<Option<GroupView>, AwsError>;
    /// Moves instances to Standby, keeping the desired capacity.
    async fn enter_standby(&self, group: &str, instance_ids: &[String]) -> Result<(), AwsError>;
    /// Sets the minimum, maximum and desired capacity.
    async fn resize(&self, group: &str, min: i32, max: i32, desired: i32) -> Result<(), AwsError>;
    /// Ends an instance's lifecycle action; [`AwsError::is_not_found`] when none is pending.
    async fn complete_lifecycle_action(&self, action: &LifecycleAction, result: ActionResult) -> Result<(), AwsError>;
    /// Deletes the group's warm pool with its instances, without waiting for them.
    async fn delete_warm_pool(&self, group: &str) -> Result<(), AwsError>;
}

/// SSM parameters.
pub trait Parameters {
    /// `None` when the parameter does not exist.
    async fn get_string(&self, name: &str) -> Result<Option<String>, AwsError>;
    async fn read_token(&self, name: &str) -> Result<RegistrationToken, TokenError>;
}

/// Objects in the assets bucket.
pub trait Artifacts {
    async fn object_exists(&self, bucket: &str, key: &str) -> Result<bool, AwsError>;
    async fn put_object(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<(), AwsError>;
}

/// EC2 look-ups: images and the default VPC.
pub trait Images {
    /// The newest image of this account whose name matches one of `patterns` (tried in order): (id, name).
    async fn newest_own_image(&self, patterns: &[String]) -> Result<Option<(String, String)>, AwsError>;
    async fn default_vpc_id(&self) -> Result<Option<String>, AwsError>;
    /// Instance id → (image id, image name when still visible).
    async fn instance_images(&self, instance_ids: &[String]) -> Result<BTreeMap<String, (String, Option<String>)>, AwsError>;
}

/// Everything the operations use.
pub trait Cloud: Stacks + Group + Parameters + Artifacts + Images {}

impl<T: Stacks + Group + Parameters + Artifacts + Images> Cloud for T {}

/// How an operation asks the user and shows progress.
pub trait Ui {
    /// Asks a yes/no question.
    fn confirm(&mut self, question: &str) -> Result<bool, Error>;
    /// One line of progress (stack events, waiting).
    fn progress(&mut self, line: &str);
}

/// The operations' traits implemented with the AWS SDK.
#[derive(Debug, Clone)]
pub struct AwsCloud {
    sdk: SdkConfig,
    stacks: cfn::Stacks,
}

impl AwsCloud {
    pub fn new(sdk: &SdkConfig) -> Self {
        Self { sdk: sdk.clone(), stacks: cfn::Stacks::new(sdk) }
    }

    pub fn sdk(&self) -> &SdkConfig {
        &self.sdk
    }
}

impl Stacks for AwsCloud {
    async fn describe_stack(&self, stack: &str) -> Result<Option<StackInfo>, AwsError> {
        self.stacks.describe(stack).await
    }
    async fn template(&self, stack: &str) -> Result<String, AwsError> {
        self.stacks.template(stack).await
    }
    async fn physical_id(&self, stack: &str, logical_id: &str) -> Result<Option<String>, AwsError> {
        self.stacks.physical_id(stack, logical_id).await
    }
    async fn create_change_set(&self, request: &ChangeSetRequest<'_>) -> Result<ChangeSet, AwsError> {
        self.stacks.create_change_set(request).await
    }
    async fn execute_change_set(&self, stack: &str, id: &str) -> Result<(), AwsError> {
        self.stacks.execute_change_set(stack, id).await
    }
    async fn delete_change_set(&self, stack: &str, id: &str) -> Result<(), AwsError> {
        self.stacks.delete_change_set(stack, id).await
    }
    async fn delete_stack(&self, stack: &str) -> Result<(), AwsError> {
        self.stacks.delete_stack(stack).await
    }
    async fn events(&self, stack: &str) -> Result<Vec<StackEvent>, AwsError> {
        self.stacks.events(stack).await
    }
}

impl Group for AwsCloud {
    async fn describe_group(&self, name: &str) -> Result<Option<GroupView>, AwsError> {
        agent_stack_aws::group::describe_group(&self.sdk, name).await
    }
    async fn enter_standby(&self, group: &str, instance_ids: &[String]) -> Result<(), AwsError> {
        agent_stack_aws::group::enter_standby(&self.sdk, group, instance_ids).await
    }
    async fn resize(&self, group: &str, min: i32, max: i32, desired: i32) -> Result<(), AwsError> {
        agent_stack_aws::group::resize(&self.sdk, group, min, max, desired).await
    }
    async fn complete_lifecycle_action(&self, action: &LifecycleAction, result: ActionResult) -> Result<(), AwsError> {
        action.complete(&self.sdk, result).await
    }
    async fn delete_warm_pool(&self, group: &str) -> Result<(), AwsError> {
        agent_stack_aws::group::delete_warm_pool(&self.sdk, group).await
    }
}

impl Parameters for AwsCloud {
    async fn get_string(&self, name: &str) -> Result<Option<String>, AwsError> {
        agent_stack_aws::get_string(&self.sdk, name).await
    }
    async fn read_token(&self, name: &str) -> Result<RegistrationToken, TokenError> {
        agent_stack_aws::read_token(&self.sdk, name).await
    }
}

impl Artifacts for AwsCloud {
    async fn object_exists(&self, bucket: &str, key: &str) -> Result<bool, AwsError> {
        agent_stack_aws::s3::object_exists(&self.sdk, bucket, key).await
    }
    async fn put_object(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<(), AwsError> {
        agent_stack_aws::s3::put_object(&self.sdk, bucket, key, bytes).await
    }
}

impl Images for AwsCloud {
    async fn newest_own_image(&self, patterns: &[String]) -> Result<Option<(String, String)>, AwsError> {
        agent_stack_aws::ec2::newest_own_image(&self.sdk, patterns).await
    }
    async fn default_vpc_id(&self) -> Result<Option<String>, AwsError> {
        agent_stack_aws::ec2::default_vpc_id(&self.sdk).await
    }
    async fn instance_images(&self, instance_ids: &[String]) -> Result<BTreeMap<String, (String, Option<String>)>, AwsError> {
        agent_stack_aws::ec2::instance_images(&self.sdk, instance_ids).await
    }
}

impl crate::logs::LogSource for AwsCloud {
    async fn group_instances(&self, group: &str) -> Result<Vec<String>, AwsError> {
        agent_stack_aws::ec2::group_instance_ids(&self.sdk, group).await
    }
    async fn log_events(
        &self,
        group: &str,
        streams: &[String],
        start_ms: i64,
    ) -> Result<Option<Vec<agent_stack_aws::logs::LogEvent>>, AwsError> {
        agent_stack_aws::logs::events(&self.sdk, group, streams, start_ms).await
    }
}

impl crate::hosts::Hosts for AwsCloud {
    async fn group_instance_hosts(&self, group: &str) -> Result<Vec<String>, AwsError> {
        agent_stack_aws::ec2::group_instance_hosts(&self.sdk, group).await
    }
    async fn host(&self, id: &str) -> Result<Option<agent_stack_aws::inspect::HostFacts>, AwsError> {
        Ok(agent_stack_aws::inspect::hosts(&self.sdk, &[id.to_string()]).await?.into_iter().next())
    }
    async fn release_hosts(&self, ids: &[String]) -> Result<Vec<(String, String)>, AwsError> {
        agent_stack_aws::ec2::release_hosts(&self.sdk, ids).await
    }
}
