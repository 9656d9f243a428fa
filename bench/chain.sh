#!/usr/bin/env bash
# Tamper evidence (issue 11): what the chain costs an import, and how fast
# verify walks it.
#
#   bench/chain.sh [N] [BASE]   # N events (default 200000); BASE: a git revision without the chain
#
# 1. import of N bench/gen events into a new cache, this tree (A) and BASE
#    (B) in turn, whole process (/usr/bin/time: wall, user, sys), RUNS pairs
#    (default 3);
# 2. auditctl verify over that cache (N rows), RUNS runs; rows/s = N / wall
#    (bench/verify.sh compares verify with a base and with the floor).
# Machines here are shared: quote the ratios and the CPU seconds more than
# the wall times.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
BASE=${2:-}
RUNS=${RUNS:-3}
OUT=${OUT:-bench/out/chain}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export XDG_CONFIG_HOME="$OUT/config" # the signing key, never yours
go build -o "$OUT/auditctl" ./cmd/auditctl
nd="$OUT/events-$N.ndjson"
[ -s "$nd" ] || go run ./bench/gen -n "$N" -ndjson "$nd"
t() { # label command...: one whole-process run
	/usr/bin/time -f "$1	%e s wall	%U s user	%S s sys	%M KiB max RSS" "${@:2}" >/dev/null
}
imp() { # binary db
	rm -f "$2" "$2-wal" "$2-shm"
	t "import $(basename "$1")" "$1" --db "$2" --quiet import "$nd"
}
if [ -n "$BASE" ]; then
	rm -rf "$OUT/base-src" && mkdir -p "$OUT/base-src"
	git archive "$BASE" | tar -x -C "$OUT/base-src"
	(cd "$OUT/base-src" && go build -o ../auditctl-base ./cmd/auditctl)
	echo "## import of $N events: this tree (auditctl) and $BASE (auditctl-base) in turn"
	for _ in $(seq "$RUNS"); do
		imp "$OUT/auditctl" "$OUT/a.db"
		imp "$OUT/auditctl-base" "$OUT/b.db"
	done
else
	imp "$OUT/auditctl" "$OUT/a.db"
fi
echo "## verify over $N rows"
for _ in $(seq "$RUNS"); do
	t verify "$OUT/auditctl" --db "$OUT/a.db" verify -o json || true
done
