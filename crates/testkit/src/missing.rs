//! The AWS calls `agent-stack doctor` makes that moto lacks: Service Quotas for EC2 (moto knows
//! only VPC quotas) and License Manager. A stand-in that answers exactly `GetServiceQuota` and
//! `GetLicenseConfiguration`, in the API reference's JSON 1.1 shapes (`{"Quota": {…}}`, the
//! configuration's fields, and `NoSuchResourceException` / `ResourceNotFoundException` for what
//! it was not given), and records what was asked. Point the SDK at it with
//! `AWS_ENDPOINT_URL_SERVICE_QUOTAS` and `AWS_ENDPOINT_URL_LICENSE_MANAGER`; every other service
//! stays on moto.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};

use crate::serve::{serve, Served};

#[derive(Default)]
struct Known {
    quotas: BTreeMap<String, f64>,
    licenses: Vec<String>,
    asked: Vec<String>,
}

/// A running stand-in; it stops when dropped.
pub struct MissingApis {
    served: Served,
    state: Arc<Mutex<Known>>,
}

impl MissingApis {
    /// Answers EC2 quota `code` with its value for each `(code, value)`, and each license
    /// configuration ARN in `licenses`.
    pub async fn start(quotas: &[(&str, f64)], licenses: &[&str]) -> MissingApis {
        let known = Known {
            quotas: quotas.iter().map(|(c, v)| (c.to_string(), *v)).collect(),
            licenses: licenses.iter().map(|l| l.to_string()).collect(),
            asked: Vec::new(),
        };
        let state = Arc::new(Mutex::new(known));
        let app = Router::new().fallback(handle).with_state(state.clone());
        MissingApis { served: serve(app).await, state }
    }

    /// The environment that sends both services here.
    pub fn env(&self) -> [(&'static str, String); 2] {
        [("AWS_ENDPOINT_URL_SERVICE_QUOTAS", self.served.url()), ("AWS_ENDPOINT_URL_LICENSE_MANAGER", self.served.url())]
    }

    /// What was asked, in order: quota codes and license configuration ARNs.
    pub fn asked(&self) -> Vec<String> {
        self.state.lock().map(|s| s.asked.clone()).unwrap_or_default()
    }
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, [("content-type", "application/x-amz-json-1.1")], body.to_string()).into_response()
}

fn error(kind: &str, message: &str) -> Response {
    reply(StatusCode::BAD_REQUEST, json!({ "__type": kind, "message": message }))
}

async fn handle(State(state): State<Arc<Mutex<Known>>>, headers: HeaderMap, body: Bytes) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let request: Value = serde_json::from_slice(&body).unwrap_or_default();
    let Ok(mut known) = state.lock() else { return error("ServiceException", "stand-in state poisoned") };
    match target.as_str() {
        "ServiceQuotasV20190624.GetServiceQuota" => {
            let (service, code) = (request["ServiceCode"].as_str().unwrap_or_default(), request["QuotaCode"].as_str().unwrap_or_default());
            known.asked.push(code.to_string());
            match known.quotas.get(code) {
                Some(value) if service == "ec2" => reply(
                    StatusCode::OK,
                    json!({ "Quota": {
                        "ServiceCode": "ec2", "ServiceName": "Amazon Elastic Compute Cloud (Amazon EC2)",
                        "QuotaArn": format!("arn:aws:servicequotas:us-east-1:123456789012:ec2/{code}"), "QuotaCode": code,
                        "Value": value, "Unit": "None", "Adjustable": true, "GlobalQuota": false,
                    }}),
                ),
                _ => error(
                    "NoSuchResourceException",
                    &format!("The request failed because the specified service {service} or quota {code} does not exist."),
                ),
            }
        }
        "AWSLicenseManager.GetLicenseConfiguration" => {
            let arn = request["LicenseConfigurationArn"].as_str().unwrap_or_default().to_string();
            known.asked.push(arn.clone());
            if known.licenses.contains(&arn) {
                let id = arn.rsplit(':').next().unwrap_or_default().to_string();
                reply(
                    StatusCode::OK,
                    json!({ "LicenseConfigurationArn": arn, "LicenseConfigurationId": id, "Name": "mac-hosts",
                        "LicenseCountingType": "Core", "Status": "AVAILABLE", "ConsumedLicenses": 0 }),
                )
            } else {
                error("ResourceNotFoundException", &format!("License configuration {arn} not found"))
            }
        }
        other => error(
            "UnknownOperationException",
            &format!("this stand-in answers GetServiceQuota and GetLicenseConfiguration only, not {other:?}"),
        ),
    }
}
