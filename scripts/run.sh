#!/usr/bin/env bash
# The main job: installs what is missing, builds a release binary and starts
# `flowgate serve` on the embedded defaults (data in ./flowgate-data, port 8080).
# Extra arguments go to `flowgate serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --no-npm
cmake --preset release >/dev/null
cmake --build --preset release
exec build/release/flowgate serve "$@"
