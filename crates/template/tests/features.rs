//! Synthesis, feature by feature (the behaviours agent-aws-stack's jest suite checks, plus ours).

mod common;

use agent_stack_config::{AgentConfigParameter, DrainHook};
use agent_stack_template::{synth, SynthOptions};
use serde_json::{json, Value};

fn template(pairs: &[(&str, &str)]) -> Value {
    synth(&common::config_with(pairs), &SynthOptions::default()).to_value()
}

fn props<'a>(t: &'a Value, id: &str) -> &'a Value {
    let p = &t["Resources"][id]["Properties"];
    assert!(!p.is_null(), "{id} has no properties");
    p
}

fn agent_config(t: &Value) -> AgentConfigParameter {
    let text = props(t, "SemaphoreAgentConfigParameterF91637D0")["Value"].as_str().unwrap_or_default();
    serde_json::from_str(text).unwrap_or_else(|e| panic!("config parameter value {text}: {e}"))
}

fn lt_data(t: &Value) -> &Value {
    &props(t, "launchTemplateDEE5742D")["LaunchTemplateData"]
}

fn asg(t: &Value) -> &Value {
    props(t, "autoScalingGroup")
}

fn statements(t: &Value, id: &str) -> Vec<Value> {
    props(t, id)["PolicyDocument"]["Statement"].as_array().cloned().unwrap_or_default()
}

fn has_action(statements: &[Value], action: &str) -> bool {
    statements.iter().any(|s| s["Action"] == action || s["Action"].as_array().is_some_and(|a| a.iter().any(|x| x == action)))
}

// --- SSM parameters -------------------------------------------------------------------------

#[test]
fn agent_config_parameter_is_named_after_the_stack_with_defaults() {
    let t = template(&[]);
    assert_eq!(props(&t, "SemaphoreAgentConfigParameterF91637D0")["Name"], "test-stack-config");
    assert_eq!(
        agent_config(&t),
        AgentConfigParameter {
            endpoint: "test.semaphoreci.com".into(),
            agent_token_parameter_name: "test-token".into(),
            ssh_keys_parameter_name: "test-stack-ssh-public-keys".into(),
            disconnect_after_job: "true".into(),
            disconnect_after_idle_timeout: "300".into(),
            env_vars: vec![],
            use_pre_signed_url: false,
            interruption_grace_period: None,
            drain: Some(DrainHook {
                lifecycle_hook_name: "semaphore-agent-drain".into(),
                group_name_parameter_name: "test-stack-group-name".into(),
                heartbeat_timeout: 900,
            }),
            launch_hook_name: None,
            lower_desired_after_job: false,
        }
    );
}

#[test]
fn a_shorter_interruption_grace_period_reaches_the_agents() {
    let t = template(&[("SEMAPHORE_AGENT_INTERRUPTION_GRACE_PERIOD", "90")]);
    assert_eq!(agent_config(&t).interruption_grace_period.as_deref(), Some("90"));
    assert_eq!(agent_config(&t).interruption_grace_period_s(), Ok(90));
    // The default is not written: the value of a migrated stack's parameter stays as it was.
    let t = template(&[("SEMAPHORE_AGENT_INTERRUPTION_GRACE_PERIOD", "86400")]);
    assert_eq!(agent_config(&t).interruption_grace_period, None);
}

#[test]
fn every_termination_the_group_starts_waits_for_the_drain() {
    for os in ["ubuntu-focal", "ubuntu-jammy", "ubuntu-noble", "windows", "macos"] {
        let t = if os == "macos" { macos(&[]) } else { template(&[("SEMAPHORE_AGENT_OS", os)]) };
        assert_eq!(
            asg(&t)["LifecycleHookSpecificationList"],
            json!([{
                "DefaultResult": "CONTINUE",
                "HeartbeatTimeout": 900,
                "LifecycleHookName": "semaphore-agent-drain",
                "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
            }]),
            "{os}"
        );
        // The instances find the group's name (CloudFormation's) in a parameter made after it.
        let param = props(&t, "autoScalingGroupNameParameter");
        assert_eq!((&param["Name"], &param["Value"]), (&json!("test-stack-group-name"), &json!({ "Ref": "autoScalingGroup" })), "{os}");
        let drain = agent_config(&t).drain.unwrap_or_else(|| panic!("{os}: no drain in the agent config"));
        assert_eq!((drain.heartbeat_timeout, drain.group_name_parameter_name.as_str()), (900, "test-stack-group-name"));
    }
    // A grace period of 90 s needs a global timeout (100 heartbeat timeouts) of 90 + 900 s only.
    let t = template(&[("SEMAPHORE_AGENT_INTERRUPTION_GRACE_PERIOD", "90")]);
    assert_eq!(asg(&t)["LifecycleHookSpecificationList"][0]["HeartbeatTimeout"], 60);
    assert_eq!(agent_config(&t).drain.map(|d| d.heartbeat_timeout), Some(60));
}

#[test]
fn agent_config_value_keeps_agent_aws_stack_key_order() {
    let t = template(&[]);
    let text = props(&t, "SemaphoreAgentConfigParameterF91637D0")["Value"].as_str().unwrap_or_default().to_string();
    // agent-aws-stack's fields in its order; the drain hook (new) after them.
    assert_eq!(
        text,
        r#"{"endpoint":"test.semaphoreci.com","agentTokenParameterName":"test-token","sshKeysParameterName":"test-stack-ssh-public-keys","disconnectAfterJob":"true","disconnectAfterIdleTimeout":"300","envVars":[],"usePreSignedURL":false,"drain":{"lifecycleHookName":"semaphore-agent-drain","groupNameParameterName":"test-stack-group-name","heartbeatTimeout":900}}"#
    );
}

#[test]
fn endpoint_is_used_as_given_and_wins_over_organization() {
    let t = template(&[("SEMAPHORE_ENDPOINT", "semaphore.example.com")]);
    assert_eq!(agent_config(&t).endpoint, "semaphore.example.com");
    assert_eq!(props(&t, "scalerLambdaEE0B7FDF")["Environment"]["Variables"]["SEMAPHORE_ENDPOINT"], "semaphore.example.com");
}

#[test]
fn disconnect_settings_and_pre_signed_url_are_passed_to_agents() {
    let t = template(&[
        ("SEMAPHORE_AGENT_DISCONNECT_AFTER_JOB", "false"),
        ("SEMAPHORE_AGENT_DISCONNECT_AFTER_IDLE_TIMEOUT", "120"),
        ("SEMAPHORE_AGENT_USE_PRE_SIGNED_URL", "true"),
    ]);
    let c = agent_config(&t);
    assert_eq!((c.disconnect_after_job.as_str(), c.disconnect_after_idle_timeout.as_str(), c.use_pre_signed_url), ("false", "120", true));
}

#[test]
fn cache_bucket_sets_agent_env_vars_and_s3_permissions() {
    let without = template(&[]);
    assert!(!has_action(&statements(&without, "instanceProfilePolicy62AF6D2B"), "s3:GetObject"));
    let t = template(&[("SEMAPHORE_AGENT_CACHE_BUCKET_NAME", "my-cache")]);
    assert_eq!(
        agent_config(&t).env_vars,
        ["SEMAPHORE_CACHE_BACKEND=s3", "SEMAPHORE_CACHE_S3_BUCKET=my-cache", "SEMAPHORE_CACHE_USE_EC2_INSTANCE_PROFILE=true"]
    );
    let s3 = statements(&t, "instanceProfilePolicy62AF6D2B").into_iter().find(|s| has_action(std::slice::from_ref(s), "s3:GetObject"));
    assert_eq!(
        s3.map(|s| s["Resource"].clone()),
        Some(json!([{ "Fn::Sub": "arn:${AWS::Partition}:s3:::my-cache/*" }, { "Fn::Sub": "arn:${AWS::Partition}:s3:::my-cache" }]))
    );
}

#[test]
fn ssh_keys_parameter_holds_github_keys_as_a_json_list() {
    let t = template(&[]);
    let p = props(&t, "sshKeysUpdaterParameter4EB9ACDD");
    assert_eq!(p["Name"], "test-stack-ssh-public-keys");
    let keys: Vec<String> = serde_json::from_str(p["Value"].as_str().unwrap_or_default()).unwrap_or_default();
    assert_eq!(keys.len(), 3);
    assert!(keys.iter().all(|k| k.starts_with("ssh-") || k.starts_with("ecdsa-")));
}

// --- instance profile ----------------------------------------------------------------------

#[test]
fn instance_role_is_assumed_by_ec2_with_ssm_core_and_custom_policies() {
    let t = template(&[("SEMAPHORE_AGENT_MANAGED_POLICY_NAMES", "policy-a, arn:aws:iam::aws:policy/ReadOnlyAccess")]);
    let role = props(&t, "instanceProfileRole47059124");
    assert_eq!(role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"], "ec2.amazonaws.com");
    let arns = role["ManagedPolicyArns"].as_array().cloned().unwrap_or_default();
    assert_eq!(arns.len(), 3);
    assert_eq!(arns[1], json!({ "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/policy-a" }));
    assert_eq!(arns[2], json!("arn:aws:iam::aws:policy/ReadOnlyAccess"));
}

#[test]
fn instance_policy_reads_only_the_stacks_parameters() {
    let t = template(&[("SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME", "/ci/semaphore/token")]);
    let s = statements(&t, "instanceProfilePolicy62AF6D2B");
    let get = s.iter().find(|s| s["Action"] == "ssm:GetParameter").cloned().unwrap_or_default();
    let prefix = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/";
    assert_eq!(
        get["Resource"],
        json!([
            { "Fn::Sub": format!("{prefix}test-stack-config") },
            { "Fn::Sub": format!("{prefix}test-stack-ssh-public-keys") },
            { "Fn::Sub": format!("{prefix}test-stack-group-name") },
            { "Fn::Sub": format!("{prefix}ci/semaphore/token") },
        ])
    );
}

#[test]
fn token_decryption_defaults_to_the_ssm_managed_key_by_alias() {
    let t = template(&[]);
    let kms = statements(&t, "instanceProfilePolicy62AF6D2B").into_iter().find(|s| s["Action"] == "kms:Decrypt").unwrap_or_default();
    assert_eq!(kms["Resource"], json!({ "Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*" }));
    assert_eq!(kms["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"], "alias/aws/ssm");
    assert_eq!(kms["Condition"]["StringEquals"]["kms:ViaService"], json!({ "Fn::Sub": "ssm.${AWS::Region}.amazonaws.com" }));
}

#[test]
fn token_decryption_uses_the_configured_key() {
    let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
    let t = template(&[("SEMAPHORE_AGENT_TOKEN_KMS_KEY", id)]);
    let kms = statements(&t, "scalerLambdaPolicy55529EAF").into_iter().find(|s| s["Action"] == "kms:Decrypt").unwrap_or_default();
    assert_eq!(kms["Resource"], json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:kms:${{AWS::Region}}:${{AWS::AccountId}}:key/{id}") }));
    assert!(kms.get("Condition").is_none());
    let arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let t = template(&[("SEMAPHORE_AGENT_TOKEN_KMS_KEY", arn)]);
    let kms = statements(&t, "instanceProfilePolicy62AF6D2B").into_iter().find(|s| s["Action"] == "kms:Decrypt").unwrap_or_default();
    assert_eq!(kms["Resource"], arn);
    let t = template(&[("SEMAPHORE_AGENT_TOKEN_KMS_KEY", "alias/ci-secrets")]);
    let kms = statements(&t, "instanceProfilePolicy62AF6D2B").into_iter().find(|s| s["Action"] == "kms:Decrypt").unwrap_or_default();
    assert_eq!(kms["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"], "alias/ci-secrets");
}

/// As agent-aws-stack deploys Semaphore's documented example: the token's parameter name in the
/// key's place becomes a grant on `key/<name>` (no such key; the aws/ssm-encrypted token still
/// decrypts through SSM under that key's own policy).
#[test]
fn the_token_parameter_name_as_kms_key_is_granted_as_agent_aws_stack_does() {
    let t = template(&[("SEMAPHORE_AGENT_TOKEN_KMS_KEY", "test-token")]);
    for policy in ["instanceProfilePolicy62AF6D2B", "scalerLambdaPolicy55529EAF"] {
        let kms = statements(&t, policy).into_iter().find(|s| s["Action"] == "kms:Decrypt").unwrap_or_default();
        assert_eq!(kms["Resource"], json!({ "Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/test-token" }));
    }
}

#[test]
fn instances_may_only_terminate_mark_and_drain_in_the_stacks_own_group() {
    let t = template(&[]);
    let s = &statements(&t, "instanceProfilePolicy62AF6D2B")[0];
    assert_eq!(
        s["Action"],
        json!([
            "autoscaling:SetInstanceHealth",
            "autoscaling:TerminateInstanceInAutoScalingGroup",
            "autoscaling:RecordLifecycleActionHeartbeat",
            "autoscaling:CompleteLifecycleAction",
        ])
    );
    assert_eq!(
        s["Resource"],
        json!({ "Fn::Sub": "arn:${AWS::Partition}:autoscaling:${AWS::Region}:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/test-stack-autoScalingGroup-*" })
    );
}

// --- launch template -----------------------------------------------------------------------

#[test]
fn image_is_a_parameter_defaulting_to_the_configured_ami() {
    let t = template(&[]);
    assert_eq!(lt_data(&t)["ImageId"], json!({ "Ref": "ImageId" }));
    assert!(t["Parameters"]["ImageId"].get("Default").is_none());
    let t = template(&[("SEMAPHORE_AGENT_AMI", "ami-0123456789abcdef0")]);
    assert_eq!(t["Parameters"]["ImageId"]["Default"], "ami-0123456789abcdef0");
    assert_eq!(t["Parameters"]["ImageId"]["Type"], "AWS::EC2::Image::Id");
}

#[test]
fn instance_type_defaults_to_t2_micro_and_can_be_set() {
    assert_eq!(lt_data(&template(&[]))["InstanceType"], "t2.micro");
    assert_eq!(lt_data(&template(&[("SEMAPHORE_AGENT_INSTANCE_TYPE", "c6i.xlarge")]))["InstanceType"], "c6i.xlarge");
}

#[test]
fn imdsv2_is_required_with_hop_limit_two() {
    let t = template(&[]);
    assert_eq!(
        lt_data(&t)["MetadataOptions"],
        json!({ "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 2, "HttpTokens": "required" })
    );
}

#[test]
fn root_volume_is_encrypted_and_inherits_size_by_default() {
    let t = template(&[]);
    assert_eq!(lt_data(&t)["BlockDeviceMappings"], json!([{ "DeviceName": "/dev/sda1", "Ebs": { "Encrypted": true } }]));
}

#[test]
fn custom_ami_without_volume_settings_inherits_the_ami_volume() {
    let t = template(&[("SEMAPHORE_AGENT_AMI", "ami-0123456789abcdef0")]);
    assert!(lt_data(&t).get("BlockDeviceMappings").is_none());
}

#[test]
fn volume_gets_default_size_and_type_when_named() {
    let t = template(&[("SEMAPHORE_AGENT_VOLUME_NAME", "/dev/sda1")]);
    assert_eq!(
        lt_data(&t)["BlockDeviceMappings"],
        json!([{ "DeviceName": "/dev/sda1", "Ebs": { "Encrypted": true, "VolumeSize": 64, "VolumeType": "gp2" } }])
    );
}

#[test]
fn volume_takes_custom_size_type_iops_and_throughput() {
    let t = template(&[
        ("SEMAPHORE_AGENT_VOLUME_NAME", "/dev/xvda"),
        ("SEMAPHORE_AGENT_VOLUME_TYPE", "gp3"),
        ("SEMAPHORE_AGENT_VOLUME_SIZE", "128"),
        ("SEMAPHORE_AGENT_VOLUME_IOPS", "4000"),
        ("SEMAPHORE_AGENT_VOLUME_THROUGHPUT", "250"),
    ]);
    assert_eq!(
        lt_data(&t)["BlockDeviceMappings"][0],
        json!({ "DeviceName": "/dev/xvda", "Ebs": { "Encrypted": true, "Iops": 4000, "Throughput": 250, "VolumeSize": 128, "VolumeType": "gp3" } })
    );
}

#[test]
fn user_data_starts_the_agent_on_linux_and_windows() {
    let linux = template(&[]);
    assert_eq!(lt_data(&linux)["UserData"], json!({ "Fn::Base64": "#!/bin/bash\n/opt/semaphore/agent/start.sh test-stack-config" }));
    let windows = template(&[("SEMAPHORE_AGENT_OS", "windows")]);
    assert_eq!(
        lt_data(&windows)["UserData"],
        json!({ "Fn::Base64": "<powershell>C:\\semaphore-agent\\start.ps1 test-stack-config</powershell>" })
    );
}

#[test]
fn instances_terminate_on_shutdown() {
    assert_eq!(lt_data(&template(&[]))["InstanceInitiatedShutdownBehavior"], "terminate");
}

// --- security group ------------------------------------------------------------------------

#[test]
fn security_group_has_no_ingress_without_cidrs_even_with_a_key() {
    for pairs in [&[][..], &[("SEMAPHORE_AGENT_KEY_NAME", "my-key")][..]] {
        let t = template(pairs);
        assert!(props(&t, "securityGroup32C48086").get("SecurityGroupIngress").is_none(), "{pairs:?}");
    }
    assert_eq!(lt_data(&template(&[("SEMAPHORE_AGENT_KEY_NAME", "my-key")]))["KeyName"], "my-key");
}

#[test]
fn ssh_ingress_only_from_listed_cidrs() {
    let t = template(&[("SEMAPHORE_AGENT_KEY_NAME", "k"), ("SEMAPHORE_AGENT_SSH_INGRESS_CIDRS", "10.0.0.0/8,2001:db8::/32")]);
    assert_eq!(
        props(&t, "securityGroup32C48086")["SecurityGroupIngress"],
        json!([
            { "CidrIp": "10.0.0.0/8", "Description": "SSH from 10.0.0.0/8", "FromPort": 22, "IpProtocol": "tcp", "ToPort": 22 },
            { "CidrIpv6": "2001:db8::/32", "Description": "SSH from 2001:db8::/32", "FromPort": 22, "IpProtocol": "tcp", "ToPort": 22 },
        ])
    );
}

#[test]
fn a_given_security_group_is_used_instead_of_creating_one() {
    let t = template(&[("SEMAPHORE_AGENT_SECURITY_GROUP_ID", "sg-0123456789abcdef0")]);
    assert!(t["Resources"].get("securityGroup32C48086").is_none());
    assert!(t["Parameters"].get("DefaultVpcId").is_none());
    assert_eq!(lt_data(&t)["SecurityGroupIds"], json!(["sg-0123456789abcdef0"]));
}

#[test]
fn security_group_lives_in_the_default_vpc_parameter_or_the_given_vpc() {
    let t = template(&[]);
    assert_eq!(props(&t, "securityGroup32C48086")["VpcId"], json!({ "Ref": "DefaultVpcId" }));
    assert_eq!(t["Parameters"]["DefaultVpcId"]["Type"], "AWS::EC2::VPC::Id");
    let t = template(&[("SEMAPHORE_AGENT_VPC_ID", "vpc-0abc1234def567890"), ("SEMAPHORE_AGENT_SUBNETS", "subnet-0aaa1111")]);
    assert_eq!(props(&t, "securityGroup32C48086")["VpcId"], "vpc-0abc1234def567890");
}

#[test]
fn ipv6_uses_a_network_interface_and_allows_ipv6_egress() {
    let t = template(&[("SEMAPHORE_AGENT_USE_IPV6", "true")]);
    let data = lt_data(&t);
    assert!(data.get("SecurityGroupIds").is_none());
    assert_eq!(
        data["NetworkInterfaces"],
        json!([{ "DeviceIndex": 0, "Groups": [{ "Fn::GetAtt": ["securityGroup32C48086", "GroupId"] }], "Ipv6AddressCount": 1 }])
    );
    let egress = props(&t, "securityGroup32C48086")["SecurityGroupEgress"].as_array().cloned().unwrap_or_default();
    assert!(egress.iter().any(|e| e["CidrIpv6"] == "::/0"));
}

// --- auto scaling group --------------------------------------------------------------------

#[test]
fn asg_defaults() {
    let t = template(&[]);
    let a = asg(&t);
    assert_eq!((&a["MinSize"], &a["MaxSize"], &a["Cooldown"]), (&json!("0"), &json!("1"), &json!("60")));
    assert!(a.get("DesiredCapacity").is_none(), "unset so updates keep the scaler's value");
    // The dashboard's group metrics (free at 1-minute granularity).
    assert_eq!(
        a["MetricsCollection"],
        json!([{ "Granularity": "1Minute", "Metrics": ["GroupDesiredCapacity", "GroupInServiceCapacity", "GroupPendingCapacity", "GroupTerminatingCapacity"] }])
    );
    assert!(a.get("MaxInstanceLifetime").is_none());
    assert_eq!(a["AvailabilityZones"], json!({ "Fn::GetAZs": "" }));
    assert_eq!(
        a["MixedInstancesPolicy"]["InstancesDistribution"],
        json!({ "OnDemandBaseCapacity": 0, "OnDemandPercentageAboveBaseCapacity": 100 })
    );
    assert_eq!(a["Tags"], json!([{ "Key": "application", "PropagateAtLaunch": true, "Value": "semaphore-agent" }]));
}

#[test]
fn asg_desired_min_max_lifetime_and_metrics_can_be_set() {
    let t = template(&[
        ("SEMAPHORE_AGENT_ASG_MIN_SIZE", "2"),
        ("SEMAPHORE_AGENT_ASG_MAX_SIZE", "8"),
        ("SEMAPHORE_AGENT_ASG_DESIRED", "3"),
        ("SEMAPHORE_AGENT_ASG_MAX_INSTANCE_LIFETIME", "86400"),
        ("SEMAPHORE_AGENT_ASG_METRICS", "GroupDesiredCapacity, GroupInServiceInstances"),
    ]);
    let a = asg(&t);
    assert_eq!((&a["MinSize"], &a["MaxSize"], &a["DesiredCapacity"]), (&json!("2"), &json!("8"), &json!("3")));
    assert_eq!(a["MaxInstanceLifetime"], 86400);
    assert_eq!(
        a["MetricsCollection"],
        json!([{
            "Granularity": "1Minute",
            // The configured ones, then those the dashboard plots.
            "Metrics": ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupInServiceCapacity", "GroupPendingCapacity", "GroupTerminatingCapacity"],
        }])
    );
}

#[test]
fn spot_mix_and_allocation_strategies() {
    let t = template(&[
        ("SEMAPHORE_AGENT_ON_DEMAND_BASE_CAPACITY", "1"),
        ("SEMAPHORE_AGENT_ON_DEMAND_PERCENTAGE_ABOVE_BASE", "0"),
        ("SEMAPHORE_AGENT_SPOT_ALLOCATION_STRATEGY", "price-capacity-optimized"),
        ("SEMAPHORE_AGENT_ON_DEMAND_ALLOCATION_STRATEGY", "prioritized"),
        ("SEMAPHORE_AGENT_ASG_CAPACITY_REBALANCE", "true"),
        ("SEMAPHORE_AGENT_ASG_NEW_INSTANCES_PROTECTED_FROM_SCALE_IN", "true"),
    ]);
    let a = asg(&t);
    assert_eq!(
        a["MixedInstancesPolicy"]["InstancesDistribution"],
        json!({ "OnDemandAllocationStrategy": "prioritized", "OnDemandBaseCapacity": 1, "OnDemandPercentageAboveBaseCapacity": 0, "SpotAllocationStrategy": "price-capacity-optimized" })
    );
    assert_eq!((&a["CapacityRebalance"], &a["NewInstancesProtectedFromScaleIn"]), (&json!(true), &json!(true)));
}

#[test]
fn launch_template_overrides_in_either_case_reach_the_asg() {
    for text in [r#"{"instanceRequirements":{"vCpuCount":{"min":2}}}"#, r#"{"InstanceRequirements":{"VCpuCount":{"Min":2}}}"#] {
        let t = template(&[("SEMAPHORE_AGENT_ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON", text)]);
        assert_eq!(
            asg(&t)["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"],
            json!([{ "InstanceRequirements": { "VCpuCount": { "Min": 2 } } }])
        );
    }
}

#[test]
fn tags_reach_every_taggable_resource() {
    let t = template(&[("SEMAPHORE_AGENT_TAGS", "Team:ci, Url:https://x")]);
    let list = json!([{ "Key": "Team", "Value": "ci" }, { "Key": "Url", "Value": "https://x" }]);
    for (id, r) in t["Resources"].as_object().into_iter().flatten() {
        let kind = r["Type"].as_str().unwrap_or_default();
        let tags = &r["Properties"]["Tags"];
        match kind {
            "AWS::IAM::Role" | "AWS::Lambda::Function" | "AWS::Events::Rule" | "AWS::EC2::SecurityGroup" | "AWS::Logs::LogGroup" => {
                assert_eq!(tags, &list, "{id}")
            }
            "AWS::SSM::Parameter" => assert_eq!(tags, &json!({ "Team": "ci", "Url": "https://x" }), "{id}"),
            "AWS::AutoScaling::AutoScalingGroup" => assert_eq!(tags.as_array().map(Vec::len), Some(3), "{id}"),
            _ => {}
        }
    }
    let instance_tags = &lt_data(&t)["TagSpecifications"][0]["Tags"];
    assert_eq!(instance_tags.as_array().map(Vec::len), Some(3));
}

#[test]
fn az_rebalance_is_suspended_by_our_function() {
    let t = template(&[]);
    let r = &t["Resources"]["azRebalanceSuspension"];
    assert_eq!(r["Properties"]["ServiceToken"], json!({ "Fn::GetAtt": ["azRebalanceSuspenderLambda107177D1", "Arn"] }));
    assert_eq!(r["Properties"]["AutoScalingGroupName"], json!({ "Ref": "autoScalingGroup" }));
    assert!(has_action(&statements(&t, "azRebalanceSuspenderPolicy8FF50B4F"), "autoscaling:SuspendProcesses"));
}

#[test]
fn zones_subnets_and_default_vpc() {
    let t = template(&[("SEMAPHORE_AGENT_AZS", "us-east-1a,us-east-1b")]);
    assert_eq!(asg(&t)["AvailabilityZones"], json!(["us-east-1a", "us-east-1b"]));
    let t =
        template(&[("SEMAPHORE_AGENT_VPC_ID", "vpc-0abc1234def567890"), ("SEMAPHORE_AGENT_SUBNETS", "subnet-0aaa1111,subnet-0bbb2222")]);
    assert_eq!(asg(&t)["VPCZoneIdentifier"], json!(["subnet-0aaa1111", "subnet-0bbb2222"]));
    assert!(asg(&t).get("AvailabilityZones").is_none());
}

// --- scaler --------------------------------------------------------------------------------

#[test]
fn scaler_function_runs_once_at_a_time_every_minute() {
    let t = template(&[]);
    let f = props(&t, "scalerLambdaEE0B7FDF");
    assert_eq!(
        (&f["Runtime"], &f["Handler"], &f["ReservedConcurrentExecutions"]),
        (&json!("provided.al2023"), &json!("bootstrap"), &json!(2))
    );
    assert_eq!(f["Timeout"], 80);
    assert_eq!(
        f["Environment"]["Variables"],
        json!({
            "AGENT_STACK_FUNCTION": "scaler",
            "SEMAPHORE_AGENT_ASG_NAME": { "Ref": "autoScalingGroup" },
            "SEMAPHORE_AGENT_OVERPROVISION_FACTOR": "0",
            "SEMAPHORE_AGENT_OVERPROVISION_STRATEGY": "none",
            "SEMAPHORE_AGENT_SCALING_POLICY": "agent-aws-stack",
            "SEMAPHORE_AGENT_OS": "ubuntu-focal",
            "SEMAPHORE_AGENT_DISCONNECT_AFTER_IDLE_TIMEOUT": "300",
            "SEMAPHORE_AGENT_STACK_NAME": "test-stack",
            "SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME": "test-token",
            "SEMAPHORE_ENDPOINT": "test.semaphoreci.com",
        })
    );
    // Only with a pool, the scaler learns of it and plans a start from it with the pool's delay (docs/scaler.md).
    let pooled = template(&[
        ("SEMAPHORE_AGENT_ASG_MAX_SIZE", "5"),
        ("SEMAPHORE_AGENT_WARM_POOL_SIZE", "3"),
        ("SEMAPHORE_AGENT_WARM_POOL_STATE", "Running"),
    ]);
    let vars = &props(&pooled, "scalerLambdaEE0B7FDF")["Environment"]["Variables"];
    assert_eq!((&vars["SEMAPHORE_AGENT_WARM_POOL_SIZE"], &vars["SEMAPHORE_AGENT_WARM_POOL_STATE"]), (&json!("3"), &json!("Running")));
    assert_eq!(props(&t, "scalerRule7E4F6830")["ScheduleExpression"], "rate(1 minute)");
    assert_eq!(props(&t, "scalerLambdaEventInvokeConfigE655BB6E")["MaximumRetryAttempts"], 0);
    let permission = props(&t, "scalerRuleAllowEventRuleAwsSemaphoreAgentStackscalerLambdaEE2241706771B033");
    assert_eq!(permission["Principal"], "events.amazonaws.com");
}

/// Writer → reader: the scaler's synthesized environment, with CloudFormation's `Ref` resolved,
/// reads back as exactly the settings of every example config.
#[test]
fn every_example_scaler_environment_reads_back_as_written() {
    use agent_stack_config::lambda_env::{ScalerEnv, ASG_NAME};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut read = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let config = common::config_from_file(&path);
        let t = synth(&config, &SynthOptions::default()).to_value();
        let vars = &t["Resources"]["scalerLambdaEE0B7FDF"]["Properties"]["Environment"]["Variables"];
        if vars.is_null() {
            assert!(!config.dynamic_scaling, "{} has no scaler", path.display());
            continue;
        }
        assert_eq!(vars[ASG_NAME], json!({ "Ref": "autoScalingGroup" }));
        let got = ScalerEnv::read(|k| if k == ASG_NAME { Some("the-asg".into()) } else { vars[k].as_str().map(str::to_string) });
        assert_eq!(got, Ok(ScalerEnv::new(&config, "the-asg".to_string())), "{}", path.display());
        read += 1;
    }
    assert!(read >= 3, "only {read} examples have a scaler");
}

#[test]
fn overprovisioning_reaches_the_scaler() {
    for (strategy, factor) in [("number", "2"), ("percentage", "25")] {
        let t = template(&[("SEMAPHORE_AGENT_OVERPROVISION_STRATEGY", strategy), ("SEMAPHORE_AGENT_OVERPROVISION_FACTOR", factor)]);
        let vars = &props(&t, "scalerLambdaEE0B7FDF")["Environment"]["Variables"];
        assert_eq!(
            (&vars["SEMAPHORE_AGENT_OVERPROVISION_STRATEGY"], &vars["SEMAPHORE_AGENT_OVERPROVISION_FACTOR"]),
            (&json!(strategy), &json!(factor))
        );
    }
}

#[test]
fn scaler_permissions_are_scoped() {
    let t = template(&[]);
    let s = statements(&t, "scalerLambdaPolicy55529EAF");
    for action in [
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:SetDesiredCapacity",
        "ssm:GetParameter",
        "kms:Decrypt",
        "cloudwatch:PutMetricData",
    ] {
        assert!(has_action(&s, action), "{action}");
    }
    let metrics = s.iter().find(|x| x["Action"] == "cloudwatch:PutMetricData").cloned().unwrap_or_default();
    assert_eq!(metrics["Condition"], json!({ "StringEquals": { "cloudwatch:namespace": "Semaphore" } }));
    assert!(props(&t, "scalerLambdaRole1D61EB11").get("ManagedPolicyArns").is_none());
}

#[test]
fn scaler_runs_in_the_vpc_subnets_when_given() {
    let t =
        template(&[("SEMAPHORE_AGENT_VPC_ID", "vpc-0abc1234def567890"), ("SEMAPHORE_AGENT_SUBNETS", "subnet-0aaa1111,subnet-0bbb2222")]);
    assert_eq!(
        props(&t, "scalerLambdaEE0B7FDF")["VpcConfig"],
        json!({ "SecurityGroupIds": [{ "Fn::GetAtt": ["scalerLambdaSecurityGroupB905E544", "GroupId"] }], "SubnetIds": ["subnet-0aaa1111", "subnet-0bbb2222"] })
    );
    assert_eq!(props(&t, "scalerLambdaSecurityGroupB905E544")["VpcId"], "vpc-0abc1234def567890");
    assert_eq!(props(&t, "scalerLambdaRole1D61EB11")["ManagedPolicyArns"].as_array().map(Vec::len), Some(1));
}

#[test]
fn static_fleet_has_no_scaler() {
    let t = template(&[("SEMAPHORE_AGENT_USE_DYNAMIC_SCALING", "false")]);
    let ids: Vec<&String> = t["Resources"].as_object().map(|m| m.keys().filter(|k| k.starts_with("scaler")).collect()).unwrap_or_default();
    assert!(ids.is_empty(), "{ids:?}");
    assert!(t["Outputs"].get("ScalerFunctionName").is_none());
}

#[test]
fn every_function_logs_to_its_own_log_group_for_30_days() {
    let t = template(&[]);
    for (function, group, kind) in [
        ("scalerLambdaEE0B7FDF", "scalerLogGroup", "scaler"),
        ("sshKeysUpdaterLambda1B004349", "sshKeysUpdaterLogGroup", "ssh-keys-updater"),
        ("azRebalanceSuspenderLambda107177D1", "azRebalanceSuspenderLogGroup", "az-rebalance-suspender"),
    ] {
        assert_eq!(props(&t, function)["LoggingConfig"], json!({ "LogFormat": "JSON", "LogGroup": { "Ref": group } }));
        assert_eq!(props(&t, group)["LogGroupName"], format!("/agent-stack/test-stack/{kind}"));
        assert_eq!(props(&t, group)["RetentionInDays"], 30);
    }
}

#[test]
fn ssh_keys_updater_runs_daily_and_may_only_touch_its_parameter() {
    let t = template(&[]);
    assert_eq!(props(&t, "sshKeysUpdaterEventRule9491D909")["ScheduleExpression"], "rate(1 day)");
    assert_eq!(props(&t, "sshKeysUpdaterLambda1B004349")["Environment"]["Variables"]["SSM_PARAMETER"], "test-stack-ssh-public-keys");
    let s = statements(&t, "sshKeysUpdaterRolePolicyF5F35E6B");
    assert_eq!(s[0]["Action"], json!(["ssm:GetParameter", "ssm:PutParameter"]));
    assert_eq!(props(&t, "sshKeysUpdaterRolePolicyF5F35E6B")["PolicyName"], "sshKeysUpdater-policy");
}

// --- macOS ---------------------------------------------------------------------------------

fn macos(extra: &[(&str, &str)]) -> Value {
    let mut pairs = vec![
        ("SEMAPHORE_AGENT_OS", "macos"),
        ("SEMAPHORE_AGENT_ARCH", "arm64"),
        ("SEMAPHORE_AGENT_INSTANCE_TYPE", "mac2.metal"),
        (
            "SEMAPHORE_AGENT_LICENSE_CONFIGURATION_ARN",
            "arn:aws:license-manager:us-east-1:123456789012:license-configuration:lic-0123456789abcdef0",
        ),
    ];
    pairs.extend_from_slice(extra);
    template(&pairs)
}

#[test]
fn macos_instances_launch_into_a_host_resource_group() {
    let t = macos(&[("SEMAPHORE_AGENT_MAC_DEDICATED_HOSTS", "h-0123456789abcdef0")]);
    let g = props(&t, "hostResourceGroup");
    assert_eq!(g["Name"], "test-stack");
    assert_eq!(
        g["Resources"],
        json!([{ "Fn::Sub": "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:dedicated-host/h-0123456789abcdef0" }])
    );
    assert_eq!(lt_data(&t)["Placement"], json!({ "HostResourceGroupArn": { "Fn::GetAtt": ["hostResourceGroup", "Arn"] } }));
    assert_eq!(lt_data(&t)["LicenseSpecifications"][0]["LicenseConfigurationArn"], g["Configuration"][0]["Parameters"][0]["Values"][0]);
}

#[test]
fn macos_host_allocation_and_families_are_configurable() {
    let t = macos(&[
        ("SEMAPHORE_AGENT_AUTO_ALLOCATE_HOST", "false"),
        ("SEMAPHORE_AGENT_AUTO_RELEASE_HOST", "false"),
        ("SEMAPHORE_AGENT_MAC_FAMILY", "mac2,mac2-m2"),
        ("SEMAPHORE_AGENT_ON_DEMAND_ALLOCATION_STRATEGY", "prioritized"),
    ]);
    let params = &props(&t, "hostResourceGroup")["Configuration"][0]["Parameters"];
    assert_eq!(params[1]["Values"], json!(["mac2", "mac2-m2"]));
    assert_eq!((&params[2]["Values"], &params[3]["Values"]), (&json!(["false"]), &json!(["false"])));
    let lt = &asg(&t)["MixedInstancesPolicy"]["LaunchTemplate"];
    assert_eq!(lt["Overrides"], json!([{ "InstanceType": "mac2.metal" }, { "InstanceType": "mac2-m2.metal" }]));
    assert_eq!(asg(&t)["MixedInstancesPolicy"]["InstancesDistribution"]["OnDemandAllocationStrategy"], "prioritized");
}

// --- whole template ------------------------------------------------------------------------

#[test]
fn synthesis_is_deterministic() {
    let config = common::config_with(&[("SEMAPHORE_AGENT_TAGS", "B:2,A:1"), ("SEMAPHORE_AGENT_CACHE_BUCKET_NAME", "my-cache")]);
    let a = synth(&config, &SynthOptions::default()).to_json();
    let b = synth(&config, &SynthOptions::default()).to_json();
    assert_eq!(a, b);
    assert!(a.ends_with("}\n"));
}

#[test]
fn synth_options_become_parameter_defaults() {
    let options = SynthOptions {
        image_id: Some("ami-0123456789abcdef0".into()),
        lambda_code_bucket: Some("assets".into()),
        lambda_code_key: Some("lambda/abc.zip".into()),
        lambda_architecture: Some("arm64".into()),
        default_vpc_id: Some("vpc-12345678".into()),
    };
    let t = synth(&common::config_with(&[]), &options).to_value();
    let p = &t["Parameters"];
    assert_eq!(
        [
            &p["ImageId"]["Default"],
            &p["LambdaCodeBucket"]["Default"],
            &p["LambdaCodeKey"]["Default"],
            &p["LambdaArchitecture"]["Default"],
            &p["DefaultVpcId"]["Default"]
        ],
        [&json!("ami-0123456789abcdef0"), &json!("assets"), &json!("lambda/abc.zip"), &json!("arm64"), &json!("vpc-12345678")]
    );
}

#[test]
fn no_redundant_or_dangling_dependencies() {
    let t = template(&[("SEMAPHORE_AGENT_VPC_ID", "vpc-0abc1234def567890"), ("SEMAPHORE_AGENT_SUBNETS", "subnet-0aaa1111")]);
    let resources = t["Resources"].as_object().cloned().unwrap_or_default();
    for (id, r) in &resources {
        for dep in r["DependsOn"].as_array().into_iter().flatten() {
            let dep = dep.as_str().unwrap_or_default();
            assert!(resources.contains_key(dep), "{id} depends on missing {dep}");
            let props = r["Properties"].to_string();
            assert!(!props.contains(&format!("\"Ref\":\"{dep}\"")) && !props.contains(&format!("[\"{dep}\",")), "{id}: {dep} is implied");
        }
    }
}

#[test]
fn agents_get_host_and_port_when_the_endpoint_is_a_url() {
    let t = template(&[("SEMAPHORE_ENDPOINT", "https://semaphore.example.com:8443")]);
    assert_eq!(agent_config(&t).endpoint, "semaphore.example.com:8443");
    let vars = &props(&t, "scalerLambdaEE0B7FDF")["Environment"]["Variables"];
    assert_eq!(vars["SEMAPHORE_ENDPOINT"], "https://semaphore.example.com:8443");
}

#[test]
fn a_name_tag_replaces_the_default_instance_name() {
    let t = template(&[("SEMAPHORE_AGENT_TAGS", "Name:ci-agent")]);
    let names: Vec<&Value> =
        lt_data(&t)["TagSpecifications"][0]["Tags"].as_array().into_iter().flatten().filter(|t| t["Key"] == "Name").collect();
    assert_eq!(names, vec![&json!({ "Key": "Name", "Value": "ci-agent" })]);
    let default = template(&[]);
    assert_eq!(
        lt_data(&default)["TagSpecifications"][0]["Tags"],
        json!([{ "Key": "Name", "Value": "AwsSemaphoreAgentStack/launchTemplate" }])
    );
}

#[test]
fn execution_policy_covers_every_resource_type_agent_stack_deploys() {
    for pairs in [&[][..], &[("SEMAPHORE_AGENT_VPC_ID", "vpc-0abc1234def567890"), ("SEMAPHORE_AGENT_SUBNETS", "subnet-0aaa1111")][..]] {
        let t = template(pairs);
        let policy = agent_stack_template::assets::execution_policy(&t).unwrap_or_else(|unknown| panic!("no actions for {unknown:?}"));
        let actions = policy["Statement"][0]["Action"].as_array().cloned().unwrap_or_default();
        assert!(actions.contains(&json!("autoscaling:CreateAutoScalingGroup")) && actions.contains(&json!("iam:PassRole")));
    }
    let mac = macos(&[]);
    assert!(agent_stack_template::assets::execution_policy(&mac).is_ok());
    assert_eq!(
        agent_stack_template::assets::execution_policy(&json!({ "Resources": { "x": { "Type": "AWS::SQS::Queue" } } })),
        Err(vec!["AWS::SQS::Queue".to_string()])
    );
}

#[test]
fn assets_bucket_is_private_encrypted_versioned_and_tls_only() {
    let t = agent_stack_template::assets::assets_template();
    let b = &t["Resources"]["ArtifactBucket"]["Properties"];
    assert_eq!(b["VersioningConfiguration"]["Status"], "Enabled");
    assert_eq!(b["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"], true);
    assert!(b["BucketEncryption"].is_object());
    assert_eq!(
        t["Resources"]["ArtifactBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"],
        "false"
    );
}

// --- warm pool -------------------------------------------------------------------------------

#[test]
fn no_warm_pool_by_default() {
    let t = template(&[]);
    assert!(t["Resources"].get("warmPool").is_none());
    assert!(asg(&t).get("MixedInstancesPolicy").is_some() && asg(&t).get("LaunchTemplate").is_none());
    assert!(lt_data(&t).get("HibernationOptions").is_none());
}

#[test]
fn a_warm_pool_of_fixed_size_whose_instances_never_return_after_a_job() {
    let t = template(&[("SEMAPHORE_AGENT_WARM_POOL_SIZE", "3"), ("SEMAPHORE_AGENT_ASG_MAX_SIZE", "10")]);
    assert_eq!(
        props(&t, "warmPool"),
        &json!({
            "AutoScalingGroupName": { "Ref": "autoScalingGroup" },
            "InstanceReusePolicy": { "ReuseOnScaleIn": false },
            "MaxGroupPreparedCapacity": 3,
            "MinSize": 3,
            "PoolState": "Stopped",
        })
    );
    // AWS refuses warm pools with a mixed instances policy: the group launches from its template.
    let a = asg(&t);
    assert!(a.get("MixedInstancesPolicy").is_none(), "{a}");
    assert_eq!(
        a["LaunchTemplate"],
        json!({ "LaunchTemplateId": { "Ref": "launchTemplateDEE5742D" }, "Version": { "Fn::GetAtt": ["launchTemplateDEE5742D", "LatestVersionNumber"] } })
    );
    // Every termination still waits for the drain.
    assert_eq!(a["LifecycleHookSpecificationList"][0]["LifecycleHookName"], "semaphore-agent-drain");
    assert!(lt_data(&t).get("HibernationOptions").is_none());
}

#[test]
fn a_warm_pool_holds_launches_until_the_instances_are_prepared() {
    let t = template(&[("SEMAPHORE_AGENT_WARM_POOL_SIZE", "2"), ("SEMAPHORE_AGENT_ASG_MAX_SIZE", "10")]);
    let hook = &t["Resources"]["launchLifecycleHook"];
    assert_eq!(hook["Type"], "AWS::AutoScaling::LifecycleHook");
    assert_eq!(
        hook["Properties"],
        json!({
            "AutoScalingGroupName": { "Ref": "autoScalingGroup" },
            "DefaultResult": "CONTINUE",
            "HeartbeatTimeout": 600,
            "LifecycleHookName": "semaphore-agent-launch",
            "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING",
        })
    );
    // Made after the name its instances need, and before the pool's first instances launch; not
    // on the group, whose first instances cannot complete it before the group is complete.
    assert_eq!(hook["DependsOn"], json!(["autoScalingGroupNameParameter"]));
    assert_eq!(t["Resources"]["warmPool"]["DependsOn"], json!(["launchLifecycleHook"]));
    assert_eq!(asg(&t)["LifecycleHookSpecificationList"].as_array().map(Vec::len), Some(1));
    assert_eq!(agent_config(&t).launch_hook_name.as_deref(), Some("semaphore-agent-launch"));
    // After a job the instance lowers the desired capacity: demand pulls from the pool.
    assert!(agent_config(&t).lower_desired_after_job);
    // Without a pool: no launch hook, and nothing new in the instances' parameter.
    let plain = template(&[]);
    assert!(plain["Resources"].get("launchLifecycleHook").is_none());
    assert_eq!(agent_config(&plain).launch_hook_name, None);
    assert!(!agent_config(&plain).lower_desired_after_job);
}

#[test]
fn a_hibernated_pool_configures_hibernation_on_an_encrypted_root_volume() {
    let t = template(&[
        ("SEMAPHORE_AGENT_WARM_POOL_SIZE", "2"),
        ("SEMAPHORE_AGENT_ASG_MAX_SIZE", "10"),
        ("SEMAPHORE_AGENT_WARM_POOL_STATE", "Hibernated"),
    ]);
    assert_eq!(props(&t, "warmPool")["PoolState"], "Hibernated");
    assert_eq!(lt_data(&t)["HibernationOptions"], json!({ "Configured": true }));
    assert_eq!(lt_data(&t)["BlockDeviceMappings"][0]["Ebs"]["Encrypted"], true);
}
