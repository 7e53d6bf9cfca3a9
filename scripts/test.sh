#!/usr/bin/env bash
# The test command: installs what is missing, builds under ASan+UBSan, runs every
# unit and black-box test, and ends with the line "N passed, N failed".
# Usage: scripts/test.sh [ctest -R regex]
set -uo pipefail
cd "$(dirname "$0")/.."
preset=${FG_TEST_PRESET:-asan-ubsan}

scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
cmake --preset "$preset" >/dev/null && cmake --build --preset "$preset" \
  || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

logs=build/$preset/test-logs
rm -rf "$logs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "build/$preset" --output-on-failure -j "$(nproc)" ${1:+-R "$1"}
ctest_rc=$?

# Count cases, not executables: unit tests print "N passed, N failed, N skipped",
# node's TAP reporter prints "# pass N" and "# fail N". A test that died before
# printing its counts is one failure.
passed=0 failed=0 skipped=0
for status_file in "$logs"/*.status; do
  [ -e "$status_file" ] || continue
  name=${status_file%.status}
  rc=$(cat "$status_file")
  read -r p f s < <(awk '
    /^[0-9]+ passed, [0-9]+ failed/ { p=$1; f=$3; s=($5==""?0:$5) }
    /^# pass /  { p=$3 } /^# fail / { f=$3 } /^# skipped / { s=$3 }
    END { print p+0, f+0, s+0 }' "$name.log")
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done
[ "$ctest_rc" != 0 ] && [ "$failed" = 0 ] && failed=1

# A short fuzzing pass over every libFuzzer target's committed corpus (each
# target counts as one case). FG_FUZZ_SECONDS=0 skips it.
fuzz_secs=${FG_FUZZ_SECONDS:-10}
if [ "$fuzz_secs" != 0 ]; then
  fuzz_out=$(FG_FUZZ_SEED=${FG_FUZZ_SEED:-1} scripts/fuzz.sh "$fuzz_secs" 2>&1)
  echo "$fuzz_out" | grep -E '^(==|[0-9]+ passed)' || true
  read -r fp ff < <(echo "$fuzz_out" | awk '/^[0-9]+ passed, [0-9]+ failed/ { p=$1; f=$3 } END { print p+0, f+0 }')
  if [ "$fp" = 0 ] && [ "$ff" = 0 ]; then ff=1; echo "$fuzz_out" | tail -20; fi
  # A failing target's report (stack trace, the input in base64) in full.
  if [ "$ff" != 0 ]; then
    echo "$fuzz_out" | grep -v -E '^(#[0-9]+|INFO:|\s+NEW_FUNC)' | tail -80
  fi
  passed=$((passed + fp)); failed=$((failed + ff))
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
