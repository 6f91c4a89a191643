//! What the stack commands share: the async runtime, the terminal [`Ui`] the operations ask and
//! report through, and the deploy inputs from the flags.

use std::io::{BufRead, IsTerminal, Write};

use agent_stack_config::Arch;
use agent_stack_ops::deploy::Inputs;
use agent_stack_ops::Ui;

use crate::args::DeployArgs;
use crate::error::CliError;

pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Runtime::new().map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))
}

/// Asks on the terminal (only `--yes` proceeds without one); progress goes to stderr.
pub struct Terminal {
    pub yes: bool,
}

impl Ui for Terminal {
    fn confirm(&mut self, question: &str) -> Result<bool, agent_stack_ops::Error> {
        if self.yes {
            return Ok(true);
        }
        if !std::io::stdin().is_terminal() {
            return Err(agent_stack_ops::Error::Input(format!("{question} — confirmation needed: run in a terminal or pass --yes")));
        }
        eprint!("{question} [y/N] ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| agent_stack_ops::Error::Input(format!("cannot read the answer from the terminal: {e}")))?;
        Ok(matches!(line.trim(), "y" | "Y" | "yes"))
    }

    fn progress(&mut self, line: &str) {
        eprintln!("{line}");
    }
}

/// The deploy inputs from the flags, with the Lambda artifact read.
pub fn inputs(args: &DeployArgs) -> Result<Inputs, CliError> {
    let lambda_arch = Arch::from(args.lambda_arch);
    Ok(Inputs {
        lambda_zip: lambda_artifact(args.lambda_zip.as_deref(), lambda_arch)?,
        lambda_arch,
        image_id: args.image_id.clone(),
        default_vpc_id: args.default_vpc_id.clone(),
        bucket: args.bucket.clone(),
    })
}

/// The Lambda zip: `--lambda-zip`, else a local `scripts/build-lambda.sh` build, else this very
/// binary when it is a static Linux build for the Lambda's architecture (release binaries are).
fn lambda_artifact(given: Option<&std::path::Path>, arch: Arch) -> Result<Vec<u8>, CliError> {
    let local_build = std::path::PathBuf::from(format!("target/lambda/{arch}/bootstrap.zip"));
    let path = match given {
        Some(path) => Some(path.to_path_buf()),
        None => local_build.exists().then_some(local_build),
    };
    if let Some(path) = path {
        return std::fs::read(&path).map_err(|e| CliError::Input(format!("--lambda-zip {}: {e}", path.display())));
    }
    if crate::lambda::own_lambda_arch() == Some(arch) {
        let exe = std::env::current_exe().and_then(std::fs::read).map_err(|e| CliError::Failed(format!("reading this binary: {e}")))?;
        return crate::lambda::zip_executable("bootstrap", &exe).map_err(CliError::Failed);
    }
    let own =
        crate::lambda::own_lambda_arch().map_or("this build is not a static Linux binary".to_string(), |a| format!("this binary is {a}"));
    Err(CliError::Input(format!(
        "no Lambda artifact for {arch} ({own}): pass --lambda-zip with the zip of a static Linux agent-stack binary named \
         bootstrap, build one with scripts/build-lambda.sh {arch}, or run deploy with the {arch} Linux release binary"
    )))
}
