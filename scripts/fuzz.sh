#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each on its committed
# seed corpus for a while. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# CI runs a short pass (scripts/fuzz.sh 10) with a fixed seed (FG_FUZZ_SEED, set
# by scripts/test.sh) so a run is repeatable; longer runs with random seeds (the
# default here) are for hunting bugs.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
scripts/install-deps.sh --no-npm
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/fuzz_*.c; do [ -e "$f" ] && targets+=("$(basename "${f%.c}")"); done
fi
failed=0 passed=0
artifacts=build/fuzz-artifacts
mkdir -p "$artifacts"
for t in "${targets[@]}"; do
  corpus=fuzz/corpus/${t#fuzz_}
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
  echo "== $t for ${secs}s"
  seed=()
  [ -n "${FG_FUZZ_SEED:-}" ] && seed=(-seed="$FG_FUZZ_SEED")
  if build/fuzz/fuzz/"$t" "${seed[@]}" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
       -artifact_prefix="$artifacts/$t-" "$work" >"$work.log" 2>&1; then
    passed=$((passed + 1)); tail -1 "$work.log"
  else
    failed=$((failed + 1)); tail -40 "$work.log"
    # The failing input, so a CI log is enough to reproduce it.
    for a in "$artifacts/$t"-*; do
      [ -f "$a" ] && [ "$(stat -c %s "$a")" -le 8192 ] && { echo "input $a (base64):"; base64 -w 0 "$a"; echo; }
    done
  fi
  rm -rf "$work" "$work.log"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
