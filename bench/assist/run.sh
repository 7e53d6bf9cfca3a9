#!/usr/bin/env bash
# The assistants benchmark: time to first byte of POST /bedrock_claude_messages_api
# running the seed's RAG state machine (Parallel of two model calls, Choice,
# Retrieve, Pass) against a direct streamed model call through the same server
# (POST /v1/chat/completions with the same system prompt and question). Every
# model call is the in-process mock at zero latency, so the difference is what
# the workflow and the merge add. Requests alternate (assistant, direct) so both
# see the same machine load. Prints per-run medians and the added time.
#
#   bench/assist/run.sh [REQUESTS] [RUNS]      (defaults: 300 requests, 3 runs)
#   FLOWGATE_BIN=build/debug/flowgate bench/assist/run.sh   to skip the release build
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-300}
runs=${2:-3}
shared=${FG_SHARED_DIR:-$PWD/../shared}
asl=$shared/seed-artifacts/asl/aws-samples__serverless-genai-assistant__serverless_assistant_rag__RagGenAI.asl.json
system=$shared/seed-artifacts/requests/aws-samples__serverless-genai-assistant__serverless_assistant_rag__rag_system_prompt.txt
[ -f "$asl" ] || { echo "skip: $asl not found (set FG_SHARED_DIR)"; exit 0; }
bin=${FLOWGATE_BIN:-}
if [ -z "$bin" ]; then
  cmake --preset release >/dev/null && cmake --build build/release -j2 --target flowgate >/dev/null
  bin=build/release/flowgate
fi
tmp=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

cat >"$tmp/flowgate.yaml" <<YAML
log: { level: info, access: false }
server: { workers: 1 }
providers:
  - { name: mock, type: mock }
models:
  - { name: "*", deployments: [{ provider: mock }] }
assistants:
  default_workflow: rag
  test_retrieve_file: $PWD/tests/blackbox/assist/retrieve.json
  workflows:
    - { name: rag, file: "$asl" }
YAML
"$bin" serve --config "$tmp/flowgate.yaml" --port 0 --data "$tmp/data" >"$tmp/fg.log" 2>&1 &
for _ in $(seq 50); do grep -q 'listening on' "$tmp/fg.log" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o "http://[0-9.:]*" "$tmp/fg.log" | head -1 || true)
[ -n "$url" ] || { cat "$tmp/fg.log"; exit 1; }

# The question carries the mock's scripted reply: "false" is also the bypass
# policy's answer (retrieve path) and parses as JSON for States.StringToJson.
q='What is AWS? [mock-reply]false[/mock-reply]'
node -e '
const fs = require("fs");
const [sysFile, q, out] = process.argv.slice(1);
const system = fs.readFileSync(sysFile, "utf8");
fs.writeFileSync(out + "/assist.json", JSON.stringify({
  bedrock_parameters: { messages: [{ role: "user", content: q }], system, max_tokens: 100,
                        modelId: "anthropic.claude-3-haiku-20240307-v1:0" },
  assistant_parameters: { messages_to_sample: 5, content_tag: "document" } }));
fs.writeFileSync(out + "/direct.json", JSON.stringify({
  model: "anthropic.claude-3-haiku-20240307-v1:0", stream: true, max_tokens: 100,
  messages: [{ role: "system", content: system }, { role: "user", content: q }] }));
' "$system" "$q" "$tmp"

ttfb() { # path body-file -> microseconds to the first response byte
  curl -s -o /dev/null -w '%{time_starttransfer}\n' -H 'content-type: application/json' \
       --data-binary @"$2" "$url$1" | awk '{ printf "%d\n", $1 * 1e6 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
p90() { sort -n | awk '{ a[NR] = $1 } END { print a[int(NR * 0.9)] }'; }

for _ in $(seq 20); do ttfb /bedrock_claude_messages_api "$tmp/assist.json" >/dev/null; ttfb /v1/chat/completions "$tmp/direct.json" >/dev/null; done
out=$(curl -s -H 'content-type: application/json' --data-binary @"$tmp/assist.json" "$url/bedrock_claude_messages_api")
[ "$out" = "false" ] || { echo "unexpected answer: $out"; cat "$tmp/fg.log"; exit 1; }

echo "run  assist_p50_us  direct_p50_us  added_p50_us  assist_p90_us  direct_p90_us"
for r in $(seq "$runs"); do
  : >"$tmp/a.txt"; : >"$tmp/d.txt"
  for _ in $(seq "$n"); do
    ttfb /bedrock_claude_messages_api "$tmp/assist.json" >>"$tmp/a.txt"
    ttfb /v1/chat/completions "$tmp/direct.json" >>"$tmp/d.txt"
  done
  a50=$(median <"$tmp/a.txt"); d50=$(median <"$tmp/d.txt")
  echo "$r  $a50  $d50  $((a50 - d50))  $(p90 <"$tmp/a.txt")  $(p90 <"$tmp/d.txt")"
done
