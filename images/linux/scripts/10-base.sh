#!/bin/bash
# Base system: latest packages, the tools CI jobs expect, no unattended upgrades.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# needrestart (jammy, noble): list, do not restart services under Packer's SSH session.
export NEEDRESTART_MODE=l

echo "== waiting for cloud-init to finish"
cloud-init status --wait >/dev/null || true

# Wait for the apt lock instead of failing while a boot-time apt run still holds it.
apt_opts=(-y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

# Automatic upgrades would restart services (and docker) under running jobs.
echo "== removing unattended-upgrades"
systemctl disable --now unattended-upgrades.service 2>/dev/null || true
apt-get purge "${apt_opts[@]}" unattended-upgrades
# apt-daily only refreshes package lists, but it holds the apt lock while a job runs apt-get.
systemctl mask apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service

echo "== upgrading packages"
apt-get update -q -o DPkg::Lock::Timeout=600
apt-get dist-upgrade "${apt_opts[@]}"

echo "== installing tools"
apt-get install "${apt_opts[@]}" --no-install-recommends \
  apt-transport-https ca-certificates curl wget gnupg git jq make tree unzip zip \
  software-properties-common python3 python3-pip python-is-python3 rsyslog

# AWS CLI v2 (jobs use it; agent-stack itself does not need it).
echo "== installing the AWS CLI"
case "$ARCH" in
  x86_64) cli_arch=x86_64 ;;
  arm64) cli_arch=aarch64 ;;
  *) echo "unknown ARCH '$ARCH'" >&2; exit 1 ;;
esac
work=$(mktemp -d)
curl -fsSL --retry 5 "https://awscli.amazonaws.com/awscli-exe-linux-${cli_arch}.zip" -o "$work/awscli.zip"
unzip -q "$work/awscli.zip" -d "$work"
"$work/aws/install" --update -i /usr/local/aws-cli -b /usr/local/bin
rm -rf "$work"
aws --version
