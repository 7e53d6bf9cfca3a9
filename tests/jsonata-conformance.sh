#!/usr/bin/env bash
# jsonata-conformance.sh FLOWGATE FLOOR: runs the JSONata suite and passes when
# at least FLOOR cases pass. The suite is found in $FG_SHARED_DIR/conformance/
# jsonata, else ../shared/conformance/jsonata next to the source tree.
set -u
bin=$1 floor=$2
shared=${FG_SHARED_DIR:-${FG_SOURCE_DIR:-.}/../shared}
dir=$shared/conformance/jsonata
if [ ! -d "$dir/groups" ]; then
  echo "SKIP: JSONata suite not found in $dir (set FG_SHARED_DIR)"
  echo "0 passed, 0 failed"
  exit 0
fi
out=$("$bin" conformance jsonata "$dir")
echo "$out" | grep -v '^  FAIL' | head -120
echo "$out" | grep '^  FAIL' | head -200
last=$(echo "$out" | tail -1)
passed=${last%% passed*}
if [ "$passed" -lt "$floor" ] 2>/dev/null; then
  echo "jsonata conformance: $passed cases passed, below the floor of $floor"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "jsonata conformance: $last (floor $floor)"
echo "1 passed, 0 failed"
