//go:build unix

package recorder

import (
	"fmt"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/auditctl/auditctl/pkg/recording"
)

// sender writes what the gate lets through to COMMAND, in the order it was
// decided, from a goroutine of its own: a client slow to read never holds
// the recorder's lock (and so its output) while it is written to.
type sender struct {
	mu     sync.Mutex
	cond   *sync.Cond
	q      [][]byte
	closed bool
}

func newSender() *sender {
	s := &sender{}
	s.cond = sync.NewCond(&s.mu)
	return s
}

func (s *sender) push(b []byte) {
	if len(b) == 0 {
		return
	}
	s.mu.Lock()
	s.q = append(s.q, b)
	s.mu.Unlock()
	s.cond.Signal()
}

func (s *sender) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cond.Broadcast()
}

func (s *sender) run(w interface{ Write([]byte) (int, error) }) {
	for {
		s.mu.Lock()
		for len(s.q) == 0 && !s.closed {
			s.cond.Wait()
		}
		if s.closed {
			s.mu.Unlock()
			return
		}
		b := s.q[0]
		s.q = s.q[1:]
		s.mu.Unlock()
		if _, err := w.Write(b); err != nil {
			return
		}
	}
}

// gateInput passes one read of the user's input through the gate.
func (r *rec) gateInput(p []byte) {
	r.mu.Lock()
	t := r.now()
	r.event(recording.Event{Time: t, Code: "i", Data: string(p)})
	switch {
	case r.gateBroken:
		// Fail closed: only C-c and C-d reach the client, so that the user
		// can still leave it.
		var b []byte
		for _, c := range p {
			if c == 0x03 || c == 0x04 {
				b = append(b, c)
			}
		}
		r.sendq.push(b)
		r.mu.Unlock()
		return
	}
	act := r.safeGate(t, func() gateAction { return r.gate.Input(t, p) })
	r.applyGate(t, nil, nil, act, nil)
}

// gateEOF is the end of a piped input.
func (r *rec) gateEOF() {
	r.mu.Lock()
	t := r.now()
	if r.gateBroken {
		r.sendq.push([]byte{0x04})
		r.mu.Unlock()
		return
	}
	act := r.safeGate(t, func() gateAction { return r.gate.EndOfInput(t) })
	r.applyGate(t, nil, nil, act, nil)
}

// flushGated records and shows a batch of output of a gated session. It is
// called with r.mu held and releases it.
func (r *rec) flushGated(t time.Duration, buf []byte, stdoutOK *bool) {
	var hide []byte
	act := r.safeGate(t, func() gateAction {
		var a gateAction
		hide, a = r.gate.Output(t, buf)
		return a
	})
	r.applyGate(t, hide, buf, act, stdoutOK)
}

// applyGate records hide, out (COMMAND's output), the gate's events and
// what it shows, queues what it sends, and writes to the user's terminal
// in the same order. It is called with r.mu held and releases it.
func (r *rec) applyGate(t time.Duration, hide, out []byte, act gateAction, stdoutOK *bool) {
	if len(hide) > 0 {
		r.event(recording.Event{Time: t, Code: "o", Data: string(hide)})
	}
	if len(out) > 0 {
		// A view of out, not a copy: WriteEvent keeps nothing of it.
		r.event(recording.Event{Time: t, Code: "o", Data: unsafe.String(&out[0], len(out))})
	}
	r.events(act.events)
	if len(act.show) > 0 {
		r.event(recording.Event{Time: t, Code: "o", Data: string(act.show)})
	}
	for _, b := range act.send {
		r.sendq.push(b)
	}
	r.outMu.Lock()
	r.mu.Unlock()
	defer r.outMu.Unlock()
	if stdoutOK != nil && !*stdoutOK {
		return
	}
	for _, b := range [][]byte{hide, out, act.show} {
		if len(b) == 0 {
			continue
		}
		if _, err := r.opt.Stdout.Write(b); err != nil {
			if stdoutOK != nil {
				*stdoutOK = false // the user's terminal is gone; keep recording
			}
			return
		}
	}
}

// safeGate calls the gate (with r.mu held). The gate is fuzzed, but a bug
// in it must not take the session or the user's terminal with it, nor let
// input through unchecked: it fails closed (gateBroken), says so in the
// recording and to the user, and from then on only C-c and C-d reach the
// client.
func (r *rec) safeGate(t time.Duration, f func() gateAction) (act gateAction) {
	if r.gateBroken {
		return gateAction{}
	}
	defer func() {
		if e := recover(); e != nil {
			r.gateBroken = true
			msg := fmt.Sprintf("auditctl: deny rules stopped (internal error: %v): input no longer reaches the client, except C-c and C-d", e)
			r.event(recording.Event{Time: t, Code: "m", Data: msg})
			act = gateAction{show: []byte("\r\n" + msg + "\r\n")}
		}
	}()
	return f()
}

func (r *rec) gateClose(t time.Duration) (evs []recording.Event) {
	if r.gateBroken {
		return nil
	}
	defer func() {
		if e := recover(); e != nil {
			r.trackerFailed(t, e)
			evs = nil
		}
	}()
	return r.gate.Close(t)
}

// clientMode reports the modes of COMMAND's terminal (canonical and echo
// when they cannot be read).
func (r *rec) clientMode() (canonical, echo bool) {
	canonical, echo = true, true
	rc, err := r.ptmx.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		if tio, err := getTermios(int(fd)); err == nil {
			canonical, echo = tio.Lflag&unix.ICANON != 0, tio.Lflag&unix.ECHO != 0
		}
	})
	return
}
