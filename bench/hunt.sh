#!/usr/bin/env bash
# Benchmark of issue 11, detection rules: the 57 SigmaHQ CloudTrail rules of
# ../shared/data/sigma/aws-cloudtrail over N CloudTrail-shaped events
# (default 1,000,000; bench/genct: copies of the shared CloudTrail sample
# with fresh ids and times, 2 % changed toward the rules), with each rule's
# selective part pushed down to the cache (the default) and with sigma-go
# evaluating every rule on every event (--no-pushdown), in the same cache.
# Whole-process wall and CPU times (/usr/bin/time), median of RUNS runs for
# the pushdown and of BRUTE_RUNS (default 1: it is slow) without; both
# reports must be identical. Target: ≥ 100,000 events/s with pushdown.
#
#   bench/hunt.sh [N]               # needs /usr/bin/time (apt-get install time)
#   BRUTE_N=100000 bench/hunt.sh    # without pushdown over the first BRUTE_N events only
#
# Machines here are shared and noisy: compare ratios, not absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${RUNS:-3}
BRUTE_RUNS=${BRUTE_RUNS:-1}
OUT=${OUT:-bench/out}
RULES=${RULES:-../shared/data/sigma/aws-cloudtrail}
command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time is needed (apt-get install -y time)" >&2; exit 1; }
[ -d "$RULES" ] || { echo "bench: no rules at $RULES" >&2; exit 1; }
mkdir -p "$OUT"
bin="$OUT/auditctl"
go build -o "$bin" ./cmd/auditctl

# cache DB holding the first n generated events (built once)
cache() {
	local n=$1 db="$OUT/hunt-$1.db" nd="$OUT/cloudtrail-$1.ndjson"
	if [ ! -s "$db" ]; then
		go run ./bench/genct -n "$n" -o "$nd"
		rm -f "$db" "$db"-wal "$db"-shm
		"$bin" --db "$db" --quiet import "$nd" >&2
		rm -f "$nd"
	fi
	echo "$db"
}

# run LABEL DB ARGS...: prints "wall cpu" (seconds) of one run; keeps the report
run() {
	local label=$1 db=$2; shift 2
	/usr/bin/time -f '%e %U %S' -o "$OUT/time" "$bin" --db "$db" hunt --sigma "$RULES" -o json "$@" >"$OUT/$label.json" || [ $? -eq 1 ]
	tail -1 "$OUT/time" | awk '{printf "%s %.2f\n", $1, $2 + $3}'
}
median() { sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }

db=$(cache "$N")
for ((i = 0; i < RUNS; i++)); do run pushdown "$db"; done >"$OUT/pushdown.times"
read -r wall cpu < <(median <"$OUT/pushdown.times")
rate=$(awk -v n="$N" -v w="$wall" 'BEGIN{printf "%.0f", n/w}')
echo "| pushdown, $N events | wall $wall s (median of $RUNS) | cpu $cpu s | $rate events/s |"

BN=${BRUTE_N:-$N}
bdb=$db
[ "$BN" != "$N" ] && bdb=$(cache "$BN")
if [ "$BN" != "$N" ]; then
	for ((i = 0; i < RUNS; i++)); do run pushdown-small "$bdb"; done >"$OUT/pushdown-small.times"
	read -r pwall pcpu < <(median <"$OUT/pushdown-small.times")
	echo "| pushdown, $BN events | wall $pwall s | cpu $pcpu s | $(awk -v n="$BN" -v w="$pwall" 'BEGIN{printf "%.0f", n/w}') events/s |"
	cmpfile=pushdown-small
else
	pwall=$wall pcpu=$cpu cmpfile=pushdown
fi
for ((i = 0; i < BRUTE_RUNS; i++)); do run brute "$bdb" --no-pushdown; done >"$OUT/brute.times"
read -r bwall bcpu < <(median <"$OUT/brute.times")
echo "| sigma-go on every event (--no-pushdown), $BN events | wall $bwall s | cpu $bcpu s | $(awk -v n="$BN" -v w="$bwall" 'BEGIN{printf "%.0f", n/w}') events/s |"
echo "| ratio without/with pushdown, $BN events | wall $(awk -v a="$bwall" -v b="$pwall" 'BEGIN{printf "%.1f", a/b}')× | cpu $(awk -v a="$bcpu" -v b="$pcpu" 'BEGIN{printf "%.1f", a/b}')× | |"
if cmp -s "$OUT/brute.json" "$OUT/$cmpfile.json"; then
	echo "reports identical"
else
	echo "bench: the reports differ ($OUT/brute.json, $OUT/$cmpfile.json)" >&2
	exit 1
fi
