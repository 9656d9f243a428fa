#!/usr/bin/env bash
# PostgreSQL team store: `auditctl import` of N bench/gen events into a
# PostgreSQL store (COPY, docs/postgres.md) against the same import into a
# new SQLite cache, both whole processes under /usr/bin/time -v, server on
# the same machine.
#
#   bench/pg-import.sh [N]       # default 200000; needs PostgreSQL's initdb
#                                 # and pg_ctl (apt-get install postgresql)
#
# A throwaway cluster is made in $OUT/pgdata (run as the postgres user when
# this runs as root), listening on a free port, fsync off as in the tests,
# and stopped at the end. Prints "label wall_s cpu_s peak_KiB" per run and
# the ratio of the cache's wall time to the store's (> 1: PostgreSQL faster).
# CPU is auditctl's own (the server's is not counted).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
OUT=${OUT:-bench/out/pg-import}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export XDG_CONFIG_HOME="$OUT/config"
bin="$OUT/auditctl"
go build -o "$bin" ./cmd/auditctl
nd="$OUT/events-$N.ndjson"
[ -s "$nd" ] || go run ./bench/gen -n "$N" -now 2026-12-06T00:00:00Z -ndjson "$nd"

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "bench: PostgreSQL is needed (apt-get install -y postgresql)" >&2; exit 1; }
as=()
if [ "$(id -u)" -eq 0 ]; then as=(runuser -u postgres --); chmod 711 "$OUT"; fi
data="$OUT/pgdata"
rm -rf "$data" && mkdir -p "$data" && chmod 700 "$data"
[ ${#as[@]} -eq 0 ] || chown postgres "$data"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as[@]}" "$pgbin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
"${as[@]}" "$pgbin/pg_ctl" start -w -D "$data" -l "$data/server.log" \
	-o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c full_page_writes=off ${PGOPTS:-}" >/dev/null
trap '"${as[@]}" "$pgbin/pg_ctl" stop -m fast -D "$data" >/dev/null' EXIT
url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"

timed() {
	local label=$1 log="$OUT/time-$1.txt"
	shift
	/usr/bin/time -v -o "$log" "$@" >/dev/null
	awk -v l="$label" -F': ' '
		/Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
		/User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { m = $2 }
		END { printf "%s %.2f %.2f %d\n", l, w, u + s, m }' "$log"
}
rm -f "$OUT"/a.db "$OUT"/a.db-* "$OUT"/.a.db.*
sq=$(timed sqlite "$bin" --db "$OUT/a.db" --quiet import "$nd")
pg=$(timed postgres "$bin" --db "$url" --quiet import "$nd")
echo "$sq"
echo "$pg"
awk -v a="$sq" -v b="$pg" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "cache wall / store wall: %.2f\n", x[2] / y[2] }'
