#!/bin/bash
# CloudWatch agent, shipping the agent, health-check, cloud-init and system logs.
set -euo pipefail

deb_arch=$(dpkg --print-architecture)
work=$(mktemp -d)
curl -fsSL --retry 5 "https://amazoncloudwatch-agent.s3.amazonaws.com/ubuntu/${deb_arch}/latest/amazon-cloudwatch-agent.deb" \
  -o "$work/amazon-cloudwatch-agent.deb"
dpkg -i -E "$work/amazon-cloudwatch-agent.deb"
rm -rf "$work"

config=/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json
install -m 0644 "$STAGING/amazon-cloudwatch-agent.json" "$config"
# Translate the JSON into the agent's own format now; the service starts on the instances' boot,
# not on the build instance (it would remember the build instance's log offsets).
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -c "file:$config"
systemctl enable amazon-cloudwatch-agent.service
