#!/usr/bin/env bash
# Runs the HTTP-library spike: for each candidate, wrk on loopback (2 threads,
# 100 connections, 10 s; RUNS runs, interleaved; the median is reported; RUNS=0
# skips it) and
# the RSS added by IDLE idle keep-alive connections. Usage: run.sh [RUNS] [IDLE]
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-3} idle=${2:-5000}
./build.sh >/dev/null
ulimit -n "$(ulimit -Hn)"
names=(uv_llhttp evhttp h2o mhd)
declare -A port=([uv_llhttp]=9201 [evhttp]=9202 [h2o]=9203 [mhd]=9204)
res=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# Starts server $1; its pid is left in $pid.
start() { build/hello_$1 "${port[$1]}" >/dev/null 2>&1 & pid=$!; pids+=("$pid"); sleep 0.3; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

for r in $(seq "$runs"); do
  for n in "${names[@]}"; do
    start "$n"
    wrk -t2 -c100 -d10s --latency "http://127.0.0.1:${port[$n]}/" > "$res/$n.$r.txt"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done

for n in "${names[@]}"; do
  start "$n"
  before=$(rss_kb "$pid")
  build/idle_client "${port[$n]}" "$idle" 70 > "$res/$n.idle.txt" &
  cpid=$!
  for _ in $(seq 600); do [ -s "$res/$n.idle.txt" ] && break; sleep 0.1; done
  sleep 1 # let the server finish with the last connections
  after=$(rss_kb "$pid")
  kill "$cpid"; wait "$cpid" 2>/dev/null || true
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$before $after $(head -1 "$res/$n.idle.txt")" > "$res/$n.rss"
done

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# wrk prints latencies as 123.45us / 1.23ms / 1.00s; normalise to microseconds.
to_us() { awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); print v} else if (v ~ /ms$/) {sub(/ms/,"",v); print v*1000} else {sub(/s$/,"",v); print v*1000000}}'; }
printf "%-10s %12s %10s %10s %14s %s\n" library "req/s" "p50 µs" "p99 µs" "KiB/idle conn" "(all runs req/s)"
for n in "${names[@]}"; do
  [ "$runs" -gt 0 ] || { read -r before after _ < "$res/$n.rss"
    awk -v b="$before" -v a="$after" -v n="$idle" -v m="$n" 'BEGIN {printf "%-10s %.1f KiB per idle connection\n", m, (a-b)/n}'; continue; }
  rps=$(for r in $(seq "$runs"); do awk '/Requests\/sec/ {print $2}' "$res/$n.$r.txt"; done)
  p50=$(for r in $(seq "$runs"); do awk '$1=="50%" {print $2}' "$res/$n.$r.txt" | to_us; done | median)
  p99=$(for r in $(seq "$runs"); do awk '$1=="99%" {print $2}' "$res/$n.$r.txt" | to_us; done | median)
  read -r before after _ < "$res/$n.rss"
  per=$(awk -v b="$before" -v a="$after" -v n="$idle" 'BEGIN {printf "%.1f", (a-b)/n}')
  printf "%-10s %12s %10s %10s %14s (%s) idle: %s\n" "$n" "$(echo "$rps" | median)" "$p50" "$p99" "$per" \
    "$(echo $rps)" "$(cut -d' ' -f3- "$res/$n.rss")"
done
rm -rf "$res"
