//! What deploy and diff share: the template, the Lambda artifact, the parameters, the change set,
//! and waiting for a stack with live events.

use std::collections::BTreeSet;
use std::time::Duration;

use agent_stack_aws::cfn::{self, ChangeSet, StackInfo};
use agent_stack_aws::SdkConfig;
use agent_stack_config::{Config, Placement};
use agent_stack_template::{ids, synth, SynthOptions};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::CliError;

/// The stack `agent-stack bootstrap` creates in each account and region.
pub const ASSETS_STACK: &str = "agent-stack-assets";

pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Runtime::new().map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))
}

/// Where the deploy-time values come from (flags override look-ups).
#[derive(Debug, Clone, Default)]
pub struct DeployInputs {
    pub lambda_zip: Option<std::path::PathBuf>,
    pub lambda_arch: String,
    pub image_id: Option<String>,
    pub default_vpc_id: Option<String>,
    pub bucket: Option<String>,
}

/// The stack as deployed: its info and template, if it exists.
pub struct Deployed {
    pub info: StackInfo,
    pub template: Value,
}

/// `None` also for a stack that only ever had a change set (REVIEW_IN_PROGRESS, e.g. a cancelled
/// first deploy): CloudFormation expects another CREATE change set for it.
pub async fn deployed(sdk: &SdkConfig, stack: &str) -> Result<Option<Deployed>, CliError> {
    let Some(info) = cfn::describe_stack(sdk, stack).await.map_err(CliError::Failed)? else { return Ok(None) };
    if info.status == "REVIEW_IN_PROGRESS" {
        return Ok(None);
    }
    let body = cfn::get_template(sdk, stack).await.map_err(CliError::Failed)?;
    let template = serde_json::from_str(&body).unwrap_or(Value::Null);
    Ok(Some(Deployed { info, template }))
}

fn previous(deployed: Option<&Deployed>, key: &str) -> Option<String> {
    deployed?.info.parameters.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).filter(|v| !v.is_empty())
}

/// The Lambda zip and where it lives: the assets bucket, under its content hash.
pub struct Artifact {
    pub bucket: String,
    pub key: String,
    bytes: Vec<u8>,
}

impl Artifact {
    fn new(bucket: String, bytes: Vec<u8>) -> Self {
        let hash = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect::<String>();
        Self { bucket, key: format!("lambda/{hash}.zip"), bytes }
    }

    /// Uploads the zip unless an equal one (same key) is there already.
    pub async fn upload(self, sdk: &SdkConfig) -> Result<(), CliError> {
        if agent_stack_aws::s3::object_exists(sdk, &self.bucket, &self.key).await.map_err(CliError::Failed)? {
            return Ok(());
        }
        agent_stack_aws::s3::put_object(sdk, &self.bucket, &self.key, self.bytes).await.map_err(CliError::Failed)
    }
}

/// The Lambda zip: `--lambda-zip`, else a local `scripts/build-lambda.sh` build, else this very
/// binary when it is a static Linux build for the Lambda's architecture (release binaries are).
fn lambda_artifact(inputs: &DeployInputs) -> Result<Vec<u8>, CliError> {
    let arch = inputs.lambda_arch.as_str();
    let local_build = std::path::PathBuf::from(format!("target/lambda/{arch}/bootstrap.zip"));
    let path = match &inputs.lambda_zip {
        Some(path) => Some(path.clone()),
        None => local_build.exists().then_some(local_build),
    };
    if let Some(path) = path {
        return std::fs::read(&path).map_err(|e| CliError::Input(format!("--lambda-zip {}: {e}", path.display())));
    }
    if crate::lambda::own_lambda_arch() == Some(arch) {
        let exe = std::env::current_exe().and_then(std::fs::read).map_err(|e| CliError::Failed(format!("reading this binary: {e}")))?;
        return crate::lambda::zip_executable("bootstrap", &exe).map_err(CliError::Failed);
    }
    let own =
        crate::lambda::own_lambda_arch().map_or("this build is not a static Linux binary".to_string(), |a| format!("this binary is {a}"));
    Err(CliError::Input(format!(
        "no Lambda artifact for {arch} ({own}): pass --lambda-zip with the zip of a static Linux agent-stack binary named \
         bootstrap, build one with scripts/build-lambda.sh {arch}, or run deploy with the {arch} Linux release binary"
    )))
}

/// The artifact bucket of the assets stack (its `ArtifactBucket` resource).
pub async fn assets_bucket(sdk: &SdkConfig, inputs: &DeployInputs) -> Result<String, CliError> {
    if let Some(b) = &inputs.bucket {
        return Ok(b.clone());
    }
    agent_stack_aws::stack::physical_id(sdk, ASSETS_STACK, "ArtifactBucket").await.map_err(|e| {
        if e.contains("does not exist") {
            CliError::Failed(format!(
                "no {ASSETS_STACK} stack in this account and region: run `agent-stack bootstrap` first (or pass --bucket)"
            ))
        } else {
            CliError::Failed(e)
        }
    })
}

async fn image_id(sdk: &SdkConfig, config: &Config, inputs: &DeployInputs, deployed: Option<&Deployed>) -> Result<String, CliError> {
    if let Some(id) = inputs.image_id.clone().or_else(|| config.ami.clone()) {
        return Ok(id);
    }
    let (os, arch) = (config.os.to_string(), config.arch.to_string());
    let patterns = [format!("agent-stack-{os}-{arch}-*"), format!("semaphore-agent-*-{os}-{arch}-*")];
    if let Some((id, _name)) = agent_stack_aws::ec2::newest_own_image(sdk, &patterns).await.map_err(CliError::Failed)? {
        return Ok(id);
    }
    previous(deployed, ids::param::IMAGE_ID).ok_or_else(|| {
        CliError::Failed(format!(
            "no image for {os} {arch}: none of this account's images is named {} or {}; set SEMAPHORE_AGENT_AMI or pass --image-id",
            patterns[0], patterns[1]
        ))
    })
}

async fn default_vpc(sdk: &SdkConfig, inputs: &DeployInputs, deployed: Option<&Deployed>) -> Result<String, CliError> {
    if let Some(v) = inputs.default_vpc_id.clone().or_else(|| previous(deployed, ids::param::DEFAULT_VPC_ID)) {
        return Ok(v);
    }
    // A stack created by agent-aws-stack names its (looked-up) VPC in the security group.
    let literal = deployed.and_then(|d| d.template["Resources"][ids::SECURITY_GROUP]["Properties"]["VpcId"].as_str().map(str::to_string));
    if let Some(v) = literal {
        return Ok(v);
    }
    agent_stack_aws::ec2::default_vpc_id(sdk).await.map_err(CliError::Failed)?.ok_or_else(|| {
        CliError::Failed(
            "this region has no default VPC: set SEMAPHORE_AGENT_VPC_ID and SEMAPHORE_AGENT_SUBNETS, or pass --default-vpc-id".into(),
        )
    })
}

/// What a deploy would apply: the new template, its parameter values, and the Lambda artifact
/// (uploaded by deploy only; diff just compares its key).
pub struct Prepared {
    pub template: Value,
    pub params: Vec<(String, String)>,
    pub artifact: Artifact,
}

/// The new template, its parameter values and the Lambda artifact.
pub async fn prepare(sdk: &SdkConfig, config: &Config, inputs: &DeployInputs, deployed: Option<&Deployed>) -> Result<Prepared, CliError> {
    let template = synth(config, &SynthOptions::default()).to_value();
    let artifact = Artifact::new(assets_bucket(sdk, inputs).await?, lambda_artifact(inputs)?);
    let mut params = vec![
        (ids::param::IMAGE_ID.to_string(), image_id(sdk, config, inputs, deployed).await?),
        (ids::param::LAMBDA_CODE_BUCKET.to_string(), artifact.bucket.clone()),
        (ids::param::LAMBDA_CODE_KEY.to_string(), artifact.key.clone()),
        (ids::param::LAMBDA_ARCHITECTURE.to_string(), inputs.lambda_arch.clone()),
    ];
    if config.creates_security_group() && matches!(config.placement, Placement::DefaultVpc { .. }) {
        params.push((ids::param::DEFAULT_VPC_ID.to_string(), default_vpc(sdk, inputs, deployed).await?));
    }
    Ok(Prepared { template, params, artifact })
}

/// Refuses to touch a stack CloudFormation is busy with or that a failed create left behind.
pub fn check_updatable(stack: &str, info: &StackInfo) -> Result<(), CliError> {
    let s = info.status.as_str();
    if s.ends_with("_IN_PROGRESS") {
        return Err(CliError::Failed(format!("stack {stack} is busy ({s}); wait for it to finish and deploy again")));
    }
    if s == "ROLLBACK_COMPLETE" || s == "ROLLBACK_FAILED" || s == "DELETE_FAILED" {
        return Err(CliError::Failed(format!(
            "stack {stack} is in {s} after a failed create{}; delete it (agent-stack destroy) and deploy again",
            info.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
        )));
    }
    Ok(())
}

/// Creates the change set for deploy or diff.
pub async fn change_set(
    sdk: &SdkConfig,
    stack: &str,
    template: &Value,
    params: &[(String, String)],
    create: bool,
) -> Result<ChangeSet, CliError> {
    // Unique per run: concurrent deploys must not share a name (moto even mixes them up across stacks).
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let name = format!("agent-stack-{}-{}-{}", now.as_secs(), std::process::id(), now.subsec_nanos());
    let body = serde_json::to_string(template).map_err(|e| CliError::Failed(e.to_string()))?;
    let cs = cfn::create_change_set(sdk, stack, &name, &body, params, create).await.map_err(CliError::Failed)?;
    if cs.status == "FAILED" && !cs.is_empty_change() {
        let _ = cfn::delete_change_set(sdk, stack, &cs.id).await;
        return Err(CliError::Failed(format!("CloudFormation rejected the change: {}", cs.reason.unwrap_or_default())));
    }
    Ok(cs)
}

/// Resource types whose changes deploy asks about before applying.
pub fn risky(cs: &ChangeSet) -> Vec<String> {
    let mut out = BTreeSet::new();
    for c in &cs.changes {
        if c.replacement.as_deref() == Some("True") || c.replacement.as_deref() == Some("Conditional") {
            out.insert(format!("{} ({}) may be replaced", c.logical_id, c.resource_type));
        }
        if c.resource_type.starts_with("AWS::IAM::") {
            out.insert(format!("{} {} (IAM)", c.action.to_lowercase(), c.logical_id));
        }
        if c.resource_type == "AWS::EC2::SecurityGroup" {
            out.insert(format!("{} {} (security group rules)", c.action.to_lowercase(), c.logical_id));
        }
    }
    out.into_iter().collect()
}

/// Whether the change touches what an agent reads only at boot (the launch template, the agent
/// config parameter): running agents keep the old until they are replaced.
pub fn changes_what_agents_boot_with(cs: &ChangeSet) -> bool {
    cs.changes.iter().any(|c| c.action == "Modify" && [ids::LAUNCH_TEMPLATE, ids::AGENT_CONFIG_PARAMETER].contains(&c.logical_id.as_str()))
}

/// Polls the stack until it reaches a terminal status, printing new events. Returns the final status.
pub async fn wait(sdk: &SdkConfig, stack: &str, quiet: bool) -> Result<StackInfo, CliError> {
    let mut seen: BTreeSet<String> = cfn::events(sdk, stack).await.unwrap_or_default().into_iter().map(|e| e.id).collect();
    for round in 0..3600u32 {
        let info = match cfn::describe_stack(sdk, stack).await.map_err(CliError::Failed)? {
            Some(i) => i,
            None => {
                return Ok(StackInfo {
                    id: String::new(),
                    status: "DELETE_COMPLETE".into(),
                    reason: None,
                    outputs: vec![],
                    parameters: vec![],
                })
            }
        };
        let mut events = cfn::events(sdk, stack).await.unwrap_or_default();
        events.reverse();
        for e in events.into_iter().filter(|e| seen.insert(e.id.clone())) {
            if !quiet {
                let reason = e.reason.map(|r| format!("  {r}")).unwrap_or_default();
                eprintln!("  {:<28} {:<45} {}{reason}", e.status, e.logical_id, e.resource_type);
            }
        }
        if !info.status.ends_with("_IN_PROGRESS") {
            return Ok(info);
        }
        if !quiet && round % 15 == 14 {
            eprintln!("  … still {} ({} s)", info.status, (round + 1) * 2);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    Err(CliError::Failed(format!("stack {stack} did not finish within 2 hours")))
}

/// Reasons of the resources that failed, from the stack's events.
pub async fn failures(sdk: &SdkConfig, stack: &str) -> Vec<String> {
    cfn::events(sdk, stack)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.status.ends_with("_FAILED"))
        .map(|e| format!("{} ({}): {}", e.logical_id, e.resource_type, e.reason.unwrap_or_else(|| e.status.clone())))
        .collect()
}

/// Asks on the terminal; without one, only `--yes` proceeds.
pub fn confirm(question: &str, yes: bool) -> Result<bool, CliError> {
    use std::io::{BufRead, IsTerminal, Write};
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Input(format!("{question} — confirmation needed: run in a terminal or pass --yes")));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| CliError::Failed(e.to_string()))?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_stack_aws::cfn::ResourceChange;

    fn info(status: &str) -> StackInfo {
        StackInfo {
            id: "id".into(),
            status: status.into(),
            reason: Some("Resource creation cancelled".into()),
            outputs: vec![],
            parameters: vec![],
        }
    }

    #[test]
    fn busy_and_failed_stacks_are_refused_with_the_next_step() {
        for (status, hint) in [
            ("UPDATE_IN_PROGRESS", "wait for it"),
            ("CREATE_IN_PROGRESS", "wait for it"),
            ("ROLLBACK_COMPLETE", "agent-stack destroy"),
            ("DELETE_FAILED", "agent-stack destroy"),
        ] {
            let err = check_updatable("s", &info(status)).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(status) && err.contains(hint), "{status}: {err}");
        }
        for ok in ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"] {
            assert!(check_updatable("s", &info(ok)).is_ok(), "{ok}");
        }
    }

    fn change(action: &str, id: &str, kind: &str, replacement: Option<&str>) -> ResourceChange {
        ResourceChange {
            action: action.into(),
            logical_id: id.into(),
            resource_type: kind.into(),
            replacement: replacement.map(str::to_string),
            details: vec![],
        }
    }

    /// Recorded from real CloudFormation change sets (moto reports no replacement details).
    #[test]
    fn iam_security_group_and_replacements_need_confirmation() {
        let cs = ChangeSet {
            id: "cs".into(),
            status: "CREATE_COMPLETE".into(),
            reason: None,
            changes: vec![
                change("Modify", "instanceProfilePolicy62AF6D2B", "AWS::IAM::Policy", Some("False")),
                change("Modify", "securityGroup32C48086", "AWS::EC2::SecurityGroup", Some("False")),
                change("Modify", "launchTemplateDEE5742D", "AWS::EC2::LaunchTemplate", Some("False")),
                change("Modify", "autoScalingGroup", "AWS::AutoScaling::AutoScalingGroup", Some("Conditional")),
                change("Modify", "SemaphoreAgentConfigParameterF91637D0", "AWS::SSM::Parameter", Some("True")),
            ],
        };
        let risks = risky(&cs);
        assert_eq!(risks.len(), 4, "{risks:?}");
        assert!(risks.iter().any(|r| r.contains("autoScalingGroup") && r.contains("may be replaced")));
        assert!(risks.iter().any(|r| r.contains("SemaphoreAgentConfigParameterF91637D0") && r.contains("replaced")));
        assert!(risks.iter().any(|r| r.contains("(IAM)")) && risks.iter().any(|r| r.contains("security group")));
        assert!(changes_what_agents_boot_with(&cs));
        let quiet = ChangeSet { changes: vec![change("Modify", "scalerLogGroup", "AWS::Logs::LogGroup", Some("False"))], ..cs };
        assert!(risky(&quiet).is_empty());
        assert!(!changes_what_agents_boot_with(&quiet));
        let agent_settings =
            ChangeSet { changes: vec![change("Modify", ids::AGENT_CONFIG_PARAMETER, "AWS::SSM::Parameter", Some("False"))], ..quiet };
        assert!(changes_what_agents_boot_with(&agent_settings));
    }
}
