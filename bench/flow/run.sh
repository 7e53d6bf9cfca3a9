#!/usr/bin/env bash
# Builds the release engine and the benchmark, runs flowgate's engine and
# aws-local-stepfunctions (npm, pinned in peer/package-lock.json) on the same
# definitions and inputs, after checking both give the same output.
# Usage: bench/flow/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
cmake --preset release >/dev/null && cmake --build --preset release >/dev/null
out=build/release/bench_flow
cc -O2 -std=c11 -D_GNU_SOURCE -Isrc bench/flow/bench_flow.c build/release/src/flow/libfg_flow.a \
   build/release/src/jsonata/libfg_jsonata.a build/release/src/cli/libfg_cli.a \
   build/release/src/core/libfg_core.a -ljansson -lpcre2-8 -lcrypto -lm -lpthread -o "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$out" --dump "$work"
echo "== flowgate ($(git rev-parse --short HEAD), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
"$out" "$runs"
echo "== aws-local-stepfunctions"
(cd bench/flow/peer && [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null)
node bench/flow/peer/bench.mjs "$work" "$runs"
