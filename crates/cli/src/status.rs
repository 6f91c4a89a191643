//! `agent-stack status`: the stack, its Auto Scaling group and instances, and Semaphore's metrics.

use agent_stack_aws::group::describe_group;
use agent_stack_aws::{cfn, read_token, sdk_config, CallProfile};
use agent_stack_semaphore::SemaphoreClient;
use agent_stack_template::ids;
use serde_json::{json, Value};

use crate::args::{Output, StatusArgs};
use crate::error::CliError;
use crate::load::load_valid;
use crate::stack_ops;

pub fn run(args: &StatusArgs) -> Result<(), CliError> {
    let config = load_valid(&args.config)?;
    let stack = config.stack_name.clone();
    let status = stack_ops::runtime()?.block_on(async {
        let sdk = sdk_config(CallProfile::Command).await;
        let Some(info) = cfn::describe_stack(&sdk, &stack).await.map_err(CliError::Failed)? else {
            return Err(CliError::Failed(format!("stack {stack} does not exist in this account and region: deploy it first")));
        };
        let asg_name = agent_stack_aws::stack::physical_id(&sdk, &stack, ids::AUTO_SCALING_GROUP).await.ok();
        let asg = match &asg_name {
            Some(name) => group(&sdk, name).await?,
            None => Value::Null,
        };
        let metrics = match read_token(&sdk, &config.token_parameter_name).await {
            Ok(token) => match SemaphoreClient::new(&config.endpoint, token) {
                Ok(client) => client.metrics().await.map(|m| json!(m)).unwrap_or_else(|e| json!({ "error": e.to_string() })),
                Err(e) => json!({ "error": e.to_string() }),
            },
            Err(e) => json!({ "error": e.to_string() }),
        };
        Ok(json!({
            "stack": stack,
            "stack_status": info.status,
            "stack_status_reason": info.reason,
            "asg": asg["asg"],
            "instances": asg["instances"],
            "semaphore": metrics,
        }))
    })?;
    match args.output {
        Output::Json => println!("{status}"),
        Output::Text => print_text(&status),
    }
    Ok(())
}

async fn group(sdk: &agent_stack_aws::SdkConfig, name: &str) -> Result<Value, CliError> {
    let Some(g) = describe_group(sdk, name).await.map_err(CliError::Failed)? else { return Ok(Value::Null) };
    let instances: Vec<Value> = g
        .members
        .iter()
        .map(|i| {
            json!({
                "id": i.id,
                "lifecycle_state": i.lifecycle_state,
                "health": i.health,
                "availability_zone": i.availability_zone,
                "instance_type": i.instance_type,
                "protected_from_scale_in": i.protected_from_scale_in,
                "launch_template_version": i.launched_from.as_ref().map(|t| &t.version),
            })
        })
        .collect();
    Ok(json!({
        "asg": { "name": name, "desired": g.desired, "min": g.min, "max": g.max },
        "instances": instances,
    }))
}

fn print_text(s: &Value) {
    println!("stack {}: {}", s["stack"].as_str().unwrap_or_default(), s["stack_status"].as_str().unwrap_or_default());
    if let Some(asg) = s["asg"].as_object() {
        println!("group {}: desired {}, min {}, max {}", asg["name"].as_str().unwrap_or_default(), asg["desired"], asg["min"], asg["max"]);
    }
    for i in s["instances"].as_array().into_iter().flatten() {
        println!(
            "  {}  {:<12} {:<10} {:<12} {:<12} template version {}",
            i["id"].as_str().unwrap_or_default(),
            i["lifecycle_state"].as_str().unwrap_or_default(),
            i["health"].as_str().unwrap_or_default(),
            i["availability_zone"].as_str().unwrap_or_default(),
            i["instance_type"].as_str().unwrap_or_default(),
            i["launch_template_version"].as_str().unwrap_or("?")
        );
    }
    match s["semaphore"].get("error") {
        Some(e) => println!("semaphore: {}", e.as_str().unwrap_or_default()),
        None => println!(
            "semaphore: {} queued, {} running jobs; {} idle, {} occupied agents",
            s["semaphore"]["jobs"]["queued"],
            s["semaphore"]["jobs"]["running"],
            s["semaphore"]["agents"]["idle"],
            s["semaphore"]["agents"]["occupied"]
        ),
    }
}
