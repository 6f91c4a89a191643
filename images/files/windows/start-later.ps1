# At every startup (a scheduled task): on a later boot of an instance whose first boot ran
# start.ps1 (a warm-pool instance started for service, or a rebooted one), start the agent again
# with the stack's config parameter that the first `boot start` saved. It waits for InService,
# then makes a fresh agent name, token and config.yaml. On the first boot there is no saved
# parameter yet and it does nothing: user data runs start.ps1 then.
$ErrorActionPreference = 'Stop'
$AgentDir = 'C:\semaphore-agent'
if (-not (Test-Path "$AgentDir\agent-stack.config-parameter")) { exit 0 }
& "$AgentDir\agent-stack.exe" boot start --agent-dir $AgentDir --agent-user semaphore `
  --start-command 'Start-Service -Name semaphore-agent' *>> "$AgentDir\boot-start.log"
exit $LASTEXITCODE
