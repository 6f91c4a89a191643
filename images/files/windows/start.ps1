# Boot-time start of the Semaphore agent on Windows, called from the instance's user data:
#   C:\semaphore-agent\start.ps1 <stack>-config
# Prepares what only exists per instance (the agent's account, its profile and toolbox), then
# hands over to `agent-stack boot start`, which writes config.yaml and starts the service.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$ConfigParam = $args[0]
$AgentDir = 'C:\semaphore-agent'
$UserName = 'semaphore'
$Nssm = 'C:\ProgramData\chocolatey\bin\nssm.exe'

# Anything failing before agent-stack runs leaves an instance without an agent: power it off
# (the launch template terminates on shutdown) so the Auto Scaling group replaces it.
# (One trap per script: PowerShell would ignore a second one in the same scope.)
$HandedOver = $false
trap {
  Write-Output "start.ps1 failed: $_"
  if (-not $HandedOver) { Stop-Computer -Force }
  exit 1
}

if (-not $ConfigParam) { throw 'usage: start.ps1 <agent config parameter name>' }

# 1. The agent's account, with a password that only this instance ever knows.
$bytes = New-Object byte[] 48
[Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($bytes)
$Password = [Convert]::ToBase64String($bytes) + 'aA1!'
$Secure = ConvertTo-SecureString -String $Password -AsPlainText -Force
if (Get-LocalUser -Name $UserName -ErrorAction SilentlyContinue) {
  Set-LocalUser -Name $UserName -Password $Secure
} else {
  New-LocalUser -Name $UserName -Password $Secure -PasswordNeverExpires -AccountNeverExpires | Out-Null
  Add-LocalGroupMember -Group 'Administrators' -Member $UserName
}
& $Nssm set semaphore-agent ObjectName ".\$UserName" $Password | Out-Null
if ($LASTEXITCODE -ne 0) { throw "nssm could not set the service account ($LASTEXITCODE)" }

# 2. The toolbox, installed as that user: logging on creates its profile, and the toolbox sets
#    the user's PATH and PowerShell modules. A local remoting session is the way to run as it.
Write-Output 'Installing the toolbox for the semaphore user...'
$Credential = New-Object System.Management.Automation.PSCredential -ArgumentList ".\$UserName", $Secure
Enable-PSRemoting -Force -SkipNetworkProfileCheck | Out-Null
try {
  Invoke-Command -ComputerName localhost -Credential $Credential -ArgumentList "$AgentDir\toolbox.tar" -ScriptBlock {
    param($Tar)
    $ErrorActionPreference = 'Stop'
    if (Test-Path "$HOME\.toolbox") { Remove-Item -Recurse -Force "$HOME\.toolbox" }
    tar.exe -xf $Tar -C $HOME
    if ($LASTEXITCODE -ne 0) { throw "tar exited with $LASTEXITCODE" }
    Rename-Item -Path "$HOME\toolbox" -NewName '.toolbox'
    & "$HOME\.toolbox\install-toolbox.ps1"
  }
} finally {
  # Jobs get no remote management endpoint; neither is Packer's build listener kept.
  Disable-PSRemoting -Force
  Stop-Service -Name WinRM -Force
  Set-Service -Name WinRM -StartupType Disabled
  Remove-NetFirewallRule -Name 'packer-winrm-https' -ErrorAction SilentlyContinue
}

# 3. agent-stack: SSM parameters -> config.yaml and known_hosts -> Start-Service semaphore-agent.
#    From here on failures are agent-stack's to report.
$HandedOver = $true
& "$AgentDir\agent-stack.exe" boot start $ConfigParam --agent-dir $AgentDir --agent-user $UserName `
  --start-command 'Start-Service -Name semaphore-agent'
exit $LASTEXITCODE
