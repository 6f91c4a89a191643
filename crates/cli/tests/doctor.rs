//! `agent-stack doctor` end to end against moto and the Semaphore stub: a healthy set-up passes,
//! and each broken one fails the check that names it, with what to do. The set-up lives in a region
//! of its own (moto keeps regions apart), so bootstrap and the default VPC's routes are this test's.

use std::path::PathBuf;

mod common;

use agent_stack_aws::ec2_sdk::types::{ArchitectureValues, ResourceType, Tag, TagSpecification};
use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_config::RegistrationToken;
use agent_stack_testkit::moto::unique;
use agent_stack_testkit::{MissingApis, Moto, SemaphoreStub};
use common::{on_moto, run_with_stdin};
use serde_json::{json, Value};

const REGION: &str = "eu-west-3";
const MAC_LICENSE: &str = "arn:aws:license-manager:eu-west-3:123456789012:license-configuration:lic-0123456789abcdef0123456789abcdef";
const TOKEN: &str = "doctor-registration-token-never-shown";

struct World {
    moto: &'static Moto,
    dir: PathBuf,
    base: Vec<(String, String)>,
    stub: SemaphoreStub,
    /// moto has no EC2 quotas and no License Manager: this stand-in answers those calls.
    missing: MissingApis,
}

impl World {
    /// Runs doctor with the base config plus `pairs` (an empty value removes a key); extra
    /// environment in `env`.
    fn doctor(&self, pairs: &[(&str, &str)], env: &[(&str, &str)], json_output: bool) -> (i32, String) {
        let mut map: serde_json::Map<String, Value> = self.base.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        for (k, v) in pairs {
            if v.is_empty() {
                map.remove(*k);
            } else {
                map.insert(k.to_string(), json!(v));
            }
        }
        let file = self.dir.join(format!("{}.json", unique("config")));
        std::fs::write(&file, Value::Object(map).to_string()).unwrap_or_else(|e| panic!("{e}"));
        let mut args = vec!["doctor".to_string(), "--config".into(), file.display().to_string()];
        if json_output {
            args.extend(["--output".into(), "json".into()]);
        }
        let missing = self.missing.env();
        let env: Vec<(&str, &str)> = missing.iter().map(|(k, v)| (*k, v.as_str())).chain(env.iter().copied()).collect();
        let (code, out, err) = cli(self.moto, &args.iter().map(String::as_str).collect::<Vec<_>>(), None, &env);
        assert!(!out.contains(TOKEN) && !err.contains(TOKEN), "the token is never shown");
        assert!(!err.contains("panicked"), "{err}");
        (code, format!("{out}{err}"))
    }
}

fn cli(moto: &Moto, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = on_moto(moto);
    cmd.args(args).env("AWS_REGION", REGION).envs(env.iter().copied());
    run_with_stdin(&mut cmd, stdin)
}

fn fail<T>(e: impl std::fmt::Debug) -> T {
    panic!("{e:?}")
}

/// The line of one check in doctor's text output.
fn line<'a>(out: &'a str, check: &str) -> &'a str {
    out.lines().find(|l| l.contains(&format!("  {check}: "))).unwrap_or_else(|| panic!("no {check} line in:\n{out}"))
}

fn failed(out: &str, check: &str) -> bool {
    line(out, check).starts_with("FAILED")
}

/// What a healthy stack needs, in a region of its own: the assets stack, the token, an image named
/// as ours, a default VPC whose main route table leads to an internet gateway (as AWS makes it),
/// a key pair, a cache bucket and the agent type at the Semaphore stub.
async fn healthy_world() -> Option<World> {
    let moto = Moto::shared()?;
    moto.export_env();
    unsafe { std::env::set_var("AWS_REGION", REGION) };
    let sdk = sdk_config(CallProfile::Command).await;
    let dir = std::env::temp_dir().join(unique("doctor"));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let stack = unique("doctor");
    let token_name = format!("{stack}-token");

    let (code, _, err) = cli(moto, &["bootstrap", "--yes"], None, &[]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli(moto, &["token", "put", "--name", &token_name], Some(TOKEN), &[]);
    assert_eq!(code, 0, "{err}");

    let ec2 = agent_stack_aws::ec2_sdk::Client::new(&sdk);
    ec2.register_image()
        .name(format!("agent-stack-ubuntu-focal-x86_64-{stack}"))
        .architecture(ArchitectureValues::X8664)
        .root_device_name("/dev/sda1")
        .send()
        .await
        .unwrap_or_else(fail);
    let vpc = agent_stack_aws::ec2::default_vpc_id(&sdk).await.unwrap_or_else(fail).unwrap_or_else(|| panic!("no default VPC"));
    let tables = ec2
        .describe_route_tables()
        .filters(agent_stack_aws::ec2_sdk::types::Filter::builder().name("vpc-id").values(&vpc).build())
        .send()
        .await
        .unwrap_or_else(fail);
    let main = tables
        .route_tables()
        .iter()
        .find(|t| t.associations().iter().any(|a| a.main() == Some(true)))
        .and_then(|t| t.route_table_id())
        .unwrap_or_else(|| panic!("no main route table"))
        .to_string();
    let has_default = tables.route_tables().iter().any(|t| t.routes().iter().any(|r| r.destination_cidr_block() == Some("0.0.0.0/0")));
    if !has_default {
        let igw = ec2.create_internet_gateway().send().await.unwrap_or_else(fail);
        let igw = igw.internet_gateway().and_then(|g| g.internet_gateway_id()).unwrap_or_default().to_string();
        ec2.attach_internet_gateway().internet_gateway_id(&igw).vpc_id(&vpc).send().await.unwrap_or_else(fail);
        ec2.create_route().route_table_id(&main).destination_cidr_block("0.0.0.0/0").gateway_id(&igw).send().await.unwrap_or_else(fail);
    }
    ec2.create_key_pair().key_name(&stack).send().await.unwrap_or_else(fail);
    agent_stack_aws::s3::ensure_bucket(&sdk, &stack).await.unwrap_or_else(fail);

    let stub = SemaphoreStub::start().await;
    stub.add_agent_type(TOKEN);
    let base = [
        ("SEMAPHORE_AGENT_STACK_NAME", stack.as_str()),
        ("SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME", token_name.as_str()),
        ("SEMAPHORE_ENDPOINT", &stub.endpoint()),
        ("SEMAPHORE_AGENT_KEY_NAME", stack.as_str()),
        ("SEMAPHORE_AGENT_CACHE_BUCKET_NAME", stack.as_str()),
    ];
    let base = base.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    // Standard on-demand as a new account has it; G and VT far too small for the group.
    let missing = MissingApis::start(&[("L-1216C47A", 640.0), ("L-DB2E81BA", 8.0)], &[MAC_LICENSE]).await;
    Some(World { moto, dir, base, stub, missing })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_passes_a_healthy_setup_and_names_what_is_broken_in_others() {
    let Some(world) = healthy_world().await else { return };
    let sdk = sdk_config(CallProfile::Command).await;

    // Healthy: nothing fails (moto offers c6i.large in every zone of the region or warns).
    let (code, out) = world.doctor(&[], &[], false);
    assert_eq!(code, 0, "{out}");
    for check in
        ["AWS credentials", "bootstrap stack", "token parameter", "Semaphore", "image", "network", "vCPU quota", "key pair", "cache bucket"]
    {
        assert!(line(&out, check).starts_with("passed"), "{check}:\n{out}");
    }
    assert!(line(&out, "Semaphore").contains("accepts the token"), "{out}");
    let (code, json_out) = world.doctor(&[], &[], true);
    assert_eq!(code, 0, "{json_out}");
    let report: Value = serde_json::from_str(json_out.trim()).unwrap_or_else(|e| panic!("{e}: {json_out}"));
    let checks = report["checks"].as_array().cloned().unwrap_or_default();
    assert!(checks.len() >= 9 && checks.iter().all(|c| c["status"] != "failed"), "{report}");

    assert!(line(&out, "vCPU quota").contains("L-1216C47A") && world.missing.asked().contains(&"L-1216C47A".to_string()), "{out}");

    // 0. A GPU family whose vCPU quota is smaller than the group's maximum needs, and spot
    // instances of a quota Service Quotas does not answer for.
    let (code, out) = world.doctor(&[("SEMAPHORE_AGENT_INSTANCE_TYPE", "g5.xlarge"), ("SEMAPHORE_AGENT_ASG_MAX_SIZE", "10")], &[], false);
    assert_eq!(code, 1, "{out}");
    let quota = line(&out, "vCPU quota");
    assert!(
        quota.starts_with("FAILED") && quota.contains("L-DB2E81BA") && quota.contains("is 8 vCPUs") && quota.contains("needs 40"),
        "{out}"
    );
    let (code, out) = world.doctor(&[("SEMAPHORE_AGENT_ON_DEMAND_PERCENTAGE_ABOVE_BASE", "0")], &[], false);
    assert_eq!(code, 0, "{out}");
    assert!(line(&out, "vCPU quota").starts_with("warning") && line(&out, "vCPU quota").contains("L-34B43A08"), "{out}");

    // 0b. Managed policies: one of the account's, one that does not exist.
    let iam = agent_stack_aws::iam_sdk::Client::new(&sdk);
    let policy = unique("doctor-policy");
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    iam.create_policy().policy_name(&policy).policy_document(document).send().await.unwrap_or_else(fail);
    let (code, out) = world.doctor(&[("SEMAPHORE_AGENT_MANAGED_POLICY_NAMES", &policy)], &[], false);
    assert_eq!(code, 0, "{out}");
    assert!(line(&out, "managed policies").starts_with("passed"), "{out}");
    let (code, out) = world.doctor(&[("SEMAPHORE_AGENT_MANAGED_POLICY_NAMES", &format!("{policy},doctor-no-such-policy"))], &[], false);
    assert_eq!(code, 1, "{out}");
    assert!(
        failed(&out, "managed policies") && line(&out, "managed policies").contains("policy/doctor-no-such-policy does not exist"),
        "{out}"
    );

    // 0c. macOS: the license configuration (answered by the stand-in) and a mac2 host moto
    // allocated; then an unknown configuration and a host that does not exist.
    let ec2 = agent_stack_aws::ec2_sdk::Client::new(&sdk);
    let allocated = ec2.allocate_hosts().instance_type("mac2.metal").availability_zone(format!("{REGION}a")).quantity(1).send().await;
    let host = allocated.unwrap_or_else(fail).host_ids().first().cloned().unwrap_or_default();
    let mac = [
        ("SEMAPHORE_AGENT_OS", "macos"),
        ("SEMAPHORE_AGENT_ARCH", "arm64"),
        ("SEMAPHORE_AGENT_INSTANCE_TYPE", "mac2.metal"),
        ("SEMAPHORE_AGENT_ASG_MAX_SIZE", "1"),
        ("SEMAPHORE_AGENT_LICENSE_CONFIGURATION_ARN", MAC_LICENSE),
        ("SEMAPHORE_AGENT_MAC_DEDICATED_HOSTS", &host),
    ];
    let (_, out) = world.doctor(&mac, &[], false);
    // The license and the host pass; AWS offers no mac2 in this region (moto's offerings are
    // AWS's), which the check names as the one problem.
    let hosts = line(&out, "macOS hosts");
    assert!(hosts.starts_with("FAILED") && hosts.contains("mac2.metal is offered in none of the group's zones"), "{out}");
    assert!(!hosts.contains("License") && !hosts.contains(&host), "{out}");
    assert!(world.missing.asked().contains(&MAC_LICENSE.to_string()), "the configuration was asked for");
    assert!(!out.contains("vCPU quota"), "Mac instances count against hosts: {out}");
    let unknown = MAC_LICENSE.replace("lic-0", "lic-9");
    let broken: Vec<(&str, &str)> = mac
        .iter()
        .copied()
        .filter(|(k, _)| !k.ends_with("ARN") && !k.ends_with("HOSTS"))
        .chain([
            ("SEMAPHORE_AGENT_LICENSE_CONFIGURATION_ARN", unknown.as_str()),
            ("SEMAPHORE_AGENT_MAC_DEDICATED_HOSTS", "h-0123456789abcdef0"),
        ])
        .collect();
    let (code, out) = world.doctor(&broken, &[], false);
    assert_eq!(code, 1, "{out}");
    let hosts = line(&out, "macOS hosts");
    assert!(
        hosts.starts_with("FAILED")
            && hosts.contains(&format!("{unknown} does not exist"))
            && hosts.contains("h-0123456789abcdef0 does not exist"),
        "{out}"
    );

    // 1. A token Semaphore does not know (not an agent type's registration token).
    let stranger = unique("doctor-stranger");
    agent_stack_aws::put_token(&sdk, &stranger, &RegistrationToken::new("not-an-agent-type-token"), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (code, out) = world.doctor(&[("SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME", &stranger)], &[], false);
    assert_eq!(code, 1, "{out}");
    assert!(failed(&out, "Semaphore") && line(&out, "Semaphore").contains("HTTP 40"), "{out}");
    assert!(line(&out, "token parameter").starts_with("passed"), "{out}");

    // 2. The token in a plain String parameter.
    let plain = unique("doctor-plain");
    agent_stack_aws::put_string(&sdk, &plain, TOKEN).await.unwrap_or_else(|e| panic!("{e}"));
    let (code, out) = world.doctor(&[("SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME", &plain)], &[], false);
    assert_eq!(code, 1, "{out}");
    assert!(failed(&out, "token parameter") && line(&out, "token parameter").contains("not a SecureString"), "{out}");

    // 3. The token encrypted with another key than the configured one.
    let keyed = unique("doctor-keyed");
    agent_stack_aws::put_token(&sdk, &keyed, &RegistrationToken::new(TOKEN), Some("alias/doctor-other"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (code, out) =
        world.doctor(&[("SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME", &keyed), ("SEMAPHORE_AGENT_TOKEN_KMS_KEY", "alias/doctor-ci")], &[], false);
    assert_eq!(code, 1, "{out}");
    assert!(
        failed(&out, "token parameter") && line(&out, "token parameter").contains("SEMAPHORE_AGENT_TOKEN_KMS_KEY=alias/doctor-other"),
        "{out}"
    );

    // 4. An image that is not in the region.
    let (code, out) = world.doctor(&[("SEMAPHORE_AGENT_AMI", "ami-0123456789abcdef0")], &[], false);
    assert_eq!(code, 1, "{out}");
    assert!(failed(&out, "image") && line(&out, "image").contains("ami-0123456789abcdef0 does not exist"), "{out}");

    // 5. A VPC whose subnet has no way out, and a subnet of another VPC.
    let ec2 = agent_stack_aws::ec2_sdk::Client::new(&sdk);
    let tag = |kind| TagSpecification::builder().resource_type(kind).tags(Tag::builder().key("test").value("doctor").build()).build();
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.77.0.0/16")
        .tag_specifications(tag(ResourceType::Vpc))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let vpc = vpc.vpc().and_then(|v| v.vpc_id()).unwrap_or_default().to_string();
    let closed = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.77.1.0/24")
        .availability_zone(format!("{REGION}a"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let closed = closed.subnet().and_then(|s| s.subnet_id()).unwrap_or_default().to_string();
    let default_vpc = agent_stack_aws::ec2::default_vpc_id(&sdk).await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_default();
    let foreign = agent_stack_aws::inspect::vpc_subnets(&sdk, &default_vpc).await.unwrap_or_else(|e| panic!("{e}"));
    let subnets = format!("{closed},{}", foreign[0].id);
    let (code, out) = world.doctor(&[("SEMAPHORE_AGENT_VPC_ID", &vpc), ("SEMAPHORE_AGENT_SUBNETS", &subnets)], &[], false);
    assert_eq!(code, 1, "{out}");
    let network = line(&out, "network");
    assert!(
        network.starts_with("FAILED")
            && network.contains("no default route")
            && network.contains(&format!("is in {default_vpc}, not in {vpc}")),
        "{out}"
    );

    // 6. A key pair and a security group that do not exist.
    let (code, out) = world.doctor(
        &[("SEMAPHORE_AGENT_KEY_NAME", "doctor-no-such-key"), ("SEMAPHORE_AGENT_SECURITY_GROUP_ID", "sg-0123456789abcdef0")],
        &[],
        false,
    );
    assert_eq!(code, 1, "{out}");
    assert!(failed(&out, "key pair") && line(&out, "key pair").contains("SEMAPHORE_AGENT_KEY_NAME"), "{out}");
    assert!(failed(&out, "security group") && line(&out, "security group").contains("does not exist"), "{out}");

    // 7. A region without bootstrap, token or image: every check still runs.
    let (code, out) = world.doctor(&[], &[("AWS_REGION", "ap-southeast-2")], false);
    assert_eq!(code, 1, "{out}");
    // (S3 bucket names are global: the cache bucket is still there.)
    for check in ["bootstrap stack", "token parameter", "Semaphore", "image", "key pair"] {
        assert!(failed(&out, check), "{check}:\n{out}");
    }
    assert!(line(&out, "bootstrap stack").contains("agent-stack bootstrap"), "{out}");
    assert!(line(&out, "AWS credentials").starts_with("passed"), "{out}");

    // 8. No credentials at all: one clear line per check, exit 1.
    let (code, out) = world.doctor(
        &[],
        &[
            ("AWS_ACCESS_KEY_ID", ""),
            ("AWS_SECRET_ACCESS_KEY", ""),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
            ("AWS_CONFIG_FILE", "/nonexistent"),
        ],
        false,
    );
    assert_eq!(code, 1, "{out}");
    assert!(failed(&out, "AWS credentials") && line(&out, "AWS credentials").contains("AWS_PROFILE"), "{out}");

    // A bad config is exit 2, nothing checked.
    let (code, out) = world.doctor(&[("SEMAPHORE_AGENT_ASG_MAX_SIZE", "lots")], &[], false);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("SEMAPHORE_AGENT_ASG_MAX_SIZE") && !out.contains("passed"), "{out}");
    drop(world.stub);
}
