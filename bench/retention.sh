#!/usr/bin/env bash
# Benchmark of retention apply (issue 11 point 3): N generated events over
# DAYS days (default 200,000 over 180: about half past the 90-day period),
# imported once; each run copies that cache and times
#   auditctl retention apply [--archive DIR]
# and, during a run with the archive, how long a small import started
# 0.3 s into it waits for the cache (the writers' wait of issue 16).
#
#   bench/retention.sh [N] [DAYS]
#
# Whole-process wall times, median of RUNS runs. Machines here are shared
# and noisy: compare ratios, not absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
DAYS=${2:-180}
RUNS=${RUNS:-3}
OUT=${OUT:-bench/out/retention}
mkdir -p "$OUT"
bin="$OUT/auditctl"
go build -o "$bin" ./cmd/auditctl
nd="$OUT/events-$N-$DAYS.ndjson"
base="$OUT/base-$N-$DAYS.db"
if [ ! -s "$base" ]; then
	go run ./bench/gen -n "$N" -days "$DAYS" -now "$(date -u +%Y-%m-%dT%H:%M:%SZ)" -ndjson "$nd" -csv /dev/null
	"$bin" --db "$base" --quiet import "$nd"
fi
# recent events: an import of events past the period during a run makes the
# run roll back (they would be deleted without being in the archive)
small="$OUT/small.ndjson"
tail -n 1000 "$nd" | sed 's/"id":"/"id":"small-/' >"$small"

ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() { # run LABEL ARGS...: prints the median wall ms of retention apply ARGS
	local label=$1; shift
	for _ in $(seq "$RUNS"); do
		rm -rf "$OUT/c" && mkdir -p "$OUT/c" && cp "$base" "$OUT/c/audit.db"
		local t0; t0=$(ms)
		"$bin" --db "$OUT/c/audit.db" --quiet retention apply "$@" >/dev/null
		echo $(( $(ms) - t0 ))
	done | median | { read -r m; echo "| $label | $m ms |"; }
}
expired=$("$bin" --db "$base" retention status -o json | awk -F'"expired": ' '/"expired"/ {split($2,a,","); s+=a[1]} END {print s}')
echo "$N events over $DAYS days; expired (events + sessions): $expired"
echo
echo "| retention apply | median wall |"
echo "| --- | --- |"
run "no archive"
run "--archive (gzip)" --archive "$OUT/c/arch"
run "--archive --compress zstd" --archive "$OUT/c/arch" --compress zstd

# A small import during a run: how long it takes (its wait included).
waits=()
for _ in $(seq "$RUNS"); do
	rm -rf "$OUT/c" && mkdir -p "$OUT/c" && cp "$base" "$OUT/c/audit.db"
	"$bin" --db "$OUT/c/audit.db" --quiet retention apply --archive "$OUT/c/arch" >/dev/null &
	pid=$!
	sleep 0.3
	t0=$(ms)
	"$bin" --db "$OUT/c/audit.db" --quiet import "$small" >/dev/null
	waits+=($(( $(ms) - t0 )))
	wait "$pid"
done
alone=()
for _ in $(seq "$RUNS"); do
	rm -rf "$OUT/c" && mkdir -p "$OUT/c" && cp "$base" "$OUT/c/audit.db"
	t0=$(ms)
	"$bin" --db "$OUT/c/audit.db" --quiet import "$small" >/dev/null
	alone+=($(( $(ms) - t0 )))
done
echo
echo "| 1,000-event import | median wall |"
echo "| --- | --- |"
echo "| alone | $(printf '%s\n' "${alone[@]}" | median) ms |"
echo "| started 0.3 s into retention apply --archive | $(printf '%s\n' "${waits[@]}" | median) ms |"
