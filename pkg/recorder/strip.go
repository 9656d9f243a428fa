package recorder

import "strings"

// stripper removes escape sequences and control characters from a stream
// of terminal output and splits it into lines. A carriage return starts the
// line over (what follows overwrites it), which is how line editors redraw a
// prompt. It keeps at most maxLines complete lines.
type stripper struct {
	state   int // 0 text, 1 after ESC, 2 CSI, 3 OSC/DCS string, 4 ESC in a string
	cur     strings.Builder
	lines   []string
	dropped bool
	cr      bool // a carriage return was seen: the next text starts the line over
}

const (
	maxLines   = 64
	maxLineLen = 4096
)

func (s *stripper) Write(p []byte) {
	for _, c := range p {
		switch s.state {
		case 1:
			switch c {
			case '[':
				s.state = 2
			case ']', 'P', '_', '^', 'X':
				s.state = 3
			case '(', ')', '*', '+', '#', '%':
				// A designator: one more byte follows; treat it as a CSI final.
				s.state = 2
			default:
				s.state = 0
			}
			continue
		case 2:
			if c >= 0x40 && c <= 0x7e {
				s.state = 0
			}
			continue
		case 3:
			switch c {
			case 0x07:
				s.state = 0
			case 0x1b:
				s.state = 4
			}
			continue
		case 4:
			s.state = 0 // ESC \ ends the string
			continue
		}
		switch {
		case c == 0x1b:
			s.state = 1
		case c == '\n':
			s.cr = false
			s.endLine()
		case c == '\r':
			s.cr = true
		case c == '\b':
			if str := s.cur.String(); len(str) > 0 {
				s.cur.Reset()
				s.cur.WriteString(str[:len(str)-1])
			}
		case c == '\t':
			s.cur.WriteByte(' ')
		case c < 0x20 || c == 0x7f:
		default:
			if s.cr {
				s.cur.Reset()
				s.cr = false
			}
			if s.cur.Len() < maxLineLen {
				s.cur.WriteByte(c)
			}
		}
	}
}

// endLine keeps the line. Past maxLines, lines from the middle go: the
// first ones (an error) and the last ones (a row-count footer) stay.
func (s *stripper) endLine() {
	if len(s.lines) >= maxLines {
		const head = maxLines / 4
		copy(s.lines[head:], s.lines[head+1:])
		s.lines = s.lines[:len(s.lines)-1]
		s.dropped = true
	}
	s.lines = append(s.lines, s.cur.String())
	s.cur.Reset()
}

// partial is the line being written (not ended by a newline yet).
func (s *stripper) partial() string { return s.cur.String() }

func (s *stripper) reset() {
	s.cur.Reset()
	s.lines = s.lines[:0]
	s.dropped = false
	s.cr = false
	s.state = 0
}
