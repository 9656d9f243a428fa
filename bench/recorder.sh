#!/usr/bin/env bash
# Recorder overhead (issue 4): throughput of `cat FILE` into a terminal,
# directly and through `auditctl sessions record -- cat FILE`, on a text
# file of SIZE (default 500M). The terminal is a pseudo-terminal made by
# util-linux script(1) (its own copy going to /dev/null), the same for both,
# so the difference is the recorder: a second pseudo-terminal, the .rec
# written and flushed event by event, its SHA-256, the session row.
# Runs alternate, RUNS (default 3) of each; the medians are compared.
# Target: recorded ≥ 0.8× direct.
#
#   bench/recorder.sh [SIZE]      # needs script (bsdutils) and /usr/bin/time
#
# Machines here are shared and noisy: compare ratios, not absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-500M}
RUNS=${RUNS:-3}
for tool in script /usr/bin/time base64; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is needed (apt-get install -y bsdutils time coreutils)" >&2; exit 1; }
done
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
DATA=$(mktemp -d "${TMPDIR:-/tmp}/auditctl-recorder.XXXXXX")
[ -d /dev/shm ] && rm -rf "$DATA" && DATA=$(mktemp -d /dev/shm/auditctl-recorder.XXXXXX)
trap 'rm -rf "$DATA"' EXIT

bin="$OUT/auditctl"
go build -o "$bin" ./cmd/auditctl
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
file="$DATA/data.txt"
bytes=$(numfmt --from=iec "$SIZE")
# Printable text in 76-column lines, like a log being paged through.
head -c $((bytes * 3 / 4)) /dev/urandom | base64 > "$file"
mb=$(awk -v b="$(stat -c %s "$file")" 'BEGIN{printf "%.0f", b/1e6}')

# timed CMD: wall seconds of CMD run in a fresh pseudo-terminal.
timed() {
	/usr/bin/time -f '%e' -o "$DATA/time" script -qec "$1" /dev/null >/dev/null 2>"$DATA/stderr" ||
		{ cat "$DATA/stderr" >&2; exit 1; }
	cat "$DATA/time"
}
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

direct=(); recorded=()
for i in $(seq "$RUNS"); do
	direct+=("$(timed "cat '$file'")")
	rm -f "$DATA/s.rec"
	recorded+=("$(timed "'$bin' --db '$DATA/cache.db' sessions record --quiet -O '$DATA/s.rec' -- cat '$file'")")
done
d=$(printf '%s\n' "${direct[@]}" | median)
r=$(printf '%s\n' "${recorded[@]}" | median)
rec_mb=$(awk -v b="$(stat -c %s "$DATA/s.rec")" 'BEGIN{printf "%.0f", b/1e6}')
echo "| cat ${mb} MB into a pty | median of ${RUNS} | MB/s |"
echo "|---|---|---|"
awk -v s="$d" -v mb="$mb" 'BEGIN{printf "| direct | %.2f s | %.0f |\n", s, mb/s}'
awk -v s="$r" -v mb="$mb" 'BEGIN{printf "| through auditctl sessions record | %.2f s | %.0f |\n", s, mb/s}'
awk -v d="$d" -v r="$r" -v rec="$rec_mb" 'BEGIN{printf "\nthroughput ratio (recorded/direct): %.2fx (target >= 0.8x); recording %s MB\n", d/r, rec}'
