#!/usr/bin/env bash
# PostgreSQL team store, import (issue 14): `auditctl import` of N bench/gen
# events into a PostgreSQL store (binary COPY, docs/postgres.md) against
#   - the same import into a new SQLite cache, and
#   - the floor: `psql` storing the very same rows, as CSV, into the same
#     tables of a fresh database with \copy (event_ids, events, event_docs, one
#     transaction: psql -1), the rows already made (exported from the store
#     auditctl filled, untimed).
# All three are whole processes under /usr/bin/time -v, the server on the same
# machine, one run each (ROUNDS=k repeats the three in turn).
#
#   bench/pg-import.sh [N]       # default 1000000; needs PostgreSQL's initdb,
#                                 # pg_ctl and psql (apt-get install postgresql)
#
# A throwaway cluster is made in $OUT/pgdata (run as the postgres user when
# this runs as root), listening on a free port, fsync off as in the tests,
# stopped at the end. Prints "label wall_s client_cpu_s server_cpu_s
# peak_KiB" per run, where client is auditctl (or psql) and server the
# cluster's processes (the backend's CPU, counted when it exits), then the
# ratios: rate against the cache's (> 1: PostgreSQL faster) and against psql
# \copy (1.0: auditctl as fast as the floor), by wall and by CPU.
# Disk at N=1000000: about 9 GB at peak. KEEP=1 leaves the cache ($OUT/a.db)
# and the store (database "a", cluster in $OUT/pgdata) for bench/pg-read.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
ROUNDS=${ROUNDS:-1}
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
[ -f "$data/postmaster.pid" ] && "${as[@]}" "$pgbin/pg_ctl" stop -m fast -D "$data" >/dev/null 2>&1 || true
rm -rf "$data" && mkdir -p "$data" && chmod 700 "$data"
[ ${#as[@]} -eq 0 ] || chown postgres "$data"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as[@]}" "$pgbin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
"${as[@]}" "$pgbin/pg_ctl" start -w -D "$data" -l "$data/server.log" \
	-o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c full_page_writes=off -c max_wal_size=1GB ${PGOPTS:-}" >/dev/null
echo "$port" >"$OUT/port"
trap '"${as[@]}" "$pgbin/pg_ctl" stop -m fast -D "$data" >/dev/null' EXIT
url() { echo "postgres://postgres@127.0.0.1:$port/$1?sslmode=disable"; }
psql=("$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)

# The cluster's CPU seconds so far: its processes' own, and the postmaster's
# exited children's (each backend is counted when its session ends).
srvcpu() {
	local pm
	pm=$(head -1 "$data/postmaster.pid")
	awk -v t="$(getconf CLK_TCK)" -v pm="$pm" '
		{ sub(/^.*\) /, ""); s += $12 + $13; if (FILENAME ~ "/" pm "/stat$") s += $14 + $15 }
		END { printf "%.2f\n", s / t }' /proc/"$pm"/stat $(pgrep -P "$pm" | sed 's|.*|/proc/&/stat|') 2>/dev/null
}
timed() {
	local label=$1 log="$OUT/time-$1.txt" s0 s1
	shift
	sleep 1 # the backends of the step before have exited and been reaped
	s0=$(srvcpu)
	/usr/bin/time -v -o "$log" "$@" >/dev/null
	sleep 1 # this run's backend has exited and been reaped
	s1=$(srvcpu)
	awk -v l="$label" -v srv="$(echo "$s1 - $s0" | bc)" -F': ' '
		/Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
		/User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { m = $2 }
		END { printf "%s %.2f %.2f %.2f %d\n", l, w, u + s, srv, m }' "$log"
}
ratio() { # label, the slower-is-worse pair: a's (wall, cpu) over b's
	awk -v l="$1" -v a="$2" -v b="$3" 'BEGIN { split(a, x, " "); split(b, y, " ");
		printf "%s: wall %.2f, CPU (client + server) %.2f\n", l, x[2] / y[2], (x[3] + x[4]) / (y[3] + y[4]) }'
}

for r in $(seq "$ROUNDS"); do
	rm -f "$OUT"/a.db "$OUT"/a.db-* "$OUT"/.a.db.*
	"${psql[@]}" -c "DROP DATABASE IF EXISTS a" -c "DROP DATABASE IF EXISTS b" -c "CREATE DATABASE a" -c "CREATE DATABASE b"
	sq=$(timed sqlite "$bin" --db "$OUT/a.db" --quiet import "$nd")
	pg=$(timed postgres "$bin" --db "$(url a)" --quiet import "$nd")
	# The same rows as CSV, from the store auditctl filled; a fresh database
	# with the same schema and the months' partitions for psql.
	"${psql[@]}" -d a -c "\\copy (SELECT * FROM event_ids) TO '$OUT/ids.csv' CSV" \
		-c "\\copy (SELECT * FROM events) TO '$OUT/events.csv' CSV" \
		-c "\\copy (SELECT * FROM event_docs) TO '$OUT/docs.csv' CSV"
	months=$("${psql[@]}" -d a -At -c "SELECT string_agg(format('SELECT auditctl_ensure_month(%s, %s);', y, m), ' ')
		FROM (SELECT DISTINCT extract(year FROM t)::int y, extract(month FROM t)::int m
		FROM (SELECT to_timestamp(time_ns / 1e9) AT TIME ZONE 'UTC' t FROM events) x) z")
	"$bin" --db "$(url b)" --quiet import /dev/null
	"${psql[@]}" -d b -c "$months" >/dev/null
	cp=$(timed psql-copy "${psql[@]}" -d b -1 -c "\\copy event_ids FROM '$OUT/ids.csv' CSV" \
		-c "\\copy events FROM '$OUT/events.csv' CSV" -c "\\copy event_docs FROM '$OUT/docs.csv' CSV")
	rm -f "$OUT"/ids.csv "$OUT"/events.csv "$OUT"/docs.csv
	"${psql[@]}" -c "DROP DATABASE b"
	echo "label wall_s client_cpu_s server_cpu_s peak_KiB ($N events, round $r)"
	echo "$sq"
	echo "$pg"
	echo "$cp"
	awk -v a="$sq" -v b="$pg" 'BEGIN { split(a, x, " "); split(b, y, " ");
		printf "rate against the cache (cache time / store time): wall %.2f, CPU (client + server) %.2f\n", x[2] / y[2], x[3] / (y[3] + y[4]) }'
	ratio "rate against psql \\copy (psql time / auditctl time)" "$cp" "$pg"
done
if [ "${KEEP:-}" = 1 ]; then
	echo "kept: $OUT/a.db and database a on the cluster in $OUT/pgdata (bench/pg-read.sh)"
else
	"${psql[@]}" -c "DROP DATABASE a"
	rm -f "$OUT"/a.db "$OUT"/a.db-* "$OUT"/.a.db.*
fi
