//! Each judgement on answers shaped like AWS's (the fields the SDK parses from the API
//! reference's responses), healthy and broken.

use super::*;
use crate::doctor::Status;
use agent_stack_aws::states::StackStatus;
use agent_stack_scaler::{Agents, Jobs};

fn rejected(op: &str, code: &str) -> AwsError {
    AwsError::new(op, Kind::Rejected { code: code.into(), message: "denied".into() })
}

fn secure(key: Option<&str>) -> Result<Option<ParameterFacts>, AwsError> {
    Ok(Some(ParameterFacts { kind: "SecureString".into(), key_id: key.map(str::to_string) }))
}

fn token() -> Result<RegistrationToken, TokenError> {
    Ok(RegistrationToken::new("secret-registration-token"))
}

fn status(c: &Check) -> Status {
    c.status
}

#[test]
fn credentials_name_the_account_or_what_to_set() {
    let id = Ok(Identity { account: "123456789012".into(), arn: "arn:aws:iam::123456789012:user/ops".into() });
    let ok = credentials(&id, Some("eu-west-1"));
    assert_eq!(status(&ok), Status::Passed);
    assert!(ok.detail.contains("123456789012") && ok.detail.contains("eu-west-1"));
    assert!(credentials(&id, None).next.unwrap().contains("AWS_REGION"));
    let none =
        credentials(&Err(AwsError::new("GetCallerIdentity", Kind::NoCredentials("no AWS credentials found".into()))), Some("eu-west-1"));
    assert_eq!(status(&none), Status::Failed);
    assert!(none.next.unwrap().contains("AWS_PROFILE"));
}

#[test]
fn the_bootstrap_stack_must_be_deployed() {
    assert!(bootstrap("agent-stack-assets", &Ok(None)).next.unwrap().contains("agent-stack bootstrap"));
    let info =
        |s: &str| Ok(Some(StackInfo { id: "x".into(), status: StackStatus::parse(s), reason: None, outputs: vec![], parameters: vec![] }));
    assert_eq!(status(&bootstrap("a", &info("CREATE_COMPLETE"))), Status::Passed);
    assert_eq!(status(&bootstrap("a", &info("ROLLBACK_COMPLETE"))), Status::Failed);
}

#[test]
fn the_token_must_be_a_secure_string_that_decrypts() {
    let missing = token_parameter("t", &Ok(None), &Err(TokenError::NotFound("t".into())), None);
    assert_eq!(status(&missing), Status::Failed);
    assert!(missing.detail.contains("does not exist") && missing.next.as_deref().unwrap_or_default().contains("token put --name t"));
    let plain = token_parameter("t", &Ok(Some(ParameterFacts { kind: "String".into(), key_id: None })), &token(), None);
    assert!(plain.detail.contains("is a String, not a SecureString"), "{plain:?}");
    let undecryptable = Err(TokenError::Unreadable(rejected("GetParameter t", "AccessDeniedException")));
    assert_eq!(status(&token_parameter("t", &secure(Some(SSM_DEFAULT_KEY)), &undecryptable, None)), Status::Failed);
    let ok = token_parameter("t", &secure(Some(SSM_DEFAULT_KEY)), &token(), None);
    assert_eq!(status(&ok), Status::Passed);
    assert!(!format!("{ok:?}").contains("secret-registration-token"), "the token is never shown");
}

#[test]
fn the_token_key_must_be_the_one_the_instances_may_use() {
    let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
    let arn = format!("arn:aws:kms:eu-west-1:123456789012:key/{id}");
    // Encrypted with a customer key, no key configured: instances cannot decrypt.
    let unset = token_parameter("t", &secure(Some(id)), &token(), None);
    assert_eq!(status(&unset), Status::Failed);
    assert!(unset.next.unwrap().contains(&format!("SEMAPHORE_AGENT_TOKEN_KMS_KEY={id}")));
    // The same key by id or by ARN.
    assert_eq!(status(&token_parameter("t", &secure(Some(id)), &token(), Some(&KmsKey::Arn(arn.clone())))), Status::Passed);
    assert_eq!(status(&token_parameter("t", &secure(Some(&arn)), &token(), Some(&KmsKey::Id(id.into())))), Status::Passed);
    assert_eq!(status(&token_parameter("t", &secure(Some("alias/ci")), &token(), Some(&KmsKey::Alias("alias/ci".into())))), Status::Passed);
    // Another key.
    let other = token_parameter("t", &secure(Some(SSM_DEFAULT_KEY)), &token(), Some(&KmsKey::Id(id.into())));
    assert_eq!(status(&other), Status::Failed);
    assert!(other.detail.contains(SSM_DEFAULT_KEY) && other.detail.contains(id));
    // Alias against id: only KMS can tell.
    assert_eq!(status(&token_parameter("t", &secure(Some(id)), &token(), Some(&KmsKey::Alias("alias/ci".into())))), Status::Warning);
    // Semaphore's guide puts the parameter's name there.
    let guide = token_parameter("semaphore-token", &secure(Some(SSM_DEFAULT_KEY)), &token(), Some(&KmsKey::Id("semaphore-token".into())));
    assert_eq!(status(&guide), Status::Warning);
    assert!(guide.detail.contains("parameter name") && guide.detail.contains("Semaphore's guide"), "{guide:?}");
}

#[test]
fn semaphore_must_answer_and_take_the_token() {
    let m = Metrics { jobs: Jobs { queued: 2, running: 1 }, agents: Agents { idle: 0, occupied: 1 } };
    assert_eq!(status(&semaphore("https://org.semaphoreci.com", Some(Ok(m)))), Status::Passed);
    let wrong =
        semaphore("https://x", Some(Err("GET https://x/api/v1/self_hosted_agents/metrics: HTTP 404, unknown agent type token; …".into())));
    assert_eq!(status(&wrong), Status::Failed);
    assert!(wrong.detail.contains("HTTP 404"));
    assert!(semaphore("https://x", None).detail.contains("not asked"));
}

fn image_facts(arch: &str, state: &str) -> Result<Option<ImageFacts>, AwsError> {
    Ok(Some(ImageFacts {
        id: "ami-1".into(),
        name: "agent-stack-ubuntu-noble-x86_64-1".into(),
        architecture: arch.into(),
        state: state.into(),
    }))
}

#[test]
fn the_image_must_exist_be_available_and_match_the_architecture() {
    let configured = ImageSource::Configured("ami-404".into());
    let missing = image(&configured, &Ok(None), "x86_64", None);
    assert!(missing.detail.contains("ami-404") && missing.detail.contains("does not exist"));
    let named = ImageSource::Named(["agent-stack-ubuntu-noble-x86_64-*".into(), "semaphore-agent-*-ubuntu-noble-x86_64-*".into()]);
    assert!(image(&named, &Ok(None), "x86_64", None).next.unwrap().contains("docs/images.md"));
    let x86 = ["x86_64".to_string()];
    assert_eq!(status(&image(&named, &image_facts("x86_64", "available"), "x86_64", Some(&x86))), Status::Passed);
    assert_eq!(status(&image(&named, &image_facts("x86_64", "pending"), "x86_64", Some(&x86))), Status::Failed);
    assert!(image(&named, &image_facts("arm64", "available"), "x86_64", Some(&x86)).detail.contains("is arm64, the stack is x86_64"));
    let graviton = ["arm64".to_string()];
    assert!(image(&named, &image_facts("x86_64", "available"), "x86_64", Some(&graviton)).detail.contains("instance type runs arm64"));
    assert_eq!(status(&image(&named, &Err(rejected("DescribeImages", "UnauthorizedOperation")), "x86_64", None)), Status::Failed);
}

#[test]
fn the_instance_type_must_be_offered_in_the_groups_zones() {
    let facts = Ok(Some(InstanceTypeFacts { vcpus: 2, architectures: vec!["x86_64".into()] }));
    let zones: BTreeSet<String> = ["eu-west-1a", "eu-west-1b"].map(String::from).into();
    let all = Ok(zones.clone());
    assert_eq!(status(&instance_type("c6i.large", &facts, &all, &zones)), Status::Passed);
    let some = Ok(["eu-west-1a".to_string()].into());
    let partial = instance_type("c6i.large", &facts, &some, &zones);
    assert_eq!(status(&partial), Status::Warning);
    assert!(partial.detail.contains("not offered in eu-west-1b"));
    assert_eq!(status(&instance_type("c6i.large", &facts, &Ok(BTreeSet::new()), &zones)), Status::Failed);
    assert!(instance_type("c6x.huge", &Ok(None), &Ok(BTreeSet::new()), &zones).detail.contains("does not exist"));
}

fn subnet(id: &str, vpc: &str, public: bool) -> SubnetFacts {
    SubnetFacts { id: id.into(), vpc_id: vpc.into(), zone: "eu-west-1a".into(), public_ip_on_launch: public }
}

fn table(main: bool, subnets: &[&str], route: Option<&str>) -> RouteTableFacts {
    RouteTableFacts { main, subnet_ids: subnets.iter().map(|s| s.to_string()).collect(), default_route: route.map(str::to_string) }
}

#[test]
fn a_subnet_needs_a_way_out_to_semaphore() {
    let tables =
        [table(true, &[], Some("igw-1")), table(false, &["subnet-private"], Some("nat-1")), table(false, &["subnet-closed"], None)];
    assert!(matches!(way_out(&subnet("subnet-public", "vpc-1", true), &tables), WayOut::Yes(_)));
    assert!(matches!(way_out(&subnet("subnet-private", "vpc-1", false), &tables), WayOut::Yes(how) if how.contains("nat-1")));
    assert!(matches!(way_out(&subnet("subnet-closed", "vpc-1", false), &tables), WayOut::No(why) if why.contains("no default route")));
    assert!(matches!(way_out(&subnet("subnet-nopublicip", "vpc-1", false), &tables), WayOut::No(why) if why.contains("no public IP")));
    let tgw = [table(true, &[], Some("tgw-1"))];
    assert!(matches!(way_out(&subnet("subnet-x", "vpc-1", false), &tgw), WayOut::Unsure(_)));
}

#[test]
fn subnets_must_exist_in_the_vpc() {
    let tables = [table(true, &[], Some("igw-1"))];
    let ok = [("subnet-a".to_string(), Some(subnet("subnet-a", "vpc-1", true)))];
    assert_eq!(status(&network("vpc-1", true, &ok, &tables)), Status::Passed);
    let elsewhere = [("subnet-a".to_string(), Some(subnet("subnet-a", "vpc-2", true)))];
    assert!(network("vpc-1", true, &elsewhere, &tables).detail.contains("is in vpc-2, not in vpc-1"));
    let gone = [("subnet-gone".to_string(), None)];
    assert!(network("vpc-1", true, &gone, &tables).detail.contains("subnet-gone does not exist"));
    assert!(network("vpc-9", false, &ok, &tables).detail.contains("VPC vpc-9 does not exist"));
    assert_eq!(status(&network("vpc-1", true, &[], &tables)), Status::Failed);
}

#[test]
fn named_resources_must_exist() {
    assert_eq!(status(&security_group("sg-1", &Ok(Some("vpc-1".into())), Some("vpc-1"))), Status::Passed);
    assert!(security_group("sg-1", &Ok(Some("vpc-2".into())), Some("vpc-1")).detail.contains("not in the stack's VPC"));
    assert!(security_group("sg-1", &Ok(None), None).detail.contains("does not exist"));
    let key = exists("key pair", "SEMAPHORE_AGENT_KEY_NAME", "ops", &Ok(false));
    assert_eq!(status(&key), Status::Failed);
    assert!(key.next.unwrap().contains("SEMAPHORE_AGENT_KEY_NAME"));
    assert_eq!(status(&exists("cache bucket", "SEMAPHORE_AGENT_CACHE_BUCKET_NAME", "b", &Ok(true))), Status::Passed);
}

#[test]
fn managed_policies_must_exist_in_the_callers_account() {
    let id = Identity { account: "123456789012".into(), arn: "arn:aws-cn:iam::123456789012:user/ops".into() };
    assert_eq!(
        policy_arn(&agent_stack_config::ManagedPolicy::Name("ci-cache".into()), &id),
        "arn:aws-cn:iam::123456789012:policy/ci-cache"
    );
    let arn = "arn:aws:iam::aws:policy/ReadOnlyAccess".to_string();
    assert_eq!(policy_arn(&agent_stack_config::ManagedPolicy::Arn(arn.clone()), &id), arn);
    assert_eq!(status(&managed_policies(&[(arn.clone(), Ok(true))])), Status::Passed);
    let missing = managed_policies(&[(arn, Ok(true)), ("arn:aws:iam::1:policy/gone".into(), Ok(false))]);
    assert!(missing.status == Status::Failed && missing.detail.contains("policy/gone does not exist"), "{missing:?}");
}
