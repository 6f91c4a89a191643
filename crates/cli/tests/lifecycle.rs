//! The deploy lifecycle end to end against moto: bootstrap → token put → deploy → status → deploy
//! (no change) → config change → diff → deploy (update) → destroy, and the failure paths moto can show.
//! moto cannot run the Lambda behind the AZ-rebalance custom resource, so the test answers it with
//! our handler, as the deployed function would.

use std::path::{Path, PathBuf};

mod common;

use agent_stack_aws::{sdk_config, CallProfile};
use agent_stack_lambda::custom_resource;
use agent_stack_template::ids;
use agent_stack_testkit::moto::unique;
use agent_stack_testkit::stack::answer_az_rebalance;
use agent_stack_testkit::Moto;
use common::{bin, on_moto, run_with_stdin};
use serde_json::{json, Value};

fn cli(moto: &Moto, dir: &Path, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    run_with_stdin(on_moto(moto).args(args).current_dir(dir), stdin)
}

/// A scratch directory for `stack`, and an (empty) Lambda zip in it: moto only stores the code.
fn scratch(stack: &str) -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(stack);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let zip = dir.join("bootstrap.zip");
    std::fs::write(&zip, [0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap_or_else(|e| panic!("{e}"));
    (dir, zip.display().to_string())
}

fn write_config(dir: &Path, pairs: &[(&str, &str)]) -> PathBuf {
    let map: serde_json::Map<String, Value> = pairs.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    let path = dir.join("config.json");
    std::fs::write(&path, Value::Object(map).to_string()).unwrap_or_else(|e| panic!("{e}"));
    path
}

/// Answers the stack's AZ-rebalance custom resource once the stack exists, as our Lambda would.
async fn answer_custom_resource(moto: &Moto, stack: &str) -> bool {
    let sdk = &sdk_config(CallProfile::Command).await;
    answer_az_rebalance(sdk, &moto.endpoint, stack, |event| async move { custom_resource::handle(sdk, &event).await.is_ok() }).await
}

/// Creates the stack with `deploy ARGS…` while answering its custom resource as our Lambda would;
/// returns the command's exit code and output.
async fn deploy_creating(moto: &'static Moto, dir: &Path, stack: &str, args: &[&str]) -> (i32, String, String) {
    let answering = stack.to_string();
    let answer = tokio::spawn(async move { answer_custom_resource(moto, &answering).await });
    let (code, out, err) = tokio::task::spawn_blocking({
        let (dir, args) = (dir.to_path_buf(), args.iter().map(|a| a.to_string()).collect::<Vec<_>>());
        move || cli(moto, &dir, &args.iter().map(String::as_str).collect::<Vec<_>>(), None)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    if code == 0 {
        assert!(answer.await.unwrap_or(false), "the custom resource was answered");
    }
    (code, out, err)
}

/// The config file of `stack` (organization `test`, token parameter `<stack>-token`) plus `extra`;
/// its path and the token parameter's name.
fn stack_config(dir: &Path, stack: &str, extra: &[(&str, &str)]) -> (String, String) {
    let token_name = format!("{stack}-token");
    let mut pairs = vec![
        ("SEMAPHORE_AGENT_STACK_NAME", stack),
        ("SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME", &token_name),
        ("SEMAPHORE_ORGANIZATION", "test"),
    ];
    pairs.extend_from_slice(extra);
    (write_config(dir, &pairs).display().to_string(), token_name)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `bootstrap --yes` and `token put`, which every deploy needs first.
fn prepare_account(moto: &Moto, dir: &Path, token_name: &str) {
    for args in [vec!["bootstrap", "--yes"], vec!["token", "put", "--name", token_name]] {
        let (code, _, err) = cli(moto, dir, &args, Some("t0k3n\n"));
        assert_eq!(code, 0, "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_token_deploy_status_diff_update_destroy() {
    let Some(moto) = Moto::shared() else { return };
    moto.export_env();
    let stack = unique("life");
    let (dir, zip) = scratch(&stack);
    let token_name = format!("{stack}-token");
    let base = [
        ("SEMAPHORE_AGENT_STACK_NAME", stack.as_str()),
        ("SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME", token_name.as_str()),
        ("SEMAPHORE_ORGANIZATION", "test"),
        ("SEMAPHORE_AGENT_AMI", "ami-0123456789abcdef0"),
        ("SEMAPHORE_AGENT_VOLUME_NAME", "/dev/sda1"),
        ("SEMAPHORE_AGENT_VOLUME_SIZE", "16"),
    ];
    let config = write_config(&dir, &base);
    let config = config.display().to_string();
    let deploy_args = ["deploy", "--config", config.as_str(), "--yes", "--lambda-zip", zip.as_str()];

    // bootstrap: the assets stack and the execution policy file.
    let (code, out, err) = cli(moto, &dir, &["bootstrap", "--yes"], None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("artifact bucket:"), "{out}");
    let policy: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("execution-policy.json")).unwrap_or_default()).unwrap_or(Value::Null);
    assert!(policy["Statement"][0]["Action"].as_array().is_some_and(|a| a.contains(&json!("iam:PassRole"))));
    let (code, out, _) = cli(moto, &dir, &["bootstrap", "--yes"], None);
    assert_eq!(code, 0);
    assert!(out.contains("is up to date"), "bootstrap is idempotent: {out}");

    // deploy refuses without the token parameter.
    let (code, _, err) = cli(moto, &dir, &deploy_args, None);
    assert_eq!(code, 1);
    assert!(err.contains(&format!("token parameter {token_name} does not exist")), "{err}");

    // token put: from stdin, never echoed.
    let (code, out, err) = cli(moto, &dir, &["token", "put", "--name", &token_name], Some("secret-registration-token\n"));
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("secret-registration-token") && !err.contains("secret-registration-token"));
    let (code, _, err) = cli(moto, &dir, &["token", "put", "--name", &token_name], Some("\n"));
    assert_eq!(code, 2, "empty token is bad input: {err}");

    // deploy (create) while the custom resource is answered.
    let (code, out, err) = deploy_creating(moto, &dir, &stack, &deploy_args).await;
    assert_eq!(code, 0, "{out}{err}");
    // moto keeps no outputs for stacks created through change sets, so only the status is checked.
    assert!(out.contains("CREATE_COMPLETE"), "{out}");

    // status --output json.
    let (code, out, err) = cli(moto, &dir, &["status", "--config", &config, "--output", "json"], None);
    assert_eq!(code, 0, "{err}");
    let s: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(s["stack_status"], "CREATE_COMPLETE");
    assert!(s["asg"]["name"].as_str().is_some_and(|n| n.contains("autoScalingGroup")));
    assert_eq!((s["asg"]["min"].clone(), s["asg"]["max"].clone(), s["asg"]["desired"].clone()), (json!(0), json!(1), json!(0)));
    assert_eq!(s["instances"], json!([]));
    // The dashboard moto made from the template, named after the stack and its region.
    let url = format!("https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/{stack}-us-east-1");
    assert_eq!(s["dashboard"], json!(url));

    // deploy again with no change: says so, changes nothing.
    let (code, out, err) = cli(moto, &dir, &deploy_args, None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("up to date"), "{out}");
    let (code, out, _) = cli(moto, &dir, &["diff", "--config", &config, "--lambda-zip", &zip], None);
    assert_eq!(code, 0, "{out}");

    // A new Lambda build: diff reports the new code key and uploads nothing; deploy uploads it.
    let new_zip = dir.join("new-bootstrap.zip");
    let new_bytes = b"PK\x05\x06 a different build";
    std::fs::write(&new_zip, new_bytes).unwrap_or_else(|e| panic!("{e}"));
    let new_key = format!("lambda/{}.zip", sha256_hex(new_bytes));
    let sdk = sdk_config(CallProfile::Command).await;
    let bucket = agent_stack_aws::cfn::Stacks::new(&sdk)
        .physical_id("agent-stack-assets", "ArtifactBucket")
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no artifact bucket"));
    let new_zip = new_zip.display().to_string();
    let (code, out, err) = cli(moto, &dir, &["diff", "--config", &config, "--lambda-zip", &new_zip], None);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains(&new_key), "the new code key is a changed parameter: {out}");
    let uploaded = agent_stack_aws::s3::object_exists(&sdk, &bucket, &new_key).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!uploaded, "diff uploads nothing");

    // A config change: diff shows it (exit 1), deploy applies it.
    let mut changed = base.to_vec();
    changed.push(("SEMAPHORE_AGENT_ASG_MAX_SIZE", "3"));
    changed.push(("SEMAPHORE_AGENT_INSTANCE_TYPE", "t3.small"));
    write_config(&dir, &changed);
    let (code, out, err) = cli(moto, &dir, &["diff", "--config", &config, "--lambda-zip", &zip], None);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("~ autoScalingGroup") && out.contains("/Properties/MaxSize"), "{out}");
    let (code, out, err) = cli(moto, &dir, &deploy_args, None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("UPDATE_COMPLETE"), "{out}");
    assert!(out.contains(&format!("agent-stack rotate --config {config}")), "a new instance type needs a rotate: {out}");
    let (_, out, _) = cli(moto, &dir, &["status", "--config", &config, "--output", "json"], None);
    let s: Value = serde_json::from_str(out.trim()).unwrap_or(Value::Null);
    assert_eq!(s["asg"]["max"], 3);

    // destroy.
    let (code, out, err) = cli(moto, &dir, &["destroy", "--config", &config], None);
    assert_eq!(code, 2, "no terminal, no --yes: refuses: {out}{err}");
    let (code, out, err) = cli(moto, &dir, &["destroy", "--config", &config, "--yes"], None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("deleted"), "{out}");
    let (code, _, err) = cli(moto, &dir, &["status", "--config", &config], None);
    assert_eq!(code, 1);
    assert!(err.contains("does not exist"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_deploy_and_a_stuck_stack_are_reported() {
    let Some(moto) = Moto::shared() else { return };
    moto.export_env();
    let sdk = sdk_config(CallProfile::Command).await;
    let stack = unique("reject");
    let (dir, zip) = scratch(&stack);
    let (config, token_name) = stack_config(&dir, &stack, &[("SEMAPHORE_AGENT_AMI", "ami-0123456789abcdef0")]);
    prepare_account(moto, &dir, &token_name);
    // No Lambda artifact: a glibc test build is not one, and this directory has no local build.
    let (code, out, err) = cli(moto, &dir, &["deploy", "--config", &config, "--yes"], None);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("no Lambda artifact for x86_64") && err.contains("--lambda-zip"), "{err}");
    let (code, _, err) = cli(moto, &dir, &["deploy", "--config", &config, "--yes", "--lambda-zip", "missing.zip"], None);
    assert_eq!(code, 2);
    assert!(err.contains("--lambda-zip missing.zip"), "{err}");
    assert!(agent_stack_aws::cfn::Stacks::new(&sdk).describe(&stack).await.unwrap_or_else(|e| panic!("{e}")).is_none(), "nothing created");
    // Someone else already owns the stack's config parameter: CloudFormation cannot create it.
    agent_stack_aws::put_string(&sdk, &format!("{stack}-config"), "taken").await.unwrap_or_else(|e| panic!("{e}"));
    let (code, out, err) = cli(moto, &dir, &["deploy", "--config", &config, "--yes", "--lambda-zip", &zip], None);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains(&stack), "the error names the stack: {err}");
    assert!(err.contains("ParameterAlreadyExists"), "the cause is shown: {err}");
    // The stack was never created (REVIEW_IN_PROGRESS): a second deploy tries a CREATE change set
    // again instead of refusing forever, and fails for the same, stated reason.
    let (code, _, err) = cli(moto, &dir, &["deploy", "--config", &config, "--yes", "--lambda-zip", &zip], None);
    assert_eq!(code, 1);
    assert!(err.contains("ParameterAlreadyExists") && !err.contains("busy"), "{err}");
}

/// Without SEMAPHORE_AGENT_AMI, deploy takes the newest of the account's images named the way
/// images/ names them, before an agent-aws-stack image; and the region's default VPC.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_finds_our_image_by_name_and_the_default_vpc() {
    let Some(moto) = Moto::shared() else { return };
    moto.export_env();
    let sdk = sdk_config(CallProfile::Command).await;
    let ec2 = agent_stack_aws::ec2_sdk::Client::new(&sdk);
    let stack = unique("images");
    let register = |name: String| {
        let ec2 = ec2.clone();
        async move {
            let out = ec2.register_image().name(&name).root_device_name("/dev/sda1").send().await;
            out.unwrap_or_else(|e| panic!("RegisterImage {name}: {e:?}")).image_id().unwrap_or_default().to_string()
        }
    };
    // No other test registers ubuntu-noble arm64 images in the shared moto.
    let ours = register(format!("agent-stack-ubuntu-noble-arm64-0.1.0-{stack}")).await;
    let _legacy = register(format!("semaphore-agent-v0.10.0-ubuntu-noble-arm64-{stack}")).await;
    let default_vpc = agent_stack_aws::ec2::default_vpc_id(&sdk).await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_default();
    assert!(default_vpc.starts_with("vpc-"), "moto has a default VPC");

    let (dir, zip) = scratch(&stack);
    let (config, token_name) = stack_config(
        &dir,
        &stack,
        &[
            ("SEMAPHORE_AGENT_OS", "ubuntu-noble"),
            ("SEMAPHORE_AGENT_ARCH", "arm64"),
            ("SEMAPHORE_AGENT_INSTANCE_TYPE", "t4g.large"),
            ("SEMAPHORE_AGENT_VOLUME_NAME", "/dev/sda1"),
            ("SEMAPHORE_AGENT_VOLUME_SIZE", "16"),
        ],
    );
    prepare_account(moto, &dir, &token_name);
    let (code, out, err) = deploy_creating(moto, &dir, &stack, &["deploy", "--config", &config, "--yes", "--lambda-zip", &zip]).await;
    assert_eq!(code, 0, "{out}{err}");
    let info = agent_stack_aws::cfn::Stacks::new(&sdk)
        .describe(&stack)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no stack"));
    let param = |key: &str| info.parameters.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
    assert_eq!(param(ids::param::IMAGE_ID), ours, "our image wins over agent-aws-stack's");
    assert_eq!(param(ids::param::DEFAULT_VPC_ID), default_vpc);
    let (code, out, err) = cli(moto, &dir, &["destroy", "--config", &config, "--yes"], None);
    assert_eq!(code, 0, "{out}{err}");
}

/// Without AWS credentials every stack command stops at its first call and says how to provide them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_are_explained_by_every_stack_command() {
    let Some(moto) = Moto::shared() else { return };
    let stack = unique("nocreds");
    let (dir, zip) = scratch(&stack);
    let (config, _) = stack_config(&dir, &stack, &[]);
    let commands: [&[&str]; 7] = [
        &["bootstrap", "--yes"],
        &["token", "put", "--name", "nocreds-token"],
        &["deploy", "--config", &config, "--yes", "--lambda-zip", &zip],
        &["diff", "--config", &config, "--lambda-zip", &zip],
        &["status", "--config", &config],
        &["rotate", "--config", &config, "--yes"],
        &["destroy", "--config", &config, "--yes"],
    ];
    for args in commands {
        let mut cmd = bin();
        cmd.args(args).current_dir(&dir);
        cmd.env("AWS_ENDPOINT_URL", &moto.endpoint).env("AWS_REGION", "us-east-1").env("AWS_EC2_METADATA_DISABLED", "true");
        cmd.env_remove("AWS_ACCESS_KEY_ID").env_remove("AWS_SECRET_ACCESS_KEY").env_remove("AWS_SESSION_TOKEN").env_remove("AWS_PROFILE");
        cmd.env("AWS_CONFIG_FILE", "/nonexistent").env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
        let (code, _, err) = run_with_stdin(&mut cmd, Some("a-registration-token\n"));
        // diff's exit 1 means "differs": it could not tell, so 2.
        let expected = if args[0] == "diff" { 2 } else { 1 };
        assert_eq!(code, expected, "{args:?}: {err}");
        assert!(err.contains("no AWS credentials found") && err.contains("AWS_PROFILE"), "{args:?}: {err}");
        assert!(!err.contains("a-registration-token"), "{args:?}: the token must not be echoed");
    }
}
