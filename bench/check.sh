#!/usr/bin/env bash
# Benchmark of issue 11: `auditctl check` with the 50 rules of
# bench/check/policy.yaml (every condition; indexed and unindexed fields and
# the full-text index) over N demo events (default 1,000,000) in the cache,
# whole process, against the same rules as 50 `logs count` runs (each rule's
# query with --fail-if, what a CI script does without check; a threshold,
# sequence or require per day cannot be said with logs count, so those runs
# only count the rule's query: less work than the rule, in check's favour of
# nothing). Targets: check <= 2 s, and >= 20x faster than the 50 runs.
#
#   bench/check.sh [N]
#
# Whole-process wall times, median of RUNS runs (default 5). Machines here
# are shared and noisy: compare ratios, not absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${RUNS:-5}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
bin="$OUT/auditctl"
go build -o "$bin" ./cmd/auditctl
nd="$OUT/events.ndjson"
if [ ! -s "$nd" ] || [ "$(wc -l <"$nd")" -ne "$N" ]; then
	go run ./bench/gen -n "$N" -now "$(date -u +%Y-%m-%dT%H:%M:%SZ)" -ndjson "$nd"
fi
db="$OUT/check.db"
if [ ! -s "$db" ] || [ "$nd" -nt "$db" ]; then
	rm -f "$db" "$db"-wal "$db"-shm
	"$bin" --db "$db" import "$nd" >/dev/null
fi
# The window: the generated data's 30 days up to now (the data is
# anchored at the time it was generated).
since=31d
policy=bench/check/policy.yaml

# The 50 logs count command lines, one a line: each rule's query.
queries="$OUT/check-queries.txt"
sed -n "s/^    events: {query: '\(.*\)'}$/\1/p" "$policy" >"$queries"
[ "$(wc -l <"$queries")" -eq 50 ] || { echo "bench: expected 50 queries in $policy" >&2; exit 1; }
counts() {
	while IFS= read -r q; do
		"$bin" --db "$db" logs count -q "$q" --since "$since" --fail-if '>0' >/dev/null 2>&1 || true
	done <"$queries"
}

median() {
	local times=() i t0 t1
	for ((i = 0; i < RUNS; i++)); do
		t0=$(date +%s%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s%N)
		times+=($(( (t1 - t0) / 1000 )))
	done
	printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]/1000}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.1f", a/b; else print "n/a" }'; }

check_ms=$(median "$bin" --db "$db" check "$policy" --since "$since" -o json)
counts_ms=$(median counts)
"$bin" --db "$db" check "$policy" --since "$since" -o json >"$OUT/check.json" || true
summary=$(grep -A8 '"summary"' "$OUT/check.json" | tr -d ' \n' | sed 's/"summary"://')

cat <<MD
Measured $(date -u +%Y-%m-%d) on $(nproc) cores (load average at the end: $(cut -d" " -f1-3 /proc/loadavg)), N=$N, median of $RUNS runs.
Command: \`bench/check.sh $N\` (rules: \`bench/check/policy.yaml\`; result: \`$summary\`)

| measurement | time | ratio |
|---|---|---|
| \`check\` with 50 rules, whole process | ${check_ms} ms | |
| the same 50 queries as 50 \`logs count --fail-if\` runs | ${counts_ms} ms | check is $(ratio "$counts_ms" "$check_ms")× faster |
MD
