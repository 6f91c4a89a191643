//! What each agent instance gets: its SSM parameters, IAM role, security group and launch template.

use agent_stack_config::drain::{heartbeat_timeout_s, DRAIN_HOOK_NAME};
use agent_stack_config::launch::LAUNCH_HOOK_NAME;
use agent_stack_config::{
    AgentConfigParameter, Config, DrainHook, ManagedPolicy, Placement, WarmPoolState, DEFAULT_INTERRUPTION_GRACE_PERIOD_S,
};
use serde_json::{json, Value};

use crate::cfn::{depends_on, get_att, own_arn, ref_, resource, sub, sub_escape, tag_list, tag_map, with_tags};
use crate::iam::{self, statement};
use crate::ids::{self, param};
use crate::Template;

/// GitHub's published SSH host keys (`ssh_keys` of https://api.github.com/meta), the initial value of
/// the SSH-keys parameter so synthesis stays offline; the refresher Lambda keeps it current.
pub const GITHUB_SSH_KEYS: [&str; 3] = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=",
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCj7ndNxQowgcQnjshcLrqPEiiphnt+VTTvDP6mHBL9j1aNUkY4Ue1gvwnGLVlOhGeYrnZaMgRK6+PKCUXaDbC7qtbW8gIkhL7aGCsOr/C56SJMy/BCZfxd1nWzAOxSDPgVsmerOBYfNqltV9/hWCqBywINIR+5dIg6JTJ72pcEpEjcYgXkE2YEFXV1JHnsKgbLWNlhScqb2UmyRkQyytRLtL+38TGxkxCflmO+5Z8CSSNY7GidjMIZ7Q4zMjA2n1nGrlTDkzwDCsw+wqFPGQA179cnfGWOWRVruj16z6XyvxvjJwbz0wQZ75XK5tKSb7FNyeIEs4TT4jk+S4dhPeAUC5y+bDYirYgM4GC7uEnztnZyaVWQ7B381AK4Qdrwt51ZqExKbQpTUNn+EjqoTwvqNj4kqx5QUCI0ThS/YkOxJCXmPUWZbhjpCg56i+2aB6CmK2JGhn57K5mj0MNdBXA4/WnwH6XoPWJzK5Nyu2zB3nAZp+S5hpQs+p1vN1/wsjk=",
];

/// The `Name` tag agent-aws-stack gave instances, volumes and the launch template.
const NAME_TAG: &str = "AwsSemaphoreAgentStack/launchTemplate";
/// Kept verbatim: a security group's description cannot change without replacing it.
const SECURITY_GROUP_DESCRIPTION: &str = "AwsSemaphoreAgentStack/securityGroup";

pub fn add(t: &mut Template, config: &Config) {
    t.add(ids::SSH_KEYS_PARAMETER, ssh_keys_parameter(config));
    t.add(ids::AGENT_CONFIG_PARAMETER, agent_config_parameter(config));
    t.add(ids::INSTANCE_POLICY, instance_policy(config));
    t.add(ids::INSTANCE_ROLE, iam::role(config, "ec2.amazonaws.com", instance_managed_policies(config)));
    if config.creates_security_group() {
        t.add(ids::SECURITY_GROUP, security_group(config));
    }
    t.add(
        ids::INSTANCE_PROFILE,
        depends_on(
            resource("AWS::IAM::InstanceProfile", json!({ "Roles": [ref_(ids::INSTANCE_ROLE)] })),
            &[ids::INSTANCE_ROLE, ids::AGENT_CONFIG_PARAMETER],
        ),
    );
    t.add(ids::LAUNCH_TEMPLATE, launch_template(config));
}

/// A plain String parameter of the stack.
pub fn ssm_string(config: &Config, description: &str, name: String, value: Value) -> Value {
    with_tags(
        resource(
            "AWS::SSM::Parameter",
            json!({ "Description": description, "Name": name, "Tier": "Standard", "Type": "String", "Value": value }),
        ),
        tag_map(&config.tags),
    )
}

fn ssh_keys_parameter(config: &Config) -> Value {
    let keys = serde_json::to_string(&GITHUB_SSH_KEYS).unwrap_or_default();
    ssm_string(config, "GitHub SSH public keys.", config.ssh_keys_parameter_name(), json!(keys))
}

/// The agents' settings; the token itself stays in its own SecureString parameter.
pub fn agent_config(config: &Config) -> AgentConfigParameter {
    AgentConfigParameter {
        // The agent adds the scheme itself, so it gets host[:port] even when a URL was configured.
        endpoint: config.endpoint.authority.clone(),
        agent_token_parameter_name: config.token_parameter_name.clone(),
        ssh_keys_parameter_name: config.ssh_keys_parameter_name(),
        disconnect_after_job: config.agent.disconnect_after_job.to_string(),
        disconnect_after_idle_timeout: config.agent.disconnect_after_idle_timeout.to_string(),
        env_vars: config.agent.env_vars.clone(),
        use_pre_signed_url: config.agent.use_pre_signed_url,
        interruption_grace_period: (config.agent.interruption_grace_period != DEFAULT_INTERRUPTION_GRACE_PERIOD_S)
            .then(|| config.agent.interruption_grace_period.to_string()),
        drain: Some(drain_hook(config)),
        launch_hook_name: config.asg.warm_pool.is_some().then(|| LAUNCH_HOOK_NAME.to_string()),
        lower_desired_after_job: config.asg.warm_pool.is_some(),
    }
}

/// The group's termination lifecycle hook, as the instances see it.
pub fn drain_hook(config: &Config) -> DrainHook {
    DrainHook {
        lifecycle_hook_name: DRAIN_HOOK_NAME.to_string(),
        group_name_parameter_name: config.group_name_parameter_name(),
        heartbeat_timeout: heartbeat_timeout_s(config.agent.interruption_grace_period),
    }
}

fn agent_config_parameter(config: &Config) -> Value {
    let value = serde_json::to_string(&agent_config(config)).unwrap_or_default();
    ssm_string(config, "Parameters required by the semaphore agent", config.agent_config_parameter_name(), json!(value))
}

fn instance_policy(config: &Config) -> Value {
    let mut statements = vec![
        statement(
            &[
                "autoscaling:SetInstanceHealth",
                "autoscaling:TerminateInstanceInAutoScalingGroup",
                "autoscaling:RecordLifecycleActionHeartbeat",
                "autoscaling:CompleteLifecycleAction",
            ],
            iam::asg_arn(config),
        ),
        statement(
            &["ssm:GetParameter"],
            json!([
                iam::ssm_parameter_arn(&config.agent_config_parameter_name()),
                iam::ssm_parameter_arn(&config.ssh_keys_parameter_name()),
                iam::ssm_parameter_arn(&config.group_name_parameter_name()),
                iam::ssm_parameter_arn(&config.token_parameter_name),
            ]),
        ),
        iam::decrypt_token(config),
        statement(
            &[
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:DescribeLogGroups",
                "logs:PutLogEvents",
                "logs:PutRetentionPolicy",
            ],
            own_arn("logs", "log-group:/semaphore/*"),
        ),
    ];
    if let Some(bucket) = &config.cache_bucket {
        statements.push(statement(
            &["s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:DeleteObject"],
            json!([sub(format!("arn:${{AWS::Partition}}:s3:::{bucket}/*")), sub(format!("arn:${{AWS::Partition}}:s3:::{bucket}")),]),
        ));
    }
    iam::policy(&format!("{}-instance-profile-policy", config.stack_name), ids::INSTANCE_ROLE, statements)
}

fn instance_managed_policies(config: &Config) -> Vec<Value> {
    let mut arns = vec![iam::aws_managed("AmazonSSMManagedInstanceCore")];
    arns.extend(config.managed_policies.iter().map(|p| match p {
        ManagedPolicy::Name(name) => sub(format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{}", sub_escape(name))),
        ManagedPolicy::Arn(arn) => json!(arn),
    }));
    arns
}

fn security_group(config: &Config) -> Value {
    let mut egress = vec![json!({ "CidrIp": "0.0.0.0/0", "Description": "Allow all outbound traffic by default", "IpProtocol": "-1" })];
    if config.use_ipv6 {
        egress.push(json!({ "CidrIpv6": "::/0", "Description": "Allow all outbound IPv6 traffic", "IpProtocol": "-1" }));
    }
    let mut props = json!({ "GroupDescription": SECURITY_GROUP_DESCRIPTION, "SecurityGroupEgress": egress });
    props["VpcId"] = match &config.placement {
        Placement::Vpc { vpc_id, .. } => json!(vpc_id),
        Placement::DefaultVpc { .. } => ref_(param::DEFAULT_VPC_ID),
    };
    if !config.ssh_ingress_cidrs.is_empty() {
        let ingress: Vec<Value> = config
            .ssh_ingress_cidrs
            .iter()
            .map(|cidr| {
                let family = if cidr.contains(':') { "CidrIpv6" } else { "CidrIp" };
                json!({ family: cidr, "Description": format!("SSH from {cidr}"), "FromPort": 22, "IpProtocol": "tcp", "ToPort": 22 })
            })
            .collect();
        props["SecurityGroupIngress"] = Value::Array(ingress);
    }
    with_tags(resource("AWS::EC2::SecurityGroup", props), tag_list(&config.tags))
}

fn user_data(config: &Config) -> String {
    let param = config.agent_config_parameter_name();
    if config.os.is_windows() {
        format!("<powershell>C:\\semaphore-agent\\start.ps1 {param}</powershell>")
    } else {
        format!("#!/bin/bash\n/opt/semaphore/agent/start.sh {param}")
    }
}

fn named_tags(config: &Config) -> Value {
    let mut tags = config.tags.clone();
    if !tags.iter().any(|t| t.key == "Name") {
        tags.push(agent_stack_config::Tag { key: "Name".into(), value: NAME_TAG.into() });
    }
    tags.sort();
    tag_list(&tags)
}

fn launch_template(config: &Config) -> Value {
    let security_group = match &config.security_group_id {
        Some(id) => json!(id),
        None => get_att(ids::SECURITY_GROUP, "GroupId"),
    };
    let mut data = json!({
        "IamInstanceProfile": { "Arn": get_att(ids::INSTANCE_PROFILE, "Arn") },
        "ImageId": ref_(param::IMAGE_ID),
        "InstanceInitiatedShutdownBehavior": "terminate",
        "InstanceType": config.instance_type,
        "MetadataOptions": { "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 2, "HttpTokens": "required" },
        "TagSpecifications": [
            { "ResourceType": "instance", "Tags": named_tags(config) },
            { "ResourceType": "volume", "Tags": named_tags(config) },
        ],
        "UserData": { "Fn::Base64": user_data(config) },
    });
    if config.use_ipv6 {
        data["NetworkInterfaces"] = json!([{ "DeviceIndex": 0, "Groups": [security_group], "Ipv6AddressCount": 1 }]);
    } else {
        data["SecurityGroupIds"] = json!([security_group]);
    }
    if let Some(key) = &config.key_name {
        data["KeyName"] = json!(key);
    }
    if let Some(volume) = &config.root_volume {
        let mut ebs = json!({ "Encrypted": true });
        if let Some(s) = &volume.settings {
            ebs["VolumeType"] = json!(s.volume_type.to_string());
            ebs["VolumeSize"] = json!(s.size_gib);
            if let Some(iops) = s.iops {
                ebs["Iops"] = json!(iops);
            }
            if let Some(throughput) = s.throughput_mibps {
                ebs["Throughput"] = json!(throughput);
            }
        }
        data["BlockDeviceMappings"] = json!([{ "DeviceName": volume.device_name, "Ebs": ebs }]);
    }
    if config.asg.warm_pool.is_some_and(|p| p.state == WarmPoolState::Hibernated) {
        data["HibernationOptions"] = json!({ "Configured": true });
    }
    if let Some(mac) = &config.mac {
        data["LicenseSpecifications"] = json!([{ "LicenseConfigurationArn": mac.license_configuration_arn }]);
        data["Placement"] = json!({ "HostResourceGroupArn": get_att(ids::HOST_RESOURCE_GROUP, "Arn") });
    }
    let template = resource(
        "AWS::EC2::LaunchTemplate",
        json!({
            "LaunchTemplateData": data,
            "TagSpecifications": [{ "ResourceType": "launch-template", "Tags": named_tags(config) }],
        }),
    );
    depends_on(template, &[ids::INSTANCE_ROLE, ids::INSTANCE_POLICY, ids::AGENT_CONFIG_PARAMETER])
}
