//! `deploy` and `diff`: the agents' stack from the configuration, its parameters and the Lambda
//! artifact.

use agent_stack_aws::cfn::ChangeSet;
use agent_stack_aws::states::Replacement;
use agent_stack_config::{Arch, Config, Placement};
use agent_stack_template::diff::{diff_resources, ResourceDiff};
use agent_stack_template::{ids, synth, SynthOptions};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::change::{self, apply, check_updatable, deployed, discard, has_warm_pool, Applied, Change, Deployed};
use crate::{Artifacts, Cloud, Error, Images, Stacks, Ui, ASSETS_STACK};

/// Where the deploy-time values come from (given values win over look-ups).
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The zip of the Lambda's `bootstrap` binary.
    pub lambda_zip: Vec<u8>,
    pub lambda_arch: Arch,
    pub image_id: Option<String>,
    pub default_vpc_id: Option<String>,
    pub bucket: Option<String>,
}

/// Where the Lambda zip lives: the assets bucket, under its content hash.
pub struct Artifact {
    pub bucket: String,
    pub key: String,
}

impl Artifact {
    fn new(bucket: String, zip: &[u8]) -> Self {
        let hash = Sha256::digest(zip).iter().map(|b| format!("{b:02x}")).collect::<String>();
        Self { bucket, key: format!("lambda/{hash}.zip") }
    }

    /// Uploads `zip` unless an equal one (same key) is there already.
    async fn upload<C: Artifacts>(&self, cloud: &C, zip: &[u8]) -> Result<(), Error> {
        if !cloud.object_exists(&self.bucket, &self.key).await? {
            cloud.put_object(&self.bucket, &self.key, zip.to_vec()).await?;
        }
        Ok(())
    }
}

/// The artifact bucket of the assets stack (its `ArtifactBucket` resource).
pub async fn assets_bucket<C: Stacks>(cloud: &C, given: Option<&str>) -> Result<String, Error> {
    if let Some(b) = given {
        return Ok(b.to_string());
    }
    cloud.physical_id(ASSETS_STACK, "ArtifactBucket").await?.ok_or_else(|| {
        Error::Refused(format!("no {ASSETS_STACK} stack in this account and region: run `agent-stack bootstrap` first (or pass --bucket)"))
    })
}

/// The names of the stack's images (newest first): agent-stack's own, then agent-aws-stack's.
pub(crate) fn image_patterns(config: &Config) -> [String; 2] {
    let (os, arch) = (config.os, config.arch);
    [format!("agent-stack-{os}-{arch}-*"), format!("semaphore-agent-*-{os}-{arch}-*")]
}

async fn image_id<C: Images>(cloud: &C, config: &Config, inputs: &Inputs, deployed: Option<&Deployed>) -> Result<String, Error> {
    if let Some(id) = inputs.image_id.clone().or_else(|| config.ami.clone()) {
        return Ok(id);
    }
    let (os, arch) = (config.os.to_string(), config.arch.to_string());
    let patterns = image_patterns(config);
    if let Some((id, _name)) = cloud.newest_own_image(&patterns).await? {
        return Ok(id);
    }
    deployed.and_then(|d| d.parameter(ids::param::IMAGE_ID)).map(str::to_string).ok_or_else(|| {
        Error::Refused(format!(
            "no image for {os} {arch}: none of this account's images is named {} or {}; set SEMAPHORE_AGENT_AMI or pass --image-id",
            patterns[0], patterns[1]
        ))
    })
}

async fn default_vpc<C: Images>(cloud: &C, inputs: &Inputs, deployed: Option<&Deployed>) -> Result<String, Error> {
    let previous = deployed.and_then(|d| d.parameter(ids::param::DEFAULT_VPC_ID)).map(str::to_string);
    // A stack created by agent-aws-stack names its (looked-up) VPC in the security group.
    let literal = || {
        let template = deployed?.template.as_ref()?;
        template["Resources"][ids::SECURITY_GROUP]["Properties"]["VpcId"].as_str().map(str::to_string)
    };
    if let Some(v) = inputs.default_vpc_id.clone().or(previous).or_else(literal) {
        return Ok(v);
    }
    cloud.default_vpc_id().await?.ok_or_else(|| {
        Error::Refused(
            "this region has no default VPC: set SEMAPHORE_AGENT_VPC_ID and SEMAPHORE_AGENT_SUBNETS, or pass --default-vpc-id".into(),
        )
    })
}

/// What a deploy would apply: the new template, its parameter values, and where the Lambda
/// artifact goes (deploy uploads it; diff just compares its key).
pub struct Prepared {
    pub template: Value,
    pub params: Vec<(String, String)>,
    pub artifact: Artifact,
}

/// The new template, its parameter values and the Lambda artifact.
pub async fn prepare<C: Cloud>(cloud: &C, config: &Config, inputs: &Inputs, deployed: Option<&Deployed>) -> Result<Prepared, Error> {
    let template = synth(config, &SynthOptions::default()).to_value();
    let artifact = Artifact::new(assets_bucket(cloud, inputs.bucket.as_deref()).await?, &inputs.lambda_zip);
    let mut params = vec![
        (ids::param::IMAGE_ID.to_string(), image_id(cloud, config, inputs, deployed).await?),
        (ids::param::LAMBDA_CODE_BUCKET.to_string(), artifact.bucket.clone()),
        (ids::param::LAMBDA_CODE_KEY.to_string(), artifact.key.clone()),
        (ids::param::LAMBDA_ARCHITECTURE.to_string(), inputs.lambda_arch.to_string()),
    ];
    if config.creates_security_group() && matches!(config.placement, Placement::DefaultVpc { .. }) {
        params.push((ids::param::DEFAULT_VPC_ID.to_string(), default_vpc(cloud, inputs, deployed).await?));
    }
    Ok(Prepared { template, params, artifact })
}

/// What `deploy` did.
#[derive(Debug, Clone, PartialEq)]
pub enum Deployment {
    UpToDate,
    Done {
        created: bool,
        status: agent_stack_aws::states::StackStatus,
        outputs: Vec<(String, String)>,
        /// Running agents keep the previous launch template and settings until they leave.
        agents_need_rotate: bool,
    },
}

/// Creates or updates the agents' stack. The token parameter must exist: the agents cannot start
/// without it.
pub async fn deploy<C: Cloud, U: Ui>(cloud: &C, ui: &mut U, config: &Config, inputs: &Inputs) -> Result<Deployment, Error> {
    let stack = config.stack_name.as_str();
    if cloud.get_string(&config.token_parameter_name).await?.is_none() {
        return Err(Error::Refused(format!(
            "token parameter {0} does not exist: store the registration token first (agent-stack token put --name {0})",
            config.token_parameter_name
        )));
    }
    let current = deployed(cloud, stack).await?;
    if let Some(d) = &current {
        check_updatable(stack, &d.info)?;
    }
    let Prepared { template, params, artifact } = prepare(cloud, config, inputs, current.as_ref()).await?;
    artifact.upload(cloud, &inputs.lambda_zip).await?;
    if current.is_some() {
        if let Some(note) = shrink_note(cloud, config).await? {
            ui.progress(&note);
        }
    }
    if let Some(d) = &current {
        remove_warm_pool_first(cloud, ui, stack, d, &template).await?;
    }
    let change = Change { operation: "deploy", stack, template: &template, params: &params, current: current.as_ref() };
    let applied = apply(cloud, ui, change, |cs| {
        let risks = change::risky(cs);
        (!risks.is_empty()).then(|| format!("this deploy changes: {}; continue?", risks.join(", ")))
    })
    .await?;
    Ok(match applied {
        Applied::UpToDate => Deployment::UpToDate,
        Applied::Done { info, change_set, created } => Deployment::Done {
            created,
            status: info.status,
            outputs: info.outputs,
            agents_need_rotate: !created && change::changes_what_agents_boot_with(&change_set),
        },
    })
}

/// A deploy that removes the warm pool deletes it first, once confirmed: the group goes back to a
/// mixed instances policy in the same update, which AWS has refused while a pool exists, and
/// CloudFormation updates the group before it deletes the pool. Only prepared, idle instances go.
async fn remove_warm_pool_first<C: Cloud, U: Ui>(
    cloud: &C,
    ui: &mut U,
    stack: &str,
    current: &Deployed,
    template: &Value,
) -> Result<(), Error> {
    if !current.template.as_ref().is_some_and(has_warm_pool) || has_warm_pool(template) {
        return Ok(());
    }
    let Some(group) = cloud.physical_id(stack, ids::AUTO_SCALING_GROUP).await? else { return Ok(()) };
    let question =
        format!("this deploy removes the warm pool of group {group}: delete the pool and its instances (no agent runs on them) first?");
    if !ui.confirm(&question)? {
        return Err(Error::Cancelled("deploy cancelled; nothing changed".into()));
    }
    cloud.delete_warm_pool(&group).await?;
    ui.progress(&format!("deleted the warm pool of group {group} with its instances"));
    Ok(())
}

/// What a deploy that shrinks the group means for its agents, if it does.
async fn shrink_note<C: Cloud>(cloud: &C, config: &Config) -> Result<Option<String>, Error> {
    let Some(name) = cloud.physical_id(&config.stack_name, ids::AUTO_SCALING_GROUP).await? else { return Ok(None) };
    let Some(group) = cloud.describe_group(&name).await? else { return Ok(None) };
    let running = group.members.iter().filter(|m| !m.lifecycle_state.is_leaving()).count();
    Ok(shrinking(running, config.asg.max_size, config.asg.desired))
}

/// The note for a group of `running` instances that the new `max` (and `desired`, when set) shrink.
pub fn shrinking(running: usize, max: u32, desired: Option<u32>) -> Option<String> {
    let target = desired.map_or(max, |d| d.min(max));
    let to = usize::try_from(target).unwrap_or(usize::MAX);
    (running > to).then(|| {
        format!(
            "the group shrinks from {running} to {to} instances: idle agents leave at once, busy ones finish their jobs before their instances go (the drain hook holds them)"
        )
    })
}

/// What `diff` found.
#[derive(Debug, Clone, PartialEq)]
pub enum Difference {
    /// The stack does not exist: deploy would create it.
    Missing,
    Same,
    Differs {
        resources: Vec<ResourceDiff>,
        /// Replacement as CloudFormation announces it, by logical ID (not `False`).
        replacements: Vec<(String, Replacement)>,
        /// Parameters whose values change.
        params: Vec<(String, String)>,
    },
}

/// What `deploy` would change, without changing anything (the change set is deleted again).
pub async fn diff<C: Cloud, U: Ui>(cloud: &C, ui: &mut U, config: &Config, inputs: &Inputs) -> Result<Difference, Error> {
    let stack = config.stack_name.as_str();
    let Some(current) = deployed(cloud, stack).await? else { return Ok(Difference::Missing) };
    check_updatable(stack, &current.info)?;
    let Some(deployed_template) = &current.template else {
        return Err(Error::Refused(format!(
            "the deployed template of stack {stack} is not JSON, so it cannot be compared; run deploy to see the change set"
        )));
    };
    let Prepared { template, params, .. } = prepare(cloud, config, inputs, Some(&current)).await?;
    if current.is_same(&template, &params) {
        return Ok(Difference::Same);
    }
    let cs: ChangeSet = change::change_set(cloud, ui, stack, &template, &params, false).await?;
    discard(cloud, ui, stack, &cs.id, false).await;
    let replacements =
        cs.changes.into_iter().filter_map(|c| Some((c.logical_id, c.replacement.filter(|r| *r != Replacement::False)?))).collect();
    let params = current.changed_parameters(&params).into_iter().cloned().collect();
    Ok(Difference::Differs { resources: diff_resources(deployed_template, &template), replacements, params })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deploy_that_shrinks_the_group_says_busy_agents_finish_first() {
        let note = shrinking(5, 3, None).unwrap_or_default();
        assert!(note.starts_with("the group shrinks from 5 to 3 instances") && note.contains("busy ones finish their jobs"), "{note}");
        assert_eq!(shrinking(5, 8, Some(2)).map(|n| n.contains("from 5 to 2")), Some(true));
        assert_eq!(shrinking(3, 3, None), None);
        assert_eq!(shrinking(0, 0, Some(0)), None);
    }
}
