#!/usr/bin/env bash
# The cache benchmark.
#  1. In process (bench_cache.c): lookup latency over ENTRIES exact and ENTRIES
#     semantic entries (HNSW and exact scan), against SQLite reads by key.
#  2. End to end at RATE req/s (bench/gateway/loadgen.c, open loop): cache hits
#     on POST /RestLambda (exact; semantic: embed + HNSW over ENTRIES vectors)
#     against the same request answered by the mock upstream directly and by
#     flowgate without the cache.
#  3. 1,000 concurrent WebSocket chats streaming 100 tokens through /ws against
#     the same streams from the mock directly; then 1,000 concurrent cache hits.
#
#   bench/cache/run.sh [RUNS] [SECONDS] [ENTRIES] [RATE]   (defaults 3 5 100000 1000)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
secs=${2:-5}
entries=${3:-100000}
rate=${4:-1000}
b=build/release
mkdir -p $b/bench bench/results
ulimit -n 65536 || true
cmake --preset release >/dev/null
cmake --build --preset release -j2 >/dev/null
cc -O2 -g -std=c11 -D_GNU_SOURCE -Isrc bench/cache/bench_cache.c -o $b/bench/bench_cache \
  -Wl,--start-group $b/src/cache/libfg_cache.a $b/src/kb/libfg_kb.a $b/src/store/libfg_store.a \
  $b/src/obs/libfg_obs.a $b/src/config/libfg_config.a $b/src/cli/libfg_cli.a $b/src/core/libfg_core.a \
  -Wl,--end-group -lsqlite3 -lstemmer -lgumbo -ljansson -lyaml -lcrypto -lm -lpthread
[ -d tests/node_modules/ws ] || (cd tests && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
cc -O2 -o $b/bench/loadgen bench/gateway/loadgen.c /usr/share/llhttp/*.c -I/usr/share/include/llhttp -luv
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  commit: $(git rev-parse --short HEAD)  nproc: $(nproc)  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

echo "## 1. in process"
$b/bench/bench_cache "$entries" "$runs" 256

tmp=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
# The port a server printed in its log ("listening on http://HOST:PORT/"), waiting up to 10 minutes
# (a large semantic cache builds its HNSW graph at start).
port_of() {
  for _ in $(seq 6000); do
    p=$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$1" 2>/dev/null | sed 's/.*://' || true)
    [ -n "$p" ] && { echo "$p"; return; }
    sleep 0.1
  done
  echo "no server in $1" >&2; exit 1
}
$b/flowgate mock-llm --port 0 --quiet >"$tmp/mock.log" 2>&1 &
MOCK=$(port_of "$tmp/mock.log")
cat >"$tmp/flowgate.yaml" <<YAML
log: { level: info, access: false }
server: { workers: 1, max_connections: 20000 }
providers:
  - { name: up, type: openai, base_url: "http://127.0.0.1:$MOCK/v1" }
  - { name: inproc, type: mock }
models:
  - { name: mock, deployments: [{ provider: up }] }
  - { name: embed, deployments: [{ provider: inproc }] }
chat: { default_model: mock }
cache: { mode: semantic, embedding_model: embed, semantic_threshold: 0.95 }
YAML
start_fg() {
  $b/flowgate serve --config "$tmp/flowgate.yaml" --port 0 --data "$tmp/data" >"$tmp/fg.log" 2>&1 &
  FG_PID=$!
  t0=$(date +%s.%N)
  FG=$(port_of "$tmp/fg.log")
  echo "flowgate ready in $(echo "$(date +%s.%N) - $t0" | bc) s"
}
start_fg
curl -sf "http://127.0.0.1:$FG/v1/embeddings" -H 'content-type: application/json' \
  -d '{"model":"embed","input":"what is the capital city of france"}' >"$tmp/emb.json"
kill $FG_PID; wait $FG_PID 2>/dev/null || true
node bench/cache/make_import.mjs "$entries" 256 "$tmp/emb.json" >"$tmp/import.json"
$b/flowgate cache import "$tmp/import.json" --data "$tmp/data" --quiet
start_fg

echo '{"prompt":"What is the answer to question 7?","model":"mock","parameters":{"node_id":"node-7"}}' >"$tmp/exact.json"
echo '{"prompt":"what is the capital city of france","model":"mock","parameters":{"node_id":"geo"}}' >"$tmp/semantic.json"
echo '{"prompt":"Say something short [mock: tokens=10]","model":"mock"}' >"$tmp/fresh.json"
echo '{"model":"mock","messages":[{"role":"user","content":"Say something short [mock: tokens=10]"}]}' >"$tmp/direct.json"
curl -sf -D - -o /dev/null "http://127.0.0.1:$FG/RestLambda" -H 'content-type: application/json' -d @"$tmp/semantic.json" \
  | grep -qi 'x-flowgate-cache: hit' || { echo "the semantic query does not hit"; exit 1; }

echo "## 2. end to end at $rate req/s (open loop, latency from the due time, µs)"
for run in $(seq "$runs"); do
  for target in exact semantic fresh direct; do
    url="http://127.0.0.1:$FG/RestLambda"
    [ $target = direct ] && url="http://127.0.0.1:$MOCK/v1/chat/completions"
    line=$($b/bench/loadgen --url "$url" --body "$tmp/$target.json" --rate "$rate" --duration "$secs")
    echo "{\"target\":\"$target\",\"run\":$run,\"load1\":$(cut -d' ' -f1 /proc/loadavg),${line:1}"
  done
done | tee "$tmp/e2e.jsonl"
# lag: how late the generator sent (its own share of the latency); sent→done: from the write to the last byte.
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const med = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const by = {};
for (const l of lines) (by[l.target] ??= []).push(l);
const m = (t, k) => med(by[t].map((l) => l[k]));
const row = (t) => ({ p50: m(t, "lat_p50_us"), p99: m(t, "lat_p99_us"), errors: by[t].reduce((a, l) => a + l.errors + l.non2xx, 0) });
const d = row("direct");
console.log("load average (1 min) during the runs: " + lines.map((l) => l.load1).join(" "));
console.log("| request | p50 µs | p99 µs | p50 / p99 ÷ the mock directly | sent→done p50 / p99 µs | generator lag p50 / p99 µs | errors |\n|---|---|---|---|---|---|---|");
for (const t of ["exact", "semantic", "fresh", "direct"]) {
  const r = row(t);
  console.log(`| ${t} | ${r.p50} | ${r.p99} | ${(r.p50 / d.p50).toFixed(2)}× / ${(r.p99 / d.p99).toFixed(2)}× | ` +
    `${m(t, "sent_to_done_p50_us")} / ${m(t, "sent_to_done_p99_us")} | ${m(t, "lag_p50_us")} / ${m(t, "lag_p99_us")} | ${r.errors} |`);
}' "$tmp/e2e.jsonl"

echo "## 3. 1,000 concurrent WebSocket chats (100 tokens, 10 ms apart)"
rss() { awk '/VmRSS/ {print $2}' /proc/$FG_PID/status; }
echo "flowgate RSS before: $(rss) KiB"
for run in $(seq "$runs"); do
  node bench/cache/ws_streams.mjs "http://127.0.0.1:$FG" "http://127.0.0.1:$MOCK" 1000 100 10
  node bench/cache/ws_streams.mjs "http://127.0.0.1:$FG" "http://127.0.0.1:$MOCK" 1000 100 10 cached
done
echo "flowgate RSS after: $(rss) KiB"
