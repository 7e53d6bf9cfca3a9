#!/usr/bin/env bash
# Auth benchmark: token verification and API-key lookups per second
# (bench_auth.c), then the latency auth adds to a gateway request: the same
# non-streaming chat completion (in-process mock model, no upstream delay) at
# a fixed rate through flowgate with auth off, with an API key, and with a JWT,
# RUNS times each, interleaved; medians of p50/p99 and the ratio to auth off.
# Usage: bench/auth/run.sh [RUNS] [SECONDS] [RATE]   (BUILD=build/release by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}; secs=${2:-5}; rate=${3:-500}
build=${BUILD:-build/release}
preset=$(basename "$build")
cmake --preset "$preset" >/dev/null && cmake --build "$build" -j2 >/dev/null
libs=$(find "$build/src" -name 'libfg_*.a' | tr '\n' ' ')
cc -O2 -std=c11 -D_GNU_SOURCE -Isrc bench/auth/bench_auth.c -Wl,--start-group $libs "$build"/libfg_llhttp.a -Wl,--end-group \
   -ljansson -lcrypto -lssl -lsqlite3 -lcurl -largon2 -luv -lyaml -lnghttp2 -lwslay -lm -lpthread -o "$build/bench_auth" 2>/dev/null ||
cc -O2 -std=c11 -D_GNU_SOURCE -Isrc bench/auth/bench_auth.c -Wl,--start-group $libs $(find "$build" -name 'libfg_llhttp.a') -Wl,--end-group \
   -ljansson -lcrypto -lssl -lsqlite3 -lcurl -largon2 -luv -lyaml -lnghttp2 -lwslay -lm -lpthread -o "$build/bench_auth"
cc -O2 -std=c11 -D_GNU_SOURCE -I/usr/share/include/llhttp bench/gateway/loadgen.c /usr/share/llhttp/*.c -luv -lm \
   -o "$build/loadgen_auth" 2>/dev/null
echo "== $(git rev-parse --short HEAD), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
"$build/bench_auth" 2
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
bin="$build/flowgate"
cat > "$work/common.yaml" <<YAML
providers: [{ name: m, type: mock }]
models: [{ name: test-model, deployments: [{ provider: m }] }]
log: { access: false }
server: { workers: 1 }
YAML
start() { # name mode -> url in $work/name.url
  { cat "$work/common.yaml"; printf 'auth:\n  mode: "%s"\n' "$2"; } > "$work/$1.yaml"
  "$bin" serve --config "$work/$1.yaml" --data "$work/$1" --port 0 > "$work/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q 'listening on' "$work/$1.log" 2>/dev/null && break; sleep 0.1; done
  grep 'listening on' "$work/$1.log" | grep -o 'http://[0-9.:]*' | head -1 > "$work/$1.url"
}
start off off
"$bin" admin put account acc --json '{"name":"bench"}' --data "$work/on" >/dev/null
key=$("$bin" admin create-key --account acc --data "$work/on" | grep -o 'fgk_[A-Za-z0-9_-]*')
"$bin" admin create-user bench --account acc --password 'bench password' --data "$work/on" >/dev/null
start on on
on=$(cat "$work/on.url")
jwt=$(curl -s "$on/auth/login" -d '{"login":"bench","password":"bench password"}' | grep -o '"access_token":"[^"]*' | cut -d'"' -f4)
echo '{"model":"test-model","messages":[{"role":"user","content":"hi [mock: tokens=10]"}],"max_tokens":10}' > "$work/body.json"
for run in $(seq "$runs"); do
  for t in off key jwt; do
    url=$(cat "$work/$([ $t = off ] && echo off || echo on).url")
    hdr=()
    if [ $t = key ]; then hdr=(--header "Authorization: Bearer $key"); fi
    if [ $t = jwt ]; then hdr=(--header "Authorization: Bearer $jwt"); fi
    "$build/loadgen_auth" --url "$url/v1/chat/completions" --rate "$rate" --duration "$secs" --body "$work/body.json" \
      "${hdr[@]}" > "$work/$t.$run.json"
  done
done
node -e '
const fs = require("fs"), dir = process.argv[1], runs = +process.argv[2];
const med = (a) => { a = [...a].sort((x, y) => x - y); return a[Math.floor(a.length / 2)]; };
const get = (t) => [...Array(runs).keys()].map((i) => JSON.parse(fs.readFileSync(`${dir}/${t}.${i + 1}.json`)));
const off = get("off");
for (const t of ["off", "key", "jwt"]) {
  const r = get(t), p50 = med(r.map((x) => x.lat_p50_us)), p99 = med(r.map((x) => x.lat_p99_us));
  const b50 = med(off.map((x) => x.lat_p50_us)), b99 = med(off.map((x) => x.lat_p99_us));
  console.log(`${t.padEnd(4)} p50 ${p50} us  p99 ${p99} us  added p50 ${(p50 - b50).toFixed(1)} us  p50 ratio ${(p50 / b50).toFixed(2)}  errors ${med(r.map((x) => x.errors ?? 0))}`);
}' "$work" "$runs"
