#!/usr/bin/env bash
# The test command: installs the third-party stand-ins (cfn-lint, moto, and for images/ the HCL
# parser and the shellcheck binary) into .venv when requirements-dev.txt changed, and the Go tools
# (AWS's Lambda runtime emulator; the real Semaphore agent where the Go module proxy serves it)
# into .tools, checks the image templates, then runs every test with the stand-ins required, so
# nothing is skipped silently.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=".venv/requirements-dev.sha256"
if [ ! -f "$stamp" ] || ! sha256sum --check --status "$stamp" 2>/dev/null; then
  echo "== installing test stand-ins into .venv (requirements-dev.txt)"
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-cache-dir -r requirements-dev.txt
  sha256sum requirements-dev.txt > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
export AGENT_STACK_REQUIRE_CFN_LINT=1 AGENT_STACK_REQUIRE_MOTO=1
# Tests talk to local stand-ins only; ignore the developer's AWS profile.
unset AWS_PROFILE AWS_DEFAULT_PROFILE
# shellcheck source=scripts/go-scratch.sh
source scripts/go-scratch.sh
# go_install NAME VERSION PACKAGE [go install flags…]: installs the Go tool NAME from the Go module
# proxy, pinned, into .tools/NAME-VERSION once; REPLY is its path, or empty when it cannot be had
# (the error is printed).
go_install() {
  local name=$1 version=$2 package=$3
  shift 3
  local dir="$PWD/.tools/$name-$version"
  REPLY=""
  if [ ! -x "$dir/$name" ] && command -v go >/dev/null; then
    echo "== installing $name ($package@$version) with go install"
    go_scratch
    if ! GOBIN="$dir" GOFLAGS=-mod=mod go install "$@" "$package@$version" 2>"$dir.log"; then
      echo "   go install failed:"
      head -n 3 "$dir.log" | sed "s/^/   /"
    fi
    rm -f "$dir.log"
  fi
  if [ -x "$dir/$name" ]; then REPLY="$dir/$name"; fi
}

# The real Semaphore agent, v2.4.0 as the images install it. Its go.mod says
# `module github.com/semaphoreci/agent` (no /v2), so the v2.4.0 tag is no valid module version: the
# pin is that tag's commit as a pseudo-version. The instance tests run it when it is there; where
# the proxy refuses the module they run the stand-in (examples/stand_in_agent.rs), which follows
# shared/reference/real-agent.md, and say so here.
if [ -z "${AGENT_STACK_SEMAPHORE_AGENT:-}" ]; then
  go_install agent v1.4.4-0.20260203135334-7fc190af6847 github.com/semaphoreci/agent -ldflags "-s -w -X main.VERSION=v2.4.0"
  if [ -n "$REPLY" ]; then export AGENT_STACK_SEMAPHORE_AGENT="$REPLY"; fi
fi
if [ -n "${AGENT_STACK_SEMAPHORE_AGENT:-}" ]; then
  export AGENT_STACK_REQUIRE_REAL_AGENT=1
  echo "== instance tests run the real Semaphore agent: $AGENT_STACK_SEMAPHORE_AGENT ($("$AGENT_STACK_SEMAPHORE_AGENT" version))"
else
  echo "== instance tests run the stand-in agent (examples/stand_in_agent.rs): the real one is not installed"
fi

# AWS's Lambda Runtime Interface Emulator: the Lambda's tests run the function binaries under it.
if [ -z "${AGENT_STACK_LAMBDA_RIE:-}" ]; then
  go_install aws-lambda-rie v0.0.0-20261030222936-bef5c4ba774d \
    github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
  if [ -z "$REPLY" ]; then
    echo "the Lambda runtime emulator could not be installed (Go and the Go module proxy are needed)" >&2
    exit 1
  fi
  export AGENT_STACK_LAMBDA_RIE="$REPLY"
fi
export AGENT_STACK_REQUIRE_RIE=1
go_scratch_remove

echo "== images/: Packer templates (our rules, then Packer itself), scripts, units, CloudWatch configs"
python images/check.py
python images/test_check.py
bash scripts/packer-check.sh
cargo test --workspace --locked "$@"
