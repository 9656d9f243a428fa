#!/usr/bin/env bash
# PostgreSQL team store, reads at a size auditctl cannot import in the time a
# benchmark has (issue 14, "measured latency at 1M and 5M events"): grow the
# cache and the store that bench/pg-import.sh kept from N generated events to
# (1 + COPIES) × N, the same way in both, inside each database engine:
#
#   KEEP=1 bench/pg-import.sh 1000000   # or SETUP=1 below: imports only
#   bench/pg-grow.sh 4                  # 1M generated + 4 time-shifted copies
#   bench/pg-read.sh                    # the reads at 5M
#
# Copy k (1..COPIES) of every event is the original shifted back in time by
# k × 30 days: time_ns − k×30 d, and the key (store.EventKey: microseconds
# << 10 | slot) − (k×30 d in µs) << 10, so key order stays time order and the
# slot is kept; the ext id gets the suffix "~k" so every identity stays
# unique. The originals span 30 days, so the copies sit in the 30-day periods
# before them, none overlapping. Content (actors, actions, text) is the same:
# the copies make the store bigger and older, not more varied.
#
#   PostgreSQL: auditctl_ensure_month makes the months' partitions, then
#     INSERT … SELECT into event_ids, events (its GIN index on tsv and the
#     b-trees maintained as by any insert) and event_docs, one session per
#     copy, then VACUUM ANALYZE.
#   SQLite (the sqlite3 shell): events, event_docs, and the FTS5 index
#     (events_fts, inserting the copies' rowids and text), then the hourly
#     summary (event_hours) recounted from events in SQL.
# Then checks that both answer the same: counts by SQL and by `auditctl logs
# count --all` on each side.
#
# SETUP=1 bench/pg-grow.sh 0 makes the 1M cache and store itself (generate,
# cluster, both imports at once), without pg-import.sh's timed psql \copy.
set -euo pipefail
cd "$(dirname "$0")/.."
COPIES=${1:-4}
N=${N:-1000000}
OUT=${OUT:-bench/out/pg-import}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export XDG_CONFIG_HOME="$OUT/config"
bin="$OUT/auditctl"
[ -x "$bin" ] || go build -o "$bin" ./cmd/auditctl
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "bench: PostgreSQL is needed (apt-get install -y postgresql)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "bench: the sqlite3 shell is needed (apt-get install -y sqlite3)" >&2; exit 1; }
as=()
if [ "$(id -u)" -eq 0 ]; then as=(runuser -u postgres --); chmod 711 "$OUT"; fi
data="$OUT/pgdata"
cache="$OUT/a.db"
pgopts="-c fsync=off -c full_page_writes=off -c max_wal_size=1GB ${PGOPTS:-}"

if [ "${SETUP:-}" = 1 ]; then
	nd="$OUT/events-$N.ndjson"
	[ -s "$nd" ] || go run ./bench/gen -n "$N" -now 2026-12-06T00:00:00Z -ndjson "$nd"
	[ -f "$data/postmaster.pid" ] && "${as[@]}" "$pgbin/pg_ctl" stop -m fast -D "$data" >/dev/null 2>&1 || true
	rm -rf "$data" "$cache" "$cache"-* && mkdir -p "$data" && chmod 700 "$data"
	[ ${#as[@]} -eq 0 ] || chown postgres "$data"
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' >"$OUT/port"
	"${as[@]}" "$pgbin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
fi
port=$(cat "$OUT/port")
"${as[@]}" "$pgbin/pg_ctl" status -D "$data" >/dev/null 2>&1 ||
	"${as[@]}" "$pgbin/pg_ctl" start -w -D "$data" -l "$data/server.log" \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $data $pgopts" >/dev/null
trap '"${as[@]}" "$pgbin/pg_ctl" stop -m fast -D "$data" >/dev/null' EXIT
url="postgres://postgres@127.0.0.1:$port/a?sslmode=disable"
psql=("$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d a)

if [ "${SETUP:-}" = 1 ]; then
	"$pgbin/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -c "CREATE DATABASE a"
	/usr/bin/time -f "import into the cache: %e s" "$bin" --db "$cache" --quiet import "$nd" &
	p1=$!
	/usr/bin/time -f "import into the store: %e s" "$bin" --db "$url" --quiet import "$nd" &
	p2=$!
	wait $p1
	wait $p2
fi

[ "$COPIES" -ge 1 ] || exit 0
sqx=("$OUT/sqlexec" "$cache")
[ -x "$OUT/sqlexec" ] || go build -o "$OUT/sqlexec" ./bench/sqlexec
if [ "$("${psql[@]}" -At -c "SELECT count(*) FROM (SELECT 1 FROM event_ids WHERE ext_id LIKE '%~%' LIMIT 1) x")" != 0 ]; then
	echo "bench: the store holds copies already (ext ids ending ~k): grow once, from a fresh import" >&2
	exit 1
fi
# The originals: keys from lo up (the copies all go below).
lo=$("${psql[@]}" -At -c "SELECT min(id) FROM events")
[ "$("${sqx[@]}" "SELECT min(id) FROM events")" = "$lo" ] || { echo "bench: the cache and the store do not start at the same key" >&2; exit 1; }
day_us=86400000000
cols="source, time_ns, service, action, category, workflow_id, workflow_type, actor, actor_id, actor_type,
	target, target_id, target_type, ip, client, user_agent, status, error, duration_ms, tenant, description"

# PostgreSQL: the partitions of every month the copies reach, then the rows,
# each copy in its own session and transaction (the copies fill different
# partitions: they run at once); the GIN index over tsv and the b-trees are
# maintained by the inserts, as by an import's COPY.
grow_pg() {
	local k d pids=()
	"${psql[@]}" -c "SELECT auditctl_ensure_month(extract(year FROM m)::int, extract(month FROM m)::int)
	FROM generate_series(date_trunc('month', to_timestamp(($lo >> 10) / 1e6 - $COPIES * 30 * 86400) AT TIME ZONE 'UTC'),
		date_trunc('month', to_timestamp(($lo >> 10) / 1e6) AT TIME ZONE 'UTC'), interval '1 month') m" >/dev/null
	for k in $(seq "$COPIES"); do
		d="(($k::bigint * 30 * $day_us) << 10)"
		"${psql[@]}" -1 -c "SET maintenance_work_mem = '256MB'" \
			-c "INSERT INTO event_ids (source, ext_id, id) SELECT source, ext_id || '~$k', id - $d FROM event_ids WHERE id >= $lo" \
			-c "INSERT INTO events (id, ext_id, ipaddr, tsv, $cols)
	SELECT id - $d, ext_id || '~$k', ipaddr, tsv, ${cols//time_ns/time_ns - $k::bigint * 30 * $day_us * 1000} FROM events WHERE id >= $lo ORDER BY id" \
			-c "INSERT INTO event_docs (id, geo, params, custom, before, after, raw, ptext)
	SELECT id - $d, geo, params, custom, before, after, raw, ptext FROM event_docs WHERE id >= $lo ORDER BY id" &
		pids+=($!)
	done
	for k in "${pids[@]}"; do wait "$k"; done
	"${psql[@]}" -c "VACUUM ANALYZE"
}

# SQLite: the rows, the FTS5 index (each event's tokens read back from the
# index itself through fts5vocab, as the index holds them), the hourly
# summary recounted from the rows (hours.go: hour = key / (3600 s in µs << 10);
# failures = status 'failure', NOCASE like the column).
grow_sqlite() {
	local k d stmts=()
	stmts+=("PRAGMA journal_mode = DELETE" "PRAGMA cache_size = -1000000" "PRAGMA temp_store = FILE" "BEGIN"
		"CREATE VIRTUAL TABLE temp.grow_vocab USING fts5vocab(main, 'events_fts', 'instance')"
		"CREATE TEMP TABLE grow_text AS SELECT doc, group_concat(term, ' ') AS text FROM temp.grow_vocab GROUP BY doc")
	for k in $(seq "$COPIES"); do
		d="(($k * 30 * $day_us) << 10)"
		stmts+=("INSERT INTO events (id, ext_id, $cols)
	SELECT id - $d, ext_id || '~$k', ${cols//time_ns/time_ns - $k * 30 * $day_us * 1000} FROM events WHERE id >= $lo ORDER BY id"
			"INSERT INTO event_docs (id, geo, params, custom, before, after, raw)
	SELECT id - $d, geo, params, custom, before, after, raw FROM event_docs WHERE id >= $lo ORDER BY id"
			"INSERT INTO events_fts (rowid, text) SELECT doc - $d, text FROM temp.grow_text WHERE doc >= $lo ORDER BY doc")
	done
	stmts+=("DELETE FROM event_hours"
		"INSERT INTO event_hours (hour, events, failures)
	SELECT id / (3600000000 << 10), count(*), sum(status = 'failure') FROM events GROUP BY 1"
		"COMMIT" "DROP TABLE temp.grow_text" "ANALYZE" "PRAGMA journal_mode = WAL")
	"${sqx[@]}" "${stmts[@]}"
}

echo "growing to 1 + $COPIES copies ($(date -u +%T))"
/usr/bin/time -f "grow the store: %e s" bash -c "$(declare -f grow_pg); $(declare -p psql lo day_us cols COPIES); grow_pg" &
p1=$!
/usr/bin/time -f "grow the cache: %e s" bash -c "$(declare -f grow_sqlite); $(declare -p sqx lo day_us cols COPIES); grow_sqlite" &
p2=$!
wait $p1
wait $p2

# Both answer the same, and what SQL counts.
n_pg=$("${psql[@]}" -At -c "SELECT count(*) FROM events")
n_sq=$("${sqx[@]}" "SELECT count(*) FROM events")
n_ids=$("${psql[@]}" -At -c "SELECT count(*) FROM event_ids")
n_fts=$("${sqx[@]}" "SELECT count(*) FROM events_fts WHERE events_fts MATCH 'warehouse'")
n_tsv=$("${psql[@]}" -At -c "SELECT count(*) FROM events WHERE tsv @@ 'warehouse'::tsquery")
n_hours=$("${sqx[@]}" "SELECT sum(events) FROM event_hours")
c_pg=$("$bin" --db "$url" logs count --all -o json)
c_sq=$("$bin" --db "$cache" logs count --all -o json)
a_pg=$("$bin" --db "$url" logs count --all --by actor -o json | md5sum)
a_sq=$("$bin" --db "$cache" logs count --all --by actor -o json | md5sum)
echo "SQL: store $n_pg events ($n_ids ids), cache $n_sq events ($n_hours in event_hours);" \
	"'warehouse': store $n_tsv, cache $n_fts"
echo "auditctl logs count --all: store $c_pg, cache $c_sq; --by actor the same: $([ "$a_pg" = "$a_sq" ] && echo yes || echo NO)"
[ "$n_pg" = "$n_sq" ] && [ "$n_pg" = "$n_ids" ] && [ "$n_pg" = "$n_hours" ] && [ "$n_tsv" = "$n_fts" ] && [ "$c_pg" = "$c_sq" ] && [ "$a_pg" = "$a_sq" ] ||
	{ echo "bench: the grown cache and store disagree" >&2; exit 1; }
echo "store $("${psql[@]}" -At -c "SELECT pg_size_pretty(pg_database_size('a'))"), cache $(du -ch "$cache"* | tail -1 | cut -f1)"
