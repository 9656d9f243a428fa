#!/usr/bin/env bash
# How fast auditctl verify walks the chain (issue 11 point 4: >= 500,000
# rows/s over 1M rows), against a base revision and against the floor.
#
#   bench/verify.sh [N] [BASE]   # N events (default 1000000); BASE: a git revision to compare with
#
# 1. a cache of N bench/gen events (made once, kept in $OUT);
# 2. auditctl verify -o json over it: this tree (A) and BASE (B) in turn,
#    RUNS pairs (default 3), whole process (/usr/bin/time: wall, user, sys);
# 3. the floor: the sqlite3 shell (C) reading the same rows and columns to
#    /dev/null, and sha256sum hashing the bytes the shell prints for them.
# rows/s = N / wall. Machines here are shared: compare the pairs and the CPU
# seconds (user + sys) more than the wall times.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
BASE=${2:-}
RUNS=${RUNS:-3}
OUT=${OUT:-bench/out/verify}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export XDG_CONFIG_HOME="$OUT/config" # the signing key, never yours
go build -o "$OUT/auditctl" ./cmd/auditctl
db="$OUT/cache-$N.db"
if [ ! -s "$db" ]; then
	nd="$OUT/events-$N.ndjson"
	[ -s "$nd" ] || go run ./bench/gen -n "$N" -ndjson "$nd"
	"$OUT/auditctl" --db "$db" --quiet import "$nd"
	rm -f "$nd"
fi
bins=("$OUT/auditctl")
if [ -n "$BASE" ]; then
	rm -rf "$OUT/base-src" && mkdir -p "$OUT/base-src"
	git archive "$BASE" | tar -x -C "$OUT/base-src"
	(cd "$OUT/base-src" && go build -o ../auditctl-base ./cmd/auditctl)
	bins+=("$OUT/auditctl-base")
fi
t() { # label command...: one whole-process run
	/usr/bin/time -f "$1	%e s wall	%U s user	%S s sys	%M KiB max RSS" "${@:2}" >/dev/null
}
echo "## verify over $N rows ($RUNS runs each, in turn)"
for _ in $(seq "$RUNS"); do
	for b in "${bins[@]}"; do
		t "$(basename "$b")" "$b" --db "$db" verify -o json || true
	done
done
cols='e.id, e.source, e.ext_id, e.time_ns, e.service, e.action, e.category, e.workflow_id, e.workflow_type,
 e.actor, e.actor_id, e.actor_type, e.target, e.target_id, e.target_type, e.ip, e.client, e.user_agent,
 e.status, e.error, e.duration_ms, e.tenant, e.description, d.geo, d.params, d.custom, d.before, d.after, d.raw'
q="SELECT $cols FROM events e LEFT JOIN event_docs d ON d.id = e.id ORDER BY e.id;"
echo "## floor: sqlite3 shell, the same rows to /dev/null; sha256sum of what it prints"
sqlite3 -readonly "$db" "$q" >"$OUT/rows.txt"
ls -l "$OUT/rows.txt" | awk '{print "bytes printed: " $5}'
for _ in $(seq "$RUNS"); do
	t sqlite3 sqlite3 -readonly "$db" "$q"
	t sha256sum sha256sum "$OUT/rows.txt"
done
rm -f "$OUT/rows.txt"
