//! S3: the bucket that holds the Lambda artifact.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use aws_sdk_s3::Client;

use crate::Error;

/// An S3 client; path-style addressing when a custom endpoint (such as a local emulator) is set.
pub fn client(config: &aws_config::SdkConfig) -> Client {
    let custom_endpoint = config.endpoint_url().is_some();
    Client::from_conf(aws_sdk_s3::config::Builder::from(config).force_path_style(custom_endpoint).build())
}

/// Creates the bucket unless it exists already (owned by this account).
pub async fn ensure_bucket(config: &aws_config::SdkConfig, bucket: &str) -> Result<(), Error> {
    let s3 = client(config);
    if s3.head_bucket().bucket(bucket).send().await.is_ok() {
        return Ok(());
    }
    let mut create = s3.create_bucket().bucket(bucket);
    // Outside us-east-1, S3 wants the bucket's region named.
    if let Some(region) = config.region().map(|r| r.as_ref()).filter(|r| *r != "us-east-1") {
        let location = CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(region)).build();
        create = create.create_bucket_configuration(location);
    }
    create.send().await.map(|_| ()).map_err(|e| Error::from_sdk(format!("CreateBucket {bucket}"), &e))
}

/// Whether `s3://bucket/key` exists.
pub async fn object_exists(config: &aws_config::SdkConfig, bucket: &str, key: &str) -> Result<bool, Error> {
    match client(config).head_object().bucket(bucket).key(key).send().await {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
        Err(e) => Err(Error::from_sdk(format!("HeadObject s3://{bucket}/{key}"), &e)),
    }
}

/// Uploads `bytes` to `s3://bucket/key`.
pub async fn put_object(config: &aws_config::SdkConfig, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<(), Error> {
    client(config)
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| Error::from_sdk(format!("PutObject s3://{bucket}/{key}"), &e))
}

/// Whether the bucket exists and this account may use it (HeadBucket).
pub async fn bucket_exists(config: &aws_config::SdkConfig, bucket: &str) -> Result<bool, Error> {
    match client(config).head_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
        Err(e) => Err(Error::from_sdk(format!("HeadBucket {bucket}"), &e)),
    }
}
