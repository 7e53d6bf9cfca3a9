#!/usr/bin/env bash
# The infer commands end to end: flowgate generate on stories260K reproduces the
# reference greedy text, `model info` describes both shared models, and bad
# files fail with a message and a non-zero status. Usage: cli.sh FLOWGATE SRCDIR
set -u
bin=$1 src=$2
shared=${FG_SHARED_DIR:-$src/../shared}
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

stories=$shared/models/stories260K
if [ -e "$stories/stories260K.bin" ]; then
  "$bin" generate --model "$stories/stories260K.bin" --tokenizer "$stories/tok512.bin" \
    --steps 200 --temperature 0 >"$tmp/out.txt" 2>"$tmp/err.txt"
  # The text, then a blank line and the speed line.
  head -n -2 "$tmp/out.txt" >"$tmp/text.txt"
  check generate_greedy_matches_reference "cmp -s '$tmp/text.txt' '$stories/expected_greedy_output_200steps.txt'"
  check generate_prints_tokens_per_second "tail -1 '$tmp/out.txt' | grep -q '^tokens/s: [0-9.]* (200 generated'"
  "$bin" model info "$stories/stories260K.bin" --tokenizer "$stories/tok512.bin" >"$tmp/info.txt"
  check model_info_llama2c "grep -q '^kv heads = 4$' '$tmp/info.txt' && grep -q '^vocabulary = 512' '$tmp/info.txt'"
  "$bin" generate --model "$stories/stories260K.bin" >/dev/null 2>"$tmp/err.txt"
  check generate_without_tokenizer_says_so "[ \$? -ne 0 ] && grep -q -- '--tokenizer' '$tmp/err.txt'"
else
  skip=$((skip + 1)); echo "skip: models/stories260K not found"
fi

gguf=$shared/models/llama-2-tiny-random-gguf/llama-2-tiny-random.gguf
if [ -e "$gguf" ]; then
  "$bin" model info "$gguf" >"$tmp/info.txt"
  check model_info_gguf "grep -q '^general.name = \"LLaMA v2\"$' '$tmp/info.txt' && grep -q '^vocabulary = 32000 (llama)$' '$tmp/info.txt'"
  head -c 100000 "$gguf" >"$tmp/cut.gguf"
  "$bin" model info "$tmp/cut.gguf" >/dev/null 2>"$tmp/err.txt"
  check truncated_gguf_is_refused "[ \$? -ne 0 ] && grep -q 'cut.gguf: GGUF: ' '$tmp/err.txt'"
  "$bin" generate --model "$gguf" --prompt "Hello" --steps 5 --temperature 0.9 --seed 1 --top-k 40 >"$tmp/a.txt"
  "$bin" generate --model "$gguf" --prompt "Hello" --steps 5 --temperature 0.9 --seed 1 --top-k 40 >"$tmp/b.txt"
  check seeded_generation_repeats "[ \"\$(head -n -2 '$tmp/a.txt')\" = \"\$(head -n -2 '$tmp/b.txt')\" ]"
else
  skip=$((skip + 1)); echo "skip: llama-2-tiny-random.gguf not found"
fi

"$bin" model frobnicate >/dev/null 2>&1
check unknown_model_subcommand_fails "[ \$? -eq 2 ]"
"$bin" generate --help | grep -q -- '--top-p P'
check generate_help_lists_options "[ \$? -eq 0 ]"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
