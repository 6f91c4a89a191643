//! Table-driven and property tests of the configuration rules, through the public API only.
//!
//! Every bad case checks that loading fails, that an error names the right parameter and, where it
//! helps the user, that the message quotes the bad value or says what is allowed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use agent_stack_config::keys::{self, name::*};
use agent_stack_config::{
    load, Arch, AsgMetric, Config, ConfigErrors, ConfigFile, KmsKey, ManagedPolicy, OperatingSystem, OverprovisionStrategy, Placement,
    RawConfig, RootVolume, SpotAllocationStrategy, Tag, VolumeSettings, VolumeType, WarmPool, WarmPoolState, DEFAULT_ROOT_DEVICE,
    MAX_STACK_NAME,
};
use proptest::prelude::*;
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

type Pairs<'a> = &'a [(&'a str, &'a str)];

/// The smallest valid configuration.
const BASE: Pairs<'static> = &[(STACK_NAME, "test-stack"), (TOKEN_PARAMETER_NAME, "test-token"), (ORGANIZATION, "test")];

const LICENSE: &str = "arn:aws:license-manager:us-east-1:123456789012:license-configuration:lic-0123456789abcdef0";

/// What a valid macOS stack needs on top of [`BASE`].
const MAC_BASE: Pairs<'static> = &[(OS, "macos"), (ARCH, "arm64"), (INSTANCE_TYPE, "mac2.metal"), (LICENSE_CONFIGURATION_ARN, LICENSE)];

const NO_ENV: [(&str, &str); 0] = [];

/// `base` with `pairs` on top: a pair replaces the base value of its key, and an empty value
/// removes the key altogether (so a test can drop a required key).
fn merge(base: Pairs<'_>, pairs: Pairs<'_>) -> Vec<(String, String)> {
    let mut map: BTreeMap<&str, &str> = base.iter().copied().collect();
    for (key, value) in pairs {
        if value.is_empty() {
            map.remove(key);
        } else {
            map.insert(key, value);
        }
    }
    map.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Loads [`BASE`] plus `pairs` from the environment only.
fn load_env(pairs: Pairs<'_>) -> Result<Config, ConfigErrors> {
    load(None, merge(BASE, pairs)).map(|(_, config)| config)
}

/// Loads [`BASE`], [`MAC_BASE`] and `pairs` from the environment only.
fn load_mac(pairs: Pairs<'_>) -> Result<Config, ConfigErrors> {
    load_env(&[MAC_BASE, pairs].concat())
}

/// Loads `contents` as config file `config.json` with [`BASE`] plus `env` in the environment.
fn load_file(contents: &str, env: Pairs<'_>) -> Result<Config, ConfigErrors> {
    load(Some(ConfigFile { path: "config.json", contents }), merge(BASE, env)).map(|(_, config)| config)
}

#[track_caller]
fn ok(what: &dyn std::fmt::Debug, result: Result<Config, ConfigErrors>) -> Config {
    match result {
        Ok(config) => config,
        Err(errors) => panic!("expected {what:?} to load, got {errors}"),
    }
}

/// Asserts that loading failed with an error on `key` whose message contains `needle`.
#[track_caller]
fn err(what: &dyn std::fmt::Debug, result: Result<Config, ConfigErrors>, key: &str, needle: &str) -> ConfigErrors {
    let errors = match result {
        Ok(config) => panic!("expected {what:?} to be rejected on {key}, but it loaded: {config:?}"),
        Err(errors) => errors,
    };
    assert!(errors.mentions(key), "expected {what:?} to be rejected on {key}, got {errors}");
    assert!(
        errors.0.iter().any(|e| e.parameter == key && e.message.contains(needle)),
        "expected an error on {key} containing {needle:?} for {what:?}, got {errors}"
    );
    errors
}

#[track_caller]
fn expect_ok(pairs: Pairs<'_>) -> Config {
    ok(&pairs, load_env(pairs))
}

#[track_caller]
fn expect_err(pairs: Pairs<'_>, key: &str, needle: &str) -> ConfigErrors {
    err(&pairs, load_env(pairs), key, needle)
}

#[track_caller]
fn expect_mac_ok(pairs: Pairs<'_>) -> Config {
    ok(&pairs, load_mac(pairs))
}

#[track_caller]
fn expect_mac_err(pairs: Pairs<'_>, key: &str, needle: &str) -> ConfigErrors {
    err(&pairs, load_mac(pairs), key, needle)
}

fn settings(volume_type: VolumeType, size_gib: u32, iops: Option<u32>, throughput_mibps: Option<u32>) -> VolumeSettings {
    VolumeSettings { volume_type, size_gib, iops, throughput_mibps }
}

fn tag(key: &str, value: &str) -> Tag {
    Tag { key: key.to_string(), value: value.to_string() }
}

// ---------------------------------------------------------------------------------------------
// Required keys and the endpoint
// ---------------------------------------------------------------------------------------------

#[test]
fn minimal_config_loads_with_the_documented_defaults() {
    let c = expect_ok(&[]);
    assert_eq!(c.stack_name, "test-stack");
    assert_eq!(c.token_parameter_name, "test-token");
    assert_eq!(c.endpoint.authority, "test.semaphoreci.com");
    assert_eq!(c.instance_type, "t2.micro");
    assert_eq!((c.os, c.arch), (OperatingSystem::UbuntuFocal, Arch::X86_64));
    assert_eq!(c.ami, None);
    assert_eq!((c.asg.min_size, c.asg.max_size, c.asg.desired), (0, 1, None));
    assert_eq!(c.asg.max_instance_lifetime, None);
    assert!(c.asg.metrics.is_empty() && c.asg.launch_template_overrides.is_empty());
    assert_eq!(c.asg.distribution.on_demand_base_capacity, 0);
    assert_eq!(c.asg.distribution.on_demand_percentage_above_base, 100);
    assert_eq!(c.asg.distribution.on_demand_allocation_strategy, None);
    assert_eq!(c.asg.distribution.spot_allocation_strategy, None);
    assert!(c.agent.disconnect_after_job);
    assert_eq!(c.agent.disconnect_after_idle_timeout, 300);
    assert!(!c.agent.use_pre_signed_url);
    assert!(c.agent.env_vars.is_empty());
    assert!(c.dynamic_scaling);
    assert_eq!(c.placement, Placement::DefaultVpc { zones: vec![] });
    assert_eq!(c.root_volume, Some(RootVolume { device_name: DEFAULT_ROOT_DEVICE.to_string(), settings: None }));
    assert!(c.tags.is_empty());
    assert_eq!(c.mac, None);
    assert_eq!((c.overprovision.strategy, c.overprovision.factor), (OverprovisionStrategy::None, 0));
    assert_eq!(c.token_kms_key, None);
    assert!(c.creates_security_group());
    assert_eq!(c.agent_config_parameter_name(), "test-stack-config");
    assert_eq!(c.ssh_keys_parameter_name(), "test-stack-ssh-public-keys");
}

#[test]
fn each_required_key_is_reported_when_missing() {
    for key in [STACK_NAME, TOKEN_PARAMETER_NAME] {
        expect_err(&[(key, "")], key, "is required");
    }
}

#[test]
fn missing_endpoint_and_organization_is_one_error_naming_both() {
    let errors = expect_err(&[(ORGANIZATION, "")], ENDPOINT, ORGANIZATION);
    assert_eq!(errors.0.len(), 1, "{errors}");
}

#[test]
fn nothing_at_all_reports_every_required_key() {
    let errors = load(None, NO_ENV).map(|_| ()).unwrap_err();
    for key in [STACK_NAME, TOKEN_PARAMETER_NAME, ENDPOINT] {
        assert!(errors.mentions(key), "{key} not in {errors}");
    }
}

#[test]
fn organization_becomes_a_semaphoreci_host() {
    let c = expect_ok(&[(ORGANIZATION, "my-org")]);
    assert_eq!(c.endpoint.configured, "my-org.semaphoreci.com");
    assert_eq!(c.endpoint.authority, "my-org.semaphoreci.com");
    assert!(!c.endpoint.insecure_http);
    assert_eq!(c.endpoint.base_url(), "https://my-org.semaphoreci.com");
}

#[test]
fn endpoint_wins_over_organization() {
    let c = expect_ok(&[(ENDPOINT, "ci.example.com"), (ORGANIZATION, "test")]);
    assert_eq!(c.endpoint.authority, "ci.example.com");
    let c = expect_ok(&[(ENDPOINT, "ci.example.com"), (ORGANIZATION, "")]);
    assert_eq!(c.endpoint.authority, "ci.example.com");
}

#[test]
fn endpoint_accepts_host_host_port_https_and_loopback_http() {
    // (configured, authority, insecure_http, base_url)
    let cases = [
        ("ci.example.com", "ci.example.com", false, "https://ci.example.com"),
        ("ci.example.com:8443", "ci.example.com:8443", false, "https://ci.example.com:8443"),
        ("https://ci.example.com", "ci.example.com", false, "https://ci.example.com"),
        ("https://ci.example.com/", "ci.example.com", false, "https://ci.example.com"),
        ("https://ci.example.com:8443", "ci.example.com:8443", false, "https://ci.example.com:8443"),
        ("http://127.0.0.1:3000", "127.0.0.1:3000", true, "http://127.0.0.1:3000"),
        ("http://127.0.0.1", "127.0.0.1", true, "http://127.0.0.1"),
        ("http://localhost:8080", "localhost:8080", true, "http://localhost:8080"),
        ("localhost", "localhost", false, "https://localhost"),
    ];
    for (configured, authority, insecure, base_url) in cases {
        let c = expect_ok(&[(ENDPOINT, configured)]);
        assert_eq!(c.endpoint.configured, configured, "the agents get the endpoint unchanged");
        assert_eq!(c.endpoint.authority, authority, "{configured}");
        assert_eq!(c.endpoint.insecure_http, insecure, "{configured}");
        assert_eq!(c.endpoint.base_url(), base_url, "{configured}");
    }
}

#[test]
fn endpoint_rejects_plain_http_to_remote_hosts_and_other_schemes() {
    for bad in [
        "http://example.com",
        "http://10.0.0.1:3000",
        "ftp://example.com",
        "ws://example.com",
        "https://",
        "https://example.com/path",
        "example.com/path",
        "example.com:0",
        "example.com:99999",
        "example.com:port",
        "exa mple.com",
        "-example.com",
        "example..com",
    ] {
        expect_err(&[(ENDPOINT, bad)], ENDPOINT, &format!("{bad:?}"));
    }
}

#[test]
fn organization_must_be_a_single_dns_label() {
    expect_ok(&[(ORGANIZATION, "Org-2")]);
    for bad in ["my.org", "my org", "-org", "org-", "org:443", "org/x"] {
        expect_err(&[(ORGANIZATION, bad)], ORGANIZATION, &format!("{bad:?}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Stack name and token parameter name
// ---------------------------------------------------------------------------------------------

#[test]
fn stack_name_starts_with_a_letter_and_has_letters_digits_and_hyphens() {
    let longest = "a".repeat(MAX_STACK_NAME);
    // CloudFormation allows a trailing hyphen.
    for good in ["a", "test-stack", "Stack1", "s-1-2-x", "stack-", longest.as_str()] {
        assert_eq!(expect_ok(&[(STACK_NAME, good)]).stack_name, good);
    }
    for bad in ["1stack", "-stack", "my_stack", "stack name", "stäck", "stack.name"] {
        expect_err(&[(STACK_NAME, bad)], STACK_NAME, &format!("{bad:?}"));
    }
}

#[test]
fn stack_name_longer_than_max_is_rejected_with_the_reason() {
    assert_eq!(MAX_STACK_NAME, 98);
    let too_long = "a".repeat(MAX_STACK_NAME + 1);
    let errors = expect_err(&[(STACK_NAME, &too_long)], STACK_NAME, "99 characters");
    let message = &errors.0.iter().find(|e| e.parameter == STACK_NAME).map(|e| e.message.clone()).unwrap_or_default();
    assert!(message.contains("at most 98"), "{message}");
    assert!(message.contains("IAM policy names"), "the message explains why: {message}");
    // Also for names that are far too long for CloudFormation itself.
    expect_err(&[(STACK_NAME, &"a".repeat(129))], STACK_NAME, "at most 98");
}

#[test]
fn token_parameter_name_follows_ssm_syntax() {
    for good in ["test-token", "/ci/semaphore/token", "token_1.v2", "/token", "a-b_c.d"] {
        assert_eq!(expect_ok(&[(TOKEN_PARAMETER_NAME, good)]).token_parameter_name, good);
    }
    for bad in [
        "ci/token",   // hierarchical names must start with "/"
        "aws-token",  // reserved prefix
        "AWS-token",  // reserved prefix, any case
        "/aws/token", // reserved prefix after the slash
        "ssm-token",  // reserved prefix
        "/SSM/token", // reserved prefix after the slash, any case
        "has space",  // bad character
        "tok@en",     // bad character
        "/ci//token", // empty level
        "/ci/token/", // trailing slash
    ] {
        expect_err(&[(TOKEN_PARAMETER_NAME, bad)], TOKEN_PARAMETER_NAME, "SSM parameter name");
    }
}

// ---------------------------------------------------------------------------------------------
// Booleans
// ---------------------------------------------------------------------------------------------

type BoolGetter = fn(&Config) -> bool;

fn mac_hosts(c: &Config) -> &agent_stack_config::MacHosts {
    c.mac.as_ref().expect("a macos config has mac host settings")
}

/// Every boolean key, whether it needs OS=macos, and where its value lands in [`Config`].
fn boolean_keys() -> [(&'static str, bool, BoolGetter); 9] {
    [
        (ASG_CAPACITY_REBALANCE, false, |c| c.asg.capacity_rebalance),
        (ASG_NEW_INSTANCES_PROTECTED_FROM_SCALE_IN, false, |c| c.asg.new_instances_protected_from_scale_in),
        (DISCONNECT_AFTER_JOB, false, |c| c.agent.disconnect_after_job),
        (USE_DYNAMIC_SCALING, false, |c| c.dynamic_scaling),
        (USE_PRE_SIGNED_URL, false, |c| c.agent.use_pre_signed_url),
        (USE_IPV6, false, |c| c.use_ipv6),
        (ALLOW_PUBLIC_SUBNET, false, |c| c.allow_public_subnet),
        (AUTO_ALLOCATE_HOST, true, |c| mac_hosts(c).auto_allocate),
        (AUTO_RELEASE_HOST, true, |c| mac_hosts(c).auto_release),
    ]
}

#[test]
fn every_boolean_accepts_exactly_true_and_false() {
    for (key, macos, get) in boolean_keys() {
        for (text, want) in [("true", true), ("false", false)] {
            let pairs = [(key, text)];
            let c = if macos { expect_mac_ok(&pairs) } else { expect_ok(&pairs) };
            assert_eq!(get(&c), want, "{key}={text}");
        }
    }
}

#[test]
fn every_boolean_rejects_anything_else() {
    for (key, macos, _) in boolean_keys() {
        for bad in ["yes", "no", "TRUE", "True", "FALSE", "1", "0", "on", " true", "false "] {
            let pairs = [(key, bad)];
            if macos {
                expect_mac_err(&pairs, key, &format!("{bad:?}"));
            } else {
                expect_err(&pairs, key, &format!("{bad:?}"));
            }
        }
    }
}

#[test]
fn every_boolean_default_matches_the_parameter_table() {
    let linux = expect_ok(&[]);
    let mac = expect_mac_ok(&[]);
    for (key, macos, get) in boolean_keys() {
        let default = keys::find(key).and_then(|p| p.default);
        let want = match default {
            Some("true") => true,
            Some("false") => false,
            other => panic!("{key} has default {other:?}, not a boolean"),
        };
        assert_eq!(get(if macos { &mac } else { &linux }), want, "{key}");
    }
}

// ---------------------------------------------------------------------------------------------
// Integers
// ---------------------------------------------------------------------------------------------

#[test]
fn integers_must_be_whole_numbers_in_range() {
    let cases: &[(&str, &str)] = &[
        (ASG_MIN_SIZE, "-1"),
        (ASG_MIN_SIZE, "abc"),
        (ASG_MIN_SIZE, "1.5"),
        (ASG_MAX_SIZE, "ten"),
        (ASG_MAX_SIZE, "4294967296"),
        (ASG_MAX_SIZE, "1e3"),
        (ASG_DESIRED, "x"),
        (ASG_DESIRED, "-1"),
        (ASG_MAX_INSTANCE_LIFETIME, "-5"),
        (ASG_MAX_INSTANCE_LIFETIME, "31536001"),
        (ASG_MAX_INSTANCE_LIFETIME, "1d"),
        (DISCONNECT_AFTER_IDLE_TIMEOUT, "-1"),
        (DISCONNECT_AFTER_IDLE_TIMEOUT, "5m"),
        (DISCONNECT_AFTER_IDLE_TIMEOUT, "4294967296"),
        (INTERRUPTION_GRACE_PERIOD, "86401"),
        (INTERRUPTION_GRACE_PERIOD, "-1"),
        (INTERRUPTION_GRACE_PERIOD, "1h"),
        (ON_DEMAND_BASE_CAPACITY, "-1"),
        (ON_DEMAND_BASE_CAPACITY, "some"),
        (ON_DEMAND_PERCENTAGE_ABOVE_BASE, "101"),
        (ON_DEMAND_PERCENTAGE_ABOVE_BASE, "-1"),
        (ON_DEMAND_PERCENTAGE_ABOVE_BASE, "50%"),
        (OVERPROVISION_FACTOR, "-1"),
        (OVERPROVISION_FACTOR, "two"),
    ];
    for &(key, bad) in cases {
        expect_err(&[(key, bad)], key, &format!("{bad:?}"));
    }
}

#[test]
fn asg_min_must_not_exceed_max() {
    expect_err(&[(ASG_MIN_SIZE, "5"), (ASG_MAX_SIZE, "2")], ASG_MIN_SIZE, ASG_MAX_SIZE);
    expect_err(&[(ASG_MIN_SIZE, "2")], ASG_MIN_SIZE, "greater than");
    let c = expect_ok(&[(ASG_MIN_SIZE, "3"), (ASG_MAX_SIZE, "3")]);
    assert_eq!((c.asg.min_size, c.asg.max_size), (3, 3));
}

#[test]
fn asg_desired_must_lie_within_min_and_max() {
    for bad in ["0", "4", "100"] {
        expect_err(&[(ASG_MIN_SIZE, "1"), (ASG_MAX_SIZE, "3"), (ASG_DESIRED, bad)], ASG_DESIRED, bad);
    }
    for good in [1, 2, 3] {
        let text = good.to_string();
        let c = expect_ok(&[(ASG_MIN_SIZE, "1"), (ASG_MAX_SIZE, "3"), (ASG_DESIRED, &text)]);
        assert_eq!(c.asg.desired, Some(good));
    }
}

#[test]
fn max_instance_lifetime_is_zero_or_one_day_to_one_year() {
    for (text, want) in [("0", None), ("86400", Some(86_400)), ("604800", Some(604_800)), ("31536000", Some(31_536_000))] {
        assert_eq!(expect_ok(&[(ASG_MAX_INSTANCE_LIFETIME, text)]).asg.max_instance_lifetime, want, "{text}");
    }
    for bad in ["1", "3600", "86399"] {
        expect_err(&[(ASG_MAX_INSTANCE_LIFETIME, bad)], ASG_MAX_INSTANCE_LIFETIME, "86400");
    }
    expect_err(&[(ASG_MAX_INSTANCE_LIFETIME, "31536001")], ASG_MAX_INSTANCE_LIFETIME, "31536000");
}

#[test]
fn interruption_grace_period_is_zero_to_a_day_and_defaults_to_a_day() {
    assert_eq!(expect_ok(&[]).agent.interruption_grace_period, 86_400);
    for (text, want) in [("0", 0), ("90", 90), ("86400", 86_400)] {
        assert_eq!(expect_ok(&[(INTERRUPTION_GRACE_PERIOD, text)]).agent.interruption_grace_period, want);
    }
    expect_err(&[(INTERRUPTION_GRACE_PERIOD, "86401")], INTERRUPTION_GRACE_PERIOD, "86400");
}

#[test]
fn idle_timeout_is_any_non_negative_number_of_seconds() {
    for (text, want) in [("0", 0), ("1", 1), ("3600", 3600), ("4294967295", u32::MAX)] {
        assert_eq!(expect_ok(&[(DISCONNECT_AFTER_IDLE_TIMEOUT, text)]).agent.disconnect_after_idle_timeout, want);
    }
}

#[test]
fn on_demand_percentage_is_zero_to_one_hundred() {
    for want in [0, 1, 50, 100] {
        let text = want.to_string();
        let c = expect_ok(&[(ON_DEMAND_PERCENTAGE_ABOVE_BASE, &text)]);
        assert_eq!(c.asg.distribution.on_demand_percentage_above_base, want);
    }
    expect_err(&[(ON_DEMAND_PERCENTAGE_ABOVE_BASE, "101")], ON_DEMAND_PERCENTAGE_ABOVE_BASE, "from 0 to 100");
}

// ---------------------------------------------------------------------------------------------
// Root volume
// ---------------------------------------------------------------------------------------------

#[test]
fn every_volume_type_is_accepted_with_settings_valid_for_it() {
    let cases: &[(&str, Pairs<'_>, VolumeSettings)] = &[
        ("gp2", &[], settings(VolumeType::Gp2, 64, None, None)),
        ("gp3", &[], settings(VolumeType::Gp3, 64, None, None)),
        ("io1", &[(VOLUME_IOPS, "3000")], settings(VolumeType::Io1, 64, Some(3000), None)),
        ("io2", &[(VOLUME_IOPS, "3000")], settings(VolumeType::Io2, 64, Some(3000), None)),
        ("st1", &[(VOLUME_SIZE, "125")], settings(VolumeType::St1, 125, None, None)),
        ("sc1", &[(VOLUME_SIZE, "500")], settings(VolumeType::Sc1, 500, None, None)),
        ("standard", &[], settings(VolumeType::Standard, 64, None, None)),
    ];
    for (volume_type, extra, want) in cases {
        let pairs = [&[(VOLUME_TYPE, *volume_type)][..], extra].concat();
        let c = expect_ok(&pairs);
        let volume = c.root_volume.unwrap_or_else(|| panic!("{volume_type}: no root volume"));
        assert_eq!(volume.device_name, DEFAULT_ROOT_DEVICE);
        assert_eq!(volume.settings.as_ref(), Some(want), "{volume_type}");
    }
}

#[test]
fn unknown_volume_type_is_rejected_with_the_allowed_list() {
    for bad in ["gp4", "GP3", "ssd", "io3"] {
        let errors = expect_err(&[(VOLUME_TYPE, bad)], VOLUME_TYPE, &format!("{bad:?}"));
        assert!(errors.0.iter().any(|e| e.message.contains("gp2, gp3, io1, io2, st1, sc1, standard")), "{errors}");
    }
}

#[test]
fn volume_size_must_fit_the_volume_type() {
    let bad: &[Pairs<'_>] = &[
        &[(VOLUME_SIZE, "0")],
        &[(VOLUME_SIZE, "16385")],
        &[(VOLUME_SIZE, "big")],
        &[(VOLUME_TYPE, "gp3"), (VOLUME_SIZE, "65537")],
        &[(VOLUME_TYPE, "io1"), (VOLUME_SIZE, "3"), (VOLUME_IOPS, "100")],
        &[(VOLUME_TYPE, "io2"), (VOLUME_SIZE, "65537"), (VOLUME_IOPS, "100")],
        &[(VOLUME_TYPE, "st1")], // default size 64 is below st1's minimum of 125
        &[(VOLUME_TYPE, "sc1"), (VOLUME_SIZE, "124")],
        &[(VOLUME_TYPE, "standard"), (VOLUME_SIZE, "1025")],
    ];
    for pairs in bad {
        expect_err(pairs, VOLUME_SIZE, "whole number");
    }
    let good: &[Pairs<'_>] = &[
        &[(VOLUME_SIZE, "1")],
        &[(VOLUME_SIZE, "16384")],
        &[(VOLUME_TYPE, "gp3"), (VOLUME_SIZE, "65536")],
        &[(VOLUME_TYPE, "io2"), (VOLUME_SIZE, "65536"), (VOLUME_IOPS, "100")],
        &[(VOLUME_TYPE, "standard"), (VOLUME_SIZE, "1024")],
    ];
    for pairs in good {
        expect_ok(pairs);
    }
}

#[test]
fn gp3_throughput_is_125_to_2000_and_at_most_a_quarter_of_iops() {
    let good: &[(Pairs<'_>, u32)] = &[
        (&[(VOLUME_THROUGHPUT, "125")], 125),
        (&[(VOLUME_THROUGHPUT, "750")], 750), // 3000 baseline IOPS allow 750 MiB/s
        (&[(VOLUME_THROUGHPUT, "1000"), (VOLUME_IOPS, "4000")], 1000),
        (&[(VOLUME_THROUGHPUT, "2000"), (VOLUME_IOPS, "8000")], 2000),
    ];
    for (pairs, want) in good {
        let pairs = [&[(VOLUME_TYPE, "gp3")][..], pairs].concat();
        let c = expect_ok(&pairs);
        let s = c.root_volume.and_then(|v| v.settings).unwrap_or_else(|| panic!("{pairs:?}: no settings"));
        assert_eq!(s.throughput_mibps, Some(*want), "{pairs:?}");
    }
    for bad in ["124", "2001", "0", "fast"] {
        expect_err(&[(VOLUME_TYPE, "gp3"), (VOLUME_THROUGHPUT, bad), (VOLUME_IOPS, "16000")], VOLUME_THROUGHPUT, bad);
    }
    // Ratio: 0.25 MiB/s per IOPS, with and without explicit IOPS.
    expect_err(&[(VOLUME_TYPE, "gp3"), (VOLUME_THROUGHPUT, "751")], VOLUME_THROUGHPUT, "3004");
    expect_err(&[(VOLUME_TYPE, "gp3"), (VOLUME_THROUGHPUT, "1000"), (VOLUME_IOPS, "3999")], VOLUME_THROUGHPUT, "4000");
}

#[test]
fn throughput_applies_to_gp3_only() {
    for volume_type in [None, Some("gp2"), Some("io1"), Some("io2"), Some("st1"), Some("standard")] {
        let mut pairs = vec![(VOLUME_THROUGHPUT, "250"), (VOLUME_SIZE, "200"), (VOLUME_IOPS, "3000")];
        if let Some(t) = volume_type {
            pairs.push((VOLUME_TYPE, t));
        }
        expect_err(&pairs, VOLUME_THROUGHPUT, "gp3 only");
    }
}

#[test]
fn iops_apply_to_gp3_io1_and_io2_only() {
    for volume_type in [None, Some("gp2"), Some("st1"), Some("sc1"), Some("standard")] {
        let mut pairs = vec![(VOLUME_IOPS, "3000"), (VOLUME_SIZE, "500")];
        if let Some(t) = volume_type {
            pairs.push((VOLUME_TYPE, t));
        }
        expect_err(&pairs, VOLUME_IOPS, "gp3, io1 and io2");
    }
}

#[test]
fn io1_and_io2_require_iops() {
    for volume_type in ["io1", "io2"] {
        expect_err(&[(VOLUME_TYPE, volume_type)], VOLUME_IOPS, "is required");
    }
}

#[test]
fn iops_must_fit_the_type_range_and_size_ratio() {
    let bad: &[(Pairs<'_>, &str)] = &[
        (&[(VOLUME_TYPE, "gp3"), (VOLUME_IOPS, "2999")], "3000 to 80000"),
        (&[(VOLUME_TYPE, "gp3"), (VOLUME_IOPS, "80001"), (VOLUME_SIZE, "1000")], "3000 to 80000"),
        (&[(VOLUME_TYPE, "gp3"), (VOLUME_IOPS, "3001"), (VOLUME_SIZE, "6")], "500 per GiB"),
        (&[(VOLUME_TYPE, "io1"), (VOLUME_IOPS, "99")], "100 to 64000"),
        (&[(VOLUME_TYPE, "io1"), (VOLUME_IOPS, "501"), (VOLUME_SIZE, "10")], "50 per GiB"),
        (&[(VOLUME_TYPE, "io2"), (VOLUME_IOPS, "256001"), (VOLUME_SIZE, "1000")], "100 to 256000"),
        (&[(VOLUME_TYPE, "io2"), (VOLUME_IOPS, "10001"), (VOLUME_SIZE, "10")], "1000 per GiB"),
    ];
    for (pairs, needle) in bad {
        expect_err(pairs, VOLUME_IOPS, needle);
    }
    let good: &[(Pairs<'_>, u32)] = &[
        (&[(VOLUME_TYPE, "gp3"), (VOLUME_IOPS, "3000"), (VOLUME_SIZE, "1")], 3000), // baseline at any size
        (&[(VOLUME_TYPE, "gp3"), (VOLUME_IOPS, "3000"), (VOLUME_SIZE, "6")], 3000),
        (&[(VOLUME_TYPE, "gp3"), (VOLUME_IOPS, "80000"), (VOLUME_SIZE, "160")], 80_000),
        (&[(VOLUME_TYPE, "io1"), (VOLUME_IOPS, "500"), (VOLUME_SIZE, "10")], 500),
        (&[(VOLUME_TYPE, "io2"), (VOLUME_IOPS, "10000"), (VOLUME_SIZE, "10")], 10_000),
    ];
    for (pairs, want) in good {
        let c = expect_ok(pairs);
        assert_eq!(c.root_volume.and_then(|v| v.settings).and_then(|s| s.iops), Some(*want), "{pairs:?}");
    }
}

#[test]
fn volume_name_given_means_the_root_volume_has_settings() {
    let c = expect_ok(&[(VOLUME_NAME, "/dev/xvda")]);
    assert_eq!(
        c.root_volume,
        Some(RootVolume { device_name: "/dev/xvda".into(), settings: Some(settings(VolumeType::Gp2, 64, None, None)) })
    );
    let c = expect_ok(&[(VOLUME_NAME, "/dev/sda1"), (VOLUME_TYPE, "gp3"), (VOLUME_SIZE, "128")]);
    assert_eq!(c.root_volume.and_then(|v| v.settings), Some(settings(VolumeType::Gp3, 128, None, None)));
}

#[test]
fn no_volume_settings_means_the_default_device_without_settings() {
    let c = expect_ok(&[]);
    assert_eq!(c.root_volume, Some(RootVolume { device_name: DEFAULT_ROOT_DEVICE.into(), settings: None }));
    assert_eq!(DEFAULT_ROOT_DEVICE, "/dev/sda1");
}

#[test]
fn volume_settings_without_a_name_use_the_default_device() {
    let c = expect_ok(&[(VOLUME_SIZE, "100")]);
    assert_eq!(
        c.root_volume,
        Some(RootVolume { device_name: DEFAULT_ROOT_DEVICE.into(), settings: Some(settings(VolumeType::Gp2, 100, None, None)) })
    );
}

#[test]
fn volume_name_must_be_a_device_name() {
    for bad in ["sda1", "dev/sda1", "C:"] {
        expect_err(&[(VOLUME_NAME, bad)], VOLUME_NAME, &format!("{bad:?}"));
    }
    assert_eq!(expect_ok(&[(VOLUME_NAME, "xvda")]).root_volume.map(|v| v.device_name), Some("xvda".into()));
}

#[test]
fn custom_ami_with_volume_settings_needs_a_volume_name() {
    for setting in [(VOLUME_SIZE, "100"), (VOLUME_TYPE, "gp3")] {
        expect_err(&[(AMI, "ami-0123456789abcdef0"), setting], VOLUME_NAME, AMI);
    }
    let c = expect_ok(&[(AMI, "ami-0123456789abcdef0"), (VOLUME_NAME, "/dev/xvda"), (VOLUME_SIZE, "100")]);
    assert_eq!(c.ami.as_deref(), Some("ami-0123456789abcdef0"));
    assert_eq!(
        c.root_volume,
        Some(RootVolume { device_name: "/dev/xvda".into(), settings: Some(settings(VolumeType::Gp2, 100, None, None)) })
    );
}

#[test]
fn custom_ami_alone_leaves_the_root_volume_to_the_ami_with_a_note() {
    let c = expect_ok(&[(AMI, "ami-01234567")]);
    assert_eq!(c.root_volume, None);
    assert!(c.notes.iter().any(|n| n.contains(AMI) && n.contains(VOLUME_NAME)), "{:?}", c.notes);
}

// ---------------------------------------------------------------------------------------------
// OS and architecture
// ---------------------------------------------------------------------------------------------

#[test]
fn every_os_and_arch_spelling_is_accepted() {
    for (text, os) in [
        ("ubuntu-focal", OperatingSystem::UbuntuFocal),
        ("ubuntu-jammy", OperatingSystem::UbuntuJammy),
        ("ubuntu-noble", OperatingSystem::UbuntuNoble),
        ("windows", OperatingSystem::Windows),
    ] {
        assert_eq!(expect_ok(&[(OS, text)]).os, os);
    }
    assert_eq!(expect_mac_ok(&[]).os, OperatingSystem::MacOs);
    for (text, arch) in [("x86_64", Arch::X86_64), ("arm64", Arch::Arm64)] {
        assert_eq!(expect_ok(&[(ARCH, text)]).arch, arch);
    }
}

#[test]
fn unknown_os_or_arch_is_rejected_with_the_allowed_values() {
    for bad in ["ubuntu", "Windows", "linux", "ubuntu-bionic", "mac"] {
        expect_err(&[(OS, bad)], OS, "ubuntu-focal, ubuntu-jammy, ubuntu-noble, windows, macos");
    }
    for bad in ["amd64", "aarch64", "X86_64", "arm"] {
        expect_err(&[(ARCH, bad)], ARCH, "x86_64, arm64");
    }
}

#[test]
fn windows_on_arm64_is_rejected() {
    expect_err(&[(OS, "windows"), (ARCH, "arm64")], ARCH, "windows");
    assert_eq!(expect_ok(&[(OS, "windows"), (ARCH, "x86_64")]).os, OperatingSystem::Windows);
    assert_eq!(expect_ok(&[(OS, "ubuntu-noble"), (ARCH, "arm64")]).arch, Arch::Arm64);
}

#[test]
fn macos_stack_gets_host_settings() {
    let c = expect_mac_ok(&[(MAC_DEDICATED_HOSTS, "h-0123456789abcdef0, h-0fedcba9876543210")]);
    let mac = mac_hosts(&c);
    assert_eq!(mac.license_configuration_arn, LICENSE);
    assert_eq!(mac.families, vec!["mac2".to_string()]);
    assert_eq!(mac.dedicated_hosts, vec!["h-0123456789abcdef0".to_string(), "h-0fedcba9876543210".to_string()]);
    assert!(mac.auto_allocate && mac.auto_release);
}

#[test]
fn macos_requires_a_license_manager_configuration_arn() {
    expect_mac_err(&[(LICENSE_CONFIGURATION_ARN, "")], LICENSE_CONFIGURATION_ARN, "is required");
    for bad in ["lic-0123456789abcdef0", "arn:aws:iam::123456789012:policy/x", "arn:aws:license-manager"] {
        expect_mac_err(&[(LICENSE_CONFIGURATION_ARN, bad)], LICENSE_CONFIGURATION_ARN, "License Manager");
    }
}

#[test]
fn mac_family_must_match_the_architecture() {
    // mac1 is Intel; every other family is Apple silicon.
    expect_mac_err(&[(MAC_FAMILY, "mac1"), (INSTANCE_TYPE, "mac1.metal")], MAC_FAMILY, "x86_64");
    expect_mac_err(&[(ARCH, "x86_64")], MAC_FAMILY, "arm64");
    expect_mac_err(&[(ARCH, "")], MAC_FAMILY, "arm64"); // default arch x86_64 does not fit mac2
    expect_mac_err(&[(MAC_FAMILY, "mac1,mac2")], MAC_FAMILY, "\"mac1\"");
    let c = expect_mac_ok(&[(ARCH, "x86_64"), (MAC_FAMILY, "mac1"), (INSTANCE_TYPE, "mac1.metal")]);
    assert_eq!(c.arch, Arch::X86_64);
    let c = expect_mac_ok(&[(MAC_FAMILY, "mac2-m2pro"), (INSTANCE_TYPE, "mac2-m2pro.metal")]);
    assert_eq!(mac_hosts(&c).families, vec!["mac2-m2pro".to_string()]);
}

#[test]
fn mac_family_items_must_be_mac_families_and_not_empty() {
    expect_mac_err(&[(MAC_FAMILY, "m5")], MAC_FAMILY, "\"m5\"");
    expect_mac_err(&[(MAC_FAMILY, ",")], MAC_FAMILY, "is empty");
    expect_mac_err(&[(MAC_DEDICATED_HOSTS, "host-1")], MAC_DEDICATED_HOSTS, "\"host-1\"");
}

#[test]
fn macos_instance_type_must_be_a_metal_type_of_a_listed_family() {
    expect_mac_err(&[(INSTANCE_TYPE, "mac2.large")], INSTANCE_TYPE, "mac2.metal");
    expect_mac_err(&[(INSTANCE_TYPE, "")], INSTANCE_TYPE, "\"t2.micro\"");
    expect_mac_err(&[(MAC_FAMILY, "mac2,mac2-m2"), (INSTANCE_TYPE, "mac2-m2pro.metal")], INSTANCE_TYPE, "mac2-m2.metal");
    let c = expect_mac_ok(&[(MAC_FAMILY, "mac2,mac2-m2"), (INSTANCE_TYPE, "mac2-m2.metal")]);
    assert_eq!(c.instance_type, "mac2-m2.metal");
}

#[test]
fn macos_rejects_launch_template_overrides() {
    expect_mac_err(
        &[(ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON, r#"{"InstanceType":"mac2.metal"}"#)],
        ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON,
        MAC_FAMILY,
    );
}

#[test]
fn macos_rejects_spot_capacity() {
    for bad in ["0", "50", "99"] {
        expect_mac_err(&[(ON_DEMAND_PERCENTAGE_ABOVE_BASE, bad)], ON_DEMAND_PERCENTAGE_ABOVE_BASE, "must be 100 on macos");
    }
    expect_mac_ok(&[(ON_DEMAND_PERCENTAGE_ABOVE_BASE, "100")]);
}

#[test]
fn mac_only_keys_are_rejected_when_os_is_not_macos() {
    let cases = [
        (LICENSE_CONFIGURATION_ARN, LICENSE),
        (MAC_FAMILY, "mac2-m2"),
        (MAC_DEDICATED_HOSTS, "h-0123456789abcdef0"),
        (AUTO_ALLOCATE_HOST, "false"),
        (AUTO_RELEASE_HOST, "false"),
    ];
    for os in ["ubuntu-focal", "ubuntu-jammy", "ubuntu-noble", "windows"] {
        for (key, value) in cases {
            expect_err(&[(OS, os), (key, value)], key, "only applies when SEMAPHORE_AGENT_OS is macos");
        }
    }
}

#[test]
fn mac_only_keys_at_their_defaults_are_accepted_anywhere() {
    // A config copied from agent-aws-stack's full defaults table carries these.
    expect_ok(&[(MAC_FAMILY, "mac2"), (AUTO_ALLOCATE_HOST, "true"), (AUTO_RELEASE_HOST, "true")]);
}

// ---------------------------------------------------------------------------------------------
// Overprovisioning
// ---------------------------------------------------------------------------------------------

#[test]
fn overprovision_strategy_and_factor_are_taken_together() {
    for (strategy, factor, want_strategy) in [
        ("number", "2", OverprovisionStrategy::Number),
        ("percentage", "20", OverprovisionStrategy::Percentage),
        ("none", "0", OverprovisionStrategy::None),
    ] {
        let c = expect_ok(&[(OVERPROVISION_STRATEGY, strategy), (OVERPROVISION_FACTOR, factor)]);
        assert_eq!(c.overprovision.strategy, want_strategy);
        assert_eq!(c.overprovision.factor.to_string(), factor);
    }
}

#[test]
fn overprovision_none_with_a_factor_is_rejected() {
    expect_err(&[(OVERPROVISION_FACTOR, "1")], OVERPROVISION_FACTOR, "none");
    expect_err(&[(OVERPROVISION_STRATEGY, "none"), (OVERPROVISION_FACTOR, "5")], OVERPROVISION_FACTOR, "5");
}

#[test]
fn overprovision_number_or_percentage_needs_a_factor_of_at_least_one() {
    for strategy in ["number", "percentage"] {
        expect_err(&[(OVERPROVISION_STRATEGY, strategy), (OVERPROVISION_FACTOR, "0")], OVERPROVISION_FACTOR, "at least 1");
        // The default factor is 0.
        expect_err(&[(OVERPROVISION_STRATEGY, strategy)], OVERPROVISION_FACTOR, strategy);
    }
}

#[test]
fn unknown_overprovision_strategy_is_rejected_with_the_allowed_list() {
    for bad in ["fixed", "Number", "percent", "NONE"] {
        let errors = expect_err(&[(OVERPROVISION_STRATEGY, bad)], OVERPROVISION_STRATEGY, "none, number, percentage");
        assert!(errors.0.iter().any(|e| e.message.contains(&format!("{bad:?}"))), "{errors}");
    }
}

#[test]
fn overprovisioning_a_static_fleet_is_noted() {
    let c = expect_ok(&[(USE_DYNAMIC_SCALING, "false"), (OVERPROVISION_STRATEGY, "number"), (OVERPROVISION_FACTOR, "1")]);
    assert!(c.notes.iter().any(|n| n.contains(OVERPROVISION_STRATEGY)), "{:?}", c.notes);
}

// ---------------------------------------------------------------------------------------------
// Tags
// ---------------------------------------------------------------------------------------------

#[test]
fn tags_split_at_the_first_colon() {
    let c = expect_ok(&[(TAGS, "Url:https://x.example.com:8080/a,Team:ci")]);
    assert_eq!(c.tags, vec![tag("Team", "ci"), tag("Url", "https://x.example.com:8080/a")]);
}

#[test]
fn tags_are_trimmed_and_sorted_by_key() {
    let c = expect_ok(&[(TAGS, " Team : ci , Env:prod,,b:2, C : 3 ,a:1 ")]);
    assert_eq!(c.tags, vec![tag("C", "3"), tag("Env", "prod"), tag("Team", "ci"), tag("a", "1"), tag("b", "2")]);
}

#[test]
fn tags_may_have_empty_values() {
    assert_eq!(expect_ok(&[(TAGS, "Team:")]).tags, vec![tag("Team", "")]);
}

#[test]
fn tags_without_a_colon_are_rejected() {
    expect_err(&[(TAGS, "Team")], TAGS, "\"Team\"");
    expect_err(&[(TAGS, "Team:ci,Env=prod")], TAGS, "\"Env=prod\"");
}

#[test]
fn tags_with_an_empty_key_are_rejected() {
    for bad in [":value", " : value"] {
        expect_err(&[(TAGS, bad)], TAGS, "the key must be 1 to 128 characters");
    }
}

#[test]
fn tags_with_the_aws_prefix_are_rejected() {
    for bad in ["aws:cloudformation:stack-name:x", "AWS:team:x", "Aws:x", "aws : x"] {
        expect_err(&[(TAGS, bad)], TAGS, "reserved by AWS");
    }
    // "aws" elsewhere in a key or in a value is fine.
    assert_eq!(expect_ok(&[(TAGS, "awsome:yes")]).tags, vec![tag("awsome", "yes")]);
    assert_eq!(expect_ok(&[(TAGS, "Source:aws")]).tags, vec![tag("Source", "aws")]);
}

#[test]
fn duplicate_and_stack_reserved_tag_keys_are_rejected() {
    expect_err(&[(TAGS, "Team:a,Team:b")], TAGS, "\"Team\"");
    expect_err(&[(TAGS, "Team:a, Team :a")], TAGS, "\"Team\"");
    expect_err(&[(TAGS, "application:x")], TAGS, "reserved by the stack");
    // Name is the documented example in agent-aws-stack; it overrides the instances' default Name tag.
    assert_eq!(expect_ok(&[(TAGS, "Name:agents")]).tags, vec![tag("Name", "agents")]);
}

#[test]
fn tag_characters_follow_aws_rules() {
    expect_err(&[(TAGS, "Team#1:x")], TAGS, "letters, digits, spaces");
    expect_err(&[(TAGS, "Team:a;b")], TAGS, "letters, digits, spaces");
    expect_err(&[(TAGS, "cost center:R&D")], TAGS, "letters, digits, spaces");
    assert_eq!(expect_ok(&[(TAGS, "cost center:r+d/1@x=y.z_é")]).tags, vec![tag("cost center", "r+d/1@x=y.z_é")]);
}

#[test]
fn tag_lengths_count_characters_not_bytes() {
    let key = "k".repeat(128);
    expect_ok(&[(TAGS, &format!("{key}:v"))]);
    expect_err(&[(TAGS, &format!("{key}k:v"))], TAGS, "1 to 128 characters");
    let value = "v".repeat(256);
    expect_ok(&[(TAGS, &format!("k:{value}"))]);
    expect_err(&[(TAGS, &format!("k:{value}v"))], TAGS, "at most 256 characters");
    // AWS counts Unicode characters: 128 "é" (256 bytes) is a valid key, 256 "é" a valid value.
    let key = "é".repeat(128);
    let value = "é".repeat(256);
    assert_eq!(expect_ok(&[(TAGS, &format!("{key}:{value}"))]).tags, vec![tag(&key, &value)]);
    expect_err(&[(TAGS, &format!("{key}é:v"))], TAGS, "1 to 128 characters");
    expect_err(&[(TAGS, &format!("k:{value}é"))], TAGS, "at most 256 characters");
}

#[test]
fn every_bad_tag_is_its_own_error() {
    let errors = expect_err(&[(TAGS, "a,:b,aws:c,application:d,ok:1")], TAGS, "\"a\"");
    assert_eq!(errors.0.iter().filter(|e| e.parameter == TAGS).count(), 4, "{errors}");
}

// ---------------------------------------------------------------------------------------------
// Placement: availability zones, VPC and subnets
// ---------------------------------------------------------------------------------------------

#[test]
fn availability_zones_are_a_comma_list_of_zone_names() {
    let c = expect_ok(&[(AZS, "us-east-1a, us-east-1b,,us-east-1-bos-1a")]);
    assert_eq!(c.placement, Placement::DefaultVpc { zones: vec!["us-east-1a".into(), "us-east-1b".into(), "us-east-1-bos-1a".into()] });
    for bad in ["us-east-1", "US-EAST-1A", "useast1a", "us-east-1a;us-east-1b"] {
        expect_err(&[(AZS, bad)], AZS, &format!("{bad:?}"));
    }
    expect_err(&[(AZS, "us-east-1a,us-east-1a")], AZS, "more than once");
}

#[test]
fn vpc_with_subnets_is_a_vpc_placement() {
    let c = expect_ok(&[(VPC_ID, "vpc-0abc1234def567890"), (SUBNETS, "subnet-0aaa1111, subnet-0bbb2222")]);
    assert_eq!(
        c.placement,
        Placement::Vpc { vpc_id: "vpc-0abc1234def567890".into(), subnets: vec!["subnet-0aaa1111".into(), "subnet-0bbb2222".into()] }
    );
}

#[test]
fn vpc_and_subnet_ids_must_be_well_formed() {
    for bad in ["vpc-xyz", "vpc-0abc", "0abc1234", "VPC-0ABC1234"] {
        expect_err(&[(VPC_ID, bad), (SUBNETS, "subnet-0aaa1111")], VPC_ID, &format!("{bad:?}"));
    }
    for bad in ["subnet-xyz", "sn-0aaa1111", "subnet-0aaa111"] {
        expect_err(&[(VPC_ID, "vpc-0abc1234"), (SUBNETS, bad)], SUBNETS, &format!("{bad:?}"));
    }
    expect_err(&[(VPC_ID, "vpc-0abc1234"), (SUBNETS, "subnet-0aaa1111,subnet-0aaa1111")], SUBNETS, "more than once");
}

#[test]
fn vpc_needs_subnets() {
    expect_err(&[(VPC_ID, "vpc-0abc1234def567890")], SUBNETS, VPC_ID);
}

#[test]
fn vpc_with_a_subnet_list_of_only_separators_is_rejected() {
    expect_err(&[(VPC_ID, "vpc-0abc1234def567890"), (SUBNETS, " , ")], SUBNETS, VPC_ID);
}

#[test]
fn subnets_without_a_vpc_are_rejected() {
    expect_err(&[(SUBNETS, "subnet-0aaa1111")], SUBNETS, VPC_ID);
}

#[test]
fn availability_zones_with_a_vpc_are_rejected() {
    expect_err(&[(VPC_ID, "vpc-0abc1234"), (SUBNETS, "subnet-0aaa1111"), (AZS, "us-east-1a")], AZS, VPC_ID);
}

// ---------------------------------------------------------------------------------------------
// Launch template overrides
// ---------------------------------------------------------------------------------------------

#[test]
fn overrides_in_camel_case_as_agent_aws_stack_wrote_them_become_pascal_case() {
    let c = expect_ok(&[(
        ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON,
        r#"{"instanceRequirements": {"vCpuCount": {"min": 2, "max": 4}, "memoryMiB": {"min": 4096}}}"#,
    )]);
    assert_eq!(
        c.asg.launch_template_overrides,
        vec![json!({"InstanceRequirements": {"VCpuCount": {"Min": 2, "Max": 4}, "MemoryMiB": {"Min": 4096}}})]
    );
}

#[test]
fn overrides_in_pascal_case_are_kept() {
    let c = expect_ok(&[(
        ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON,
        r#"{"InstanceRequirements": {"VCpuCount": {"Min": 2, "Max": 4}, "MemoryMiB": {"Min": 4096}}}"#,
    )]);
    assert_eq!(
        c.asg.launch_template_overrides,
        vec![json!({"InstanceRequirements": {"VCpuCount": {"Min": 2, "Max": 4}, "MemoryMiB": {"Min": 4096}}})]
    );
    let c = expect_ok(&[(
        ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON,
        r#"[{"InstanceType": "c5.large", "weightedCapacity": 2}, {"instanceType": "c6i.large"}]"#,
    )]);
    assert_eq!(
        c.asg.launch_template_overrides,
        vec![json!({"InstanceType": "c5.large", "WeightedCapacity": "2"}), json!({"InstanceType": "c6i.large"})]
    );
}

#[test]
fn overrides_with_unknown_keys_or_bad_json_are_rejected() {
    let cases = [
        (r#"{"instanceTypes": ["c5.large"]}"#, "\"instanceTypes\""),
        (r#"{"instanceRequirements": {"vcpus": {"min": 2}}}"#, "\"vcpus\""),
        (r#"{"InstanceRequirements": {"VCpuCount": {"Min": "two"}}}"#, "whole number"),
        ("{not json", "not valid JSON"),
        ("[]", "empty list"),
        ("{}", "is empty"),
        (r#""c5.large""#, "must be an object"),
    ];
    for (text, needle) in cases {
        expect_err(&[(ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON, text)], ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON, needle);
    }
}

// ---------------------------------------------------------------------------------------------
// Other identifiers and lists
// ---------------------------------------------------------------------------------------------

#[test]
fn other_identifiers_and_lists_accept_valid_values() {
    let c = expect_ok(&[
        (SECURITY_GROUP_ID, "sg-0123456789abcdef0"),
        (KEY_NAME, "my key"),
        (CACHE_BUCKET_NAME, "my.cache-bucket"),
        (MANAGED_POLICY_NAMES, "policy-a, arn:aws:iam::aws:policy/ReadOnlyAccess"),
        (ASG_METRICS, "GroupDesiredCapacity,GroupTotalInstances"),
        (SPOT_ALLOCATION_STRATEGY, "price-capacity-optimized"),
        (ON_DEMAND_ALLOCATION_STRATEGY, "prioritized"),
        (INSTANCE_TYPE, "c6g.xlarge"),
    ]);
    assert_eq!(c.security_group_id.as_deref(), Some("sg-0123456789abcdef0"));
    assert!(!c.creates_security_group());
    assert_eq!(c.key_name.as_deref(), Some("my key"));
    assert_eq!(c.cache_bucket.as_deref(), Some("my.cache-bucket"));
    assert_eq!(
        c.agent.env_vars,
        vec![
            "SEMAPHORE_CACHE_BACKEND=s3".to_string(),
            "SEMAPHORE_CACHE_S3_BUCKET=my.cache-bucket".to_string(),
            "SEMAPHORE_CACHE_USE_EC2_INSTANCE_PROFILE=true".to_string(),
        ]
    );
    assert_eq!(
        c.managed_policies,
        vec![ManagedPolicy::Name("policy-a".into()), ManagedPolicy::Arn("arn:aws:iam::aws:policy/ReadOnlyAccess".into())]
    );
    assert_eq!(c.asg.metrics, vec![AsgMetric::GroupDesiredCapacity, AsgMetric::GroupTotalInstances]);
    assert_eq!(c.asg.distribution.spot_allocation_strategy, Some(SpotAllocationStrategy::PriceCapacityOptimized));
    assert_eq!(c.instance_type, "c6g.xlarge");

    for (text, want) in [
        ("1234abcd-12ab-34cd-56ef-1234567890ab", KmsKey::Id("1234abcd-12ab-34cd-56ef-1234567890ab".into())),
        ("mrk-1234abcd12ab34cd56ef1234567890ab", KmsKey::Id("mrk-1234abcd12ab34cd56ef1234567890ab".into())),
        ("alias/my-key", KmsKey::Alias("alias/my-key".into())),
        (
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            KmsKey::Arn("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab".into()),
        ),
        ("arn:aws:kms:us-east-1:123456789012:alias/my-key", KmsKey::Alias("alias/my-key".into())),
    ] {
        assert_eq!(expect_ok(&[(TOKEN_KMS_KEY, text)]).token_kms_key, Some(want), "{text}");
    }
}

/// Semaphore's guide puts the token's parameter name into SEMAPHORE_AGENT_TOKEN_KMS_KEY, and
/// agent-aws-stack deploys it: accepted with a note that says what it means. Any other value that
/// is no key keeps its error (see below: "my-key").
#[test]
fn the_token_parameter_name_as_kms_key_is_accepted_with_a_note() {
    let c = expect_ok(&[(TOKEN_KMS_KEY, "test-token")]);
    assert_eq!(c.token_kms_key, Some(KmsKey::Id("test-token".into())));
    let note = c.notes.iter().find(|n| n.contains(TOKEN_KMS_KEY)).unwrap_or_else(|| panic!("no note: {:?}", c.notes));
    assert!(note.contains("not a KMS key") && note.contains("aws/ssm") && note.contains("alias/name"), "{note}");
    let c = expect_ok(&[(TOKEN_PARAMETER_NAME, "/ci/semaphore/token"), (TOKEN_KMS_KEY, "/ci/semaphore/token")]);
    assert_eq!(c.token_kms_key, Some(KmsKey::Id("/ci/semaphore/token".into())));
    expect_err(&[(TOKEN_KMS_KEY, "other-token")], TOKEN_KMS_KEY, "alias");
}

#[test]
fn other_identifiers_and_lists_reject_invalid_values() {
    let cases: &[(&str, &str)] = &[
        (SECURITY_GROUP_ID, "sg-xyz"),
        (KEY_NAME, "tab\tkey"),
        (CACHE_BUCKET_NAME, "My_Bucket"),
        (CACHE_BUCKET_NAME, "ab"),
        (TOKEN_KMS_KEY, "my-key"),
        (TOKEN_KMS_KEY, "alias/"),
        (TOKEN_KMS_KEY, "arn:aws:kms:us-east-1:123456789012:thing/x"),
        (MANAGED_POLICY_NAMES, "bad policy"),
        (ASG_METRICS, "GroupFoo"),
        (SPOT_ALLOCATION_STRATEGY, "cheapest"),
        (ON_DEMAND_ALLOCATION_STRATEGY, "capacity-optimized"),
        (SSH_INGRESS_CIDRS, "10.0.0.1/8"),
        (INSTANCE_TYPE, "c5"),
        (INSTANCE_TYPE, "C5.large"),
        (AMI, "ami-xyz"),
    ];
    for &(key, bad) in cases {
        expect_err(&[(key, bad)], key, &format!("{bad:?}"));
    }
    expect_err(&[(MANAGED_POLICY_NAMES, "a, a")], MANAGED_POLICY_NAMES, "more than once");
    expect_err(&[(ASG_METRICS, "GroupMinSize, GroupMinSize")], ASG_METRICS, "more than once");
}

#[test]
fn ssh_ingress_rules() {
    let c = expect_ok(&[(KEY_NAME, "k"), (SSH_INGRESS_CIDRS, "203.0.113.0/24, 2001:db8::/32")]);
    assert_eq!(c.ssh_ingress_cidrs, vec!["203.0.113.0/24".to_string(), "2001:db8::/32".to_string()]);
    expect_err(&[(OS, "windows"), (SSH_INGRESS_CIDRS, "203.0.113.0/24")], SSH_INGRESS_CIDRS, "windows");
    expect_err(&[(SECURITY_GROUP_ID, "sg-01234567"), (SSH_INGRESS_CIDRS, "203.0.113.0/24")], SSH_INGRESS_CIDRS, SECURITY_GROUP_ID);
    let c = expect_ok(&[(KEY_NAME, "k")]);
    assert!(c.notes.iter().any(|n| n.contains(SSH_INGRESS_CIDRS)), "{:?}", c.notes);
}

// ---------------------------------------------------------------------------------------------
// File, environment and unknown keys
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_key_in_the_file_is_named_with_a_suggestion() {
    let result = load_file(r#"{"SEMAPHORE_AGENT_INSTANCE_TPYE": "c5.large"}"#, &[]);
    err(&"typo", result, "SEMAPHORE_AGENT_INSTANCE_TPYE", "did you mean SEMAPHORE_AGENT_INSTANCE_TYPE?");
    let result = load_file(r#"{"SEMAPHORE_AGENT_ASG_MAXSIZE": "3"}"#, &[]);
    err(&"typo", result, "SEMAPHORE_AGENT_ASG_MAXSIZE", "did you mean SEMAPHORE_AGENT_ASG_MAX_SIZE?");
    let result = load_file(r#"{"SOMETHING_ELSE_ENTIRELY_DIFFERENT": "x"}"#, &[]);
    err(&"far off", result, "SOMETHING_ELSE_ENTIRELY_DIFFERENT", "config.json");
}

#[test]
fn file_problems_name_the_file() {
    for text in ["{", "[]", "\"x\"", "null"] {
        err(&text, load_file(text, &[]), "config.json", "JSON");
    }
    err(&"list value", load_file(r#"{"SEMAPHORE_AGENT_TAGS": ["a:b"]}"#, &[]), TAGS, "must be a string");
}

#[test]
fn file_values_may_be_json_numbers_and_booleans() {
    let c = ok(&"numbers", load_file(r#"{"SEMAPHORE_AGENT_ASG_MAX_SIZE": 5, "SEMAPHORE_AGENT_USE_IPV6": true}"#, &[]));
    assert_eq!(c.asg.max_size, 5);
    assert!(c.use_ipv6);
}

#[test]
fn environment_overrides_the_file() {
    let file = r#"{"SEMAPHORE_AGENT_INSTANCE_TYPE": "c5.large", "SEMAPHORE_AGENT_ASG_MAX_SIZE": "4"}"#;
    let c = ok(&"override", load_file(file, &[(INSTANCE_TYPE, "m5.large")]));
    assert_eq!(c.instance_type, "m5.large");
    assert_eq!(c.asg.max_size, 4);
    // A bad file value is fixed by a good environment value.
    let c = ok(&"fix", load_file(r#"{"SEMAPHORE_AGENT_OS": "linux"}"#, &[(OS, "windows")]));
    assert_eq!(c.os, OperatingSystem::Windows);
}

#[test]
fn empty_environment_value_does_not_override_the_file() {
    let file = ConfigFile { path: "config.json", contents: r#"{"SEMAPHORE_AGENT_INSTANCE_TYPE": "c5.large"}"# };
    let env = [BASE, &[(INSTANCE_TYPE, "")][..]].concat();
    let (raw, c) = load(Some(file), env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.instance_type, "c5.large");
    assert_eq!(raw.explicit(INSTANCE_TYPE), Some("c5.large"));
}

#[test]
fn empty_file_value_means_unset() {
    let c = ok(&"empty", load_file(r#"{"SEMAPHORE_AGENT_INSTANCE_TYPE": "", "SEMAPHORE_AGENT_VPC_ID": ""}"#, &[]));
    assert_eq!(c.instance_type, "t2.micro");
    assert_eq!(c.placement, Placement::DefaultVpc { zones: vec![] });
}

#[test]
fn unrelated_environment_variables_are_ignored() {
    let env = [BASE, &[("SEMAPHORE_GIT_BRANCH", "main"), ("SEMAPHORE_JOB_ID", "x"), ("PATH", "/bin")][..]].concat();
    let (raw, _) = load(None, env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(raw.explicit("SEMAPHORE_GIT_BRANCH"), None);
}

#[test]
fn all_errors_are_collected() {
    let pairs = [
        (STACK_NAME, "1bad"),
        (ASG_MAX_SIZE, "ten"),
        (USE_IPV6, "yes"),
        (VOLUME_TYPE, "gp4"),
        (TAGS, "nocolon"),
        (OS, "linux"),
        (OVERPROVISION_STRATEGY, "fixed"),
    ];
    let errors = load_file(r#"{"SEMAPHORE_AGENT_INSTANCE_TPYE": "c5.large"}"#, &pairs).map(|_| ()).unwrap_err();
    assert!(errors.0.len() > pairs.len(), "{errors}");
    for (key, value) in pairs {
        assert!(
            errors.0.iter().any(|e| e.parameter == key && e.message.contains(value)),
            "no error on {key} quoting {value:?} in {errors}"
        );
    }
    assert!(errors.mentions("SEMAPHORE_AGENT_INSTANCE_TPYE"), "{errors}");
    let shown = errors.to_string();
    assert!(shown.starts_with(&format!("invalid configuration ({} problems):", errors.0.len())), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// Reference configs of agent-aws-stack
// ---------------------------------------------------------------------------------------------

fn reference_dir() -> PathBuf {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/agent-aws-stack");
    if beside.is_dir() {
        return beside;
    }
    match std::env::var_os("AGENT_STACK_REFERENCE_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_dir() => dir,
        other => panic!(
            "reference configs not found: {} does not exist and AGENT_STACK_REFERENCE_DIR is {:?}; \
             point AGENT_STACK_REFERENCE_DIR at the agent-aws-stack reference directory",
            beside.display(),
            other
        ),
    }
}

fn load_reference(name: &str) -> Config {
    let path = reference_dir().join(format!("{name}.config.json"));
    let contents = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let shown = path.display().to_string();
    match load(Some(ConfigFile { path: &shown, contents: &contents }), NO_ENV) {
        Ok((_, config)) => config,
        Err(errors) => panic!("reference config {shown} does not load: {errors}"),
    }
}

#[test]
fn the_five_reference_configs_load() {
    for name in ["linux-full", "linux-min", "macos", "static", "windows"] {
        let c = load_reference(name);
        assert_eq!(c.stack_name, "test-stack", "{name}");
        assert_eq!(c.endpoint.authority, "test.semaphoreci.com", "{name}");
    }
}

#[test]
fn reference_configs_mean_what_agent_aws_stack_made_of_them() {
    let full = load_reference("linux-full");
    assert_eq!(full.tags, vec![tag("Env", "prod"), tag("Team", "ci")]);
    assert_eq!(
        full.asg.launch_template_overrides,
        vec![json!({"InstanceRequirements": {"VCpuCount": {"Min": 2, "Max": 4}, "MemoryMiB": {"Min": 4096}}})]
    );
    assert_eq!(full.root_volume.and_then(|v| v.settings), Some(settings(VolumeType::Gp3, 128, Some(4000), Some(250))));
    assert_eq!((full.asg.min_size, full.asg.max_size, full.asg.max_instance_lifetime), (1, 10, Some(86_400)));
    assert_eq!((full.overprovision.strategy, full.overprovision.factor), (OverprovisionStrategy::Percentage, 20));
    assert!(matches!(full.placement, Placement::Vpc { ref subnets, .. } if subnets.len() == 2));

    let mac = load_reference("macos");
    assert_eq!(mac_hosts(&mac).families, vec!["mac2".to_string(), "mac2-m2".to_string()]);
    assert_eq!(mac.placement, Placement::DefaultVpc { zones: vec!["us-east-1a".into(), "us-east-1b".into()] });

    assert!(!load_reference("static").dynamic_scaling);
    assert_eq!(load_reference("windows").os, OperatingSystem::Windows);
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn known_key() -> impl Strategy<Value = &'static str> {
    prop::sample::select(keys::PARAMETERS.iter().map(|p| p.name).collect::<Vec<_>>())
}

/// Arbitrary text, mixed with values that get past the first checks so deeper rules run too.
fn any_value() -> impl Strategy<Value = String> {
    let plausible = [
        "true",
        "false",
        "0",
        "1",
        "100",
        "86400",
        "macos",
        "windows",
        "ubuntu-noble",
        "arm64",
        "x86_64",
        "gp3",
        "io1",
        "io2",
        "st1",
        "number",
        "percentage",
        "none",
        "mac1",
        "mac2,mac2-m2",
        "mac2.metal",
        "mac1.metal",
        "vpc-0abc1234",
        "subnet-0aaa1111",
        "us-east-1a",
        "Team:ci,Env:prod",
        "aws:x:y",
        "Name:x",
        r#"{"instanceType":"c5.large"}"#,
        r#"[{"InstanceRequirements":{"VCpuCount":{"Min":1}}}]"#,
        "[]",
        "ami-0123456789abcdef0",
        "/dev/sda1",
        LICENSE,
        "https://example.com",
        "http://127.0.0.1:3000",
        "h-0123456789abcdef0",
        "alias/aws/ssm",
        "arn:aws:kms:us-east-1:1:alias/x",
        "203.0.113.0/24",
        "é",
        ",",
    ];
    prop_oneof![
        3 => any::<String>(),
        2 => "[ -~]{0,16}",
        1 => any::<u64>().prop_map(|n| n.to_string()),
        4 => prop::sample::select(plausible.to_vec()).prop_map(str::to_string),
    ]
}

const PROP_FILE: &str = "props.json";

fn assert_errors_name_known_keys(errors: &ConfigErrors) -> Result<(), TestCaseError> {
    prop_assert!(!errors.0.is_empty());
    for e in &errors.0 {
        prop_assert!(
            keys::find(&e.parameter).is_some() || e.parameter == PROP_FILE,
            "error names {:?}, which is neither a key nor the file: {}",
            e.parameter,
            e
        );
        prop_assert!(!e.message.is_empty());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_values_of_known_keys_never_panic_and_errors_name_known_keys(
        env in prop::collection::btree_map(known_key(), any_value(), 0..20),
        file in prop::collection::btree_map(known_key(), any_value(), 0..20),
    ) {
        let raw = RawConfig::from_sources(None, &env);
        if let Err(errors) = Config::try_from(&raw) {
            assert_errors_name_known_keys(&errors)?;
        }
        let json = serde_json::Value::Object(
            file.iter().map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone()))).collect(),
        )
        .to_string();
        let raw = RawConfig::from_sources(Some(ConfigFile { path: PROP_FILE, contents: &json }), &env);
        if let Err(errors) = Config::try_from(&raw) {
            assert_errors_name_known_keys(&errors)?;
        }
    }

    #[test]
    fn valid_integer_settings_load_unchanged(
        (min, max, desired) in prop_oneof![0u32..=100, any::<u32>()].prop_flat_map(|max| {
            (0..=max).prop_flat_map(move |min| (Just(min), Just(max), prop::option::of(min..=max)))
        }),
        lifetime in prop_oneof![Just(0u32), 86_400u32..=31_536_000],
        idle in any::<u32>(),
        base in any::<u32>(),
        percentage in 0u32..=100,
        (strategy, factor) in prop_oneof![
            Just(("none", 0u32)),
            (1u32..=u32::MAX).prop_map(|n| ("number", n)),
            (1u32..=u32::MAX).prop_map(|n| ("percentage", n)),
        ],
    ) {
        let texts = [min, max, lifetime, idle, base, percentage, factor].map(|n| n.to_string());
        let desired_text = desired.map(|d| d.to_string()).unwrap_or_default();
        let pairs = [
            (ASG_MIN_SIZE, texts[0].as_str()),
            (ASG_MAX_SIZE, texts[1].as_str()),
            (ASG_DESIRED, desired_text.as_str()),
            (ASG_MAX_INSTANCE_LIFETIME, texts[2].as_str()),
            (DISCONNECT_AFTER_IDLE_TIMEOUT, texts[3].as_str()),
            (ON_DEMAND_BASE_CAPACITY, texts[4].as_str()),
            (ON_DEMAND_PERCENTAGE_ABOVE_BASE, texts[5].as_str()),
            (OVERPROVISION_STRATEGY, strategy),
            (OVERPROVISION_FACTOR, texts[6].as_str()),
        ];
        let c = match load_env(&pairs) {
            Ok(c) => c,
            Err(errors) => return Err(TestCaseError::fail(format!("{pairs:?} rejected: {errors}"))),
        };
        prop_assert_eq!((c.asg.min_size, c.asg.max_size, c.asg.desired), (min, max, desired));
        prop_assert_eq!(c.asg.max_instance_lifetime, (lifetime > 0).then_some(lifetime));
        prop_assert_eq!(c.agent.disconnect_after_idle_timeout, idle);
        prop_assert_eq!(c.asg.distribution.on_demand_base_capacity, base);
        prop_assert_eq!(c.asg.distribution.on_demand_percentage_above_base, percentage);
        prop_assert_eq!(c.overprovision.strategy.to_string(), strategy);
        prop_assert_eq!(c.overprovision.factor, factor);
    }

    #[test]
    fn valid_tag_lists_round_trip_sorted_by_key(
        items in prop::collection::btree_map(
            "[A-Za-z0-9_./=+@-]{1,40}".prop_filter("reserved key", |k| {
                !k.eq_ignore_ascii_case("aws") && k != "application" && k != "Name"
            }),
            "[A-Za-z0-9_./=+@: éü-]{0,60}",
            0..12,
        )
        .prop_flat_map(|map| Just(map.into_iter().collect::<Vec<_>>()).prop_shuffle()),
        padded in any::<bool>(),
    ) {
        let text = items
            .iter()
            .map(|(k, v)| if padded { format!(" {k} : {v} ") } else { format!("{k}:{v}") })
            .collect::<Vec<_>>()
            .join(",");
        let c = match load_env(&[(TAGS, &text)]) {
            Ok(c) => c,
            Err(errors) => return Err(TestCaseError::fail(format!("{text:?} rejected: {errors}"))),
        };
        let mut want: Vec<Tag> = items.iter().map(|(k, v)| tag(k, v.trim())).collect();
        want.sort_by(|a, b| a.key.cmp(&b.key));
        prop_assert_eq!(c.tags, want);
    }
}

// --- warm pool -------------------------------------------------------------------------------

#[test]
fn a_warm_pool_is_off_by_default_and_takes_a_size_and_a_state() {
    assert_eq!(expect_ok(&[]).asg.warm_pool, None);
    let pool = expect_ok(&[(WARM_POOL_SIZE, "3"), (ASG_MAX_SIZE, "10")]).asg.warm_pool;
    assert_eq!(pool, Some(WarmPool { size: 3, state: WarmPoolState::Stopped }));
    let pool = expect_ok(&[(WARM_POOL_SIZE, "2"), (ASG_MAX_SIZE, "4"), (WARM_POOL_STATE, "Running")]).asg.warm_pool;
    assert_eq!(pool.map(|p| p.state), Some(WarmPoolState::Running));
    expect_err(&[(WARM_POOL_SIZE, "2"), (ASG_MAX_SIZE, "4"), (WARM_POOL_STATE, "stopped")], WARM_POOL_STATE, "Stopped");
    expect_err(&[(WARM_POOL_SIZE, "-1")], WARM_POOL_SIZE, "");
    // Turning the pool off from the environment works while the file still names a state.
    let off = expect_ok(&[(WARM_POOL_STATE, "Running"), (WARM_POOL_SIZE, "0")]);
    assert_eq!(off.asg.warm_pool, None);
    assert!(off.notes.iter().any(|n| n.contains("SEMAPHORE_AGENT_WARM_POOL_STATE has no effect without a warm pool")), "{:?}", off.notes);
    expect_err(&[(WARM_POOL_SIZE, "5"), (ASG_MAX_SIZE, "4")], WARM_POOL_SIZE, "more than SEMAPHORE_AGENT_ASG_MAX_SIZE (4)");
}

#[test]
fn a_warm_pool_refuses_what_aws_refuses_with_it_naming_both_parameters() {
    let pool = [(WARM_POOL_SIZE, "2"), (ASG_MAX_SIZE, "10")];
    let with = |extra: (&'static str, &'static str)| -> Vec<(&'static str, &'static str)> { vec![pool[0], pool[1], extra] };
    let errors = expect_err(&with((ON_DEMAND_PERCENTAGE_ABOVE_BASE, "50")), WARM_POOL_SIZE, "spot instances");
    assert!(errors.to_string().contains(ON_DEMAND_PERCENTAGE_ABOVE_BASE), "{errors}");
    let overrides = r#"[{"InstanceType":"c5.large"},{"InstanceType":"c6i.large"}]"#;
    let errors = expect_err(&with((ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON, overrides)), WARM_POOL_SIZE, "mixed instances policies");
    assert!(errors.to_string().contains(ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON), "{errors}");
    for key in [ON_DEMAND_BASE_CAPACITY, SPOT_ALLOCATION_STRATEGY] {
        let value = if key == ON_DEMAND_BASE_CAPACITY { "1" } else { "capacity-optimized" };
        let errors = expect_err(&with((key, value)), WARM_POOL_SIZE, key);
        assert!(errors.to_string().contains("launch template alone"), "{errors}");
    }
    expect_err(&with((ASG_CAPACITY_REBALANCE, "true")), WARM_POOL_SIZE, ASG_CAPACITY_REBALANCE);
    expect_mac_err(&[(WARM_POOL_SIZE, "1")], WARM_POOL_SIZE, "not available on macos");
    // Hibernation needs the root volume the stack encrypts and sizes.
    let hibernated = [(WARM_POOL_SIZE, "2"), (ASG_MAX_SIZE, "10"), (WARM_POOL_STATE, "Hibernated"), (AMI, "ami-0123456789abcdef0")];
    expect_err(&hibernated, WARM_POOL_STATE, VOLUME_NAME);
    let named = [hibernated[0], hibernated[1], hibernated[2], hibernated[3], (VOLUME_NAME, "/dev/xvda")];
    assert_eq!(expect_ok(&named).asg.warm_pool.map(|p| p.state), Some(WarmPoolState::Hibernated));
    // The stack's own image: the root volume is named, so it is encrypted.
    assert!(expect_ok(&[hibernated[0], hibernated[1], hibernated[2]]).asg.warm_pool.is_some());
}
