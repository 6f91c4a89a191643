//! The scaler's environment as the Lambda reads it: defaults equal the stack parameters', and every
//! bad or missing variable is named with what it allows.

use agent_stack_config::lambda_env::{ScalerEnv, ASG_NAME};
use agent_stack_config::{keys::name::*, load};

/// The variables the scaler cannot do without.
const REQUIRED: &[(&str, &str)] =
    &[(TOKEN_PARAMETER_NAME, "test-token"), (STACK_NAME, "test-stack"), (ENDPOINT, "test.semaphoreci.com"), (ASG_NAME, "the-asg")];

fn read(vars: &[(&str, &str)]) -> Result<ScalerEnv, String> {
    ScalerEnv::read(|k| vars.iter().rev().find(|(name, _)| *name == k).map(|(_, v)| v.to_string()))
}

fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    REQUIRED.iter().chain(extra).copied().collect()
}

#[test]
fn unset_and_empty_optional_variables_take_the_stack_parameters_defaults() {
    let pairs = [(STACK_NAME, "test-stack"), (TOKEN_PARAMETER_NAME, "test-token"), (ENDPOINT, "test.semaphoreci.com")];
    let config = load(None, pairs).unwrap_or_else(|e| panic!("{e}")).1;
    let want = Ok(ScalerEnv::new(&config, "the-asg".to_string()));
    assert_eq!(read(REQUIRED), want);
    let empty =
        [OS, DISCONNECT_AFTER_IDLE_TIMEOUT, OVERPROVISION_STRATEGY, OVERPROVISION_FACTOR, SCALING_POLICY, WARM_POOL_SIZE, WARM_POOL_STATE]
            .map(|k| (k, ""));
    assert_eq!(read(&with(&empty)), want);
}

#[test]
fn each_bad_value_fails_naming_the_variable_and_what_is_allowed() {
    for (name, value, allowed) in [
        (OS, "ubuntu-bionic", "expected one of: ubuntu-focal, ubuntu-jammy, ubuntu-noble, windows, macos"),
        (DISCONNECT_AFTER_IDLE_TIMEOUT, "5m", "expected a whole number from 0 to 4294967295"),
        (DISCONNECT_AFTER_IDLE_TIMEOUT, "-1", "expected a whole number from 0 to 4294967295"),
        (OVERPROVISION_STRATEGY, "some", "expected one of: none, number, percentage"),
        (OVERPROVISION_FACTOR, "1.5", "expected a whole number from 0 to 4294967295"),
        (SCALING_POLICY, "fastest", "expected one of: agent-aws-stack, predictive"),
        (ENDPOINT, "ftp://x", "expected a host[:port]"),
        (WARM_POOL_SIZE, "two", "expected a whole number from 0 to 4294967295"),
        (WARM_POOL_STATE, "Paused", "expected one of: Stopped, Hibernated, Running"),
    ] {
        let err = read(&with(&[(name, value)])).err().unwrap_or_default();
        assert!(err.contains(&format!("{name} {value:?} is not allowed; {allowed}")), "{name}={value}: {err}");
    }
}

#[test]
fn every_missing_and_bad_variable_is_reported_together() {
    let err = read(&[(ENDPOINT, ""), (OS, "dos")]).err().unwrap_or_default();
    for name in [TOKEN_PARAMETER_NAME, STACK_NAME, ENDPOINT, ASG_NAME] {
        assert!(err.contains(&format!("{name} is not set")), "{name}: {err}");
    }
    assert!(err.contains(&format!("{OS} \"dos\" is not allowed")), "{err}");
}

#[test]
fn the_environment_is_written_as_text_under_agent_aws_stack_names() {
    let env = read(&with(&[(OS, "windows"), (DISCONNECT_AFTER_IDLE_TIMEOUT, "600")])).unwrap_or_else(|e| panic!("{e}"));
    let written = serde_json::to_value(&env).unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<&str> = written.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
    let mut want = vec![
        ASG_NAME,
        DISCONNECT_AFTER_IDLE_TIMEOUT,
        OS,
        OVERPROVISION_FACTOR,
        OVERPROVISION_STRATEGY,
        SCALING_POLICY,
        STACK_NAME,
        TOKEN_PARAMETER_NAME,
        ENDPOINT,
    ];
    want.sort_unstable();
    assert_eq!(keys, want);
    assert!(written.as_object().is_some_and(|o| o.values().all(|v| v.is_string())), "{written}");
    assert_eq!(written[DISCONNECT_AFTER_IDLE_TIMEOUT], "600");

    // The pool's variables only for a stack with a pool, as it reads them back.
    let pooled = read(&with(&[(WARM_POOL_SIZE, "2"), (WARM_POOL_STATE, "Running")])).unwrap_or_else(|e| panic!("{e}"));
    let written = serde_json::to_value(&pooled).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((&written[WARM_POOL_SIZE], &written[WARM_POOL_STATE]), (&"2".into(), &"Running".into()));
    assert_eq!(pooled.warm_pool().map(|p| (p.size, p.state.to_string())), Some((2, "Running".to_string())));
    assert_eq!(read(&with(&[(WARM_POOL_SIZE, "0"), (WARM_POOL_STATE, "Running")])).map(|e| e.warm_pool()), Ok(None));
}
