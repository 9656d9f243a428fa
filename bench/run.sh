#!/usr/bin/env bash
# Benchmarks of issue 2: generate N realistic events (default 1,000,000) as
# NDJSON and CSV, then time auditctl against the tools a user would otherwise
# use on the same data (sqlite3's .import and shell, jq over NDJSON) and print
# a Markdown table of medians and ratios for docs/performance.md.
#
#   bench/run.sh [N]          # needs sqlite3 and jq (apt-get install sqlite3 jq)
#
# Whole-process times (wall clock), median of RUNS runs. Machines here are
# shared and noisy: compare ratios, not absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${RUNS:-5}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
for tool in sqlite3 jq; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is needed (apt-get install -y $tool)" >&2; exit 1; }
done

bin="$OUT/auditctl"
go build -o "$bin" ./cmd/auditctl
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
nd="$OUT/events.ndjson"; csv="$OUT/events.csv"
if [ ! -s "$nd" ] || [ "$(wc -l <"$nd")" -ne "$N" ]; then
	go run ./bench/gen -n "$N" -now "$now" -ndjson "$nd" -csv "$csv"
fi

# median wall time in ms of a command, run RUNS times
ms() { date +%s%N | awk '{printf "%d", $1/1000000}'; }
median() {
	local times=() i t0 t1
	for ((i = 0; i < RUNS; i++)); do
		t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
		times+=($(( (t1 - t0) / 1000 )))
	done
	printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}
once() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); awk -v d=$(( (t1 - t0) / 1000 )) 'BEGIN{printf "%.1f", d/1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a" }'; }

# Exports are written to memory (tmpfs) when there is one, so that both tools
# are measured rather than the disk.
EXP=$OUT
[ -d /dev/shm ] && EXP=$(mktemp -d /dev/shm/auditctl-bench.XXXXXX) && trap 'rm -rf "$EXP"' EXIT

db="$OUT/audit.db"
rm -f "$db" "$db"-wal "$db"-shm
import_ms=$(once "$bin" --db "$db" import "$nd")
import_rate=$(awk -v n="$N" -v ms="$import_ms" 'BEGIN{printf "%.0f", n/(ms/1000)}')

sq="$OUT/sqlite3-import.db"
rm -f "$sq"
sqlite_import_ms=$(once sqlite3 "$sq" ".mode csv" ".import $csv events")

list_ms=$(median "$bin" --db "$db" logs list --action DeleteUser --since 7d -o json)
jq_ms=$(RUNS=1 median jq -c 'select(.action=="DeleteUser")' "$nd") # slow: one run
since_ns=$(( ($(date +%s) - 7*86400) * 1000000000 ))
sqlite_list_ms=$(median sqlite3 -json "$db" "SELECT e.*, d.* FROM events e JOIN event_docs d ON d.id = e.id WHERE e.action = 'DeleteUser' AND e.time_ns >= $since_ns ORDER BY e.id DESC LIMIT 50")
fts_ms=$(median "$bin" --db "$db" logs list --all --search priya --limit 50 -o json)
fts_rare_ms=$(median "$bin" --db "$db" logs list --all --search "185.220.101.47" --limit 50 -o json)
fts_table_ms=$(median "$bin" --db "$db" logs list --all --search priya --limit 50 -o table)
# (grep's output must not go to /dev/null: GNU grep then stops at the first match)
grep_ms=$(RUNS=1 median sh -c 'grep -c priya "$1" | cat' grep "$nd")
countby_ms=$(median "$bin" --db "$db" logs count --by actor --all -o json)
countby7_ms=$(median "$bin" --db "$db" logs count --by actor -o json)
sqlite_countby_ms=$(median sqlite3 "$db" "SELECT actor, count(*) n FROM events GROUP BY actor ORDER BY n DESC LIMIT 20")
export_ms=$(median "$bin" --db "$db" logs export --format csv -O "$EXP/export.csv")
sqlite_export_ms=$(median sh -c "sqlite3 -csv -header '$db' 'SELECT * FROM events e JOIN event_docs d ON d.id = e.id ORDER BY e.id' > '$EXP/sqlite-export.csv'")
rm -f "$EXP/export.csv" "$EXP/sqlite-export.csv"
db_bytes=$(( $(stat -c %s "$db") + $( [ -f "$db-wal" ] && stat -c %s "$db-wal" || echo 0) ))
nd_bytes=$(stat -c %s "$nd")

cat <<MD
Measured $(date -u +%Y-%m-%d) on $(nproc) cores (load average at the end: $(cut -d" " -f1-3 /proc/loadavg)), $(sqlite3 --version | cut -d' ' -f1) (sqlite3 shell), jq $(jq --version), N=$N, median of $RUNS runs.
Command: \`bench/run.sh $N\`

| measurement | auditctl | other tool | ratio |
|---|---|---|---|
| import NDJSON, whole process | ${import_ms} ms (${import_rate} events/s) | sqlite3 \`.import\` CSV: ${sqlite_import_ms} ms | $(ratio "$import_ms" "$sqlite_import_ms")× the time of sqlite3 |
| \`logs list --action DeleteUser --since 7d\` | ${list_ms} ms | jq select over NDJSON: ${jq_ms} ms | $(ratio "$jq_ms" "$list_ms")× faster than jq |
| same query | ${list_ms} ms | sqlite3 shell, same DB: ${sqlite_list_ms} ms | $(ratio "$list_ms" "$sqlite_list_ms")× the time of sqlite3 |
| full-text search, newest-first page of a common word (\`--search priya -o json\`) | ${fts_ms} ms | grep -c over NDJSON: ${grep_ms} ms | $(ratio "$grep_ms" "$fts_ms")× faster than grep |
| the same as a table, with the total counted | ${fts_table_ms} ms | | |
| full-text search for an IP address (phrase: index + confirmation) | ${fts_rare_ms} ms | | |
| \`logs count --by actor --all\` | ${countby_ms} ms | sqlite3 shell GROUP BY: ${sqlite_countby_ms} ms | $(ratio "$countby_ms" "$sqlite_countby_ms")× the time of sqlite3 |
| \`logs count --by actor\` (last 7 days) | ${countby7_ms} ms | | |
| export all to CSV | ${export_ms} ms | \`sqlite3 -csv\` same rows: ${sqlite_export_ms} ms | $(ratio "$export_ms" "$sqlite_export_ms")× the time of sqlite3 |
| cache size | $(( db_bytes / 1048576 )) MiB | NDJSON: $(( nd_bytes / 1048576 )) MiB | $(ratio "$db_bytes" "$nd_bytes")× |
MD
