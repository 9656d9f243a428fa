#!/usr/bin/env bash
# What the planner statistics an import leaves (PRAGMA optimize at its end,
# docs/cache.md) change, query shape by query shape: the cache CACHE with
# them (A) and a copy of it without them (B: sqlite_stat1 dropped), whole
# process, /usr/bin/time, RUNS pairs (default 5) in turn.
#
#   bench/stats.sh CACHE   # a cache of bench/gen events, e.g. bench/out/check.db from bench/check.sh
#
# Then the cost on the import: PRAGMA optimize timed alone on a copy of
# CACHE without statistics. Machines here are shared: compare the pairs'
# CPU seconds (user + sys) more than the wall times.
set -euo pipefail
cd "$(dirname "$0")/.."
A=${1:?usage: bench/stats.sh CACHE}
RUNS=${RUNS:-5}
OUT=${OUT:-bench/out/stats}
mkdir -p "$OUT"
bin="$OUT/auditctl"
go build -o "$bin" ./cmd/auditctl
B="$OUT/nostat.db"
cp "$A" "$B"
sqlite3 "$B" 'DROP TABLE IF EXISTS sqlite_stat1; DROP TABLE IF EXISTS sqlite_stat4;'
[ "$(sqlite3 "$A" "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")" = 1 ] ||
	"$bin" --db "$A" --quiet import /dev/null # an import gathers them (on a cache made before it did)
policy=bench/check/policy.yaml
queries="$OUT/queries.txt"
sed -n "s/^    events: {query: '\(.*\)'}$/\1/p" "$policy" >"$queries"
counts() { # the 50 logs count runs of bench/check.sh over cache $1
	while IFS= read -r q; do
		"$bin" --db "$1" logs count -q "$q" --since 31d --fail-if '>0' >/dev/null 2>&1 || true
	done <"$queries"
}
t() { # label db args...: one whole-process run
	/usr/bin/time -f "$1	%e s wall	%U s user	%S s sys" "$bin" --db "$2" "${@:3}" >/dev/null 2>&1 || true
}
shapes=(
	"logs list --action DeleteUser --since 7d -o json"
	"logs list --all --search priya --limit 50 -o json"
	"logs list --all --search priya --limit 50 -o table"
	"logs list --all --search 185.220.101.47 --limit 50 -o json"
	"logs count --by actor --all -o json"
	"logs count --by actor -o json"
	"logs list --all -q status:failure --limit 50 -o json"
	"check $policy --since 31d -o json"
	"logs export --format csv -O $OUT/export.csv"
)
for s in "${shapes[@]}"; do
	echo "## $s"
	read -r -a args <<<"$s"
	for _ in $(seq "$RUNS"); do
		t "A stats" "$A" "${args[@]}" 2>&1
		t "B none" "$B" "${args[@]}" 2>&1
	done
done
for q in 'action:Login status:failure' 'action:DeleteUser status:success'; do
	echo "## logs count --all -q '$q'"
	for _ in $(seq "$RUNS"); do
		t "A stats" "$A" logs count --all -q "$q" 2>&1
		t "B none" "$B" logs count --all -q "$q" 2>&1
	done
done
echo "## the 50 logs count runs of bench/check.sh"
for _ in $(seq "$RUNS"); do
	/usr/bin/time -f "A stats	%e s wall	%U s user	%S s sys" bash -c "$(declare -f counts); bin=$bin queries=$queries; counts $A" 2>&1
	/usr/bin/time -f "B none	%e s wall	%U s user	%S s sys" bash -c "$(declare -f counts); bin=$bin queries=$queries; counts $B" 2>&1
done
echo "## what gathering them costs an import: an empty import into the copy without them, then into the cache with them"
for _ in $(seq "$RUNS"); do
	cp "$B" "$OUT/opt.db"
	/usr/bin/time -f "gathers	%e s wall	%U s user	%S s sys" "$bin" --db "$OUT/opt.db" --quiet import /dev/null
	/usr/bin/time -f "has them	%e s wall	%U s user	%S s sys" "$bin" --db "$A" --quiet import /dev/null
done
rm -f "$OUT/opt.db"* "$OUT/export.csv" "$B"*
