#!/usr/bin/env bash
# Benchmark (not a test): wall time and peak RSS of `agent-stack synth` for a config, process start included.
# Usage: scripts/bench-synth.sh [CONFIG] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-../shared/reference/agent-aws-stack/linux-min.config.json}
runs=${2:-200}
cargo build --release --quiet -p agent-stack
bin=target/release/agent-stack
start=$EPOCHREALTIME
for _ in $(seq "$runs"); do "$bin" synth --config "$config" -o /dev/null; done
end=$EPOCHREALTIME
rss=$(/usr/bin/time -f "%M" "$bin" synth --config "$config" -o /dev/null 2>&1 >/dev/null | tail -n 1)
awk -v s="$start" -v e="$end" -v n="$runs" -v rss="$rss" -v cfg="$config" \
  'BEGIN { printf "synth %s: mean wall %.2f ms over %d runs (process start included), peak RSS %.1f MiB\n", cfg, (e - s) * 1000 / n, n, rss / 1024 }'
