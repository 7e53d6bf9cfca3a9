#!/usr/bin/env bash
# The gateway benchmark: flowgate vs the mock upstream called directly vs the
# Portkey gateway in front of the same mock, at fixed request rates (an
# open-loop generator), non-streaming and streaming; then RSS per open stream
# with 5,000 slow streams held open. Prints JSON lines and a summary table.
#
#   bench/gateway/run.sh [RUNS] [SECONDS]      (defaults: 3 runs of 8 s per point)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
secs=${2:-8}
out=bench/results/gateway-$(date -u +%Y%m%dT%H%M%SZ).jsonl
mkdir -p bench/results build/bench
ulimit -n 65536 || true

scripts/install-deps.sh --no-npm
cmake --preset release >/dev/null && cmake --build --preset release >/dev/null
cc -O2 -o build/bench/loadgen bench/gateway/loadgen.c /usr/share/llhttp/*.c \
   -I/usr/share/include/llhttp -luv
(cd bench/gateway && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

MOCK=18901 FG=18902 PK=18903
tmp=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

build/release/flowgate mock-llm --port $MOCK --quiet >"$tmp/mock.log" 2>&1 &
cat >"$tmp/flowgate.yaml" <<YAML
log: { level: warn, access: false }
server: { workers: 1, max_connections: 20000 }
providers:
  - { name: mock, type: openai, base_url: "http://127.0.0.1:$MOCK/v1" }
models:
  - { name: mock, deployments: [{ provider: mock }] }
YAML
build/release/flowgate serve --config "$tmp/flowgate.yaml" --port $FG --data "$tmp/data" >"$tmp/fg.log" 2>&1 &
FG_PID=$!
PORT= node bench/gateway/node_modules/@portkey-ai/gateway/build/start-server.js --port=$PK --headless \
  >"$tmp/portkey.log" 2>&1 &
sleep 3

echo '{"model":"mock","messages":[{"role":"user","content":"Say something short [mock: tokens=10]"}]}' >"$tmp/small.json"
echo '{"model":"mock","stream":true,"messages":[{"role":"user","content":"Tell a story [mock: tokens=100 delay=5]"}]}' >"$tmp/stream.json"
echo '{"model":"mock","stream":true,"messages":[{"role":"user","content":"Slow [mock: tokens=1000 delay=1000]"}]}' >"$tmp/slow.json"

target_url() {
  case $1 in
    direct) echo "http://127.0.0.1:$MOCK/v1/chat/completions" ;;
    flowgate) echo "http://127.0.0.1:$FG/v1/chat/completions" ;;
    portkey) echo "http://127.0.0.1:$PK/v1/chat/completions" ;;
  esac
}
portkey_headers=(--header "x-portkey-provider: openai" --header "x-portkey-custom-host: http://127.0.0.1:$MOCK/v1"
                 --header "Authorization: Bearer unused")

for kind in small stream; do
  for rate in 500 1000 2000; do
    for run in $(seq "$runs"); do
      for target in direct flowgate portkey; do
        extra=()
        [ $target = portkey ] && extra=("${portkey_headers[@]}")
        line=$(build/bench/loadgen --url "$(target_url $target)" --body "$tmp/$kind.json" --rate $rate \
               --duration "$secs" "${extra[@]}")
        echo "{\"kind\":\"$kind\",\"target\":\"$target\",\"run\":$run,${line:1}" | tee -a "$out"
      done
    done
  done
done

hold=$(build/bench/loadgen --url "$(target_url flowgate)" --body "$tmp/slow.json" --hold 5000 --duration 15 \
       --watch-pid $FG_PID)
echo "{\"kind\":\"hold\",\"target\":\"flowgate\",${hold:1}" | tee -a "$out"

node bench/gateway/summarise.mjs "$out"
