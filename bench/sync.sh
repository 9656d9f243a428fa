#!/usr/bin/env bash
# Benchmark of issue 5: sync N Directory Insights events (default 1,000,000)
# from the local test server (internal/jcserver, 10,000-event pages) into a
# new cache, end to end, and the fetch alone (network + JSON mapping) for
# comparison.
#
#   bench/sync.sh [N]
#
# 1. go test -bench BenchmarkSync: server and client in one process.
# 2. The CLI against `go run ./internal/jcserver/cmd` (two processes), as a
#    user runs it: wall time of `auditctl sync jumpcloud --since 31d`.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
CONC=${CONC:-4}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"

echo "== go test -bench BenchmarkSync ($N events, concurrency $CONC)"
AUDITCTL_BENCH_EVENTS=$N AUDITCTL_BENCH_CONCURRENCY=$CONC \
	go test -run '^$' -bench BenchmarkSync -benchtime 1x -timeout 60m ./pkg/source/jumpcloud

echo "== CLI: auditctl sync jumpcloud against jcserver ($N events)"
go build -o "$OUT/auditctl" ./cmd/auditctl
go build -o "$OUT/jcserver" ./internal/jcserver/cmd
export JUMPCLOUD_API_KEY=bench-key XDG_CONFIG_HOME="$OUT/xdg"
port=18123
"$OUT/jcserver" -addr 127.0.0.1:$port -events "$N" -days 30 2>"$OUT/jcserver.log" &
srv=$!
trap 'kill $srv 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
	grep -q JUMPCLOUD_API_URL "$OUT/jcserver.log" 2>/dev/null && break
	sleep 0.5
done
export JUMPCLOUD_API_URL=http://127.0.0.1:$port
db="$OUT/sync.db"
rm -f "$db" "$db-wal" "$db-shm"
start=$(date +%s%N)
"$OUT/auditctl" --db "$db" sync jumpcloud --since 31d --concurrency "$CONC" -o json
end=$(date +%s%N)
n=$("$OUT/auditctl" --db "$db" logs count --all --source jumpcloud -o json | sed 's/[^0-9]//g')
awk -v n="$n" -v ns=$((end - start)) 'BEGIN { printf "%d events in %.1f s: %.0f events/s\n", n, ns / 1e9, n / (ns / 1e9) }'
