#!/usr/bin/env bash
# Recorder overhead (issue 4): throughput of `cat FILE` into a terminal,
# directly and through `auditctl sessions record -- cat FILE`, on a text
# file of SIZE (default 500M). The terminal is the same for both, so the
# difference is the recorder: a second pseudo-terminal, the .rec written
# and flushed event by event, its SHA-256, the session row. Two terminals:
# a pseudo-terminal made by util-linux script(1) whose output goes to
# /dev/null (the hardest case: nothing else costs anything), and a tmux
# window, a terminal emulator that renders what it gets, as a user has.
# Two references show where the time goes: bench/ptyrelay, which only
# copies between the two pseudo-terminals and records nothing (the floor
# for any recorder), and util-linux script(1) recording the same cat.
# Runs alternate, RUNS (default 3) of each; the medians are compared.
# Target: recorded ≥ 0.8× direct.
#
#   bench/recorder.sh [SIZE]      # needs script (bsdutils), /usr/bin/time; tmux for the second table
#   TERMINALS=pty RUNS=5 bench/recorder.sh 200M
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
relay="$(dirname "$bin")/ptyrelay"
go build -o "$relay" ./bench/ptyrelay
file="$DATA/data.txt"
bytes=$(numfmt --from=iec "$SIZE")
# Printable text in 76-column lines, like a log being paged through.
head -c $((bytes * 3 / 4)) /dev/urandom | base64 > "$file"
mb=$(awk -v b="$(stat -c %s "$file")" 'BEGIN{printf "%.0f", b/1e6}')

# timed CMD: wall seconds of CMD run in a fresh pseudo-terminal, either
# one made by script(1) that throws the output away (TERMINAL=pty: the
# hardest case for a recorder, nothing else costs anything) or a tmux
# window that renders it (TERMINAL=tmux: a terminal emulator, as a user has).
timed() {
	rm -f "$DATA/time"
	case $TERMINAL in
	pty)
		/usr/bin/time -f '%e' -o "$DATA/time" script -qec "$1" /dev/null >/dev/null 2>"$DATA/stderr" ||
			{ cat "$DATA/stderr" >&2; exit 1; } ;;
	tmux)
		tmux -L "$SOCK" new-window -d "/usr/bin/time -f '%e' -o '$DATA/time' $1 2>'$DATA/stderr'; tmux -L '$SOCK' wait-for -S done"
		tmux -L "$SOCK" wait-for done
		[ -s "$DATA/time" ] && ! grep -qv '^[0-9.]*$' "$DATA/time" || { cat "$DATA/time" "$DATA/stderr" >&2; exit 1; } ;;
	esac
	cat "$DATA/time"
}
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

TERMINALS=${TERMINALS:-pty tmux}
SOCK=auditctl-bench-$$
for TERMINAL in $TERMINALS; do
	if [ "$TERMINAL" = tmux ]; then
		command -v tmux >/dev/null || { echo "bench: no tmux, skipping the tmux terminal" >&2; continue; }
		tmux -L "$SOCK" -f /dev/null new-session -d -x 200 -y 50 "sleep 100000"
		trap 'tmux -L "$SOCK" kill-server 2>/dev/null; rm -rf "$DATA"' EXIT
	fi
	direct=(); relayed=(); scripted=(); recorded=()
	for i in $(seq "$RUNS"); do
		direct+=("$(timed "cat '$file'")")
		relayed+=("$(timed "'$relay' cat '$file'")")
		rm -f "$DATA/s.rec" "$DATA/s.typescript"
		scripted+=("$(timed "script -qfc \"cat '$file'\" '$DATA/s.typescript'")")
		recorded+=("$(timed "'$bin' --db '$DATA/cache.db' sessions record --quiet -O '$DATA/s.rec' -- cat '$file'")")
	done
	d=$(printf '%s\n' "${direct[@]}" | median)
	l=$(printf '%s\n' "${relayed[@]}" | median)
	s=$(printf '%s\n' "${scripted[@]}" | median)
	r=$(printf '%s\n' "${recorded[@]}" | median)
	rec_mb=$(awk -v b="$(stat -c %s "$DATA/s.rec")" 'BEGIN{printf "%.0f", b/1e6}')
	[ "$TERMINAL" = pty ] && where="a pty drained to /dev/null" || where="a 200x50 tmux window"
	echo
	echo "| cat ${mb} MB into ${where} | median of ${RUNS} | MB/s | vs direct |"
	echo "|---|---|---|---|"
	row() { awk -v name="$1" -v s="$2" -v d="$d" -v mb="$mb" 'BEGIN{printf "| %s | %.2f s | %.0f | %.2fx |\n", name, s, mb/s, d/s}'; }
	row "direct" "$d"
	row "bench/ptyrelay (second pty, records nothing: the floor)" "$l"
	row "util-linux script -f (records to a typescript)" "$s"
	row "auditctl sessions record" "$r"
	awk -v d="$d" -v r="$r" -v l="$l" -v rec="$rec_mb" 'BEGIN{printf "\nrecorded/direct: %.2fx (target >= 0.8x); recorded/floor: %.2fx; recording %s MB\n", d/r, l/r, rec}'
	[ "$TERMINAL" = tmux ] && tmux -L "$SOCK" kill-server 2>/dev/null
done
