#!/usr/bin/env bash
# Ingest at C speed (issue 13): auditctl import against the C sqlite3 shell
# storing the same rows into the same schema.
#
#   bench/ingest.sh [N]          # N bench/gen events (default 1000000); needs sqlite3
#
# 1. N events from bench/gen (NDJSON, made once, kept in $OUT);
# 2. A: `auditctl import` of them into a new cache, whole process;
# 3. B: the sqlite3 shell (C SQLite) storing the same rows into the same
#    schema: the .schema of a fresh auditctl cache, the same pragmas (page
#    size, WAL, synchronous, the import connection's page cache, mmap) and the
#    same full-text settings, filled with INSERT ... SELECT from A's cache
#    attached read-only (the rows already parsed), the full-text index fed
#    the very text auditctl indexes (bench/profimport text), in one
#    transaction. Disk: about 5.5 GB at N=1000000 (the NDJSON is removed
#    once A has run, unless RUNS > 1 or KEEP=1).
#    The shell (3.40) has no contentless_delete option: B's index is
#    contentless without it (slightly less work per row than A's);
# 4. both timed as whole processes with /usr/bin/time -v (wall, user + sys,
#    peak RSS), RUNS pairs in turn (default 1), and the ratio
#    B's time / A's time: 1.0 means auditctl stores as fast as the C shell.
# Then the read-side ratios (bench/read-speed.sh, when present; SKIP_READ=1
# leaves them out) on A's cache.
# The machine is shared: read the ratios, not the absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${RUNS:-1}
OUT=${OUT:-bench/out/ingest}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
command -v sqlite3 >/dev/null || { echo "bench: sqlite3 is needed (apt-get install -y sqlite3)" >&2; exit 1; }
export XDG_CONFIG_HOME="$OUT/config" # the signing key, never yours
bin="$OUT/auditctl"
go build -o "$bin" ./cmd/auditctl
nd="$OUT/events-$N.ndjson"
if [ ! -s "$nd" ]; then
	# newest events now, so that the read side's "--since 7d" finds some
	go run ./bench/gen -n "$N" -now "$(date -u +%Y-%m-%dT%H:%M:%SZ)" -ndjson "$nd"
fi

# timed LABEL CMD...: one whole-process run under /usr/bin/time -v; prints
# "LABEL wall_s cpu_s peak_KiB" on stdout
timed() {
	local label=$1 log="$OUT/time-$1.txt"
	shift
	/usr/bin/time -v -o "$log" "$@" >/dev/null
	awk -v l="$label" -F': ' '
		/Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
		/User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { m = $2 }
		END { printf "%s %.2f %.2f %d\n", l, w, u + s, m }' "$log"
}

a="$OUT/a.db"      # auditctl's cache
src="$OUT/text.db" # the text it indexes, for B
run_a() {
	rm -f "$a" "$a"-wal "$a"-shm "$OUT"/.a.db.*
	timed auditctl "$bin" --db "$a" --quiet import "$nd"
}

# --- B's input and script, built once from a fresh cache and A's rows ---
prepare_b() {
	local fresh="$OUT/fresh.db" text="$OUT/text-$N.txt"
	rm -f "$fresh" "$fresh"-wal "$fresh"-shm "$src"
	: >"$OUT/empty.ndjson"
	"$bin" --db "$fresh" --quiet import "$OUT/empty.ndjson"
	sqlite3 "$a" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
	go run ./bench/profimport text "$nd" "$text" -
	# the text auditctl indexes, keyed like A's rows (B reads A's cache in
	# place, attached read-only, and this beside it)
	sqlite3 "$src" >/dev/null <<SQL
PRAGMA journal_mode = OFF;
CREATE TABLE tx (source TEXT, ext_id TEXT, text TEXT);
.mode ascii
.import $text tx
ATTACH 'file:$a?mode=ro' AS a;
CREATE TABLE fts_src (id INTEGER PRIMARY KEY, text TEXT);
INSERT INTO fts_src SELECT e.id, t.text FROM tx t JOIN a.events e ON e.source = t.source AND e.ext_id = t.ext_id;
DROP TABLE tx;
VACUUM;
SQL
	rm -f "$text"
	if [ "$RUNS" = 1 ] && [ -z "${KEEP:-}" ]; then
		rm -f "$nd" # not needed again (KEEP=1 keeps it; bench/gen makes the same again)
	fi
	local page cache
	page=$(sqlite3 "$fresh" "PRAGMA page_size")
	# the import connection's page cache (pkg/store/sqlite/db.go), in KiB
	cache=$(sed -n 's/.*importCacheKiB *= *\([0-9]*\) *<< *10.*/\1/p' pkg/store/sqlite/db.go)
	cache=$((${cache:-128} * 1024))
	{
		echo "PRAGMA page_size = $page;"
		echo "PRAGMA journal_mode = WAL;"
		echo "PRAGMA synchronous = NORMAL;"
		echo "PRAGMA foreign_keys = 1;"
		echo "PRAGMA cache_size = -$cache;"
		echo "PRAGMA temp_store = MEMORY;"
		echo "PRAGMA mmap_size = 2147418112;"
		# the fresh cache's schema; the shell's SQLite has no contentless_delete
		sqlite3 "$fresh" .schema | sed 's/, *contentless_delete=1//' | grep -v '^CREATE TABLE sqlite_'
		# the full-text settings a fresh cache stores (hashsize, automerge, ...)
		sqlite3 "$fresh" "SELECT printf('INSERT INTO events_fts(events_fts, rank) VALUES(%Q, %s);', k, quote(v)) FROM events_fts_config WHERE k <> 'version'"
		echo "ATTACH 'file:$a?mode=ro' AS src;"
		echo "ATTACH '$src' AS txt;"
		echo "BEGIN;"
		echo "INSERT INTO events SELECT * FROM src.events;"
		echo "INSERT INTO event_docs SELECT * FROM src.event_docs;"
		echo "INSERT INTO events_fts (rowid, text) SELECT id, text FROM txt.fts_src;"
		echo "INSERT INTO sources SELECT * FROM src.sources;"
		echo "INSERT INTO chain_rows SELECT * FROM src.chain_rows;"
		echo "INSERT INTO chain SELECT * FROM src.chain;"
		if [ -n "$(sqlite3 "$a" "SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")" ]; then
			echo "ANALYZE;" # auditctl's import ends with one too
		fi
		echo "COMMIT;"
	} >"$OUT/c.sql"
}

c="$OUT/c.db" # the C shell's
run_b() {
	rm -f "$c" "$c"-wal "$c"-shm
	timed sqlite3 sh -c "exec sqlite3 '$c' <'$OUT/c.sql'"
}

echo "## import of $N bench/gen events: auditctl (A) and the sqlite3 shell (B), $RUNS pair(s) in turn"
echo "# label wall_s cpu_s peak_KiB"
results=()
for i in $(seq "$RUNS"); do
	ra=$(run_a); echo "$ra"
	[ "$i" = 1 ] && prepare_b
	rb=$(run_b); echo "$rb"
	results+=("$(awk -v a="$ra" -v b="$rb" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.3f %.3f", y[2] / x[2], y[3] / x[3] }')")
done
n_a=$(sqlite3 "$a" "SELECT count(*) FROM events")
n_c=$(sqlite3 "$c" "SELECT count(*) FROM events")
[ "$n_a" = "$n_c" ] || { echo "bench: A stored $n_a rows, B $n_c" >&2; exit 1; }
med() { sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }'; }
wall=$(printf '%s\n' "${results[@]}" | cut -d' ' -f1 | med)
cpu=$(printf '%s\n' "${results[@]}" | cut -d' ' -f2 | med)
echo "import ratio (B time / A time; 1.0 = C speed): wall $wall, cpu $cpu (medians of $RUNS); $n_a rows"
echo "peak RSS (KiB): auditctl $(awk '/Maximum resident/ {print $NF}' "$OUT/time-auditctl.txt"), sqlite3 $(awk '/Maximum resident/ {print $NF}' "$OUT/time-sqlite3.txt")"

# ---------------------------------------------------------------------------
# READ-SIDE RATIOS (issue 13: count --by, start-up, list first page, sync).
# bench/read-speed.sh (another part of issue 13) appends its lines here, on
# A's cache of the same N events:
#   DB=A's cache OUT=$OUT/read bench/read-speed.sh N
# ---------------------------------------------------------------------------
if [ -x bench/read-speed.sh ] && [ -z "${SKIP_READ:-}" ]; then
	DB="$a" OUT="$OUT/read" bench/read-speed.sh "$N"
fi
