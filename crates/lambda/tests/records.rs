//! What the scaler writes to its log: one JSON line per tick and CloudWatch EMF records.

use agent_stack_config::{Overprovision, OverprovisionStrategy};
use agent_stack_lambda::scaler::tick_records;
use agent_stack_scaler::{decide, AsgCapacity, Jobs, Observation, SourceError, TickReport};
use serde_json::json;

fn report() -> TickReport {
    let observation = Observation {
        jobs: Jobs { queued: 2, running: 1 },
        agents: agent_stack_scaler::Agents { idle: 0, occupied: 1 },
        asg: AsgCapacity { desired: 1, min: 0, max: 5, ..Default::default() },
    };
    let decision = decide(&observation, Overprovision { strategy: OverprovisionStrategy::None, factor: 0 });
    TickReport { observation, decision }
}

#[test]
fn a_tick_logs_observation_decision_and_reason() {
    let records = tick_records("my-stack", &Ok(report()), 1_700_000_000_000);
    let line = &records[0];
    assert_eq!((line["level"].clone(), line["message"].clone(), line["stack"].clone()), (json!("INFO"), json!("tick"), json!("my-stack")));
    assert_eq!(line["observation"]["jobs"], json!({ "queued": 2, "running": 1 }));
    assert_eq!(
        line["observation"]["asg"],
        json!({ "desired": 1, "min": 0, "max": 5, "instances": { "pending": 0, "in_service": 0, "other": 0, "warm": 0 } })
    );
    assert_eq!((line["decision"]["desired_before"].clone(), line["decision"]["desired_after"].clone()), (json!(1), json!(3)));
    assert_eq!(line["reason"], "3 jobs need 3 instances");
}

#[test]
fn metrics_are_embedded_metric_format_in_namespace_semaphore() {
    let records = tick_records("my-stack", &Ok(report()), 1_700_000_000_000);
    let emf: Vec<_> = records.iter().filter(|r| r.get("_aws").is_some()).collect();
    assert_eq!(emf.len(), 5);
    for r in &emf {
        assert_eq!(r["_aws"]["Timestamp"], 1_700_000_000_000u64);
        assert_eq!(r["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Semaphore");
        assert_eq!(r["StackName"], "my-stack");
        // Every metric and dimension an EMF directive names must be a member of the record.
        let directive = &r["_aws"]["CloudWatchMetrics"][0];
        for m in directive["Metrics"].as_array().into_iter().flatten() {
            assert!(r.get(m["Name"].as_str().unwrap_or_default()).is_some(), "{r}");
        }
        for d in directive["Dimensions"][0].as_array().into_iter().flatten() {
            assert!(r.get(d.as_str().unwrap_or_default()).is_some(), "{r}");
        }
    }
    let find =
        |metric: &str, dim: &str, state: &str| emf.iter().find(|r| r.get(metric).is_some() && r[dim] == state).map(|r| r[metric].clone());
    assert_eq!(find("JobCount", "JobState", "queued"), Some(json!(2)));
    assert_eq!(find("JobCount", "JobState", "running"), Some(json!(1)));
    assert_eq!(find("AgentCount", "AgentState", "idle"), Some(json!(0)));
    assert_eq!(find("AgentCount", "AgentState", "occupied"), Some(json!(1)));
    let decision = emf.iter().find(|r| r.get("DesiredCapacityAfter").is_some()).cloned().unwrap_or_default();
    assert_eq!((decision["DesiredCapacityBefore"].clone(), decision["DesiredCapacityAfter"].clone()), (json!(1), json!(3)));
}

#[test]
fn a_failed_tick_logs_its_cause_and_no_metrics() {
    let records = tick_records("s", &Err(SourceError::semaphore("GET https://x/api/v1/self_hosted_agents/metrics: HTTP 500")), 0);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["level"], "ERROR");
    assert_eq!(
        records[0]["error"],
        json!({ "system": "semaphore", "message": "GET https://x/api/v1/self_hosted_agents/metrics: HTTP 500" })
    );
}

#[test]
fn a_back_off_is_one_record_when_it_starts_and_none_while_it_lasts() {
    use agent_stack_lambda::scaler::polite_tick_records;
    use agent_stack_scaler::PoliteTick;
    let cause = SourceError::semaphore("GET https://x/api/v1/self_hosted_agents/metrics: HTTP 429").with_retry_after_ms(Some(30_000));
    let records = polite_tick_records("s", &PoliteTick::BackOff { until_ms: 1_030_000, cause }, 1_000_000);
    assert_eq!(records.len(), 1);
    assert_eq!((records[0]["level"].clone(), records[0]["until_ms"].clone()), (json!("WARN"), json!(1_030_000)));
    assert_eq!(records[0]["error"]["retry_after_ms"], 30_000);
    assert!(records[0]["message"].as_str().is_some_and(|m| m.contains("asked to wait")), "{}", records[0]);
    assert_eq!(polite_tick_records("s", &PoliteTick::Skipped { until_ms: 1_030_000 }, 1_002_000), Vec::<serde_json::Value>::new());
    let ran = Ok(report());
    assert_eq!(polite_tick_records("s", &PoliteTick::Ran(ran.clone()), 7), tick_records("s", &ran, 7));
}

#[test]
fn the_scaler_reads_its_policy_from_the_environment() {
    use agent_stack_config::ScalingPolicy;
    use agent_stack_lambda::scaler::Settings;
    use agent_stack_scaler::PolicyState;
    let env = |policy: Option<&'static str>| {
        move |k: &str| -> Option<String> {
            match k {
                "SEMAPHORE_AGENT_SCALING_POLICY" => policy.map(str::to_string),
                "SEMAPHORE_AGENT_OS" => Some("windows".into()),
                "SEMAPHORE_AGENT_DISCONNECT_AFTER_IDLE_TIMEOUT" => Some("600".into()),
                "SEMAPHORE_ENDPOINT" => Some("org.semaphoreci.com".into()),
                "SEMAPHORE_AGENT_OVERPROVISION_STRATEGY" => Some("none".into()),
                "SEMAPHORE_AGENT_OVERPROVISION_FACTOR" => Some("0".into()),
                "SEMAPHORE_AGENT_WARM_POOL_SIZE" => Some("2".into()),
                "SEMAPHORE_AGENT_WARM_POOL_STATE" => Some("Stopped".into()),
                _ => Some("x".into()),
            }
        }
    };
    let s = Settings::from_env(env(Some("predictive"))).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.env.scaling_policy, ScalingPolicy::Predictive);
    // Windows: a cold launch 240 s, a start from the stopped pool 40 s; idle timeout 600 s.
    assert_eq!(s.policy_state(), PolicyState::new(240_000, 600_000).with_pool_start(40_000));
    assert_eq!(Settings::from_env(env(None)).map(|s| s.env.scaling_policy), Ok(ScalingPolicy::AgentAwsStack));
    let err = Settings::from_env(env(Some("fastest"))).err().unwrap_or_default();
    assert!(err.contains("SEMAPHORE_AGENT_SCALING_POLICY \"fastest\" is not allowed"), "{err}");
}

#[test]
fn a_bad_os_or_idle_timeout_fails_the_environment_check() {
    for (name, value) in [("SEMAPHORE_AGENT_OS", "ubuntu-bionic"), ("SEMAPHORE_AGENT_DISCONNECT_AFTER_IDLE_TIMEOUT", "5m")] {
        let err = agent_stack_lambda::check_environment(|k| match k {
            "AGENT_STACK_FUNCTION" => Some("scaler".into()),
            "SEMAPHORE_ENDPOINT" => Some("org.semaphoreci.com".into()),
            k if k == name => Some(value.into()),
            k if k.starts_with("SEMAPHORE_AGENT_") && !k.contains("OVERPROVISION") && !k.contains("POLICY") => Some("x".into()),
            _ => None,
        })
        .err()
        .unwrap_or_default();
        assert!(err.contains(&format!("{name} {value:?} is not allowed; expected")), "{err}");
    }
}
