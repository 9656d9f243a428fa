#!/bin/sh
# Regenerates real.ttyrec with Debian's ttyrec 1.0.8 under tmux (ttyrec
# needs a terminal). Usage: sh gen.sh (in this folder).
set -eu
rm -f real.ttyrec
tmux kill-session -t auditctl-ttyrec 2>/dev/null || true
tmux new-session -d -s auditctl-ttyrec -x 80 -y 24 \
	"ttyrec -e 'printf \"hello\\r\\n\"; sleep 0.2; printf \"\\033[1;31mr\\303\\251d\\033[m\\r\\n\"; sleep 0.1; printf done' real.ttyrec"
sleep 1.5
tmux kill-session -t auditctl-ttyrec 2>/dev/null || true
