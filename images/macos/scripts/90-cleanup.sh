#!/bin/bash
# Forget the build instance: its ec2-macos-init history, our staging files and Packer's key.
set -euo pipefail

rm -rf "$STAGING"
rm -f /Users/ec2-user/.ssh/authorized_keys
# New instances then run ec2-macos-init's per-instance modules (user data included) again.
/usr/local/bin/ec2-macos-init clean --all
