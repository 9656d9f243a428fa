#!/usr/bin/env bash
# One whole-process import into a new cache, for bench/pairs:
#
#   go run ./bench/pairs -n 3 -- bench/import-once.sh NEW ev.ndjson -- bench/import-once.sh OLD ev.ndjson
#
# runs `BIN --db DIR/a.db --quiet import FILE` into a new directory beside
# FILE and removes the directory after (a 200,000-event cache is ~0.4 GB).
set -u
bin=$1 file=$2
d=$(mktemp -d "$(dirname "$file")/import-once.XXXXXX")
"$bin" --db "$d/a.db" --quiet import "$file" >/dev/null
rc=$?
rm -rf "$d"
exit $rc
