//! What the doctor asks AWS, beyond the operations' own traits; implemented on [`AwsCloud`].

use std::collections::{BTreeMap, BTreeSet};

use agent_stack_aws::inspect::{
    self, HostFacts, Identity, ImageFacts, InstanceTypeFacts, ParameterFacts, RouteTableFacts, RunningInstance, SubnetFacts,
};
use agent_stack_aws::Error as AwsError;

use crate::{AwsCloud, Images, Parameters, Stacks};

/// Read-only look-ups; "does not exist" is `Ok(None)` or `Ok(false)`.
pub trait Inspect: Stacks + Parameters + Images {
    fn region(&self) -> Option<String>;
    async fn identity(&self) -> Result<Identity, AwsError>;
    async fn parameter(&self, name: &str) -> Result<Option<ParameterFacts>, AwsError>;
    async fn image(&self, id: &str) -> Result<Option<ImageFacts>, AwsError>;
    async fn instance_type(&self, name: &str) -> Result<Option<InstanceTypeFacts>, AwsError>;
    async fn offered_zones(&self, instance_type: &str) -> Result<BTreeSet<String>, AwsError>;
    async fn vpc_exists(&self, id: &str) -> Result<bool, AwsError>;
    async fn subnet(&self, id: &str) -> Result<Option<SubnetFacts>, AwsError>;
    async fn vpc_subnets(&self, vpc_id: &str) -> Result<Vec<SubnetFacts>, AwsError>;
    async fn route_tables(&self, vpc_id: &str) -> Result<Vec<RouteTableFacts>, AwsError>;
    /// The VPC of the security group; `None` when it does not exist.
    async fn security_group_vpc(&self, id: &str) -> Result<Option<String>, AwsError>;
    async fn key_pair_exists(&self, name: &str) -> Result<bool, AwsError>;
    async fn bucket_exists(&self, name: &str) -> Result<bool, AwsError>;
    /// An applied quota's value; `None` when Service Quotas does not know it.
    async fn service_quota(&self, service: &str, code: &str) -> Result<Option<f64>, AwsError>;
    async fn running_instances(&self) -> Result<Vec<RunningInstance>, AwsError>;
    async fn vcpus(&self, types: &BTreeSet<String>) -> Result<BTreeMap<String, u32>, AwsError>;
    async fn policy_exists(&self, arn: &str) -> Result<bool, AwsError>;
    /// Counting type and status; `None` when it does not exist.
    async fn license_configuration(&self, arn: &str) -> Result<Option<(String, String)>, AwsError>;
    async fn host(&self, id: &str) -> Result<Option<HostFacts>, AwsError>;
}

impl Inspect for AwsCloud {
    fn region(&self) -> Option<String> {
        self.sdk().region().map(|r| r.to_string())
    }
    async fn identity(&self) -> Result<Identity, AwsError> {
        inspect::identity(self.sdk()).await
    }
    async fn parameter(&self, name: &str) -> Result<Option<ParameterFacts>, AwsError> {
        inspect::parameter(self.sdk(), name).await
    }
    async fn image(&self, id: &str) -> Result<Option<ImageFacts>, AwsError> {
        inspect::image(self.sdk(), id).await
    }
    async fn instance_type(&self, name: &str) -> Result<Option<InstanceTypeFacts>, AwsError> {
        inspect::instance_type(self.sdk(), name).await
    }
    async fn offered_zones(&self, instance_type: &str) -> Result<BTreeSet<String>, AwsError> {
        inspect::offered_zones(self.sdk(), instance_type).await
    }
    async fn vpc_exists(&self, id: &str) -> Result<bool, AwsError> {
        inspect::vpc_exists(self.sdk(), id).await
    }
    async fn subnet(&self, id: &str) -> Result<Option<SubnetFacts>, AwsError> {
        inspect::subnet(self.sdk(), id).await
    }
    async fn vpc_subnets(&self, vpc_id: &str) -> Result<Vec<SubnetFacts>, AwsError> {
        inspect::vpc_subnets(self.sdk(), vpc_id).await
    }
    async fn route_tables(&self, vpc_id: &str) -> Result<Vec<RouteTableFacts>, AwsError> {
        inspect::route_tables(self.sdk(), vpc_id).await
    }
    async fn security_group_vpc(&self, id: &str) -> Result<Option<String>, AwsError> {
        inspect::security_group_vpc(self.sdk(), id).await
    }
    async fn key_pair_exists(&self, name: &str) -> Result<bool, AwsError> {
        inspect::key_pair_exists(self.sdk(), name).await
    }
    async fn bucket_exists(&self, name: &str) -> Result<bool, AwsError> {
        agent_stack_aws::s3::bucket_exists(self.sdk(), name).await
    }
    async fn service_quota(&self, service: &str, code: &str) -> Result<Option<f64>, AwsError> {
        inspect::service_quota(self.sdk(), service, code).await
    }
    async fn running_instances(&self) -> Result<Vec<RunningInstance>, AwsError> {
        inspect::running_instances(self.sdk()).await
    }
    async fn vcpus(&self, types: &BTreeSet<String>) -> Result<BTreeMap<String, u32>, AwsError> {
        inspect::vcpus(self.sdk(), types).await
    }
    async fn policy_exists(&self, arn: &str) -> Result<bool, AwsError> {
        inspect::policy_exists(self.sdk(), arn).await
    }
    async fn license_configuration(&self, arn: &str) -> Result<Option<(String, String)>, AwsError> {
        inspect::license_configuration(self.sdk(), arn).await
    }
    async fn host(&self, id: &str) -> Result<Option<HostFacts>, AwsError> {
        crate::hosts::Hosts::host(self, id).await
    }
}
