#!/usr/bin/env bash
# Tamper evidence (issue 11): what the chain costs an import, and how fast
# verify walks it.
#
#   bench/chain.sh [N] [BASE]   # N events (default 200000); BASE: a git revision without the chain
#
# 1. import of N bench/gen events into a new cache, this tree (A) against BASE
#    (B), whole process, A and B in turn (farm-bench --vs), 3 runs each;
# 2. auditctl verify over that cache (N rows), 3 runs; rows/s = N / median wall.
# Needs farm-bench (or edit FB). Machines here are shared: quote the ratios
# and the CPU seconds more than the wall times.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
BASE=${2:-}
OUT=${OUT:-bench/out/chain}
FB=${FB:-farm-bench}
mkdir -p "$OUT"
export XDG_CONFIG_HOME="$PWD/$OUT/config"   # the signing key, never yours
go build -o "$OUT/auditctl" ./cmd/auditctl
nd="$OUT/events-$N.ndjson"
[ -s "$nd" ] || go run ./bench/gen -n "$N" -ndjson "$nd"
cat >"$OUT/import.sh" <<'SH'
#!/bin/sh
rm -f "$2" "$2-wal" "$2-shm"
exec "$1" --db "$2" --quiet import "$3"
SH
chmod +x "$OUT/import.sh"
if [ -n "$BASE" ]; then
	rm -rf "$OUT/base-src" && mkdir -p "$OUT/base-src"
	git archive "$BASE" | tar -x -C "$OUT/base-src"
	(cd "$OUT/base-src" && go build -o ../auditctl-base ./cmd/auditctl)
	echo "## import of $N events: this tree (A) against $BASE (B)"
	$FB -n 3 --warmup 0 --timeout 3600 --vs "$OUT/import.sh $OUT/auditctl-base $OUT/b.db $nd" -- "$OUT/import.sh" "$OUT/auditctl" "$OUT/a.db" "$nd"
else
	"$OUT/import.sh" "$OUT/auditctl" "$OUT/a.db" "$nd"
fi
echo "## verify over $N rows"
$FB -n 3 --warmup 1 --timeout 3600 -- "$OUT/auditctl" --db "$OUT/a.db" verify -o json
