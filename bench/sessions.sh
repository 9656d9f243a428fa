#!/usr/bin/env bash
# Benchmarks of issue 3 (recordings, emulator, seek index). Generates a
# recording of SIZE (default 1G) with bench/genrec, then measures, whole
# process, with /usr/bin/time -v for peak RSS:
#   - index build (first `sessions play --no-tui --at 50%`, empty seek cache)
#   - a seek after indexing (`--at 50%`, median of RUNS)
#   - the reader alone (`sessions info`, one parsing pass)
#   - `sessions cat` (reader + emulator) against jq extracting the raw output
#     stream (what a user without an emulator would do), on a 100M recording
# and runs the Go benchmarks of the emulator (with charmbracelet/x/vt in the
# same run) and of the reader. Prints Markdown for docs/performance.md.
#
#   bench/sessions.sh [SIZE]     # needs jq and /usr/bin/time (apt-get install -y jq time)
#
# Machines here are shared and noisy: compare ratios, not absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1G}
RUNS=${RUNS:-5}
for tool in jq /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is needed (apt-get install -y jq time)" >&2; exit 1; }
done
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
DATA=$OUT
[ -d /dev/shm ] && DATA=$(mktemp -d /dev/shm/auditctl-sessions.XXXXXX) && trap 'rm -rf "$DATA"' EXIT
export AUDITCTL_CACHE_DIR="$DATA/cache"

bin="$OUT/auditctl"
go build -o "$bin" ./cmd/auditctl
big="$DATA/big.rec"; small="$DATA/small.rec"
go run ./bench/genrec -size "$SIZE" -o "$big"
go run ./bench/genrec -size 100M -seed 2 -o "$small"
big_mb=$(awk -v b="$(stat -c %s "$big")" 'BEGIN{printf "%.0f", b/1e6}')
small_mb=$(awk -v b="$(stat -c %s "$small")" 'BEGIN{printf "%.0f", b/1e6}')

# timed CMD...: prints "seconds peakKB"
timed() { /usr/bin/time -f '%e %M' -o "$DATA/time" "$@" >/dev/null 2>"$DATA/stderr" || { cat "$DATA/stderr" >&2; exit 1; }; cat "$DATA/time"; }
median_timed() {
	local i
	for ((i = 0; i < RUNS; i++)); do timed "$@"; done | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
}

rm -rf "$AUDITCTL_CACHE_DIR"
read -r build_s build_kb < <(timed "$bin" sessions play "$big" --no-tui --at 50%)
read -r seek_s seek_kb < <(median_timed "$bin" sessions play "$big" --no-tui --at 50%)
read -r seek10_s _ < <(median_timed "$bin" sessions play "$big" --no-tui --at 10%)
read -r end_s _ < <(median_timed "$bin" sessions play "$big" --no-tui --at end)
read -r info_s info_kb < <(timed "$bin" sessions info "$big" -o json)
events=$("$bin" sessions info "$big" -o json | jq '[.events[]] | add')
read -r cat_s cat_kb < <(timed "$bin" sessions cat "$small")
read -r jq_s jq_kb < <(timed jq -j 'select(type == "array" and .[1] == "o") | .[2]' "$small")

rate() { awk -v mb="$1" -v s="$2" 'BEGIN{ if (s > 0) printf "%.0f", mb/s; else print "n/a" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.1f", a/b; else print "n/a" }'; }

echo "## Recordings, $SIZE generated recording ($big_mb MB, $events events), $(date -u +%Y-%m-%d)"
echo
echo "| measure | result | target |"
echo "|---|---|---|"
echo "| index build (first \`play --no-tui --at 50%\`, whole process) | ${build_s} s = **$(rate "$big_mb" "$build_s") MB/s**, peak RSS $((build_kb / 1024)) MB | ≥ 80 MB/s, ≤ 150 MB |"
echo "| \`play --no-tui --at 50%\` after indexing (median of $RUNS) | **$(awk -v s="$seek_s" 'BEGIN{printf "%.0f", s*1000}') ms**, peak RSS $((seek_kb / 1024)) MB | ≤ 200 ms, ≤ 150 MB |"
echo "| \`--at 10%\` / \`--at end\` after indexing | $(awk -v s="$seek10_s" 'BEGIN{printf "%.0f", s*1000}') ms / $(awk -v s="$end_s" 'BEGIN{printf "%.0f", s*1000}') ms | |"
echo "| reader alone (\`sessions info\`, v3 parse) | $(rate "$big_mb" "$info_s") MB/s, $(awk -v n="$events" -v s="$info_s" 'BEGIN{printf "%.0f", n/s}') events/s, peak RSS $((info_kb / 1024)) MB | |"
echo "| \`sessions cat\` ${small_mb} MB (reader + emulator + text) vs \`jq -j\` extracting the raw output (no emulation) | ${cat_s} s vs ${jq_s} s: auditctl takes **$(ratio "$cat_s" "$jq_s")×** jq's time, peak RSS $((cat_kb / 1024)) MB vs $((jq_kb / 1024)) MB | |"
echo
echo '```'
echo "go test -run XXX -bench . -benchmem ./player/vt/ ./pkg/recording/ ./player/seek/"
go test -run XXX -bench . -benchmem ./player/vt/ ./pkg/recording/ ./player/seek/ 2>&1 | grep -E '^Benchmark|^ok'
echo '```'
