#!/usr/bin/env bash
# BM25 benchmark: flowgate's index vs SQLite FTS5 (porter) on BEIR SciFact.
# Usage: bench/kb/run.sh [DATASET_DIR] [RUNS]   (default ../shared/datasets/scifact, 5 runs)
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:-${FG_SHARED_DIR:-../shared}/datasets/scifact}
runs=${2:-5}
[ -f "$data/corpus.jsonl" ] || { echo "no dataset at $data"; exit 1; }
cmake --preset release >/dev/null
cmake --build --preset release -j2 >/dev/null
b=build/release
mkdir -p $b/bench
cc -O2 -g -std=c11 -D_GNU_SOURCE -Isrc bench/kb/bench_kb.c -o $b/bench/bench_kb \
  -Wl,--start-group $b/src/kb/libfg_kb.a $b/src/cli/libfg_cli.a $b/src/core/libfg_core.a -Wl,--end-group \
  -lsqlite3 -lstemmer -lgumbo -ljansson -lcrypto -lm -lpthread
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  commit: $(git rev-parse --short HEAD)  nproc: $(nproc)  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
$b/bench/bench_kb "$data" "$runs"
