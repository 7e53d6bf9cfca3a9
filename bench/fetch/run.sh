#!/usr/bin/env bash
# Fetch benchmarks (see bench/README.md, "Crawler and HTTP tasks"):
#  1. crawl: flowgate crawl vs wget --recursive on the same local site (PAGES pages,
#     every page reachable within depth 6), pages/s, RUNS runs each, medians;
#  2. http:invoke: a Map of TASKS http:invoke tasks run by `flowgate run` vs curl
#     fetching the same URL TASKS times over one connection, requests/s.
# Usage: bench/fetch/run.sh [RUNS] [PAGES] [TASKS]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
pages=${2:-2000}
tasks=${3:-1000}
cmake --preset release >/dev/null
cmake --build build/release -j2 --target flowgate >/dev/null
bin=build/release/flowgate
work=$(mktemp -d)
trap 'kill $site_pid 2>/dev/null; rm -rf "$work"' EXIT
node bench/fetch/site.mjs "$pages" >"$work/site.log" &
site_pid=$!
for _ in $(seq 50); do grep -q listening "$work/site.log" 2>/dev/null && break; sleep 0.1; done
port=$(awk '{print $2}' "$work/site.log")
base="http://127.0.0.1:$port"

printf 'fetch:\n  allow_loopback: true\n  max_pages: 1000000\n' >"$work/flowgate.yaml"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
now() { date +%s.%N; }

echo "{\"start_urls\":[\"$base/p/0.html\"],\"CRAWLER_DEPTH\":7,\"max_pages\":$((pages + 10)),\"concurrency\":8}" >"$work/c8.json"
echo "{\"start_urls\":[\"$base/p/0.html\"],\"CRAWLER_DEPTH\":7,\"max_pages\":$((pages + 10)),\"concurrency\":1}" >"$work/c1.json"
for conc in 8 1; do
  : >"$work/fg$conc"
  for _ in $(seq "$runs"); do
    t0=$(now)
    n=$($bin crawl "$work/c$conc.json" --config "$work/flowgate.yaml" --quiet | sed -n 's/.*pages=\([0-9]*\).*/\1/p')
    t1=$(now)
    echo "$n / ($t1 - $t0)" | bc -l >>"$work/fg$conc"
  done
done
: >"$work/wget"
for _ in $(seq "$runs"); do
  rm -rf "$work/mirror"
  t0=$(now)
  wget -q -r -l 7 -e robots=on -P "$work/mirror" "$base/p/0.html" || true
  t1=$(now)
  n=$(find "$work/mirror" -name '*.html' | wc -l)
  echo "$n / ($t1 - $t0)" | bc -l >>"$work/wget"
done

cat >"$work/machine.json" <<JSON
{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":0,
 "ItemProcessor":{"StartAt":"H","States":{"H":{"Type":"Task","Resource":"arn:aws:states:::http:invoke",
 "Parameters":{"ApiEndpoint":"$base/json","Method":"GET"},"ResultSelector":{"s.\$":"$.StatusCode"},"End":true}}},
 "ResultSelector":{"n.\$":"States.ArrayLength($)"},"End":true}}}
JSON
python3 -c "import json; print(json.dumps({'items': list(range($tasks))}))" >"$work/input.json"
: >"$work/task"
: >"$work/curl"
for _ in $(seq "$runs"); do
  t0=$(now)
  $bin run "$work/machine.json" --input-file "$work/input.json" --config "$work/flowgate.yaml" >/dev/null
  t1=$(now)
  echo "$tasks / ($t1 - $t0)" | bc -l >>"$work/task"
  t0=$(now)
  curl -s -o /dev/null "$base/json?[1-$tasks]"
  t1=$(now)
  echo "$tasks / ($t1 - $t0)" | bc -l >>"$work/curl"
done

fg8=$(median <"$work/fg8"); fg1=$(median <"$work/fg1"); wg=$(median <"$work/wget")
tk=$(median <"$work/task"); cu=$(median <"$work/curl")
printf 'machine: nproc %s, %s; commit %s; %s\n' "$(nproc)" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "$(git rev-parse --short HEAD)" "$(date -u +%F)"
printf 'crawl %d pages, medians of %d runs (pages/s): flowgate c=8 %.0f, flowgate c=1 %.0f, wget %.0f; flowgate c=1 / wget %.2f\n' \
  "$pages" "$runs" "$fg8" "$fg1" "$wg" "$(echo "$fg1 / $wg" | bc -l)"
printf 'spread (min-max): flowgate c=8 %s, c=1 %s, wget %s\n' \
  "$(sort -g "$work/fg8" | sed -n '1p;$p' | xargs printf '%.0f ')" \
  "$(sort -g "$work/fg1" | sed -n '1p;$p' | xargs printf '%.0f ')" \
  "$(sort -g "$work/wget" | sed -n '1p;$p' | xargs printf '%.0f ')"
printf 'http:invoke %d tasks (flowgate run, one at a time): %.0f tasks/s; curl same URL: %.0f req/s; ratio %.2f\n' \
  "$tasks" "$tk" "$cu" "$(echo "$tk / $cu" | bc -l)"
