//! The stack's Lambda functions — the scaler, the SSH-keys refresher and the AZ-rebalance
//! suspender — all running the one agent-stack Lambda binary on `provided.al2023`, each with its
//! own role, a native log group (30 days) and, where scheduled, an EventBridge rule.

use agent_stack_config::lambda_env::{self, FunctionRole, ScalerEnv};
use agent_stack_config::{Choice, Config, Placement};
use serde_json::{json, Value};

use crate::cfn::{depends_on, get_att, ref_, resource, tag_list, with_tags};
use crate::iam::{self, statement};
use crate::ids::{self, param};
use crate::Template;

/// Log retention of every function's log group.
pub const LOG_RETENTION_DAYS: u32 = 30;
/// Scaler timeout in seconds: one schedule period plus the overlap with the next invocation (see
/// `agent_stack_scaler::schedule`).
pub const SCALER_TIMEOUT_S: u64 = agent_stack_scaler::schedule::LAMBDA_TIMEOUT_S;
/// Two scaler invocations may run at once: each overlaps the next so there is no gap between them.
pub const SCALER_CONCURRENCY: u32 = 2;

/// One function's identity: logical IDs and the role name the binary dispatches on.
struct Function {
    function: &'static str,
    role: &'static str,
    policy: &'static str,
    log_group: &'static str,
    role_kind: FunctionRole,
    /// Log group suffix.
    kind: &'static str,
    description: &'static str,
    timeout_s: u64,
}

const SSH_KEYS: Function = Function {
    function: ids::SSH_KEYS_FUNCTION,
    role: ids::SSH_KEYS_ROLE,
    policy: ids::SSH_KEYS_POLICY,
    log_group: ids::SSH_KEYS_LOG_GROUP,
    role_kind: FunctionRole::SshKeysUpdater,
    kind: "ssh-keys-updater",
    description: "Check if GitHub SSH public keys have changed.",
    timeout_s: 30,
};

const AZ_REBALANCE: Function = Function {
    function: ids::AZ_REBALANCE_FUNCTION,
    role: ids::AZ_REBALANCE_ROLE,
    policy: ids::AZ_REBALANCE_POLICY,
    log_group: ids::AZ_REBALANCE_LOG_GROUP,
    role_kind: FunctionRole::AzRebalanceSuspender,
    kind: "az-rebalance-suspender",
    description: "Suspend AZRebalance process for auto scaling group",
    timeout_s: 60,
};

const SCALER: Function = Function {
    function: ids::SCALER_FUNCTION,
    role: ids::SCALER_ROLE,
    policy: ids::SCALER_POLICY,
    log_group: ids::SCALER_LOG_GROUP,
    role_kind: FunctionRole::Scaler,
    kind: "scaler",
    description: "Dynamically scale Semaphore agents based on jobs demand",
    timeout_s: SCALER_TIMEOUT_S,
};

/// Name of a function's log group: `/agent-stack/<stack>/<kind>`.
///
/// Not `/aws/lambda/<function>`: on a stack migrated from agent-aws-stack those groups already
/// exist outside CloudFormation, and declaring them would fail the update.
pub fn log_group_name(config: &Config, kind: &str) -> String {
    format!("/agent-stack/{}/{kind}", config.stack_name)
}

pub fn add(t: &mut Template, config: &Config) {
    add_ssh_keys_updater(t, config);
    add_az_rebalance_suspender(t, config);
    if config.dynamic_scaling {
        add_scaler(t, config);
    }
}

fn add_ssh_keys_updater(t: &mut Template, config: &Config) {
    let f = &SSH_KEYS;
    let name = config.ssh_keys_parameter_name();
    t.add(f.role, iam::role(config, "lambda.amazonaws.com", vec![]));
    let statements = vec![
        statement(&["ssm:GetParameter", "ssm:PutParameter"], iam::ssm_parameter_arn(&name)),
        iam::write_logs(&log_group_name(config, f.kind)),
    ];
    // agent-aws-stack's fixed name; an inline policy keeps its name on the role.
    t.add(f.policy, iam::policy("sshKeysUpdater-policy", f.role, statements));
    add_function(t, config, f, json!({ lambda_env::SSM_PARAMETER: name }), &[]);
    let rule = Schedule {
        rule: ids::SSH_KEYS_RULE,
        permission: ids::SSH_KEYS_PERMISSION,
        expression: "rate(1 day)",
        description: "Rule to dynamically invoke lambda function to check GitHub public SSH keys.",
        depends_on: &[],
    };
    add_schedule(t, config, f, &rule);
}

fn add_az_rebalance_suspender(t: &mut Template, config: &Config) {
    let f = &AZ_REBALANCE;
    t.add(f.role, iam::role(config, "lambda.amazonaws.com", vec![]));
    let statements =
        vec![statement(&["autoscaling:SuspendProcesses"], iam::asg_arn(config)), iam::write_logs(&log_group_name(config, f.kind))];
    t.add(f.policy, iam::policy(&format!("{}-az-rebalance-suspender-policy", config.stack_name), f.role, statements));
    add_function(t, config, f, json!({}), &[]);
    let mut suspension = depends_on(
        resource(
            "Custom::AzRebalanceSuspender",
            json!({ "ServiceToken": get_att(f.function, "Arn"), "AutoScalingGroupName": ref_(ids::AUTO_SCALING_GROUP) }),
        ),
        &[f.policy, f.log_group],
    );
    suspension["DeletionPolicy"] = json!("Delete");
    suspension["UpdateReplacePolicy"] = json!("Delete");
    t.add(ids::AZ_REBALANCE_SUSPENSION, suspension);
}

fn add_scaler(t: &mut Template, config: &Config) {
    let f = &SCALER;
    let mut managed = vec![];
    if let Placement::Vpc { vpc_id, .. } = &config.placement {
        managed.push(iam::aws_managed("service-role/AWSLambdaVPCAccessExecutionRole"));
        t.add(
            ids::SCALER_SECURITY_GROUP,
            depends_on(with_tags(
                resource(
                    "AWS::EC2::SecurityGroup",
                    json!({
                        // Kept verbatim: a security group's description cannot change without replacement.
                        "GroupDescription": "Automatic security group for Lambda Function AwsSemaphoreAgentStackscalerLambdaEE224170",
                        "SecurityGroupEgress": [{ "CidrIp": "0.0.0.0/0", "Description": "Allow all outbound traffic by default", "IpProtocol": "-1" }],
                        "VpcId": vpc_id,
                    }),
                ),
                tag_list(&config.tags),
            ), &[f.role]),
        );
    }
    t.add(f.role, depends_on(iam::role(config, "lambda.amazonaws.com", managed), &[ids::AUTO_SCALING_GROUP]));
    let mut put_metrics = statement(&["cloudwatch:PutMetricData"], json!("*"));
    put_metrics["Condition"] = json!({ "StringEquals": { "cloudwatch:namespace": "Semaphore" } });
    let statements = vec![
        statement(&["autoscaling:DescribeAutoScalingGroups"], json!("*")),
        statement(&["autoscaling:SetDesiredCapacity"], iam::asg_arn(config)),
        statement(&["ssm:GetParameter"], iam::ssm_parameter_arn(&config.token_parameter_name)),
        iam::decrypt_token(config),
        put_metrics,
        iam::write_logs(&log_group_name(config, f.kind)),
    ];
    t.add(f.policy, iam::policy(&format!("{}-scaler-lambda-policy", config.stack_name), f.role, statements));
    let env = json!(ScalerEnv::new(config, ref_(ids::AUTO_SCALING_GROUP)));
    let extra_deps: &[&str] = if matches!(config.placement, Placement::Vpc { .. }) { &[ids::SCALER_SECURITY_GROUP] } else { &[] };
    add_function(t, config, f, env, extra_deps);
    t.add(
        ids::SCALER_INVOKE_CONFIG,
        depends_on(
            resource(
                "AWS::Lambda::EventInvokeConfig",
                json!({
                    "FunctionName": ref_(f.function),
                    "MaximumEventAgeInSeconds": 60,
                    "MaximumRetryAttempts": 0,
                    "Qualifier": "$LATEST",
                }),
            ),
            &[f.role],
        ),
    );
    let rule = Schedule {
        rule: ids::SCALER_RULE,
        permission: ids::SCALER_PERMISSION,
        expression: "rate(1 minute)",
        description: "Rule to dynamically invoke lambda function to scale Semaphore agent asg",
        depends_on: &[ids::SCALER_INVOKE_CONFIG],
    };
    add_schedule(t, config, f, &rule);
}

fn add_function(t: &mut Template, config: &Config, f: &Function, env: Value, extra_deps: &[&str]) {
    let mut variables = env;
    variables[lambda_env::FUNCTION] = json!(f.role_kind.as_str());
    let mut props = json!({
        "Architectures": [ref_(param::LAMBDA_ARCHITECTURE)],
        "Code": { "S3Bucket": ref_(param::LAMBDA_CODE_BUCKET), "S3Key": ref_(param::LAMBDA_CODE_KEY) },
        "Description": f.description,
        "Environment": { "Variables": variables },
        "Handler": "bootstrap",
        "LoggingConfig": { "LogFormat": "JSON", "LogGroup": ref_(f.log_group) },
        "Role": get_att(f.role, "Arn"),
        "Runtime": "provided.al2023",
        "Timeout": f.timeout_s,
    });
    if f.function == ids::SCALER_FUNCTION {
        props["ReservedConcurrentExecutions"] = json!(SCALER_CONCURRENCY);
        if let Placement::Vpc { subnets, .. } = &config.placement {
            props["VpcConfig"] = json!({
                "SecurityGroupIds": [get_att(ids::SCALER_SECURITY_GROUP, "GroupId")],
                "SubnetIds": subnets,
            });
        }
    }
    t.add(
        f.log_group,
        with_tags(
            resource(
                "AWS::Logs::LogGroup",
                json!({ "LogGroupName": log_group_name(config, f.kind), "RetentionInDays": LOG_RETENTION_DAYS }),
            ),
            tag_list(&config.tags),
        ),
    );
    let mut deps = vec![f.role, f.policy, f.log_group];
    deps.extend_from_slice(extra_deps);
    t.add(f.function, depends_on(with_tags(resource("AWS::Lambda::Function", props), tag_list(&config.tags)), &deps));
}

/// An EventBridge schedule invoking one function.
struct Schedule<'a> {
    rule: &'a str,
    permission: &'a str,
    expression: &'a str,
    description: &'a str,
    depends_on: &'a [&'a str],
}

fn add_schedule(t: &mut Template, config: &Config, f: &Function, s: &Schedule<'_>) {
    let rule_resource = resource(
        "AWS::Events::Rule",
        json!({
            "Description": s.description,
            "ScheduleExpression": s.expression,
            "State": "ENABLED",
            "Targets": [{ "Arn": get_att(f.function, "Arn"), "Id": "Target0" }],
        }),
    );
    let mut deps = vec![f.function];
    deps.extend_from_slice(s.depends_on);
    t.add(s.rule, depends_on(with_tags(rule_resource, tag_list(&config.tags)), &deps));
    let permission = resource(
        "AWS::Lambda::Permission",
        json!({
            "Action": "lambda:InvokeFunction",
            "FunctionName": get_att(f.function, "Arn"),
            "Principal": "events.amazonaws.com",
            "SourceArn": get_att(s.rule, "Arn"),
        }),
    );
    t.add(s.permission, depends_on(permission, &deps));
}
