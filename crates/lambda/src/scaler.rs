//! The scaler function: read the token once, then tick until the invocation's window closes.

use std::cell::Cell;

use agent_stack_aws::{read_token, AsgFleet};
use std::sync::{Mutex, OnceLock};

use agent_stack_config::lambda_env::ScalerEnv;
use agent_stack_scaler::policies::{decide_with, PolicyState};
use agent_stack_scaler::schedule::{parse_event_time, Window};
use agent_stack_scaler::{emf, run_ticks, tick_politely, Backoff, Clock, JobQueue, PoliteTick, Primed, TickReport};
use agent_stack_semaphore::{Http, SemaphoreClient};
use serde::Serialize;
use serde_json::{json, Value};

use crate::log;

/// The scaler's settings: the environment the template sets, and what follows from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub env: ScalerEnv,
}

impl Settings {
    /// Reads and checks every variable ([`ScalerEnv::read`]); all problems are reported together.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        Ok(Settings { env: ScalerEnv::read(get)? })
    }

    /// What the policy starts from in a new container: the OS's launch delay, the warm pool's
    /// start delay and the agents' idle timeout.
    pub fn policy_state(&self) -> PolicyState {
        PolicyState::for_stack(self.env.os, self.env.disconnect_after_idle_timeout, self.env.warm_pool())
    }
}

/// What one invocation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub ticks: usize,
    /// Ticks whose request failed, including one that Semaphore answered with a back-off.
    pub failed_ticks: usize,
    pub scaled: usize,
    /// Ticks inside a back-off Semaphore asked for: no request was made.
    pub skipped_ticks: usize,
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

/// The log records of a tick that honours Semaphore's back-off: those of [`tick_records`] when it
/// ran, one record when a back-off starts, none while it lasts.
pub fn polite_tick_records(stack_name: &str, outcome: &PoliteTick, now_ms: u64) -> Vec<Value> {
    match outcome {
        PoliteTick::Ran(ran) => tick_records(stack_name, ran, now_ms),
        PoliteTick::BackOff { until_ms, cause } => vec![log::record(
            "WARN",
            "Semaphore asked to wait; no requests and capacity unchanged until then",
            &json!({ "stack": stack_name, "until_ms": until_ms, "error": cause }),
        )],
        PoliteTick::Skipped { .. } => Vec::new(),
    }
}

/// Prints one tick's records.
pub fn report(stack_name: &str, outcome: &PoliteTick, now_ms: u64) {
    for record in polite_tick_records(stack_name, outcome, now_ms) {
        log::raw(&record);
    }
}

/// The policy's memory (recent arrival rate), kept for as long as the Lambda container lives.
static POLICY_STATE: Mutex<Option<PolicyState>> = Mutex::new(None);

/// The back-off Semaphore asked for, kept across invocations of the container like [`POLICY_STATE`].
static BACKOFF: Mutex<Option<Backoff>> = Mutex::new(None);

fn saved_backoff() -> Backoff {
    BACKOFF.lock().unwrap_or_else(|p| p.into_inner()).unwrap_or_default()
}

fn save_backoff(backoff: Backoff) {
    *BACKOFF.lock().unwrap_or_else(|p| p.into_inner()) = Some(backoff);
}

/// The Semaphore HTTP client, kept like [`POLICY_STATE`]: a warm invocation neither reloads the
/// trust store nor opens a new TLS connection while the last one is still open.
static SEMAPHORE_HTTP: OnceLock<Http> = OnceLock::new();

async fn semaphore_http() -> Result<Http, String> {
    if let Some(http) = SEMAPHORE_HTTP.get() {
        return Ok(http.clone());
    }
    let http = Http::build_aside().await.map_err(|e| e.to_string())?;
    Ok(SEMAPHORE_HTTP.get_or_init(|| http).clone())
}

/// Decides with the configured policy, updating the container's policy state.
pub fn decide_now(settings: &Settings, observation: &agent_stack_scaler::Observation, now_ms: u64) -> agent_stack_scaler::Decision {
    let mut guard = POLICY_STATE.lock().unwrap_or_else(|p| p.into_inner());
    let state = guard.get_or_insert_with(|| settings.policy_state());
    decide_with(settings.env.scaling_policy, observation, settings.env.overprovision(), state, now_ms)
}

/// Runs one scheduled invocation.
pub async fn invoke<C: Clock>(
    sdk: &aws_config::SdkConfig,
    settings: &Settings,
    event: &Value,
    deadline_ms: u64,
    clock: &C,
) -> Result<Summary, String> {
    let group = AsgFleet::new(sdk, &settings.env.asg_name);
    let scheduled = event["time"].as_str().and_then(parse_event_time);
    let window = Window::for_invocation(clock.now_ms(), scheduled, deadline_ms);
    let backoff = Cell::new(saved_backoff());
    // When the first tick runs right away, the group is described while the token is read and
    // Semaphore asked: the first decision waits for the slower of the two chains, not for both.
    let now = clock.now_ms();
    let first_tick_now = window.allows_start(now) && backoff.get().waiting_until(now).is_none();
    let jobs = async {
        let (token, http) = tokio::join!(read_token(sdk, &settings.env.token_parameter_name), semaphore_http());
        let token = token.map_err(|e| e.to_string())?;
        let client = SemaphoreClient::with_http(&http?, &settings.env.endpoint, token);
        let first = if first_tick_now { Some(JobQueue::metrics(&client).await) } else { None };
        Ok::<_, String>((client, first))
    };
    let group_read = async {
        if first_tick_now {
            Some(group.capacity().await)
        } else {
            None
        }
    };
    let (jobs, first_capacity) = tokio::join!(jobs, group_read);
    let (client, first_metrics) = jobs?;
    let queue = Primed::new(&client, first_metrics);
    let fleet = Primed::new(&group, first_capacity);
    let (failed, scaled, skipped) = (Cell::new(0), Cell::new(0), Cell::new(0));
    let ticks = run_ticks(clock, window, || async {
        let outcome = tick_politely(clock, &backoff, &queue, &fleet, |o| decide_now(settings, o, clock.now_ms())).await;
        save_backoff(backoff.get());
        match &outcome {
            PoliteTick::Ran(Ok(r)) if r.decision.raises() => scaled.set(scaled.get() + 1),
            PoliteTick::Ran(Ok(_)) => {}
            PoliteTick::Ran(Err(_)) | PoliteTick::BackOff { .. } => failed.set(failed.get() + 1),
            PoliteTick::Skipped { .. } => skipped.set(skipped.get() + 1),
        }
        report(&settings.env.stack_name, &outcome, clock.now_ms());
    })
    .await;
    Ok(Summary { ticks, failed_ticks: failed.get(), scaled: scaled.get(), skipped_ticks: skipped.get() })
}
