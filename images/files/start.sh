#!/bin/bash
# /opt/semaphore/agent/start.sh <stack>-config: the entry point that user data of agent-aws-stack
# and agent-stack calls. Everything happens in `agent-stack boot start` (docs/images.md).
set -euo pipefail
exec "${AGENT_STACK_BIN:-/usr/local/bin/agent-stack}" boot start "$@"
