package cmdutil

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Interrupt is how a run that a signal stopped ends: the exit code is
// 128+N, as a shell reports a process killed by signal N (130 for SIGINT,
// 143 for SIGTERM).
type Interrupt struct{ Signal os.Signal }

func (e *Interrupt) Error() string {
	if e.Signal == syscall.SIGTERM {
		return "terminated (SIGTERM)"
	}
	return "interrupted (SIGINT)"
}

// ExitCode is 128 plus the signal number.
func (e *Interrupt) ExitCode() int {
	if s, ok := e.Signal.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// wrap is the error of a command that failed because the signal stopped it:
// the signal's exit code, and the command's own message unless it only says
// that the context was cancelled.
func (e *Interrupt) wrap(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return e
	}
	return &interrupted{Interrupt: e, err: err}
}

type interrupted struct {
	*Interrupt
	err error
}

func (e *interrupted) Error() string { return e.Interrupt.Error() + ": " + e.err.Error() }
func (e *interrupted) Unwrap() error { return e.err }

// SignalContext returns a context that SIGINT or SIGTERM cancels, with an
// *Interrupt as its cause (context.Cause). Only the first signal is caught:
// a second one ends the process at once, for a user who insists. stop
// releases the signals.
func SignalContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(&Interrupt{Signal: s})
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			cancel(nil)
		})
	}
}
