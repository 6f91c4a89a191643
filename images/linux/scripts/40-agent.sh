#!/bin/bash
# The Semaphore agent (service installed, not started), agent-stack and its systemd units.
set -euo pipefail

agent_dir=/opt/semaphore/agent
user=semaphore

echo "== creating user $user"
if ! id "$user" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash --groups docker "$user"
fi
echo "$user ALL=(ALL) NOPASSWD:ALL" >/etc/sudoers.d/90-semaphore
chmod 0440 /etc/sudoers.d/90-semaphore
visudo -cf /etc/sudoers.d/90-semaphore

echo "== installing agent-stack"
install -m 0755 -o root -g root "$STAGING/agent-stack" /usr/local/bin/agent-stack
# Fails here, not at boot, when the binary was built for the other architecture.
/usr/local/bin/agent-stack --help >/dev/null

echo "== installing the Semaphore agent $AGENT_VERSION"
case "$ARCH" in
  x86_64) tarball=agent_Linux_x86_64.tar.gz ;;
  arm64) tarball=agent_Linux_arm64.tar.gz ;;
  *) echo "unknown ARCH '$ARCH'" >&2; exit 1 ;;
esac
url=${AGENT_URL:-https://github.com/semaphoreci/agent/releases/download/${AGENT_VERSION}/${tarball}}
mkdir -p "$agent_dir/hooks"
curl -fsSL --retry 5 "$url" | tar -xz -C "$agent_dir"
install -m 0755 "$STAGING/start.sh" "$agent_dir/start.sh"
install -m 0755 "$STAGING/shutdown" "$agent_dir/hooks/shutdown"
chown -R "$user:$user" "$agent_dir"

# install.sh downloads the toolbox into ~semaphore, writes a placeholder config.yaml (agent-stack
# rewrites it at boot) and the semaphore-agent systemd unit, which stays disabled:
# `agent-stack boot start` starts it once the config is in place.
(
  cd "$agent_dir"
  SEMAPHORE_AGENT_INSTALLATION_USER=$user \
  SEMAPHORE_AGENT_SHUTDOWN_HOOK=$agent_dir/hooks/shutdown \
  SEMAPHORE_TOOLBOX_VERSION=$TOOLBOX_VERSION \
  SEMAPHORE_AGENT_START=false \
  SEMAPHORE_AGENT_SYSTEMD_RESTART_SEC=$SYSTEMD_RESTART_SECONDS \
  SEMAPHORE_REGISTRATION_TOKEN=placeholder \
  SEMAPHORE_ENDPOINT=placeholder.semaphoreci.com \
    ./install.sh
)
systemctl disable semaphore-agent.service 2>/dev/null || true

echo "== installing the health check, the interruption watcher and the later-boot start"
for unit in agent-stack-health.service agent-stack-health.timer agent-stack-watch.service agent-stack-boot.service; do
  install -m 0644 "$STAGING/$unit" "/etc/systemd/system/$unit"
done
touch "$agent_dir/health-check.log"
chown "$user:$user" "$agent_dir/health-check.log"
systemctl daemon-reload
systemctl enable agent-stack-health.timer agent-stack-watch.service agent-stack-boot.service
