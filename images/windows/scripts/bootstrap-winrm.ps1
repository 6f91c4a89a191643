<powershell>
# User data of the build instance only: a WinRM HTTPS listener for Packer.
# Agent instances turn WinRM off again in C:\semaphore-agent\start.ps1.
$ErrorActionPreference = 'Stop'

$cert = New-SelfSignedCertificate -CertStoreLocation Cert:\LocalMachine\My -DnsName 'packer'
Get-ChildItem -Path WSMan:\localhost\Listener |
  Where-Object { $_.Keys -contains 'Transport=HTTPS' } |
  Remove-Item -Recurse -Force
New-Item -Path WSMan:\localhost\Listener -Transport HTTPS -Address * -CertificateThumbPrint $cert.Thumbprint -Force | Out-Null
Set-Item -Path WSMan:\localhost\Service\Auth\Basic -Value $true
Set-Item -Path WSMan:\localhost\MaxTimeoutms -Value 1800000
New-NetFirewallRule -Name 'packer-winrm-https' -DisplayName 'Packer WinRM over HTTPS' `
  -Direction Inbound -Protocol TCP -LocalPort 5986 -Action Allow | Out-Null
Restart-Service -Name WinRM
</powershell>
