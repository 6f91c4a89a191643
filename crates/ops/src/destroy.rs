//! `destroy`: delete the agents' stack after confirmation and follow it until it is gone.

use crate::change::{ended_badly, wait};
use crate::{Error, Stacks, Ui};

/// What `destroy` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destroyed {
    /// There was no such stack.
    Missing,
    Deleted,
}

pub async fn destroy<C: Stacks, U: Ui>(cloud: &C, ui: &mut U, stack: &str) -> Result<Destroyed, Error> {
    let Some(info) = cloud.describe_stack(stack).await? else { return Ok(Destroyed::Missing) };
    if !ui.confirm(&format!("delete stack {stack} ({}) and its agents?", info.status))? {
        return Err(Error::Cancelled("destroy cancelled; nothing changed".into()));
    }
    cloud.delete_stack(stack).await?;
    match wait(cloud, ui, stack).await? {
        None => Ok(Destroyed::Deleted),
        Some(info) => Err(ended_badly(cloud, stack, &info).await),
    }
}
