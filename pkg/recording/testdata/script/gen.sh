#!/bin/sh
# Regenerates the util-linux script(1) fixtures of this folder with the
# installed script (util-linux 2.38.1 when they were made) and tmux.
# Usage: sh gen.sh (in this folder). Times and dates differ on every run.
set -eu
export LC_ALL=C.UTF-8 SHELL=/bin/sh
rm -f *.tm *.log *.ts

# Classic format, deprecated -t (timing on stderr), typescript as argument.
script -q -t 2>classic-t.tm classic-t.ts -c 'printf "one\ntwo\n"; sleep 0.05; printf "th\303\251\033[1mree\033[m"' </dev/null >/dev/null

# Classic format through --log-timing with --log-out only.
script -q --log-timing classic.tm --log-out classic.log -c 'printf "a\r\nb"; sleep 0.02; printf "\377bin\001\r\n"' </dev/null >/dev/null

# Classic format, empty output.
script -q --log-timing empty.tm --log-out empty.log -c 'true' </dev/null >/dev/null

# Advanced format, forced with -m, output only.
script -q -m advanced --log-timing adv-out.tm --log-out adv-out.log -c 'printf "x\ny\n"' </dev/null >/dev/null

# Advanced format: --log-io (one data file for both streams; stdin piped,
# so script echoes it, -E auto).
printf 'hello\n' | script -q --log-timing io.tm --log-io io.log -c 'read l; sleep 0.05; echo "got $l"' >/dev/null

# Advanced format: --log-in and --log-out (two data files), a command with
# a newline (the H COMMAND entry spans two lines).
printf 'ab\n' | script -q -E never --log-timing inout.tm --log-in inout-in.log --log-out inout-out.log -c 'read l
echo "[$l]"' >/dev/null

# Advanced format, input only (--log-in alone: no output log).
printf 'q\n' | script -q --log-timing in-only.tm --log-in in-only.log -c 'read l' >/dev/null

# Advanced format on a terminal (tmux): TERM/TTY/COLUMNS/LINES entries,
# typed input, a SIGWINCH resize and the exit code.
tmux kill-session -t auditctl-gen 2>/dev/null || true
tmux new-session -d -s auditctl-gen -x 80 -y 24 \
	"script -q --log-timing tty.tm --log-io tty.log -c 'read l; echo \"got \$l\"; read m; stty size; exit 3'"
sleep 0.5
tmux send-keys -t auditctl-gen 'hi' Enter
sleep 0.3
tmux resize-window -t auditctl-gen -x 100 -y 30
sleep 0.3
tmux send-keys -t auditctl-gen 'bye' Enter
sleep 0.5
tmux kill-session -t auditctl-gen 2>/dev/null || true
