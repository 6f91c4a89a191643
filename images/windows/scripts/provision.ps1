# Provisions the Windows agent image. Runs once, as Administrator, through Packer's WinRM session.
# Expects $env:AGENT_VERSION, $env:TOOLBOX_VERSION and $env:STAGING (where Packer put our files).
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12

$Staging = $env:STAGING
$AgentDir = 'C:\semaphore-agent'
$Nssm = 'C:\ProgramData\chocolatey\bin\nssm.exe'

# Runs a native program and fails on a non-zero exit code.
function Invoke-Native {
  param([string]$Program, [string[]]$Arguments)
  & $Program @Arguments
  if ($LASTEXITCODE -ne 0) { throw "$Program $($Arguments -join ' ') exited with $LASTEXITCODE" }
}

function Update-Path {
  $env:Path = [Environment]::GetEnvironmentVariable('Path', 'Machine')
}

# Downloads a file, retrying a few times.
function Get-Download {
  param([string]$Uri, [string]$OutFile)
  for ($i = 1; ; $i++) {
    try { Invoke-WebRequest -UseBasicParsing -Uri $Uri -OutFile $OutFile; return }
    catch { if ($i -ge 5) { throw } ; Start-Sleep -Seconds (5 * $i) }
  }
}

Write-Output '== Chocolatey, git, 7zip, jq, nssm'
Invoke-Expression ((New-Object Net.WebClient).DownloadString('https://community.chocolatey.org/install.ps1'))
Update-Path
Invoke-Native choco @('install', '-y', '--no-progress', 'git', '7zip', 'jq', 'nssm')
Update-Path
Invoke-Native git @('config', '--system', 'core.autocrlf', 'false')

Write-Output '== AWS CLI'
Get-Download -Uri 'https://awscli.amazonaws.com/AWSCLIV2.msi' -OutFile "$Staging\AWSCLIV2.msi"
$p = Start-Process -FilePath msiexec.exe -ArgumentList '/i', "$Staging\AWSCLIV2.msi", '/qn', '/norestart' -Wait -PassThru
if ($p.ExitCode -ne 0) { throw "AWS CLI installer exited with $($p.ExitCode)" }

Write-Output '== CloudWatch agent'
Get-Download -Uri 'https://amazoncloudwatch-agent.s3.amazonaws.com/windows/amd64/latest/amazon-cloudwatch-agent.msi' `
  -OutFile "$Staging\amazon-cloudwatch-agent.msi"
$p = Start-Process -FilePath msiexec.exe -ArgumentList '/i', "$Staging\amazon-cloudwatch-agent.msi", '/qn', '/norestart' -Wait -PassThru
if ($p.ExitCode -ne 0) { throw "CloudWatch agent installer exited with $($p.ExitCode)" }
$CwConfig = 'C:\ProgramData\Amazon\AmazonCloudWatchAgent\amazon-cloudwatch-agent.json'
Copy-Item -Path "$Staging\amazon-cloudwatch-agent.json" -Destination $CwConfig -Force
# Translate the config now; the service starts on the agent instances' boot, not here.
& 'C:\Program Files\Amazon\AmazonCloudWatchAgent\amazon-cloudwatch-agent-ctl.ps1' -a fetch-config -m ec2 -c "file:$CwConfig"
Invoke-Native sc.exe @('config', 'AmazonCloudWatchAgent', 'start=', 'delayed-auto')

Write-Output "== Semaphore agent $env:AGENT_VERSION"
New-Item -ItemType Directory -Force -Path "$AgentDir\hooks" | Out-Null
Get-Download -Uri "https://github.com/semaphoreci/agent/releases/download/$env:AGENT_VERSION/agent_Windows_x86_64.tar.gz" `
  -OutFile "$Staging\agent.tar.gz"
Invoke-Native tar.exe @('-xf', "$Staging\agent.tar.gz", '-C', $AgentDir)
# The toolbox goes into the agent user's profile, which only exists on the instance (start.ps1).
Get-Download -Uri "https://github.com/semaphoreci/toolbox/releases/download/$env:TOOLBOX_VERSION/self-hosted-windows.tar" `
  -OutFile "$AgentDir\toolbox.tar"
Set-Content -Path "$AgentDir\toolbox_version" -Value $env:TOOLBOX_VERSION

Write-Output '== agent-stack'
Copy-Item -Path "$Staging\agent-stack.exe" -Destination "$AgentDir\agent-stack.exe" -Force
Copy-Item -Path "$Staging\start.ps1" -Destination "$AgentDir\start.ps1" -Force
Copy-Item -Path "$Staging\start-later.ps1" -Destination "$AgentDir\start-later.ps1" -Force
Copy-Item -Path "$Staging\shutdown.ps1" -Destination "$AgentDir\hooks\shutdown.ps1" -Force
Invoke-Native "$AgentDir\agent-stack.exe" @('--help') | Out-Null

Write-Output '== semaphore-agent service (nssm; start.ps1 sets its account, agent-stack starts it)'
Invoke-Native $Nssm @('install', 'semaphore-agent', "$AgentDir\agent.exe", 'start', '--config-file', "$AgentDir\config.yaml")
Invoke-Native $Nssm @('set', 'semaphore-agent', 'AppDirectory', $AgentDir)
Invoke-Native $Nssm @('set', 'semaphore-agent', 'AppStdout', "$AgentDir\agent.log")
Invoke-Native $Nssm @('set', 'semaphore-agent', 'AppStderr', "$AgentDir\agent.log")
# When the agent exits (after its job, or idle) the service stops; the health check takes over.
Invoke-Native $Nssm @('set', 'semaphore-agent', 'AppExit', 'Default', 'Exit')
Invoke-Native $Nssm @('set', 'semaphore-agent', 'Start', 'SERVICE_DEMAND_START')

Write-Output '== scheduled tasks: health check (every minute) and interruption watcher (at startup)'
function New-CmdAction {
  param([string]$Subcommand, [string]$Log)
  $line = "$AgentDir\agent-stack.exe boot $Subcommand --agent-dir $AgentDir >> $AgentDir\$Log 2>&1"
  New-ScheduledTaskAction -Execute 'C:\Windows\System32\cmd.exe' -Argument "/d /c $line"
}
$health = New-ScheduledTaskTrigger -AtStartup
$health.Repetition = (New-ScheduledTaskTrigger -Once -At (Get-Date) -RepetitionInterval (New-TimeSpan -Minutes 1)).Repetition
$healthSettings = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries `
  -MultipleInstances IgnoreNew -ExecutionTimeLimit (New-TimeSpan -Minutes 5)
Register-ScheduledTask -Force -TaskName 'agent-stack health check' -User 'SYSTEM' -RunLevel Highest `
  -Action (New-CmdAction 'health-check' 'health-check.log') -Trigger $health -Settings $healthSettings | Out-Null
$watchSettings = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries `
  -MultipleInstances IgnoreNew -ExecutionTimeLimit ([TimeSpan]::Zero) `
  -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1)
Register-ScheduledTask -Force -TaskName 'agent-stack watch' -User 'SYSTEM' -RunLevel Highest `
  -Action (New-CmdAction 'watch' 'watch.log') -Trigger (New-ScheduledTaskTrigger -AtStartup) -Settings $watchSettings | Out-Null

# Later boots (a warm-pool instance started for service): user data does not run again.
$laterAction = New-ScheduledTaskAction -Execute 'powershell.exe' `
  -Argument "-NoProfile -NonInteractive -ExecutionPolicy Bypass -File $AgentDir\start-later.ps1"
$laterSettings = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries `
  -MultipleInstances IgnoreNew -ExecutionTimeLimit ([TimeSpan]::Zero)
Register-ScheduledTask -Force -TaskName 'agent-stack start on later boots' -User 'SYSTEM' -RunLevel Highest `
  -Action $laterAction -Trigger (New-ScheduledTaskTrigger -AtStartup) -Settings $laterSettings | Out-Null

Write-Output '== Windows Update off (no updates or reboots under running jobs)'
$au = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU'
New-Item -Path $au -Force | Out-Null
Set-ItemProperty -Path $au -Name NoAutoUpdate -Value 1 -Type DWord
Stop-Service -Name wuauserv -Force
Set-Service -Name wuauserv -StartupType Disabled

Write-Output '== done'
