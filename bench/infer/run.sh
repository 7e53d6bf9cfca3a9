#!/usr/bin/env bash
# Local inference benchmark: prompt and generation tokens/s on stories260K, and
# generation on a ~110M-parameter Q8_0 model with random weights (generated here)
# as a fraction of the memory-bandwidth bound: weight bytes per token x tokens/s
# / read bandwidth measured by membw.c in the same run, with 1 and 2 threads.
# Usage: bench/infer/run.sh [RUNS]   (default 5; medians are reported)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
shared=${FG_SHARED_DIR:-../shared}
cmake --preset release >/dev/null
cmake --build --preset release -j2 >/dev/null
bin=build/release/flowgate
work=${BENCH_DIR:-build/release/bench-infer}
mkdir -p "$work"
lib=build/release/src
cc -O2 -I src -o "$work/gen_model" bench/infer/gen_model.c "$lib/infer/libfg_infer.a" \
   "$lib/core/libfg_core.a" -ljansson -lcrypto -lm -lpthread
cc -O2 -pthread -o "$work/membw" bench/infer/membw.c
model=$work/random-110m-q8_0.gguf
[ -e "$model" ] || "$work/gen_model" "$model" 768 2048 12 12 12 32000 1024 Q8_0 1 tied

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
gen_tps() { sed -n 's/^tokens\/s: \([0-9.]*\).*/\1/p'; }
prompt_tps() { sed -n 's/.*prompt [0-9]* tokens, \([0-9.]*\) tokens\/s.*/\1/p'; }

echo "load average before: $(cut -d" " -f1-3 /proc/loadavg)"
echo "date: $(date -u +%FT%TZ)  commit: $(git rev-parse --short HEAD)  nproc: $(nproc)  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

stories=$shared/models/stories260K
if [ -e "$stories/stories260K.bin" ]; then
  long="Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. One day, she saw a big red ball under a tree and wanted to play with it."
  g=() p=()
  for _ in $(seq "$runs"); do
    g+=("$($bin generate --model "$stories/stories260K.bin" --tokenizer "$stories/tok512.bin" --steps 256 --threads 1 | gen_tps)")
    p+=("$($bin generate --model "$stories/stories260K.bin" --tokenizer "$stories/tok512.bin" --prompt "$long" --steps 1 --threads 1 | prompt_tps)")
  done
  echo "stories260K (1 thread): generation $(printf '%s\n' "${g[@]}" | median) tokens/s, prompt $(printf '%s\n' "${p[@]}" | median) tokens/s"
fi

bytes=$($bin model info "$model" | awk -F' = ' '/^weight bytes/ {print $2}')
params=$($bin model info "$model" | awk -F' = ' '/^parameters/ {print $2}')
echo "random Q8_0 model: $params parameters, $bytes weight bytes read per token"
echo
echo "| threads | generation tokens/s | read bandwidth GB/s | weight GB/s | fraction of bound (median of pairs) |"
echo "|---|---|---|---|---|"
for t in 1 2; do
  $bin generate --model "$model" --prompt "a" --steps 8 --threads "$t" >/dev/null   # page in
  g=() b=() f=()
  for _ in $(seq "$runs"); do
    # Each generation run sits between two bandwidth probes; the pair's ratio
    # uses their mean, so slow changes in machine load cancel out.
    b1=$("$work/membw" "$t" 1024)
    gr=$($bin generate --model "$model" --prompt "a" --steps 64 --threads "$t" | gen_tps)
    b2=$("$work/membw" "$t" 1024)
    bw=$(awk -v x="$b1" -v y="$b2" 'BEGIN { printf "%.2f", (x + y) / 2 }')
    g+=("$gr") b+=("$bw")
    f+=("$(awk -v g="$gr" -v b="$bw" -v w="$bytes" 'BEGIN { printf "%.3f", w * g / 1e9 / b }')")
  done
  gm=$(printf '%s\n' "${g[@]}" | median)
  bm=$(printf '%s\n' "${b[@]}" | median)
  fm=$(printf '%s\n' "${f[@]}" | median)
  awk -v t="$t" -v g="$gm" -v b="$bm" -v w="$bytes" -v f="$fm" 'BEGIN {
    printf "| %d | %.1f | %.2f | %.2f | %.0f%% |\n", t, g, b, w * g / 1e9, 100 * f }'
  echo "  runs: tokens/s ${g[*]}; GB/s ${b[*]}; fractions ${f[*]}" >&2
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
