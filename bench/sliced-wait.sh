#!/usr/bin/env bash
# How long a small write waits while a large import runs (issue 16, docs/architecture.md "Writers in slices").
#
#   bench/sliced-wait.sh [N] [TRIES]     # N events in the large import (default 200000)
#
# Generates N bench/gen events, starts `auditctl import` of them into a new cache, and every half second runs
# `auditctl import` of 5 other events into the same cache, printing each one's wall time. Compare with a
# build from before slices (AUDITCTL=path/to/old/auditctl).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
TRIES=${2:-8}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
bin=${AUDITCTL:-$OUT/auditctl}
[ -n "${AUDITCTL:-}" ] || go build -o "$bin" ./cmd/auditctl
big="$OUT/sliced-$N.ndjson"
[ -s "$big" ] || go run ./bench/gen -n "$N" -now 2026-12-06T00:00:00Z -ndjson "$big"
db="$OUT/sliced-wait/a.db"
rm -rf "$(dirname "$db")"; mkdir -p "$(dirname "$db")"
"$bin" --db "$db" --quiet import "$big" &
pid=$!
sleep 3
for i in $(seq "$TRIES"); do
	small="$OUT/sliced-small-$i.ndjson"
	head -5 "$big" | sed "s/\"id\":\"/\"id\":\"small$i-/" >"$small"
	t0=$(date +%s%N)
	"$bin" --db "$db" --quiet import "$small" >/dev/null
	t1=$(date +%s%N)
	kill -0 "$pid" 2>/dev/null && state="during the large import" || state="after it ended"
	echo "small import $i: $(( (t1 - t0) / 1000000 )) ms ($state)"
	sleep 0.5
done
wait "$pid"
