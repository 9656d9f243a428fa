package sanitize

import (
	"io"
	"strings"
)

// Terminal is the chokepoint between auditctl and a terminal: every byte a
// command writes to a stdout or stderr that is a terminal passes through
// one. Write lets through printable text, newlines and tabs, and replaces
// everything else by a visible escape, exactly as Multiline does, whatever
// the format and however the bytes are split across writes: an escape
// sequence, a C1 control, a bidi override or an invalid byte never reaches
// the terminal from Write. It keeps nothing but an incomplete UTF-8
// sequence or a CR (at most 4 bytes) between writes, so a line of any
// length streams through in constant memory.
//
// auditctl's own control sequences (colour, clearing a progress line) take
// another way, WriteControl, which accepts only a few fixed forms and never
// carries text. Data can therefore not produce a control sequence by
// construction: it would have to go through WriteControl, which takes no
// data.
type Terminal struct {
	w       io.Writer
	pending []byte // an incomplete UTF-8 sequence or a CR held for the next write (≤ 4 bytes)
	buf     []byte
	color   bool
}

// NewTerminal returns the chokepoint over w, a terminal. color says
// whether WriteControl may set colours (SGR); without it, only the
// progress line's clearing passes.
func NewTerminal(w io.Writer, color bool) *Terminal {
	return &Terminal{w: w, color: color}
}

// Underlying returns the terminal itself, for the few programs that draw
// a whole screen (the session player, which renders recordings through
// its emulator, and the recorder, which relays the user's own command).
func (t *Terminal) Underlying() io.Writer { return t.w }

// SetColor turns colour sequences on or off (--no-color).
func (t *Terminal) SetColor(v bool) { t.color = v }

// Write writes the sanitized form of p. It reports len(p) on success.
func (t *Terminal) Write(p []byte) (int, error) {
	n := len(p)
	t.buf = t.buf[:0]
	if len(t.pending) > 0 {
		// The last write ended in an incomplete UTF-8 sequence or a CR:
		// decide it together with p (a rare copy).
		p = append(t.pending, p...)
		t.pending = nil
	}
	t.buf = t.appendSafe(t.buf, p, true)
	if len(t.buf) == 0 {
		return n, nil
	}
	if _, err := t.w.Write(t.buf); err != nil {
		return 0, err
	}
	return n, nil
}

// appendSafe appends the sanitized form of p to b (Multiline's rules).
// With hold set, an incomplete UTF-8 sequence or a CR at the end of p is
// kept in t.pending rather than escaped: the next write may complete it.
func (t *Terminal) appendSafe(b, p []byte, hold bool) []byte {
	b, held := appendEscaped(b, p, true, hold)
	if held > 0 {
		t.pending = append(t.pending[:0], p[len(p)-held:]...)
	}
	return b
}

// Flush writes, escaped, whatever an earlier write left incomplete.
func (t *Terminal) Flush() error {
	if len(t.pending) == 0 {
		return nil
	}
	held := t.pending
	t.pending = nil
	b := t.appendSafe(nil, held, false)
	_, err := t.w.Write(b)
	return err
}

// The control sequences auditctl itself writes to a terminal.
const (
	// ClearLine returns to the start of the line and erases it: a
	// progress line is redrawn in place with it.
	ClearLine = "\r\x1b[K"
)

// WriteControl writes seq, one of auditctl's own control sequences, raw:
// ClearLine, or an SGR sequence (ESC [ digits and semicolons m) when colour
// is on. Anything else is refused with an error, and an SGR without colour
// is dropped: WriteControl is no way around Write.
func (t *Terminal) WriteControl(seq string) error {
	if err := t.Flush(); err != nil {
		return err
	}
	switch {
	case seq == ClearLine:
	case IsSGR(seq):
		if !t.color {
			return nil
		}
	default:
		return errNotControl
	}
	_, err := io.WriteString(t.w, seq)
	return err
}

type controlError struct{}

func (controlError) Error() string { return "sanitize: not a control sequence auditctl writes" }

var errNotControl error = controlError{}

// IsSGR reports whether s is one Select Graphic Rendition sequence:
// ESC [, parameters of digits, ';' and ':', and m.
func IsSGR(s string) bool {
	if len(s) < 3 || s[0] != 0x1b || s[1] != '[' || s[len(s)-1] != 'm' || len(s) > 64 {
		return false
	}
	for i := 2; i < len(s)-1; i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c == ';' || c == ':') {
			return false
		}
	}
	return true
}

// ControlWriter is a writer that takes auditctl's own control sequences
// apart from text: a Terminal.
type ControlWriter interface {
	io.Writer
	WriteControl(seq string) error
}

// Control writes one of auditctl's own control sequences to w: through
// WriteControl when w is a terminal chokepoint, and as it is otherwise (a
// pipe, a file or a test buffer, where output stays byte-exact).
func Control(w io.Writer, seq string) error {
	if cw, ok := w.(ControlWriter); ok {
		return cw.WriteControl(seq)
	}
	_, err := io.WriteString(w, seq)
	return err
}

// WriteStyled writes s, text that auditctl has already sanitized value by
// value and then styled (a table with coloured cells, a screen dumped from
// the emulator), to w: the SGR sequences in s go through Control and every
// other byte through w's Write, so on a terminal any other control left in
// s is still escaped.
func WriteStyled(w io.Writer, s string) error {
	if _, ok := w.(ControlWriter); !ok {
		_, err := io.WriteString(w, s)
		return err
	}
	for len(s) > 0 {
		i := indexSGR(s)
		if i < 0 {
			_, err := io.WriteString(w, s)
			return err
		}
		if i > 0 {
			if _, err := io.WriteString(w, s[:i]); err != nil {
				return err
			}
		}
		end := sgrEnd(s[i:])
		if err := Control(w, s[i:i+end]); err != nil {
			return err
		}
		s = s[i+end:]
	}
	return nil
}

// indexSGR returns the index of the first complete SGR sequence in s, or
// -1.
func indexSGR(s string) int {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == 0x1b && s[i+1] == '[' {
			if end := sgrEnd(s[i:]); end > 0 {
				return i
			}
		}
	}
	return -1
}

// sgrEnd returns the length of the SGR sequence s starts with, or 0.
func sgrEnd(s string) int {
	for j := 2; j < len(s) && j < 64; j++ {
		c := s[j]
		switch {
		case c == 'm':
			return j + 1
		case c >= '0' && c <= '9' || c == ';' || c == ':':
			continue
		}
		return 0
	}
	return 0
}

// Frame returns a full-screen program's frame (the session player's, the
// console's) with its SGR sequences kept and every other control, escape
// sequence, format character, invalid byte or tab escaped, as Terminal
// writes text: the last line of defence of a program that writes to the
// terminal raw, behind the sanitizing of each value where it enters the
// view.
func Frame(s string) string {
	if strings.IndexByte(s, '\t') >= 0 {
		s = strings.ReplaceAll(s, "\t", `\t`) // text may keep tabs; a frame may not
	}
	var b strings.Builder
	b.Grow(len(s))
	t := NewTerminal(&b, true)
	if WriteStyled(t, s) != nil || t.Flush() != nil {
		return "" // a strings.Builder does not fail
	}
	return b.String()
}
