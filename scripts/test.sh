#!/usr/bin/env bash
# The test command: installs the third-party stand-ins (cfn-lint, moto) into .venv when they are
# not on PATH, then runs every test with them required, so nothing is skipped silently.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cfn-lint >/dev/null || ! command -v moto_server >/dev/null; then
  if [ ! -x .venv/bin/moto_server ] || [ ! -x .venv/bin/cfn-lint ]; then
    echo "== installing test stand-ins into .venv (requirements-dev.txt)"
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  fi
  export PATH="$PWD/.venv/bin:$PATH"
fi
export AGENT_STACK_REQUIRE_CFN_LINT=1 AGENT_STACK_REQUIRE_MOTO=1
# Tests talk to local stand-ins only; ignore the developer's AWS profile.
unset AWS_PROFILE AWS_DEFAULT_PROFILE
cargo test --workspace --locked "$@"
