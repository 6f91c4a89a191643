//! `bootstrap`: the per-account, per-region assets stack (the Lambda artifact bucket).

use agent_stack_template::assets::assets_template;

use crate::change::{apply, check_updatable, deployed, Applied, Change};
use crate::deploy::assets_bucket;
use crate::{Error, Stacks, Ui, ASSETS_STACK};

/// What `bootstrap` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bootstrapped {
    /// The stack was there with this template already.
    pub up_to_date: bool,
    /// The artifact bucket.
    pub bucket: String,
}

/// Creates or updates the assets stack, after confirmation.
pub async fn bootstrap<C: Stacks, U: Ui>(cloud: &C, ui: &mut U) -> Result<Bootstrapped, Error> {
    let current = deployed(cloud, ASSETS_STACK).await?;
    if let Some(d) = &current {
        check_updatable(ASSETS_STACK, &d.info)?;
    }
    let question =
        format!("{} the {ASSETS_STACK} stack (an S3 bucket for Lambda artifacts)?", if current.is_none() { "create" } else { "update" });
    let template = assets_template();
    let change = Change { operation: "bootstrap", stack: ASSETS_STACK, template: &template, params: &[], current: current.as_ref() };
    let applied = apply(cloud, ui, change, |_| Some(question)).await?;
    Ok(Bootstrapped { up_to_date: applied == Applied::UpToDate, bucket: assets_bucket(cloud, None).await? })
}
