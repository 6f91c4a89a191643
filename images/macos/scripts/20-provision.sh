#!/bin/bash
# Runs as root: disk, updates off, CloudWatch agent, the semaphore user, the Semaphore agent,
# agent-stack and its launchd daemons.
set -euo pipefail

agent_dir=/opt/semaphore/agent
user=semaphore

echo "== growing the APFS container to the whole EBS volume"
disk=$(diskutil list physical external | awk '/^\/dev\// { print $1; exit }')
store=$(diskutil list physical external | awk '/Apple_APFS/ { print $NF; exit }')
# repairDisk asks for confirmation; resizeContainer fails when there is nothing to grow.
yes | diskutil repairDisk "$disk" || true
diskutil apfs resizeContainer "$store" 0 || true

echo "== automatic software updates off"
softwareupdate --schedule off || true
for key in AutomaticCheckEnabled AutomaticDownload AutomaticallyInstallMacOSUpdates CriticalUpdateInstall ConfigDataInstall; do
  defaults write /Library/Preferences/com.apple.SoftwareUpdate "$key" -bool false
done
defaults write /Library/Preferences/com.apple.commerce AutoUpdate -bool false

echo "== CloudWatch agent"
pkg=$(mktemp -d)/amazon-cloudwatch-agent.pkg
cw_url=https://amazoncloudwatch-agent.s3.amazonaws.com/darwin
if [ "$ARCH" = arm64 ] && curl -fsSL --retry 5 "$cw_url/arm64/latest/amazon-cloudwatch-agent.pkg" -o "$pkg"; then
  :
else
  # Intel build; on Apple silicon it runs under Rosetta.
  [ "$ARCH" = arm64 ] && softwareupdate --install-rosetta --agree-to-license
  curl -fsSL --retry 5 "$cw_url/amd64/latest/amazon-cloudwatch-agent.pkg" -o "$pkg"
fi
installer -pkg "$pkg" -target /
rm -rf "$(dirname "$pkg")"
cw_config=/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json
install -m 0644 "$STAGING/amazon-cloudwatch-agent.json" "$cw_config"
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -c "file:$cw_config" -s

echo "== creating user $user"
if ! id "$user" >/dev/null 2>&1; then
  uid=$(( $(dscl . -list /Users UniqueID | awk '{ print $2 }' | sort -n | tail -1) + 1 ))
  dscl . -create "/Users/$user"
  dscl . -create "/Users/$user" UserShell /bin/bash
  dscl . -create "/Users/$user" RealName "Semaphore agent"
  dscl . -create "/Users/$user" UniqueID "$uid"
  dscl . -create "/Users/$user" PrimaryGroupID 20
  dscl . -create "/Users/$user" NFSHomeDirectory "/Users/$user"
  createhomedir -c -u "$user" >/dev/null
fi
echo "$user ALL=(ALL) NOPASSWD:ALL" >"/etc/sudoers.d/$user"
chmod 0440 "/etc/sudoers.d/$user"
visudo -cf "/etc/sudoers.d/$user"

echo "== installing agent-stack"
mkdir -p /usr/local/bin
install -m 0755 -o root -g wheel "$STAGING/agent-stack" /usr/local/bin/agent-stack
/usr/local/bin/agent-stack --help >/dev/null

echo "== installing the Semaphore agent $AGENT_VERSION"
case "$ARCH" in
  x86_64) tarball=agent_Darwin_x86_64.tar.gz ;;
  arm64) tarball=agent_Darwin_arm64.tar.gz ;;
  *) echo "unknown ARCH '$ARCH'" >&2; exit 1 ;;
esac
mkdir -p "$agent_dir/hooks"
curl -fsSL --retry 5 "https://github.com/semaphoreci/agent/releases/download/${AGENT_VERSION}/${tarball}" \
  | tar -xz -C "$agent_dir"
install -m 0755 "$STAGING/start.sh" "$agent_dir/start.sh"
install -m 0755 "$STAGING/shutdown" "$agent_dir/hooks/shutdown"
# install.sh: toolbox into ~semaphore, a placeholder config.yaml (agent-stack rewrites it at
# boot) and the com.semaphoreci.agent launchd daemon, loaded at boot but not started.
(
  cd "$agent_dir"
  SEMAPHORE_AGENT_INSTALLATION_USER=$user \
  SEMAPHORE_AGENT_SHUTDOWN_HOOK=$agent_dir/hooks/shutdown \
  SEMAPHORE_TOOLBOX_VERSION=$TOOLBOX_VERSION \
  SEMAPHORE_AGENT_START=false \
  SEMAPHORE_REGISTRATION_TOKEN=placeholder \
  SEMAPHORE_ENDPOINT=placeholder.semaphoreci.com \
    ./install.sh
)
touch "$agent_dir/health-check.log" "$agent_dir/watch.log"
chown -R "$user" "$agent_dir"

echo "== launchd daemons: health check (every minute) and interruption watcher"
for label in com.semaphoreci.agent-stack.health-check com.semaphoreci.agent-stack.watch; do
  install -m 0644 -o root -g wheel "$STAGING/$label.plist" "/Library/LaunchDaemons/$label.plist"
  plutil -lint "/Library/LaunchDaemons/$label.plist"
done
