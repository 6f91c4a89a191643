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
echo "== images/: Packer templates, scripts, units, CloudWatch configs (offline)"
python images/check.py
python images/test_check.py
cargo test --workspace --locked "$@"
