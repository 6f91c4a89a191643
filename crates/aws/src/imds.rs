//! The instance metadata service (IMDSv2) through the SDK's client: token handling, retries and
//! timeouts included; `AWS_EC2_METADATA_SERVICE_ENDPOINT` moves it for tests, as everywhere in the SDK.

use std::time::Duration;

use aws_config::imds::client::error::ImdsError;
use aws_config::imds::Client;

use crate::states::LifecycleState;
use crate::{Error, Kind};

/// Metadata of the instance this program runs on.
#[derive(Debug, Clone)]
pub struct Imds {
    client: Client,
}

/// A notice that the instance is about to go away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interruption {
    /// `spot/instance-action`: stop or terminate at the given time (two minutes' warning).
    InstanceAction(String),
    /// `events/recommendations/rebalance`: EC2 advises moving the work elsewhere.
    Rebalance(String),
}

impl Default for Imds {
    fn default() -> Self {
        Self::new()
    }
}

impl Imds {
    pub fn new() -> Self {
        let client = Client::builder()
            .max_attempts(4)
            .connect_timeout(Duration::from_secs(1))
            .read_timeout(Duration::from_secs(2))
            .operation_timeout(Duration::from_secs(10))
            .build();
        Self { client }
    }

    /// The SDK client, for the instance-profile credentials provider.
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    pub async fn instance_id(&self) -> Result<String, Error> {
        self.required("/latest/meta-data/instance-id").await
    }

    pub async fn region(&self) -> Result<String, Error> {
        self.required("/latest/meta-data/placement/region").await
    }

    /// `autoscaling/target-lifecycle-state` (`InService`, `Warmed:Stopped`, …); `None` outside an
    /// Auto Scaling group.
    pub async fn target_lifecycle_state(&self) -> Result<Option<LifecycleState>, Error> {
        Ok(self.optional("/latest/meta-data/autoscaling/target-lifecycle-state").await?.map(|s| LifecycleState::parse(&s)))
    }

    /// The first pending interruption notice, if any.
    pub async fn interruption(&self) -> Result<Option<Interruption>, Error> {
        if let Some(action) = self.optional("/latest/meta-data/spot/instance-action").await? {
            return Ok(Some(Interruption::InstanceAction(action)));
        }
        Ok(self.optional("/latest/meta-data/events/recommendations/rebalance").await?.map(Interruption::Rebalance))
    }

    async fn required(&self, path: &str) -> Result<String, Error> {
        self.optional(path).await?.ok_or_else(|| Error::new(format!("instance metadata {path}"), Kind::NotFound))
    }

    async fn optional(&self, path: &str) -> Result<Option<String>, Error> {
        match self.client.get(path).await {
            Ok(value) => Ok(Some(value.as_ref().trim().to_string())),
            Err(ImdsError::ErrorResponse(e)) if e.response().status().as_u16() == 404 => Ok(None),
            Err(e) => Err(Error::new(format!("instance metadata {path}"), imds_kind(&e))),
        }
    }
}

/// What went wrong with the metadata service, in one line.
fn imds_kind(err: &ImdsError) -> Kind {
    match err {
        ImdsError::FailedToLoadToken(_) => Kind::Setup(
            "the metadata service issued no IMDSv2 session token (is the metadata service enabled, and the hop limit at least 1?)".into(),
        ),
        ImdsError::ErrorResponse(e) => Kind::Rejected {
            code: format!("HTTP {}", e.response().status().as_u16()),
            message: "the metadata service refused the request".into(),
        },
        ImdsError::IoError(_) => Kind::Setup("the metadata service did not answer (is this an EC2 instance?)".into()),
        _ => Kind::Setup("unexpected answer from the metadata service".into()),
    }
}
