#!/usr/bin/env bash
# Ranking quality on BEIR SciFact. With Anserini's settings (k1 0.9, b 0.4,
# Lucene's quantised lengths) it must reach Anserini's published figures
# (nDCG@10 0.6789, Recall@100 0.925); with flowgate's defaults (Lucene's
# BM25Similarity defaults, k1 1.2, b 0.75) it must also beat SQLite FTS5 with
# its porter tokenizer (nDCG@10 0.682) at Recall@100 >= 0.925.
# Usage: scifact-eval.sh FLOWGATE_BIN SHARED_DIR
set -u
bin=$1 shared=$2
d=$shared/datasets/scifact
if [ ! -f "$d/corpus.jsonl" ]; then
  echo "skip: $d/corpus.jsonl not found (set FG_SHARED_DIR to the shared data folder)"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi
passed=0 failed=0
check() { # name value floor
  if awk -v v="$2" -v f="$3" 'BEGIN { exit !(v + 0 >= f + 0) }'; then
    echo "ok $1 $2 >= $3"; passed=$((passed + 1))
  else
    echo "FAIL $1 '$2' < $3"; failed=$((failed + 1))
  fi
}
run() { # label floor-ndcg [options]
  local label=$1 floor=$2; shift 2
  local out
  out=$("$bin" kb eval --corpus "$d/corpus.jsonl" --queries "$d/queries.jsonl" \
        --qrels "$d/qrels/test.tsv" "$@")
  echo "$out"
  check "$label ndcg@10" "$(sed -n 's/^ndcg@10=//p' <<<"$out")" "$floor"
  check "$label recall@100" "$(sed -n 's/^recall@100=//p' <<<"$out")" 0.925
}
run anserini-k1-0.9-b-0.4 0.6789 --k1 0.9 --b 0.4
run defaults-vs-fts5-porter 0.682
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
