#!/usr/bin/env bash
# BM25 benchmark: flowgate's index vs SQLite FTS5 (porter) on BEIR SciFact.
# Usage: bench/kb/run.sh [DATASET_DIR] [RUNS]   (default ../shared/datasets/scifact, 5 runs)
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:-${FG_SHARED_DIR:-../shared}/datasets/scifact}
runs=${2:-5}
[ -f "$data/corpus.jsonl" ] || { echo "no dataset at $data"; exit 1; }
cmake --preset release >/dev/null
cmake --build build/release -j2 >/dev/null
b=build/release
mkdir -p $b/bench
# Link against every module as flowgate itself is linked (the service engine
# pulls in the store, the gateway, the HTTP client...).
libs=$(sed -n '/^build flowgate:/,/^$/s/^  LINK_LIBRARIES = //p' $b/build.ninja)
(cd $b && cc -O2 -g -std=c11 -D_GNU_SOURCE -I../../src -I../../bench/kb ../../bench/kb/bench_kb.c \
  ../../bench/kb/service_engine.c -o bench/bench_kb $libs)
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  commit: $(git rev-parse --short HEAD)  nproc: $(nproc)  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
$b/bench/bench_kb "$data" "$runs"
