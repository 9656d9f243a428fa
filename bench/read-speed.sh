#!/usr/bin/env bash
# Issue 13, reads and start-up: auditctl against the C sqlite3 shell on the
# same file, whole processes, and sync against import of the same events.
#
#   bench/read-speed.sh [N]        # N bench/gen events in the cache (default 1000000)
#
# Prints one line per target with the ratio A/B: the median of the ratios of
# RUNS pairs (A then B, in turn, default 15; 3 for sync), wall and CPU
# (user + sys of the finished child, as /usr/bin/time -v reports it; the
# short processes timed 50 or 2 runs at a time, per run: bench/pairs).
# Targets (issue 13):
#   start-up   auditctl version / sqlite3 :memory: 'select 1'         <= 1.5
#   list       logs list --action DeleteUser --since 7d -o json
#              / sqlite3 -json, the same rows and documents            <= 1.3
#   count      logs count --by actor --all / sqlite3 GROUP BY          <= 1.3
#   sync       import rate of the file / sync rate, same events        <= 1/0.9
#              (printed as sync rate / import rate: >= 0.9)
# Environment: OUT (default bench/out/read-speed; the cache is made there
# once, cache-N.db, or DB names an existing cache of bench/gen events whose
# newest are recent), RUNS, SYNC_RUNS, SYNC_N (events the local JumpCloud
# server serves, default 100000), SKIP_SYNC=1. Needs sqlite3. Machines
# here are shared: read the ratios, and CPU more than wall.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${RUNS:-15}
SYNC_N=${SYNC_N:-100000}
OUT=${OUT:-bench/out/read-speed}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
command -v sqlite3 >/dev/null || { echo "bench: sqlite3 is needed (apt-get install -y sqlite3)" >&2; exit 1; }
export XDG_CONFIG_HOME="$OUT/config" # the signing key, never yours
bin="$OUT/auditctl"
CGO_ENABLED=0 go build -o "$bin" ./cmd/auditctl # as released (goreleaser.yaml)
go build -o "$OUT/pairs" ./bench/pairs
db=${DB:-$OUT/cache-$N.db}
if [ ! -s "$db" ]; then
	nd="$OUT/events-$N.ndjson"
	go run ./bench/gen -n "$N" -now "$(date -u +%Y-%m-%dT%H:%M:%SZ)" -ndjson "$nd"
	"$bin" --db "$db" --quiet import "$nd"
	rm -f "$nd"
fi

# pairs LABEL RUNS REPS -- A... -- B...: A and B in turn, RUNS pairs, each
# measurement REPS runs (bench/pairs); prints the medians of A, of B and of
# the pairs' ratios A/B, wall and cpu, per run
pairs() {
	"$OUT/pairs" -label "$1" -n "$2" -reps "$3" "${@:4}"
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(sqlite3 --version | cut -d' ' -f1) (sqlite3 shell), cache of $N events"
pairs start-up "$RUNS" 50 -- "$bin" version -- sqlite3 :memory: 'select 1'
since_ns=$((($(date +%s) - 7 * 86400) * 1000000000))
pairs list "$RUNS" 50 -- "$bin" --db "$db" logs list --action DeleteUser --since 7d -o json -- \
	sqlite3 -json "$db" "SELECT e.*, d.* FROM events e JOIN event_docs d ON d.id = e.id WHERE e.action = 'DeleteUser' AND e.time_ns >= $since_ns ORDER BY e.id DESC LIMIT 50"
pairs count "$RUNS" 2 -- "$bin" --db "$db" logs count --by actor --all -o json -- \
	sqlite3 "$db" "SELECT actor, count(*) n FROM events GROUP BY actor ORDER BY n DESC, actor LIMIT 20"

[ "${SKIP_SYNC:-}" = 1 ] && exit 0
# sync: the local JumpCloud server's SYNC_N events, against an import of the
# same documents from the file the server writes them to
go build -o "$OUT/jcserver" ./internal/jcserver/cmd
export JUMPCLOUD_API_KEY=bench-key
port=18124
"$OUT/jcserver" -addr 127.0.0.1:$port -events "$SYNC_N" -days 30 -dump "$OUT/jc.ndjson" 2>"$OUT/jcserver.log" &
srv=$!
trap 'kill $srv 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
	grep -q JUMPCLOUD_API_URL "$OUT/jcserver.log" 2>/dev/null && break
	sleep 0.5
done
export JUMPCLOUD_API_URL=http://127.0.0.1:$port
# (the sync is A, the import B: the ratio of times A/B is import rate / sync
# rate; printed below as its inverse, sync rate / import rate)
pairs sync "${SYNC_RUNS:-3}" 1 -- sh -c 'rm -rf "$1"; mkdir -p "$1"; exec "$2" --db "$1/a.db" --quiet sync jumpcloud --since 31d' sync "$OUT/sync" "$bin" -- \
	sh -c 'rm -rf "$1"; mkdir -p "$1"; exec "$2" --db "$1/a.db" --quiet import "$3"' import "$OUT/import" "$bin" "$OUT/jc.ndjson" |
	tee "$OUT/sync.txt"
awk '{printf "sync rate / import rate of the same %s events: wall %.2f, cpu %.2f\n", n, 1 / $4, 1 / $12}' n="$(wc -l <"$OUT/jc.ndjson")" "$OUT/sync.txt"
rm -rf "$OUT/sync" "$OUT/import"
