# The agent's shutdown hook (C:\semaphore-agent\hooks\shutdown.ps1): agent-stack terminates this
# instance through its Auto Scaling group, reading SEMAPHORE_AGENT_SHUTDOWN_REASON.
& 'C:\semaphore-agent\agent-stack.exe' boot shutdown-hook
exit $LASTEXITCODE
