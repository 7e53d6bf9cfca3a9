#!/usr/bin/env bash
# Builds the release server and runs bench/sfn/bench.mjs against it, with
# aws-local-stepfunctions from bench/flow/peer (pinned; installed with npm ci).
# Usage: bench/sfn/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake --preset release >/dev/null && cmake --build --preset release --target flowgate >/dev/null
(cd bench/flow/peer && [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null)
mkdir -p build/bench
cc -O2 -o build/bench/loadgen bench/gateway/loadgen.c /usr/share/llhttp/*.c -I/usr/share/include/llhttp -luv
echo "== $(git rev-parse --short HEAD), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
FG_LOADGEN=build/bench/loadgen node bench/sfn/bench.mjs build/release/flowgate "${1:-3}"
