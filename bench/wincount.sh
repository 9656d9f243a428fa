#!/usr/bin/env bash
# The count of a time window (`logs count --since 7d`): the status-index
# count (windowCount in pkg/store/sqlite) against the key range of the
# events table, whole processes, A then B in turn.
#
#   bench/wincount.sh CACHE BEFORE AFTER [RUNS]
#
# CACHE: a copy of a cache of bench/gen events whose newest are recent
# (opening it may migrate it); BEFORE / AFTER: auditctl binaries built
# before and after the change. Prints each run's wall and CPU seconds and
# peak RSS (/usr/bin/time -v), then the medians. The same in the process:
#   AUDITCTL_BENCH_CACHE=CACHE go test ./pkg/store/sqlite -run '^$' -bench WindowCount -count 3
set -euo pipefail
cache=$1 before=$2 after=$3 runs=${4:-9}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
one() { # name binary
	/usr/bin/time -v "$2" --db "$cache" logs count --since 7d >"$tmp/out" 2>"$tmp/time"
	awk -v n="$1" -v out="$(cat "$tmp/out")" '
		/Elapsed \(wall clock\)/ { split($NF, t, ":"); wall = t[1] * 60 + t[2] }
		/User time/ { cpu += $NF } /System time/ { cpu += $NF }
		/Maximum resident/ { rss = $NF / 1024 }
		END { printf "%s wall %.3f cpu %.3f rss %.0f MiB %s\n", n, wall, cpu, rss, out }' "$tmp/time"
}
"$before" --db "$cache" logs count --since 7d >/dev/null # warm-up
"$after" --db "$cache" logs count --since 7d >/dev/null
for _ in $(seq "$runs"); do one before "$before"; one after "$after"; done | tee "$tmp/runs"
for n in before after; do
	for k in 3 5; do grep "^$n " "$tmp/runs" | awk -v k=$k '{print $k}' | sort -n | awk -v n="$n" -v k=$k '{a[NR]=$1} END {printf "%s median %s %.3f s\n", n, (k == 3 ? "wall" : "cpu"), a[int((NR+1)/2)]}'; done
done
