//! The agent-stack Lambda (`bootstrap` on `provided.al2023`): one binary for the stack's functions,
//! dispatching on `AGENT_STACK_FUNCTION` and the event's shape.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    agent_stack_lambda::runtime::serve().await
}
