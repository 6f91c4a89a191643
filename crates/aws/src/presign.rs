//! A pre-signed STS GetCallerIdentity URL: the agent sends it as its name, and Semaphore calls it
//! to learn which AWS account and role the agent runs as. Signed with the SDK's SigV4 signer.

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings};
use aws_sigv4::sign::v4;

use crate::{Error, Kind};

const OPERATION: &str = "presigning STS GetCallerIdentity";

fn setup(cause: impl std::fmt::Display) -> Error {
    Error::new(OPERATION, Kind::Setup(cause.to_string()))
}

/// How long the URL stays valid (as agent-aws-stack's helper: 15 minutes).
pub const PRESIGNED_URL_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// `https://sts.<region>.amazonaws.com/?Action=GetCallerIdentity&…&X-Amz-Signature=…`, or the same
/// path on `AWS_ENDPOINT_URL` when one is set.
pub async fn caller_identity_url(config: &SdkConfig) -> Result<String, Error> {
    let region = config.region().map(|r| r.to_string()).ok_or_else(|| setup("no AWS region"))?;
    let provider =
        config.credentials_provider().ok_or_else(|| Error::new(OPERATION, Kind::NoCredentials("no AWS credentials provider".into())))?;
    let credentials = provider
        .provide_credentials()
        .await
        .map_err(|e| Error::new(OPERATION, Kind::NoCredentials(format!("AWS credentials could not be loaded ({e})"))))?;
    let base = match config.endpoint_url() {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => format!("https://sts.{region}.amazonaws.com"),
    };
    let unsigned = format!("{base}/?Action=GetCallerIdentity&Version=2011-06-15");

    let identity = credentials.into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(PRESIGNED_URL_LIFETIME);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&region)
        .name("sts")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(setup)?
        .into();
    let request = SignableRequest::new("GET", &unsigned, std::iter::empty(), SignableBody::Bytes(&[])).map_err(setup)?;
    let (instructions, _signature) = sign(request, &params).map_err(setup)?.into_parts();
    let mut http_request = http::Request::builder().method("GET").uri(&unsigned).body(()).map_err(setup)?;
    instructions.apply_to_request_http1x(&mut http_request);
    Ok(http_request.uri().to_string())
}
