//! The per-account, per-region assets stack `agent-stack bootstrap` creates: one S3 bucket for
//! Lambda artifacts, encrypted, versioned, private and reachable over TLS only.

use serde_json::{json, Value};

/// The assets stack's template.
pub fn assets_template() -> Value {
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "agent-stack assets: Lambda artifacts",
        "Resources": {
            "ArtifactBucket": {
                "Type": "AWS::S3::Bucket",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "BucketEncryption": { "ServerSideEncryptionConfiguration": [{ "ServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" } }] },
                    "VersioningConfiguration": { "Status": "Enabled" },
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
                    },
                    "OwnershipControls": { "Rules": [{ "ObjectOwnership": "BucketOwnerEnforced" }] },
                    "LifecycleConfiguration": { "Rules": [{ "Id": "expire-old-versions", "Status": "Enabled", "NoncurrentVersionExpiration": { "NoncurrentDays": 30 } }] },
                },
            },
            "ArtifactBucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": { "Ref": "ArtifactBucket" },
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Sid": "TlsOnly",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [
                                { "Fn::GetAtt": ["ArtifactBucket", "Arn"] },
                                { "Fn::Sub": "${ArtifactBucket.Arn}/*" },
                            ],
                            "Condition": { "Bool": { "aws:SecureTransport": "false" } },
                        }],
                    },
                },
            },
        },
        "Outputs": { "BucketName": { "Description": "Lambda artifacts", "Value": { "Ref": "ArtifactBucket" } } },
    })
}

/// IAM actions CloudFormation needs to manage each resource type agent-stack deploys.
const ACTIONS: &[(&str, &[&str])] = &[
    (
        "AWS::SSM::Parameter",
        &[
            "ssm:PutParameter",
            "ssm:DeleteParameter",
            "ssm:GetParameter",
            "ssm:GetParameters",
            "ssm:DescribeParameters",
            "ssm:AddTagsToResource",
            "ssm:RemoveTagsFromResource",
            "ssm:ListTagsForResource",
        ],
    ),
    (
        "AWS::IAM::Role",
        &[
            "iam:CreateRole",
            "iam:DeleteRole",
            "iam:GetRole",
            "iam:UpdateRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:AttachRolePolicy",
            "iam:DetachRolePolicy",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:ListRolePolicies",
            "iam:ListAttachedRolePolicies",
            "iam:PassRole",
        ],
    ),
    ("AWS::IAM::Policy", &["iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:GetRolePolicy"]),
    (
        "AWS::IAM::InstanceProfile",
        &[
            "iam:CreateInstanceProfile",
            "iam:DeleteInstanceProfile",
            "iam:GetInstanceProfile",
            "iam:AddRoleToInstanceProfile",
            "iam:RemoveRoleFromInstanceProfile",
        ],
    ),
    (
        "AWS::EC2::SecurityGroup",
        &[
            "ec2:CreateSecurityGroup",
            "ec2:DeleteSecurityGroup",
            "ec2:DescribeSecurityGroups",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:CreateTags",
            "ec2:DeleteTags",
            "ec2:DescribeVpcs",
        ],
    ),
    (
        "AWS::EC2::LaunchTemplate",
        &[
            "ec2:CreateLaunchTemplate",
            "ec2:CreateLaunchTemplateVersion",
            "ec2:DeleteLaunchTemplate",
            "ec2:DescribeLaunchTemplates",
            "ec2:DescribeLaunchTemplateVersions",
            "ec2:ModifyLaunchTemplate",
            "ec2:CreateTags",
            "ec2:DescribeImages",
        ],
    ),
    (
        "AWS::AutoScaling::AutoScalingGroup",
        &[
            "autoscaling:CreateAutoScalingGroup",
            "autoscaling:UpdateAutoScalingGroup",
            "autoscaling:DeleteAutoScalingGroup",
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:DescribeScalingActivities",
            "autoscaling:CreateOrUpdateTags",
            "autoscaling:DeleteTags",
            "autoscaling:EnableMetricsCollection",
            "autoscaling:DisableMetricsCollection",
            "ec2:RunInstances",
            "ec2:DescribeSubnets",
            "ec2:DescribeAvailabilityZones",
            "iam:CreateServiceLinkedRole",
        ],
    ),
    (
        "AWS::Lambda::Function",
        &[
            "lambda:CreateFunction",
            "lambda:DeleteFunction",
            "lambda:GetFunction",
            "lambda:GetFunctionConfiguration",
            "lambda:UpdateFunctionCode",
            "lambda:UpdateFunctionConfiguration",
            "lambda:PutFunctionConcurrency",
            "lambda:DeleteFunctionConcurrency",
            "lambda:TagResource",
            "lambda:UntagResource",
            "lambda:ListTags",
            "s3:GetObject",
            "ec2:DescribeNetworkInterfaces",
            "ec2:CreateNetworkInterface",
        ],
    ),
    (
        "AWS::Lambda::EventInvokeConfig",
        &[
            "lambda:PutFunctionEventInvokeConfig",
            "lambda:UpdateFunctionEventInvokeConfig",
            "lambda:DeleteFunctionEventInvokeConfig",
            "lambda:GetFunctionEventInvokeConfig",
        ],
    ),
    ("AWS::Lambda::Permission", &["lambda:AddPermission", "lambda:RemovePermission"]),
    (
        "AWS::Events::Rule",
        &[
            "events:PutRule",
            "events:DeleteRule",
            "events:DescribeRule",
            "events:PutTargets",
            "events:RemoveTargets",
            "events:TagResource",
            "events:UntagResource",
        ],
    ),
    (
        "AWS::Logs::LogGroup",
        &[
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:PutRetentionPolicy",
            "logs:DeleteRetentionPolicy",
            "logs:DescribeLogGroups",
            "logs:TagResource",
            "logs:UntagResource",
            "logs:ListTagsForResource",
        ],
    ),
    ("Custom::AzRebalanceSuspender", &["lambda:InvokeFunction"]),
    (
        "AWS::CloudWatch::Dashboard",
        &[
            "cloudwatch:PutDashboard",
            "cloudwatch:GetDashboard",
            "cloudwatch:DeleteDashboards",
            "cloudwatch:ListDashboards",
            "cloudwatch:TagResource",
            "cloudwatch:UntagResource",
            "cloudwatch:ListTagsForResource",
        ],
    ),
    (
        "AWS::ResourceGroups::Group",
        &[
            "resource-groups:CreateGroup",
            "resource-groups:DeleteGroup",
            "resource-groups:GetGroup",
            "resource-groups:UpdateGroup",
            "resource-groups:GetGroupConfiguration",
            "resource-groups:PutGroupConfiguration",
            "resource-groups:GroupResources",
            "resource-groups:UngroupResources",
            "resource-groups:Tag",
            "resource-groups:Untag",
        ],
    ),
];

/// A CloudFormation execution policy for `template`: the actions its resource types need, and
/// nothing else. Unknown types are returned so callers can refuse rather than under-grant.
pub fn execution_policy(template: &Value) -> Result<Value, Vec<String>> {
    let mut actions = std::collections::BTreeSet::new();
    let mut unknown = Vec::new();
    for r in template["Resources"].as_object().into_iter().flat_map(|m| m.values()) {
        let kind = r["Type"].as_str().unwrap_or_default();
        match ACTIONS.iter().find(|(t, _)| *t == kind) {
            Some((_, list)) => actions.extend(list.iter().copied()),
            None => unknown.push(kind.to_string()),
        }
    }
    if !unknown.is_empty() {
        unknown.sort();
        unknown.dedup();
        return Err(unknown);
    }
    Ok(json!({
        "Version": "2012-10-17",
        "Statement": [{ "Sid": "AgentStackResources", "Effect": "Allow", "Action": actions.into_iter().collect::<Vec<_>>(), "Resource": "*" }],
    }))
}

/// A template holding every resource type agent-stack may deploy (Linux, VPC and macOS
/// variants), for an execution policy that fits any configuration.
pub fn all_resource_types_template() -> Value {
    let types: Vec<&str> = ACTIONS.iter().map(|(t, _)| *t).collect();
    let resources: serde_json::Map<String, Value> =
        types.iter().enumerate().map(|(i, t)| (format!("r{i}"), json!({ "Type": t }))).collect();
    json!({ "Resources": resources })
}
