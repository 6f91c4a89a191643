#!/usr/bin/env bash
# The test command: installs the third-party stand-ins (cfn-lint, moto, the HCL parser and
# shellcheck for images/) into .venv when requirements-dev.txt changed, checks the image
# templates offline, then runs every test with the stand-ins required, so nothing is skipped
# silently.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=".venv/requirements-dev.sha256"
if [ ! -f "$stamp" ] || ! sha256sum --check --status "$stamp" 2>/dev/null; then
  echo "== installing test stand-ins into .venv (requirements-dev.txt)"
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  sha256sum requirements-dev.txt > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
export AGENT_STACK_REQUIRE_CFN_LINT=1 AGENT_STACK_REQUIRE_MOTO=1
# Tests talk to local stand-ins only; ignore the developer's AWS profile.
unset AWS_PROFILE AWS_DEFAULT_PROFILE
# The real Semaphore agent, v2.4.0 as the images install it, from the Go module proxy. Its go.mod
# says `module github.com/semaphoreci/agent` (no /v2), so the v2.4.0 tag is no valid module version:
# the pin is that tag's commit as a pseudo-version. The instance tests run it when it is there;
# where the proxy refuses the module they run the stand-in (examples/stand_in_agent.rs), which
# follows shared/reference/real-agent.md, and say so here.
agent_module=github.com/semaphoreci/agent
agent_version=v1.4.4-0.20260203135334-7fc190af6847 # the commit of tag v2.4.0
agent_dir="$PWD/.tools/semaphore-agent-$agent_version"
if [ -z "${AGENT_STACK_SEMAPHORE_AGENT:-}" ] && [ ! -x "$agent_dir/agent" ] && command -v go >/dev/null; then
  echo "== installing the Semaphore agent v2.4.0 ($agent_module@$agent_version) with go install"
  if ! GOBIN="$agent_dir" GOFLAGS=-mod=mod go install -ldflags "-s -w -X main.VERSION=v2.4.0" \
      "$agent_module@$agent_version" 2>.tools-agent-install.log; then
    echo "   go install failed:"
    head -n 3 .tools-agent-install.log | sed "s/^/   /"
  fi
  rm -f .tools-agent-install.log
fi
if [ -z "${AGENT_STACK_SEMAPHORE_AGENT:-}" ] && [ -x "$agent_dir/agent" ]; then
  export AGENT_STACK_SEMAPHORE_AGENT="$agent_dir/agent"
fi
if [ -n "${AGENT_STACK_SEMAPHORE_AGENT:-}" ]; then
  export AGENT_STACK_REQUIRE_REAL_AGENT=1
  echo "== instance tests run the real Semaphore agent: $AGENT_STACK_SEMAPHORE_AGENT ($("$AGENT_STACK_SEMAPHORE_AGENT" version))"
else
  echo "== instance tests run the stand-in agent (examples/stand_in_agent.rs): the real one is not installed"
fi
echo "== images/: Packer templates, scripts, units, CloudWatch configs (offline)"
python images/check.py
python images/test_check.py
cargo test --workspace --locked "$@"
