#!/usr/bin/env bash
# run-one.sh LOGDIR NAME CMD...: runs one test, keeping its output in LOGDIR/NAME.log
# and its exit status in LOGDIR/NAME.status, for scripts/test.sh's summary.
set -u
logdir=$1 name=$2
shift 2
mkdir -p "$logdir"
"$@" > >(tee "$logdir/$name.log") 2>&1
rc=$?
wait
echo "$rc" > "$logdir/$name.status"
exit "$rc"
