// Package cmdutil holds what every command shares: the IO streams, the
// factory that hands commands their dependencies, the filter flags, and the
// mapping of errors to exit codes.
package cmdutil

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are a command's standard streams and what is known about them.
// Tables, colour and progress are for terminals; pipes get machine output.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
	noColor   bool
	width     int
}

// System returns the process's streams.
func System() *IOStreams {
	s := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	s.stdinTTY = isTerminal(os.Stdin)
	s.stdoutTTY = isTerminal(os.Stdout)
	s.stderrTTY = isTerminal(os.Stderr)
	_, s.noColor = os.LookupEnv("NO_COLOR")
	if s.stdoutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			s.width = w
		}
	}
	return s
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// Test returns streams over buffers, none of them a terminal.
func Test() (s *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, noColor: true}, in, out, errOut
}

func (s *IOStreams) IsStdinTTY() bool       { return s.stdinTTY }
func (s *IOStreams) IsStdoutTTY() bool      { return s.stdoutTTY }
func (s *IOStreams) IsStderrTTY() bool      { return s.stderrTTY }
func (s *IOStreams) SetStdinTTY(v bool)     { s.stdinTTY = v }
func (s *IOStreams) SetStdoutTTY(v bool)    { s.stdoutTTY = v }
func (s *IOStreams) SetStderrTTY(v bool)    { s.stderrTTY = v }
func (s *IOStreams) SetColorEnabled(v bool) { s.noColor = !v }

// ColorEnabled reports whether colour may be written to stdout.
func (s *IOStreams) ColorEnabled() bool { return s.stdoutTTY && !s.noColor }

// TerminalWidth is the width text output fits into: stdout's width on a
// terminal (100 when it cannot be read), and 0, no limit, when stdout is a
// pipe or a file, so that a table written there loses nothing.
func (s *IOStreams) TerminalWidth() int {
	switch {
	case !s.stdoutTTY:
		return 0
	case s.width > 0:
		return s.width
	}
	return 100
}
