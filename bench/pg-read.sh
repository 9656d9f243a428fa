#!/usr/bin/env bash
# PostgreSQL team store, reads (issue 14): the same commands over the SQLite
# cache and the PostgreSQL store holding the same events, whole processes,
# alternated (cache, store, cache, store…), RUNS each (default 9), median
# wall time of each side and their ratio; and `logs count --by actor`
# against psql running the equivalent query.
#
#   KEEP=1 bench/pg-import.sh N && bench/pg-read.sh
#   bench/pg-grow.sh 4 && bench/pg-read.sh    # the same at 5N (time-shifted copies)
#   PGBOUNCER=1 bench/pg-read.sh              # auditctl through pgbouncer (below)
#
# Uses what bench/pg-import.sh kept in $OUT (bench/out/pg-import): the cache
# a.db and database "a" of the cluster in $OUT/pgdata (started here, stopped
# at the end). MORE=FILE.ndjson first imports FILE into both (to grow the
# store between two measurements; bench/gen -now an earlier time makes older
# events, as a store grows). Prints the events held and the sizes on disk.
# The machine is shared: read the ratios, not the absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-9}
OUT=${OUT:-bench/out/pg-import}
OUT=$(cd "$OUT" && pwd)
export XDG_CONFIG_HOME="$OUT/config"
bin="$OUT/auditctl"
[ -x "$bin" ] || go build -o "$bin" ./cmd/auditctl
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as=()
[ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
data="$OUT/pgdata"
port=$(cat "$OUT/port")
"${as[@]}" "$pgbin/pg_ctl" status -D "$data" >/dev/null 2>&1 ||
	"${as[@]}" "$pgbin/pg_ctl" start -w -D "$data" -l "$data/server.log" \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c full_page_writes=off -c max_wal_size=1GB ${PGOPTS:-}" >/dev/null
trap '"${as[@]}" "$pgbin/pg_ctl" stop -m fast -D "$data" >/dev/null' EXIT
url="postgres://postgres@127.0.0.1:$port/a?sslmode=disable"
# PGBOUNCER=1: auditctl reaches the store through pgbouncer (session pooling,
# DISCARD ALL between clients), as a team deployment would: each command
# then gets a server connection that has run before, instead of a new backend
# that loads the catalog entries of every partition it plans. psql still
# connects directly (its pairs are the server's own work).
if [ -n "${PGBOUNCER:-}" ]; then
	command -v pgbouncer >/dev/null || { echo "bench: PGBOUNCER=1 needs pgbouncer (apt-get install -y pgbouncer)" >&2; exit 1; }
	pb="$OUT/pgbouncer"
	mkdir -p "$pb"
	pbport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	printf '%s\n' "[databases]" "a = host=127.0.0.1 port=$port dbname=a user=postgres" "[pgbouncer]" \
		"listen_addr = 127.0.0.1" "listen_port = $pbport" "unix_socket_dir =" "auth_type = trust" \
		"auth_file = $pb/users.txt" "pool_mode = session" "server_reset_query = DISCARD ALL" \
		"default_pool_size = 4" "logfile = $pb/pgbouncer.log" "pidfile = $pb/pgbouncer.pid" >"$pb/pgbouncer.ini"
	echo '"postgres" ""' >"$pb/users.txt"
	[ ${#as[@]} -eq 0 ] || chown -R postgres "$pb"
	"${as[@]}" pgbouncer -d "$pb/pgbouncer.ini"
	trap '"${as[@]}" "$pgbin/pg_ctl" stop -m fast -D "$data" >/dev/null; kill "$(cat "$pb/pgbouncer.pid")"' EXIT
	url="postgres://postgres@127.0.0.1:$pbport/a?sslmode=disable"
	sleep 0.5
	echo "auditctl reaches the store through pgbouncer (session pooling) on port $pbport"
fi
psql=("$pgbin/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d a)
cache="$OUT/a.db"

if [ -n "${MORE:-}" ]; then
	/usr/bin/time -f "import into the cache: %e s" "$bin" --db "$cache" --quiet import "$MORE"
	/usr/bin/time -f "import into the store: %e s" "$bin" --db "$url" --quiet import "$MORE"
fi
"${psql[@]}" -c "VACUUM ANALYZE" 2>/dev/null
n=$("${psql[@]}" -At -c "SELECT count(*) FROM events")
echo "$n events; store $("${psql[@]}" -At -c "SELECT pg_size_pretty(pg_database_size('a'))"), cache $(du -ch "$cache"* | tail -1 | cut -f1)"

# wall seconds of one whole process
wall() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || true
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# pair LABEL ARGS…: the same auditctl arguments against both, alternated.
pair() {
	local label=$1 a=() b=()
	shift
	for _ in $(seq "$RUNS"); do
		a+=("$(wall "$bin" --db "$cache" "$@")")
		b+=("$(wall "$bin" --db "$url" "$@")")
	done
	local ma mb
	ma=$(printf '%s\n' "${a[@]}" | median)
	mb=$(printf '%s\n' "${b[@]}" | median)
	awk -v l="$label" -v a="$ma" -v b="$mb" 'BEGIN { printf "%-44s cache %6.1f ms  store %6.1f ms  store/cache %.2f\n", l, a * 1000, b * 1000, b / a }'
}

pair "list --action DeleteUser" logs list --action DeleteUser -o json
pair "list --action DeleteUser --quiet" logs list --action DeleteUser -o json --quiet
pair "list --action DeleteUser --all" logs list --action DeleteUser -o json --all
pair "list --search warehouse" logs list --search warehouse -o json
pair "list --search warehouse --quiet" logs list --search warehouse -o json --quiet
pair "list --search 66ff10f4b4af71bb705bbedc --quiet" logs list --search 66ff10f4b4af71bb705bbedc -o json --quiet
pair "count --by actor" logs count --by actor -o json
pair "count --by actor --quiet" logs count --by actor -o json --quiet
pair "count --by actor --all" logs count --by actor -o json --all

# count --by actor against psql running the same query (the default 7-day
# window as a key range: microseconds << 10, store.EventKey).
q="SELECT min(actor), count(*) AS n FROM events
	WHERE id >= ((extract(epoch FROM now() - interval '7 days') * 1e6)::bigint << 10)
	GROUP BY lower(actor) ORDER BY n DESC, lower(actor)"
qall="SELECT min(actor), count(*) AS n FROM events GROUP BY lower(actor) ORDER BY n DESC, lower(actor)"
# "window --quiet": without the notice's count of the matches older than the
# window, which psql's query does not do either (the like-for-like pair).
for which in window "window --quiet" all; do
	a=() b=()
	sql=$q
	args=(logs count --by actor -o json)
	if [ "$which" = all ]; then sql=$qall; args+=(--all); fi
	if [ "$which" = "window --quiet" ]; then args+=(--quiet); fi
	for _ in $(seq "$RUNS"); do
		a+=("$(wall "${psql[@]}" -c "$sql")")
		b+=("$(wall "$bin" --db "$url" "${args[@]}")")
	done
	ma=$(printf '%s\n' "${a[@]}" | median)
	mb=$(printf '%s\n' "${b[@]}" | median)
	awk -v l="count --by actor ($which) vs psql" -v a="$ma" -v b="$mb" 'BEGIN { printf "%-44s psql  %6.1f ms  store %6.1f ms  store/psql  %.2f\n", l, a * 1000, b * 1000, b / a }'
done
