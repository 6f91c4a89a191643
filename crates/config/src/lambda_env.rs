//! The Lambda's environment: variable names the template writes and the Lambda binary reads, and
//! [`ScalerEnv`], the scaler function's variables as one type shared by writer and reader.

use std::fmt::Display;

use serde::{Serialize, Serializer};

use crate::fields::Choice;
use crate::keys;
use crate::{Config, Endpoint, OperatingSystem, Overprovision, OverprovisionStrategy, ScalingPolicy, WarmPool, WarmPoolState};

/// Which job a function of the stack does; the template sets it, the binary dispatches on it.
pub const FUNCTION: &str = "AGENT_STACK_FUNCTION";
/// The scaler's Auto Scaling group (a `Ref` in the template).
pub const ASG_NAME: &str = "SEMAPHORE_AGENT_ASG_NAME";
/// The SSH-keys refresher's parameter, as agent-aws-stack named it.
pub const SSM_PARAMETER: &str = "SSM_PARAMETER";
/// Where the SSH-keys refresher reads GitHub's keys; defaults to [`GITHUB_META_URL`].
pub const GITHUB_META_URL_ENV: &str = "GITHUB_META_URL";
pub const GITHUB_META_URL: &str = "https://api.github.com/meta";

pub use crate::keys::name::{
    DISCONNECT_AFTER_IDLE_TIMEOUT, ENDPOINT, OS, OVERPROVISION_FACTOR, OVERPROVISION_STRATEGY, SCALING_POLICY, STACK_NAME,
    TOKEN_PARAMETER_NAME, WARM_POOL_SIZE, WARM_POOL_STATE,
};

macro_rules! roles {
    ($($variant:ident = $text:literal),+ $(,)?) => {
        /// The role of one function of the stack.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum FunctionRole { $($variant),+ }
        impl Choice for FunctionRole {
            const ALL: &'static [(&'static str, Self)] = &[$(($text, Self::$variant)),+];
        }
    };
}

roles!(Scaler = "scaler", SshKeysUpdater = "ssh-keys-updater", AzRebalanceSuspender = "az-rebalance-suspender");

/// The scaler function's `Environment.Variables`, under agent-aws-stack's names.
///
/// `Asg` is the Auto Scaling group's name: a CloudFormation `Ref` when the template writes it, the
/// resolved name when the Lambda reads it. Every value is written as text, as Lambda passes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScalerEnv<Asg = String> {
    #[serde(rename = "SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME")]
    pub token_parameter_name: String,
    #[serde(rename = "SEMAPHORE_AGENT_STACK_NAME")]
    pub stack_name: String,
    #[serde(rename = "SEMAPHORE_ENDPOINT", serialize_with = "configured")]
    pub endpoint: Endpoint,
    #[serde(rename = "SEMAPHORE_AGENT_OVERPROVISION_STRATEGY")]
    pub overprovision_strategy: OverprovisionStrategy,
    #[serde(rename = "SEMAPHORE_AGENT_OVERPROVISION_FACTOR", serialize_with = "text")]
    pub overprovision_factor: u32,
    #[serde(rename = "SEMAPHORE_AGENT_ASG_NAME")]
    pub asg_name: Asg,
    #[serde(rename = "SEMAPHORE_AGENT_SCALING_POLICY")]
    pub scaling_policy: ScalingPolicy,
    #[serde(rename = "SEMAPHORE_AGENT_OS")]
    pub os: OperatingSystem,
    /// Seconds; 0 = never.
    #[serde(rename = "SEMAPHORE_AGENT_DISCONNECT_AFTER_IDLE_TIMEOUT", serialize_with = "text")]
    pub disconnect_after_idle_timeout: u32,
    /// 0 = no pool. The predictive policy plans a start from the pool with the pool's delay.
    /// Both pool variables are written only for a stack with a pool.
    #[serde(rename = "SEMAPHORE_AGENT_WARM_POOL_SIZE", serialize_with = "text", skip_serializing_if = "is_zero")]
    pub warm_pool_size: u32,
    /// `None` without a pool.
    #[serde(rename = "SEMAPHORE_AGENT_WARM_POOL_STATE", skip_serializing_if = "Option::is_none")]
    pub warm_pool_state: Option<WarmPoolState>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn text<S: Serializer>(value: &impl Display, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

fn configured<S: Serializer>(endpoint: &Endpoint, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&endpoint.configured)
}

impl<Asg> ScalerEnv<Asg> {
    /// The environment the template gives the scaler of `config`.
    pub fn new(config: &Config, asg_name: Asg) -> Self {
        let pool = config.asg.warm_pool.filter(|p| p.size > 0);
        ScalerEnv {
            token_parameter_name: config.token_parameter_name.clone(),
            stack_name: config.stack_name.clone(),
            endpoint: config.endpoint.clone(),
            overprovision_strategy: config.overprovision.strategy,
            overprovision_factor: config.overprovision.factor,
            asg_name,
            scaling_policy: config.scaling_policy,
            os: config.os,
            disconnect_after_idle_timeout: config.agent.disconnect_after_idle_timeout,
            warm_pool_size: pool.map_or(0, |p| p.size),
            warm_pool_state: pool.map(|p| p.state),
        }
    }

    /// The group's warm pool, when it has one.
    pub fn warm_pool(&self) -> Option<WarmPool> {
        let state = self.warm_pool_state.filter(|_| self.warm_pool_size > 0)?;
        Some(WarmPool { size: self.warm_pool_size, state })
    }

    pub fn overprovision(&self) -> Overprovision {
        Overprovision { strategy: self.overprovision_strategy, factor: self.overprovision_factor }
    }
}

impl ScalerEnv {
    /// Reads the variables through `get`. An unset or empty optional variable takes the stack
    /// parameter's default ([`keys::PARAMETERS`]); every missing or bad variable is reported together,
    /// each named with what it allows.
    pub fn read(get: impl Fn(&str) -> Option<String>) -> Result<ScalerEnv, String> {
        let mut r = Reader { get, problems: Vec::new() };
        let (token_parameter_name, stack_name, endpoint) = (r.var(TOKEN_PARAMETER_NAME), r.var(STACK_NAME), r.var(ENDPOINT));
        let (overprovision_strategy, overprovision_factor) = (r.var(OVERPROVISION_STRATEGY), r.var(OVERPROVISION_FACTOR));
        let (asg_name, scaling_policy, os) = (r.var(ASG_NAME), r.var(SCALING_POLICY), r.var(OS));
        let disconnect_after_idle_timeout = r.var(DISCONNECT_AFTER_IDLE_TIMEOUT);
        let (warm_pool_size, warm_pool_state) = (r.var(WARM_POOL_SIZE), r.var(WARM_POOL_STATE));
        let env = (|| {
            Some(ScalerEnv {
                token_parameter_name: token_parameter_name?,
                stack_name: stack_name?,
                endpoint: endpoint?,
                overprovision_strategy: overprovision_strategy?,
                overprovision_factor: overprovision_factor?,
                asg_name: asg_name?,
                scaling_policy: scaling_policy?,
                os: os?,
                disconnect_after_idle_timeout: disconnect_after_idle_timeout?,
                warm_pool_size: warm_pool_size?,
                warm_pool_state: Some(warm_pool_state?).filter(|_| warm_pool_size.is_some_and(|n| n > 0)),
            })
        })();
        match env {
            Some(env) if r.problems.is_empty() => Ok(env),
            _ => Err(format!("scaler environment: {}", r.problems.join("; "))),
        }
    }
}

/// Reads variables, collecting problems.
struct Reader<F> {
    get: F,
    problems: Vec<String>,
}

impl<F: Fn(&str) -> Option<String>> Reader<F> {
    /// One variable: its value, else its default; a problem naming it when it is missing or bad.
    fn var<T: EnvValue>(&mut self, name: &str) -> Option<T> {
        let value = (self.get)(name).filter(|v| !v.is_empty());
        let Some(text) = value.as_deref().or_else(|| keys::find(name).and_then(|p| p.default)) else {
            self.problems.push(format!("{name} is not set"));
            return None;
        };
        let parsed = T::parse_env(text);
        if parsed.is_none() {
            self.problems.push(format!("{name} {text:?} is not allowed; expected {}", T::expected()));
        }
        parsed
    }
}

/// A value as Lambda passes it: text.
trait EnvValue: Sized {
    fn parse_env(text: &str) -> Option<Self>;
    /// What is allowed, for error messages.
    fn expected() -> String;
}

impl EnvValue for String {
    fn parse_env(text: &str) -> Option<Self> {
        Some(text.to_string())
    }
    fn expected() -> String {
        "text".into()
    }
}

impl EnvValue for u32 {
    fn parse_env(text: &str) -> Option<Self> {
        text.parse().ok()
    }
    fn expected() -> String {
        format!("a whole number from 0 to {}", u32::MAX)
    }
}

impl EnvValue for Endpoint {
    fn parse_env(text: &str) -> Option<Self> {
        Endpoint::parse(text)
    }
    fn expected() -> String {
        Endpoint::ALLOWED.into()
    }
}

impl<T: Choice> EnvValue for T {
    fn parse_env(text: &str) -> Option<Self> {
        T::parse(text)
    }
    fn expected() -> String {
        format!("one of: {}", T::allowed())
    }
}
