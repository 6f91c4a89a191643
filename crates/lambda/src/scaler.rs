//! The scaler function: read the token once, then tick until the invocation's window closes.

use std::cell::Cell;

use agent_stack_aws::{read_token, AsgFleet};
use agent_stack_config::lambda_env;
use agent_stack_config::{Choice, Endpoint, Overprovision, OverprovisionStrategy};
use agent_stack_scaler::schedule::{parse_event_time, Window};
use agent_stack_scaler::{emf, run_ticks, tick, Clock, TickReport};
use agent_stack_semaphore::SemaphoreClient;
use serde::Serialize;
use serde_json::{json, Value};

use crate::log;

/// The scaler's settings, from the environment the template sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub token_parameter: String,
    pub stack_name: String,
    pub endpoint: Endpoint,
    pub overprovision: Overprovision,
    pub asg_name: String,
}

impl Settings {
    /// Reads and checks every variable; all problems are reported together.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let mut problems = Vec::new();
        let mut required = |key: &str| match get(key).filter(|v| !v.is_empty()) {
            Some(v) => v,
            None => {
                problems.push(format!("{key} is not set"));
                String::new()
            }
        };
        let token_parameter = required(lambda_env::TOKEN_PARAMETER_NAME);
        let stack_name = required(lambda_env::STACK_NAME);
        let endpoint_text = required(lambda_env::ENDPOINT);
        let asg_name = required(lambda_env::ASG_NAME);
        let strategy_text = get(lambda_env::OVERPROVISION_STRATEGY).unwrap_or_else(|| "none".into());
        let factor_text = get(lambda_env::OVERPROVISION_FACTOR).unwrap_or_else(|| "0".into());
        let endpoint = Endpoint::parse(&endpoint_text);
        if endpoint.is_none() && !endpoint_text.is_empty() {
            problems.push(format!("{} {endpoint_text:?} is not allowed; expected {}", lambda_env::ENDPOINT, Endpoint::ALLOWED));
        }
        let strategy = OverprovisionStrategy::parse(&strategy_text);
        if strategy.is_none() {
            problems.push(format!(
                "{} {strategy_text:?} is not allowed; expected one of: {}",
                lambda_env::OVERPROVISION_STRATEGY,
                OverprovisionStrategy::allowed()
            ));
        }
        let factor = factor_text.parse::<u32>();
        if factor.is_err() {
            problems.push(format!("{} {factor_text:?} is not a whole number", lambda_env::OVERPROVISION_FACTOR));
        }
        match (endpoint, strategy, factor) {
            (Some(endpoint), Some(strategy), Ok(factor)) if problems.is_empty() => Ok(Settings {
                token_parameter,
                stack_name,
                endpoint,
                overprovision: Overprovision { strategy, factor },
                asg_name,
            }),
            _ => Err(format!("scaler environment: {}", problems.join("; "))),
        }
    }
}

/// What one invocation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub ticks: usize,
    pub failed_ticks: usize,
    pub scaled: usize,
}

/// The log records of one tick: a JSON line with observation, decision and reason (or the error),
/// then the EMF metric records of a successful tick.
pub fn tick_records(stack_name: &str, outcome: &Result<TickReport, agent_stack_scaler::SourceError>, now_ms: u64) -> Vec<Value> {
    match outcome {
        Ok(r) => {
            let mut records = vec![log::record(
                "INFO",
                "tick",
                &json!({ "stack": stack_name, "observation": r.observation, "decision": r.decision, "reason": r.decision.reason.to_string() }),
            )];
            records.extend(emf::records(stack_name, r, now_ms));
            records
        }
        Err(e) => vec![log::record("ERROR", "tick failed; capacity unchanged", &json!({ "stack": stack_name, "error": e }))],
    }
}

/// Prints one tick's records.
pub fn report(stack_name: &str, outcome: &Result<TickReport, agent_stack_scaler::SourceError>, now_ms: u64) {
    for record in tick_records(stack_name, outcome, now_ms) {
        log::raw(&record);
    }
}

/// Runs one scheduled invocation.
pub async fn invoke<C: Clock>(
    sdk: &aws_config::SdkConfig,
    settings: &Settings,
    event: &Value,
    deadline_ms: u64,
    clock: &C,
) -> Result<Summary, String> {
    let token = read_token(sdk, &settings.token_parameter).await.map_err(|e| e.to_string())?;
    let queue = SemaphoreClient::new(&settings.endpoint, token)?;
    let fleet = AsgFleet::new(sdk, &settings.asg_name);
    let scheduled = event["time"].as_str().and_then(parse_event_time);
    let window = Window::for_invocation(clock.now_ms(), scheduled, deadline_ms);
    let (failed, scaled) = (Cell::new(0), Cell::new(0));
    let ticks = run_ticks(clock, window, || async {
        let outcome = tick(&queue, &fleet, settings.overprovision).await;
        match &outcome {
            Ok(r) if r.decision.raises() => scaled.set(scaled.get() + 1),
            Ok(_) => {}
            Err(_) => failed.set(failed.get() + 1),
        }
        report(&settings.stack_name, &outcome, clock.now_ms());
    })
    .await;
    Ok(Summary { ticks, failed_ticks: failed.get(), scaled: scaled.get() })
}
