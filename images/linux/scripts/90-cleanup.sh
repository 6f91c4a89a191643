#!/bin/bash
# Leave nothing of the build instance behind: caches, host keys, cloud-init state, our key.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

apt-get autoremove -y -q --purge
apt-get clean
rm -rf /var/lib/apt/lists/* "$STAGING"

# Each instance gets its own host keys, machine id and cloud-init run.
rm -f /etc/ssh/ssh_host_*
truncate -s 0 /etc/machine-id
rm -f /var/lib/dbus/machine-id
cloud-init clean --logs
rm -f /home/ubuntu/.ssh/authorized_keys /root/.ssh/authorized_keys
sync
