//! `agent-stack token put`: stores the agent type registration token as an SSM SecureString.
//! The token is read from stdin (or typed at a prompt), never from the command line, and never printed.

use std::io::{BufRead, IsTerminal, Write};

use agent_stack_aws::{put_token, sdk_config, CallProfile};
use agent_stack_config::RegistrationToken;

use crate::args::TokenPutArgs;
use crate::error::CliError;

/// Reads one line from stdin; a trailing newline is not part of the token.
fn read_token() -> Result<RegistrationToken, CliError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Registration token (input is not shown on most terminals if you paste it): ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).map_err(|e| CliError::Input(format!("cannot read the token from stdin: {e}")))?;
    let token = line.trim_end_matches(['\r', '\n']).trim();
    if token.is_empty() {
        return Err(CliError::Input("no token on stdin: pipe it in, e.g. `agent-stack token put --name NAME < token.txt`".into()));
    }
    if token.chars().any(|c| c.is_control() || c == ' ') {
        return Err(CliError::Input("the token contains spaces or control characters; paste the token only".into()));
    }
    Ok(RegistrationToken::new(token))
}

pub fn run(args: &TokenPutArgs) -> Result<(), CliError> {
    if !agent_stack_config::syntax_ok_ssm_name(&args.name) {
        return Err(CliError::Input(format!(
            "--name {:?} is not an SSM parameter name ([a-zA-Z0-9_.-/], hierarchical names start with /, no aws/ssm prefix)",
            args.name
        )));
    }
    let token = read_token()?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let sdk = sdk_config(CallProfile::Command).await;
        put_token(&sdk, &args.name, &token, args.kms_key.as_deref()).await.map_err(CliError::from)
    })?;
    let key = args.kms_key.as_deref().unwrap_or("alias/aws/ssm");
    println!("stored the registration token in SSM parameter {} (SecureString, {key})", args.name);
    Ok(())
}
