//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "agent-stack", version, about = "Deploy and run an autoscaling fleet of self-hosted Semaphore agents on AWS")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a stack configuration and print it resolved, with defaults marked.
    #[command(
        after_help = include_str!("../help/validate.txt")
    )]
    Validate(ValidateArgs),
    /// Write the CloudFormation template for a stack configuration (offline, deterministic).
    #[command(
        after_help = include_str!("../help/synth.txt")
    )]
    Synth(SynthArgs),
    /// Run the scaler from here: read Semaphore's metrics and raise the group's desired capacity.
    #[command(
        after_help = include_str!("../help/scale.txt")
    )]
    Scale(ScaleArgs),
    /// Create the per-account/region assets stack (Lambda artifact bucket) and write the
    /// CloudFormation execution policy the agent stack needs.
    #[command(
        after_help = include_str!("../help/bootstrap.txt")
    )]
    Bootstrap(BootstrapArgs),
    /// Store the agent type registration token as an SSM SecureString (read from stdin, never argv).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Create or update the stack through a change set, with live progress.
    #[command(
        after_help = include_str!("../help/deploy.txt")
    )]
    Deploy(DeployArgs),
    /// Show what deploy would change. Exit 0: nothing differs, 1: something does, 2: error.
    #[command(after_help = include_str!("../help/diff.txt"))]
    Diff(DeployArgs),
    /// Empty the group (busy agents finish their jobs first) and delete the stack after confirmation.
    #[command(after_help = include_str!("../help/destroy.txt"))]
    Destroy(DestroyArgs),
    /// The stack, its Auto Scaling group and instances, and Semaphore's job and agent counts.
    #[command(
        after_help = include_str!("../help/status.txt")
    )]
    Status(StatusArgs),
    /// Check before a deploy what the stack and its agents depend on: credentials, bootstrap,
    /// token, Semaphore, image, instance type, network. Exit 0: nothing failed, 1: a check failed,
    /// 2: bad config.
    #[command(after_help = include_str!("../help/doctor.txt"))]
    Doctor(DoctorArgs),
    /// The instances' logs (agent, health check, cloud-init, user data, system), merged by time and
    /// prefixed with the instance id; the agent's registration failures are marked.
    #[command(after_help = include_str!("../help/logs.txt"))]
    Logs(LogsArgs),
    /// Replace the agents' instances (after an upgrade) without interrupting a running job.
    #[command(
        after_help = include_str!("../help/rotate.txt")
    )]
    Rotate(RotateArgs),
    /// Replay a job trace through a model of the fleet and compare scaling policies: waits and cost.
    #[command(
        after_help = include_str!("../help/simulate.txt")
    )]
    Simulate(SimulateArgs),
    /// The instance side: run by the image on each agent instance (docs/images.md).
    #[command(subcommand)]
    Boot(crate::boot::BootCommand),
}

/// Where the configuration comes from.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Stack config file (JSON of SEMAPHORE_* keys). Default: $SEMAPHORE_AGENT_STACK_CONFIG;
    /// environment variables of the same names override the file.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum Output {
    #[default]
    Text,
    Json,
}

/// Architecture of the Lambda zip, as the LambdaArchitecture parameter spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LambdaArch {
    #[value(name = "x86_64")]
    X86_64,
    Arm64,
}

impl From<LambdaArch> for agent_stack_config::Arch {
    fn from(arch: LambdaArch) -> Self {
        match arch {
            LambdaArch::X86_64 => agent_stack_config::Arch::X86_64,
            LambdaArch::Arm64 => agent_stack_config::Arch::Arm64,
        }
    }
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Write the template here instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Default for the ImageId parameter (an AMI id).
    #[arg(long, value_name = "AMI")]
    pub image_id: Option<String>,
    /// Default for the LambdaCodeBucket parameter.
    #[arg(long, value_name = "BUCKET")]
    pub lambda_bucket: Option<String>,
    /// Default for the LambdaCodeKey parameter.
    #[arg(long, value_name = "KEY")]
    pub lambda_key: Option<String>,
    /// Default for the LambdaArchitecture parameter.
    #[arg(long, value_name = "ARCH", value_enum)]
    pub lambda_arch: Option<LambdaArch>,
    /// Default for the DefaultVpcId parameter (the region's default VPC).
    #[arg(long, value_name = "VPC")]
    pub default_vpc_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct ScaleArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Run one tick and exit (the default).
    #[arg(long, conflicts_with = "watch")]
    pub once: bool,
    /// Keep ticking every 2 seconds until interrupted.
    #[arg(long)]
    pub watch: bool,
    /// Auto Scaling group to scale instead of the stack's own.
    #[arg(long, value_name = "NAME")]
    pub asg_name: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// `--policy`: one of the simulator's contenders, listed in help and errors.
fn policy_parser() -> impl clap::builder::TypedValueParser<Value = agent_stack_sim::Contender> {
    use agent_stack_sim::Contender;
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Contender::names())
        .try_map(|name| Contender::parse(&name).ok_or_else(|| format!("{name:?} is not a policy")))
}

/// The jobs come from exactly one of --trace and --synthetic.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("jobs").required(true).args(["trace", "synthetic"])))]
pub struct SimulateArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Job trace: CSV with a header queued_at,duration_s and one row per job.
    #[arg(long, value_name = "FILE.csv")]
    pub trace: Option<PathBuf>,
    /// A generated 24-hour trace instead: steady, bursty or workday.
    #[arg(long, value_name = "SHAPE")]
    pub synthetic: Option<String>,
    /// The policy to study and plot (default: the one the stack runs); agent-aws-stack and
    /// clairvoyant are always compared.
    #[arg(long, value_name = "NAME", value_parser = policy_parser())]
    pub policy: Option<agent_stack_sim::Contender>,
    /// Search warm pool, overprovisioning, idle timeout and scaling policy for the lowest p95 wait
    /// at no more than the configuration's cost, and print the config lines that change.
    #[arg(long, conflicts_with_all = ["policy", "plot"])]
    pub recommend: bool,
    /// Seed of the synthetic trace and of the agents' job pick-up order.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Write an SVG chart of queued jobs, desired and in-service capacity over time.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Price of one instance-hour in USD (default: the instance type's us-east-1 on-demand price).
    #[arg(long, value_name = "USD")]
    pub price_per_hour: Option<f64>,
    /// Seconds from launch to a registered agent (default by OS: Linux 50, Windows 240, macOS 900).
    #[arg(long, value_name = "SECONDS")]
    pub launch_delay: Option<f64>,
    /// Seconds from the group starting a warm pool instance to a registered agent (default by OS and
    /// pool state: Linux 20 stopped or hibernated, Windows 40, running 5).
    #[arg(long, value_name = "SECONDS")]
    pub pool_start_delay: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// Optional stack config: the execution policy then covers exactly its resources.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Where to write the CloudFormation execution policy.
    #[arg(long, value_name = "FILE", default_value = "execution-policy.json")]
    pub policy_out: PathBuf,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Store the token (from stdin) as a SecureString, overwriting the parameter.
    #[command(
        after_help = include_str!("../help/token-put.txt")
    )]
    Put(TokenPutArgs),
}

#[derive(Debug, Args)]
pub struct TokenPutArgs {
    /// SSM parameter name (SEMAPHORE_AGENT_TOKEN_PARAMETER_NAME).
    #[arg(long, value_name = "PARAM")]
    pub name: String,
    /// KMS key id, ARN or alias to encrypt with (default: alias/aws/ssm).
    #[arg(long, value_name = "KEY")]
    pub kms_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Do not ask before IAM, security-group or replacing changes.
    #[arg(long)]
    pub yes: bool,
    /// The Lambda zip [default: target/lambda/<arch>/bootstrap.zip from scripts/build-lambda.sh,
    /// else this binary itself when it is a static Linux build for <arch>, as release binaries are].
    #[arg(long, value_name = "ZIP")]
    pub lambda_zip: Option<PathBuf>,
    /// Architecture of the Lambda zip.
    #[arg(long, value_name = "ARCH", value_enum, default_value_t = LambdaArch::X86_64)]
    pub lambda_arch: LambdaArch,
    /// AMI for the agents (default: SEMAPHORE_AGENT_AMI, else the newest own image named
    /// agent-stack-<os>-<arch>-* or semaphore-agent-*-<os>-<arch>-*).
    #[arg(long, value_name = "AMI")]
    pub image_id: Option<String>,
    /// The default VPC (default: the deployed stack's, else looked up).
    #[arg(long, value_name = "VPC")]
    pub default_vpc_id: Option<String>,
    /// Artifact bucket (default: the agent-stack-assets stack's).
    #[arg(long, value_name = "BUCKET")]
    pub bucket: Option<String>,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Do not wait for busy agents: complete their lifecycle actions with ABANDON, which stops
    /// their running jobs.
    #[arg(long)]
    pub force: bool,
    /// macOS: then release the stack's dedicated hosts (those the config names and those its
    /// instances ran on) whose 24-hour minimum allocation has passed; the others are listed with
    /// the time from which they can go.
    #[arg(long)]
    pub release_hosts: bool,
    /// With --release-hosts: wait for the other hosts, releasing each once it can go (Ctrl-C stops
    /// waiting).
    #[arg(long, requires = "release_hosts")]
    pub wait_for_hosts: bool,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Rotate every instance in service, not only those from older launch template versions.
    #[arg(long)]
    pub all: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Rotate instances whose image is not named agent-stack-* too (it must run
    /// `agent-stack boot watch`).
    #[arg(long)]
    pub any_image: bool,
    /// Stay until every rotated instance has left the group, reporting each.
    #[arg(long)]
    pub wait: bool,
    /// Seconds between looks at the group while waiting.
    #[arg(long, value_name = "S", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub poll_seconds: u64,
    /// Output format of the plan.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// A log group the images write (docs/images.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogGroupArg {
    /// /semaphore/agent: the agent's log.
    Agent,
    /// /semaphore/agent/health: the health check's log.
    Health,
    /// /semaphore/cloud-init: cloud-init (EC2Launch on Windows, ec2-macos-init on macOS).
    CloudInit,
    /// /semaphore/cloud-init/output: the user data's output.
    CloudInitOutput,
    /// The same as cloud-init-output: the user data's output.
    Userdata,
    /// /semaphore/system: syslog, with the watcher.
    System,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Only this instance (default: every instance of the stack's group, with those terminated
    /// within about an hour).
    #[arg(long, value_name = "ID")]
    pub instance: Option<String>,
    /// Only this log group (default: all of them).
    #[arg(long, value_enum, value_name = "GROUP")]
    pub group: Option<LogGroupArg>,
    /// How far back: a number and s, m, h or d.
    #[arg(long, value_name = "AGE", default_value = "1h")]
    pub since: String,
    /// Keep printing new lines (every 5 s) until Ctrl-C.
    #[arg(long)]
    pub follow: bool,
    /// Output format: text, or one JSON object per line.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Output format (with --watch: one JSON object per refresh).
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Keep watching: redraw in place on a terminal (one line per refresh otherwise), with the
    /// scaler's latest decisions, until Ctrl-C.
    #[arg(long)]
    pub watch: bool,
    /// Seconds between refreshes with --watch.
    #[arg(long, value_name = "S", default_value_t = 5, requires = "watch", value_parser = clap::value_parser!(u64).range(2..=3600))]
    pub interval: u64,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn lambda_arch_spellings_match_the_flag_values() {
        for arch in LambdaArch::value_variants() {
            assert_eq!(
                arch.to_possible_value().map(|v| v.get_name().to_string()).as_deref(),
                Some(agent_stack_config::Arch::from(*arch).to_string().as_str())
            );
        }
    }
}
