// Package cmdutil holds what every command shares: the IO streams, the
// factory that hands commands their dependencies, the filter flags, and the
// mapping of errors to exit codes.
package cmdutil

import (
	"bytes"
	"io"
	"os"
	"strconv"

	"github.com/auditctl/auditctl/pkg/sanitize"
	"golang.org/x/term"
)

// IOStreams are a command's standard streams and what is known about them.
// Tables, colour and progress are for terminals; pipes get machine output.
//
// Out and ErrOut are the one chokepoint between auditctl and the user's
// terminal: when stdout or stderr is a terminal, System wraps it in a
// sanitize.Terminal, so whatever a command writes there, in any format,
// reaches the screen with every control character and escape sequence
// made visible and inert. Writes to pipes and files stay byte-exact.
// auditctl's own colours and progress line go through sanitize.Control and
// sanitize.WriteStyled; the session player and the recorder, which draw the
// whole screen, take RawOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// rawOut and rawErr are stdout and stderr themselves, under the
	// chokepoints.
	rawOut, rawErr io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
	noColor   bool
	width     int
	errWidth  int      // fixed stderr width (tests); 0 = ask errFile
	errFile   *os.File // stderr when it is a terminal
}

// System returns the process's streams.
func System() *IOStreams {
	s := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, rawOut: os.Stdout, rawErr: os.Stderr}
	s.stdinTTY = isTerminal(os.Stdin)
	_, s.noColor = os.LookupEnv("NO_COLOR")
	s.SetStdoutTTY(isTerminal(os.Stdout))
	s.SetStderrTTY(isTerminal(os.Stderr))
	if s.stderrTTY {
		s.errFile = os.Stderr
	}
	if s.stdoutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			s.width = w
		}
		if n, err := strconv.Atoi(os.Getenv("COLUMNS")); s.width <= 0 && err == nil && n > 0 {
			s.width = n // a terminal that does not say its size
		}
	}
	return s
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// Test returns streams over buffers, none of them a terminal.
func Test() (s *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, rawOut: out, rawErr: errOut, noColor: true}, in, out, errOut
}

// RawOut is stdout without the chokepoint, for the programs that draw the
// whole screen themselves and are tested to hold no untrusted control
// sequence: the session player (recordings reach the screen only through
// its emulator) and the recorder (which relays the user's own command, as
// a terminal would). Nothing else may use it.
func (s *IOStreams) RawOut() io.Writer {
	if s.rawOut == nil {
		return s.Out
	}
	return s.rawOut
}

// Flush writes out what the chokepoints hold back (at most the bytes of
// one incomplete character); main calls it before exiting.
func (s *IOStreams) Flush() {
	for _, w := range []io.Writer{s.Out, s.ErrOut} {
		if t, ok := w.(*sanitize.Terminal); ok {
			t.Flush()
		}
	}
}

func (s *IOStreams) IsStdinTTY() bool   { return s.stdinTTY }
func (s *IOStreams) IsStdoutTTY() bool  { return s.stdoutTTY }
func (s *IOStreams) IsStderrTTY() bool  { return s.stderrTTY }
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY says whether stdout is a terminal, and puts the chokepoint
// in front of it when it is: a test that sets it sees exactly what a
// terminal would be sent.
func (s *IOStreams) SetStdoutTTY(v bool) {
	s.stdoutTTY = v
	s.Out = s.chokepoint(s.rawOut, v)
}

// SetStderrTTY is SetStdoutTTY for stderr.
func (s *IOStreams) SetStderrTTY(v bool) {
	s.stderrTTY = v
	s.ErrOut = s.chokepoint(s.rawErr, v)
}

func (s *IOStreams) chokepoint(w io.Writer, tty bool) io.Writer {
	if !tty {
		return w
	}
	return sanitize.NewTerminal(w, !s.noColor)
}

// SetColorEnabled turns colour on or off (--no-color).
func (s *IOStreams) SetColorEnabled(v bool) {
	s.noColor = !v
	for _, w := range []io.Writer{s.Out, s.ErrOut} {
		if t, ok := w.(*sanitize.Terminal); ok {
			t.SetColor(v)
		}
	}
}

// ColorEnabled reports whether colour may be written to stdout.
func (s *IOStreams) ColorEnabled() bool { return s.stdoutTTY && !s.noColor }

// TerminalWidth is the width text output fits into: stdout's width on a
// terminal (else $COLUMNS, else 100 when it cannot be read), and 0, no
// limit, when stdout is a pipe or a file, so that a table written there
// loses nothing.
func (s *IOStreams) TerminalWidth() int {
	switch {
	case !s.stdoutTTY:
		return 0
	case s.width > 0:
		return s.width
	}
	return 100
}

// StderrWidth is the width of stderr when it is a terminal, read anew on
// each call (the window can be resized during a run); 80 when unknown.
func (s *IOStreams) StderrWidth() int {
	if s.errWidth > 0 {
		return s.errWidth
	}
	if s.errFile != nil {
		if w, _, err := term.GetSize(int(s.errFile.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return 80
}

// SetTerminalWidth fixes the width TerminalWidth reports on a terminal
// (tests).
func (s *IOStreams) SetTerminalWidth(w int) { s.width = w }

// SetStderrWidth fixes the width StderrWidth reports (tests).
func (s *IOStreams) SetStderrWidth(w int) { s.errWidth = w }
