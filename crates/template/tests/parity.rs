//! Parity with the templates agent-aws-stack synthesizes for the five reference configs.
//!
//! Both templates are evaluated with the reference's environment (account 123456789012, us-east-1,
//! the looked-up AMI and default VPC); then every reference resource must exist in ours with the
//! same type and properties, except for the differences listed below, each with its reason. A
//! listed difference that no longer occurs fails the test too, so the list stays true.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use agent_stack_template::diff::changed_paths;
use agent_stack_template::{referenced_ids, synth, SynthOptions};
use serde_json::{json, Value};

/// Reference resources we do not create, and why.
const DROPPED: &[(&str, &str)] = &[
    ("CDKMetadata", "CDK bookkeeping, not behaviour"),
    ("*LogRetention*", "CDK's LogRetention custom resource: replaced by native AWS::Logs::LogGroup with 30-day retention"),
    ("azRebalanceSuspenderProvider*", "CDK's provider framework: our Lambda answers CloudFormation custom resource events itself"),
    ("azRebalanceSuspender", "replaced by azRebalanceSuspension: CloudFormation refuses to change a custom resource's ServiceToken"),
];

/// Resources we add, and why.
const ADDED: &[(&str, &str)] = &[
    ("sshKeysUpdaterLogGroup", "native log group (30 days) instead of LogRetention"),
    ("azRebalanceSuspenderLogGroup", "native log group (30 days) instead of LogRetention"),
    ("scalerLogGroup", "native log group (30 days) instead of LogRetention"),
    ("azRebalanceSuspension", "the AZRebalance suspension, served by our Lambda directly"),
    ("autoScalingGroupNameParameter", "the group's name for its instances, which heartbeat and complete their drain's lifecycle action"),
    ("dashboard", "the stack's CloudWatch dashboard: jobs, agents, group capacity, scaler decisions, errors and function health"),
];

/// Deliberate property differences: (logical ID or `*`, path prefix, reason).
const DELIBERATE: &[(&str, &str, &str)] = &[
    // Lambdas: one Rust binary on provided.al2023.
    ("*Lambda*", "/Code", "the agent-stack Lambda artifact, uploaded by deploy (template parameters)"),
    ("*Lambda*", "/Runtime", "Rust custom runtime provided.al2023 instead of nodejs22.x"),
    ("*Lambda*", "/Handler", "custom runtime entry point `bootstrap`"),
    ("*Lambda*", "/Architectures", "artifact architecture is a template parameter"),
    ("*Lambda*", "/LoggingConfig", "JSON logs into the function's own native log group"),
    ("*Lambda*", "/Environment/Variables/AGENT_STACK_FUNCTION", "tells the one binary which role it plays"),
    ("azRebalanceSuspenderLambda107177D1", "/Environment", "AGENT_STACK_FUNCTION tells the one binary which role it plays"),
    ("scalerLambdaEE0B7FDF", "/Environment/Variables/SEMAPHORE_AGENT_ASG_NAME", "the scaler gets the ASG name directly instead of searching by tag"),
    ("scalerLambdaEE0B7FDF", "/Environment/Variables/SEMAPHORE_AGENT_SCALING_POLICY", "the configured scaling policy"),
    ("scalerLambdaEE0B7FDF", "/Environment/Variables/SEMAPHORE_AGENT_OS", "the predictive policy plans for the OS's launch delay"),
    ("scalerLambdaEE0B7FDF", "/Environment/Variables/SEMAPHORE_AGENT_DISCONNECT_AFTER_IDLE_TIMEOUT", "the predictive policy caps its buffer by the idle timeout"),
    ("*Lambda*", "/Timeout", "room for the custom-resource response and GitHub fetch; the scaler runs until 10 s past the next scheduled invocation"),
    ("scalerLambdaEE0B7FDF", "/ReservedConcurrentExecutions", "2: consecutive invocations overlap by 10 s so there is no gap between them (ticks are idempotent, raise-only)"),
    ("*Role*", "/ManagedPolicyArns", "AWSLambdaBasicExecutionRole replaced by a statement scoped to the function's own log group"),
    // IAM scoped to the stack's own region and account, and fixed defects.
    ("*Polic*", "/PolicyDocument", "checked action by action in policies_keep_every_reference_action_and_add_only_log_writes: ARNs scoped to the stack's region and account, kms:Decrypt fixed (alias/aws/ssm matched through kms:ResourceAliases), PutMetricData limited to the Semaphore namespace, log writes to the function's own log group"),
    // Instances.
    ("autoScalingGroup", "/LifecycleHookSpecificationList", "termination lifecycle hook: every termination the group starts lets a busy agent finish its job"),
    ("autoScalingGroup", "/MetricsCollection", "the configured metrics, then the group metrics the dashboard plots (free at 1-minute granularity; no interruption on update)"),
    ("SemaphoreAgentConfigParameterF91637D0", "/Value", "agent-aws-stack's fields unchanged, then `drain`: the hook, heartbeat timeout and group-name parameter"),
    ("launchTemplateDEE5742D", "/LaunchTemplateData/MetadataOptions", "IMDSv2 required, hop limit 2 so job containers still reach IMDS"),
    ("launchTemplateDEE5742D", "/LaunchTemplateData/BlockDeviceMappings", "root EBS volume always encrypted"),
    ("securityGroup32C48086", "/SecurityGroupIngress", "SSH only from SEMAPHORE_AGENT_SSH_INGRESS_CIDRS, never 0.0.0.0/0 by default"),
    ("securityGroup32C48086", "/SecurityGroupEgress", "IPv6 egress when SEMAPHORE_AGENT_USE_IPV6 gives instances IPv6 addresses"),
];

fn matches(pattern: &str, id: &str) -> bool {
    match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
        _ if pattern == "*" => true,
        (Some(rest), _) if rest.ends_with('*') => id.contains(&rest[..rest.len() - 1]),
        (Some(rest), _) => id.ends_with(rest),
        (None, Some(prefix)) => id.starts_with(prefix),
        (None, None) => pattern == id,
    }
}

/// Evaluates the intrinsics both templates use, in the reference's environment.
fn eval(value: &Value) -> Option<Value> {
    let resolve_ref = |name: &str| -> Option<Option<Value>> {
        Some(match name {
            "AWS::Partition" => Some(json!("aws")),
            "AWS::Region" => Some(json!("us-east-1")),
            "AWS::AccountId" => Some(json!("123456789012")),
            "AWS::NoValue" => None,
            "ImageId" => Some(json!("ami-0123456789abcdef0")),
            "DefaultVpcId" => Some(json!("vpc-12345678")),
            _ => return None,
        })
    };
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (k, v) = map.iter().next()?;
            match (k.as_str(), v) {
                ("Ref", Value::String(name)) => match resolve_ref(name) {
                    Some(resolved) => resolved,
                    None => Some(value.clone()),
                },
                ("Fn::Sub", Value::String(text)) => {
                    let mut out = text.clone();
                    for name in ["AWS::Partition", "AWS::Region", "AWS::AccountId"] {
                        if let Some(Some(Value::String(v))) = resolve_ref(name) {
                            out = out.replace(&format!("${{{name}}}"), &v);
                        }
                    }
                    Some(json!(out.replace("${!", "${")))
                }
                ("Fn::Join", Value::Array(args)) if args.len() == 2 => {
                    let parts = eval(&args[1])?;
                    let strings: Option<Vec<String>> = parts.as_array()?.iter().map(|p| p.as_str().map(str::to_string)).collect();
                    match strings {
                        Some(s) => Some(json!(s.join(args[0].as_str()?))),
                        None => Some(json!({ "Fn::Join": [args[0].clone(), parts] })),
                    }
                }
                ("Fn::GetAZs", _) => Some(json!(["us-east-1a", "us-east-1b", "us-east-1c"])),
                _ => Some(json!({ k.clone(): eval(v).unwrap_or(Value::Null) })),
            }
        }
        Value::Object(map) => Some(Value::Object(map.iter().filter_map(|(k, v)| eval(v).map(|v| (k.clone(), v))).collect())),
        Value::Array(items) => Some(Value::Array(items.iter().filter_map(eval).collect())),
        other => Some(other.clone()),
    }
}

fn deliberate(id: &str, path: &str) -> Option<usize> {
    DELIBERATE.iter().position(|(pattern, prefix, _)| matches(pattern, id) && path.starts_with(prefix))
}

fn is_dropped(id: &str) -> bool {
    DROPPED.iter().any(|(pattern, _)| matches(pattern, id))
}

/// The unexplained differences for one reference config, and the deliberate entries it used.
fn compare(name: &str, used: &mut BTreeSet<usize>) -> Vec<String> {
    let dir = common::reference_dir();
    let config = common::config_from_file(&dir.join(format!("{name}.config.json")));
    let reference: Value = serde_json::from_str(&common::read(&dir.join(format!("{name}.template.json")))).unwrap_or(Value::Null);
    let ours = synth(&config, &SynthOptions::default()).to_value();
    let (Some(ref_res), Some(our_res)) = (reference["Resources"].as_object(), ours["Resources"].as_object()) else {
        return vec![format!("{name}: a template has no Resources")];
    };
    let mut problems = Vec::new();
    for (id, r) in ref_res {
        if is_dropped(id) {
            assert!(!our_res.contains_key(id), "{name}: {id} is listed as dropped but synthesized");
            continue;
        }
        let Some(o) = our_res.get(id) else {
            problems.push(format!("{name}: {id} ({}) is missing", r["Type"]));
            continue;
        };
        if r["Type"] != o["Type"] {
            problems.push(format!("{name}: {id} type {} != {}", r["Type"], o["Type"]));
        }
        let paths = changed_paths(&eval(&r["Properties"]).unwrap_or_default(), &eval(&o["Properties"]).unwrap_or_default());
        for p in paths {
            match deliberate(id, &p) {
                Some(i) => {
                    used.insert(i);
                    if std::env::var_os("PARITY_VERBOSE").is_some() {
                        eprintln!("{name}: {id}{p} [{}]", DELIBERATE[i].2);
                    }
                }
                None => problems.push(format!(
                    "{name}: {id}{p}: reference {} vs ours {}",
                    pointer(&eval(&r["Properties"]).unwrap_or_default(), &p),
                    pointer(&eval(&o["Properties"]).unwrap_or_default(), &p)
                )),
            }
        }
        // Ordering the reference enforces must hold in ours, explicitly or through a Ref/GetAtt.
        let ours_deps = dependencies(our_res, id);
        for dep in r["DependsOn"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if our_res.contains_key(dep) && !ours_deps.contains(dep) {
                problems.push(format!("{name}: {id} no longer depends on {dep}"));
            }
        }
    }
    for id in our_res.keys() {
        if !ref_res.contains_key(id) && !ADDED.iter().any(|(a, _)| a == id) {
            problems.push(format!("{name}: {id} is new but not listed in ADDED"));
        }
    }
    problems
}

/// Everything `id` waits for, directly or transitively (DependsOn, Ref, Fn::GetAtt).
fn dependencies(resources: &serde_json::Map<String, Value>, id: &str) -> BTreeSet<String> {
    let direct = |id: &str| {
        let mut out = BTreeSet::new();
        if let Some(r) = resources.get(id) {
            out.extend(r["DependsOn"].as_array().into_iter().flatten().filter_map(|d| d.as_str().map(str::to_string)));
            referenced_ids(&r["Properties"], &mut out);
        }
        out
    };
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = direct(id).into_iter().collect();
    while let Some(next) = todo.pop() {
        if seen.insert(next.clone()) {
            todo.extend(direct(&next));
        }
    }
    seen
}

fn pointer(v: &Value, p: &str) -> String {
    v.pointer(p).map_or_else(|| "(absent)".to_string(), |x| x.to_string())
}

#[test]
fn matches_agent_aws_stack_except_for_listed_improvements() {
    let mut used = BTreeSet::new();
    let problems: Vec<String> = common::REFERENCE_CONFIGS.iter().flat_map(|n| compare(n, &mut used)).collect();
    assert!(problems.is_empty(), "unexplained differences from agent-aws-stack:\n{}", problems.join("\n"));
    let unused: Vec<_> = DELIBERATE.iter().enumerate().filter(|(i, _)| !used.contains(i)).map(|(_, d)| d).collect();
    assert!(unused.is_empty(), "listed differences that no longer occur: {unused:?}");
}

#[test]
fn every_named_or_stateful_resource_keeps_its_logical_id() {
    let dir = common::reference_dir();
    let mut kept: BTreeMap<&str, bool> = BTreeMap::new();
    for name in common::REFERENCE_CONFIGS {
        let config = common::config_from_file(&dir.join(format!("{name}.config.json")));
        let ours = synth(&config, &SynthOptions::default());
        for id in [
            "autoScalingGroup",
            "launchTemplateDEE5742D",
            "launchTemplateProfileB2BF4FB7",
            "instanceProfileRole47059124",
            "instanceProfilePolicy62AF6D2B",
            "securityGroup32C48086",
            "SemaphoreAgentConfigParameterF91637D0",
            "sshKeysUpdaterParameter4EB9ACDD",
            "sshKeysUpdaterRolePolicyF5F35E6B",
            "azRebalanceSuspenderPolicy8FF50B4F",
            "azRebalanceSuspenderRoleFD1D9251",
            "azRebalanceSuspenderLambda107177D1",
        ] {
            assert!(ours.resource(id).is_some(), "{name}: {id} missing");
        }
        if config.dynamic_scaling {
            for id in ["scalerLambdaRole1D61EB11", "scalerLambdaPolicy55529EAF", "scalerLambdaEE0B7FDF", "scalerRule7E4F6830"] {
                assert!(ours.resource(id).is_some(), "{name}: {id} missing");
            }
        }
        kept.insert(name, ours.resource("hostResourceGroup").is_some());
    }
    assert_eq!(kept.get("macos"), Some(&true), "macOS keeps hostResourceGroup");
    assert_eq!(kept.get("linux-min"), Some(&false));
}

/// Actions our policies add: log writes to a function's own log group, and the drain.
const ADDED_ACTIONS: &[&str] =
    &["logs:CreateLogStream", "logs:PutLogEvents", "autoscaling:RecordLifecycleActionHeartbeat", "autoscaling:CompleteLifecycleAction"];

fn actions(statement: &Value) -> Vec<String> {
    match &statement["Action"] {
        Value::String(a) => vec![a.clone()],
        Value::Array(list) => list.iter().filter_map(|a| a.as_str().map(str::to_string)).collect(),
        _ => vec![],
    }
}

/// Policies differ from the reference only in resource scoping, the kms:Decrypt fix, the log
/// statement that replaces AWSLambdaBasicExecutionRole and the instances' drain (heartbeat and
/// complete their group's lifecycle action); every permission the reference grants stays.
#[test]
fn policies_keep_every_reference_action_and_add_only_log_writes() {
    let dir = common::reference_dir();
    for name in common::REFERENCE_CONFIGS {
        let config = common::config_from_file(&dir.join(format!("{name}.config.json")));
        let reference: Value = serde_json::from_str(&common::read(&dir.join(format!("{name}.template.json")))).unwrap_or(Value::Null);
        let ours = synth(&config, &SynthOptions::default()).to_value();
        for (id, r) in reference["Resources"].as_object().into_iter().flatten() {
            if r["Type"] != "AWS::IAM::Policy" || is_dropped(id) {
                continue;
            }
            let collect = |doc: &Value| -> BTreeSet<String> {
                doc["Properties"]["PolicyDocument"]["Statement"].as_array().into_iter().flatten().flat_map(actions).collect()
            };
            let (want, got) = (collect(r), collect(&ours["Resources"][id]));
            let missing: Vec<_> = want.difference(&got).collect();
            assert!(missing.is_empty(), "{name}: {id} lost {missing:?}");
            let extra: Vec<_> = got.difference(&want).filter(|a| !ADDED_ACTIONS.contains(&a.as_str())).collect();
            assert!(extra.is_empty(), "{name}: {id} gained {extra:?}");
            for s in ours["Resources"][id]["Properties"]["PolicyDocument"]["Statement"].as_array().into_iter().flatten() {
                assert_eq!(s["Effect"], "Allow", "{name}: {id}");
                let resource = eval(&s["Resource"]).unwrap_or_default().to_string();
                assert!(!resource.contains(":*:*:"), "{name}: {id} has an unscoped ARN {resource}");
            }
        }
    }
}
