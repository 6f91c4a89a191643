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
    #[command(after_help = "Examples:\n  agent-stack validate --config config.json\n  SEMAPHORE_AGENT_STACK_CONFIG=config.json agent-stack validate --output json\n\nExit codes: 0 valid, 2 invalid (every problem is listed).")]
    Validate(ValidateArgs),
    /// Write the CloudFormation template for a stack configuration (offline, deterministic).
    #[command(after_help = "Examples:\n  agent-stack synth --config config.json > template.json\n  agent-stack synth --config config.json -o template.json --image-id ami-0123456789abcdef0\n\nThe template's parameters ImageId, LambdaCodeBucket, LambdaCodeKey, LambdaArchitecture and\nDefaultVpcId are filled in at deploy time; the flags below bake defaults into the template.")]
    Synth(SynthArgs),
    /// Run the scaler from here: read Semaphore's metrics and raise the group's desired capacity.
    #[command(after_help = "Examples:\n  agent-stack scale --config config.json --once\n  agent-stack scale --config config.json --once --output json\n  agent-stack scale --config config.json --watch\n\nUses the AWS credentials, region and AWS_ENDPOINT_URL of the environment, as the AWS CLI does.\nThe group is the stack's autoScalingGroup unless --asg-name names another.")]
    Scale(ScaleArgs),
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
    #[arg(long, value_name = "ARCH", value_parser = ["x86_64", "arm64"])]
    pub lambda_arch: Option<String>,
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
