#!/usr/bin/env bash
# The knowledge-base CLI on a temporary data folder: create, ingest (files, a
# folder, bad input), search, documents, list, delete, and re-ingestion that
# skips unchanged files. Usage: cli-service.sh FLOWGATE_BIN
set -u
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
passed=0 failed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
expect() { # name condition-status
  if [ "$2" = 0 ]; then ok "$1"; else bad "$1"; fi
}
kb() { "$bin" kb "$@" --data "$dir/data"; }

mkdir -p "$dir/docs/sub"
printf '# Garden\n\n## Tomatoes\n\nTomatoes need full sun and deep watering twice a week.\n' > "$dir/docs/garden.md"
printf '<html><head><title>Bees</title></head><body><article><h1>Bees</h1><p>Honey bees pollinate orchards and communicate with a waggle dance that encodes direction and distance.</p></article></body></html>' > "$dir/docs/sub/bees.html"
printf 'Compost heaps warm up as microbes break down kitchen scraps.\n' > "$dir/docs/sub/compost.txt"
head -c 2048 /dev/urandom > "$dir/docs/noise.bin"

kb create garden --description "garden notes" > "$dir/create.json"
expect "create prints the base" $(grep -q '"name": "garden"' "$dir/create.json"; echo $?)
kb create garden > /dev/null 2>&1
expect "a second base with the same name is refused" $([ $? = 1 ]; echo $?)

out=$(kb ingest garden "$dir/docs" 2>&1)
rc=$?
echo "$out"
expect "ingest exits 3 when a document failed" $([ $rc = 3 ]; echo $?)
expect "ingest reports 4 documents and 1 failure" $(grep -q 'complete, 4 documents, 1 failed' <<<"$out"; echo $?)
expect "ingest names the bad file" $(grep -q 'noise.bin: binary' <<<"$out"; echo $?)

out=$(kb search garden "waggle dance" -k 2)
echo "$out"
expect "search finds the HTML page" $(grep -q 'bees.html' <<<"$out"; echo $?)
out=$(kb search garden "tomatoes sun" --json)
expect "search --json has the heading path" $(grep -q '"headingPath": "Garden > Tomatoes"' <<<"$out"; echo $?)

out=$(kb documents garden)
echo "$out"
expect "documents lists 3 ready" $([ "$(grep -c $'\tready\t' <<<"$out")" = 3 ]; echo $?)
expect "documents lists the failure with its error" $(grep -q $'failed\t0 chunks\t.*noise.bin\tbinary' <<<"$out"; echo $?)

out=$(kb ingest garden "$dir/docs/garden.md" 2>&1)
expect "re-ingesting an unchanged file succeeds" $(grep -q 'complete, 1 documents, 0 failed' <<<"$out"; echo $?)
out=$(kb list)
expect "list shows the base with its chunks" $(grep -q $'garden\t3 chunks' <<<"$out"; echo $?)

kb delete garden "$dir/docs/garden.md" > /dev/null
out=$(kb search garden "tomatoes")
expect "a deleted document is no longer found" $([ -z "$out" ]; echo $?)
kb delete garden > /dev/null
kb search garden "bees" > /dev/null 2>&1
expect "a deleted base is gone" $([ $? = 1 ]; echo $?)
kb ingest > /dev/null 2>&1
expect "ingest without arguments is a usage error" $([ $? = 2 ]; echo $?)

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
