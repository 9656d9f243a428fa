package importer

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/auditctl/auditctl/pkg/audit"
)

// lineReader reads NDJSON: one JSON object per line, blank lines skipped.
// A bad line is not fatal: the next one is read independently. A line
// longer than the event size limit is fatal, found after reading no more
// than the limit.
type lineReader struct {
	m    *mapper
	br   *bufio.Reader
	max  int
	buf  []byte // holds lines longer than the bufio buffer
	line int    // physical line of the last record
	off  int64  // bytes consumed
	rec  int    // index of the last record
	err  error  // sticky: io.EOF or a fatal error
}

func newLineReader(m *mapper, r *bufio.Reader, max int) *lineReader {
	return &lineReader{m: m, br: r, max: max}
}

// readLine returns the next line (valid until the next call), or a fatal
// error for a line over the limit or a failed read.
func (r *lineReader) readLine() ([]byte, error) {
	r.buf = r.buf[:0]
	start := r.off
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.off += int64(len(chunk))
		// A line may carry white space around its record: allow a little.
		if len(r.buf)+len(chunk) > r.max+64 {
			partial := append(r.buf, chunk...)[:r.max]
			r.buf = partial
			rec := trimWS(partial)
			return nil, &audit.InputError{File: r.m.file, Line: r.line + 1, Field: openField(rec),
				Err: tooLarge(r.max, fmt.Sprintf("byte offset %d", start)), Fatal: true}
		}
		switch err {
		case nil:
			r.line++
			if len(r.buf) > 0 {
				r.buf = append(r.buf, chunk...)
				return r.buf, nil
			}
			return chunk, nil
		case bufio.ErrBufferFull:
			r.buf = append(r.buf, chunk...)
		case io.EOF:
			r.buf = append(r.buf, chunk...)
			if len(r.buf) == 0 {
				return nil, io.EOF
			}
			r.line++
			return r.buf, nil
		default:
			return nil, &audit.InputError{File: r.m.file, Line: r.line + 1, Err: readErr(err), Fatal: true}
		}
	}
}

func (r *lineReader) Next() (*audit.Event, error) {
	if r.err != nil {
		return nil, r.err
	}
	for {
		line, err := r.readLine()
		if err != nil {
			r.err = err
			return nil, err
		}
		b := trimWS(line)
		if len(b) == 0 {
			continue
		}
		if len(b) > r.max {
			r.err = &audit.InputError{File: r.m.file, Line: r.line, Field: openField(b[:r.max]),
				Err: tooLarge(r.max, fmt.Sprintf("byte offset %d", r.off-int64(len(line)))), Fatal: true}
			return nil, r.err
		}
		r.rec++
		raw := make([]byte, len(b)) // the event keeps it
		copy(raw, b)
		ev, fe := r.m.mapJSON(raw)
		if fe != nil {
			return nil, &audit.InputError{File: r.m.file, Line: r.line, Record: r.rec, Field: fe.field, Err: fe.err}
		}
		return ev, nil
	}
}

// readErr words an error of the underlying reader (a decompressor's).
func readErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return err // worded by package decompress
	}
	return fmt.Errorf("read: %w", err)
}

// trimWS trims JSON white space.
func trimWS(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// arrayReader reads a JSON array of records, or (wrapper) CloudTrail's
// {"Records":[...]} objects, one or more, element by element from a
// jsonStream: no element is held whole before it is known to be within the
// size limit. A record that cannot be mapped is skipped over; broken JSON
// syntax is fatal, as nothing after it can be trusted.
type arrayReader struct {
	m       *mapper
	s       jsonStream
	wrapper bool
	state   arrayState
	started bool // array mode: the top-level array has been opened
	rec     int
	err     error
}

type arrayState uint8

const (
	atTop        arrayState = iota // between top-level values
	atFirstElem                    // after '['
	atElem                         // an element is next
	atAfterElem                    // after an element: ',' or ']'
	atAfterArray                   // after ']'
	atFirstKey                     // wrapper: after '{'
	atKey                          // wrapper: a key is next
	atAfterValue                   // wrapper: after a member: ',' or '}'
)

func newArrayReader(m *mapper, r *bufio.Reader, wrapper bool, max int) *arrayReader {
	return &arrayReader{m: m, s: jsonStream{br: r, max: max}, wrapper: wrapper}
}

func (r *arrayReader) Next() (*audit.Event, error) {
	if r.err != nil {
		return nil, r.err
	}
	for {
		switch r.state {
		case atTop:
			c, err := r.s.peek()
			if err == io.EOF {
				r.err = io.EOF
				return nil, io.EOF
			}
			if err != nil {
				return r.fatal(err)
			}
			switch {
			case !r.wrapper && r.started:
				return r.fatal(r.s.unexpected(c, "after the array"))
			case !r.wrapper && c != '[':
				return r.fatal(r.s.unexpected(c, "where a JSON array should start (want a JSON array)"))
			case r.wrapper && c != '{':
				return r.fatal(r.s.unexpected(c, `where a {"Records":[...]} object should start (want a {"Records":[...]} object)`))
			}
			r.s.skip()
			if r.wrapper {
				r.state = atFirstKey
			} else {
				r.started, r.state = true, atFirstElem
			}
		case atFirstElem, atAfterElem:
			c, err := r.s.peek()
			if err != nil {
				return r.fatal(err)
			}
			switch {
			case c == ']':
				r.s.skip()
				r.state = atAfterArray
			case r.state == atAfterElem && c == ',':
				r.s.skip()
				r.state = atElem
			case r.state == atFirstElem:
				r.state = atElem
			default:
				return r.fatal(r.s.invalid(c, "array (want ',' or ']')"))
			}
		case atElem:
			if _, err := r.s.peek(); err != nil {
				return r.fatal(err)
			}
			r.rec++
			start := r.s.off
			raw, err := r.s.value(true)
			if err != nil {
				return r.fatal(err)
			}
			r.state = atAfterElem
			ev, fe := r.m.mapJSON(raw)
			if fe != nil {
				var se *syntaxError
				if err := validJSON(raw); errors.As(err, &se) {
					return r.fatal(fmt.Errorf("invalid JSON at byte offset %d: %s", start+int64(se.off), se.msg))
				}
				return nil, &audit.InputError{File: r.m.file, Record: r.rec, Field: fe.field, Err: fe.err}
			}
			return ev, nil
		case atAfterArray:
			if r.wrapper {
				r.state = atAfterValue
			} else {
				r.state = atTop
			}
		case atFirstKey, atAfterValue:
			c, err := r.s.peek()
			if err != nil {
				return r.fatal(err)
			}
			switch {
			case c == '}':
				r.s.skip()
				r.state = atTop
			case r.state == atAfterValue && c == ',':
				r.s.skip()
				r.state = atKey
			case r.state == atFirstKey:
				r.state = atKey
			default:
				return r.fatal(r.s.invalid(c, "object (want ',' or '}')"))
			}
		case atKey:
			c, err := r.s.peek()
			if err != nil {
				return r.fatal(err)
			}
			if c != '"' {
				return r.fatal(r.s.invalid(c, "object key"))
			}
			start := r.s.off
			k, err := r.s.value(false)
			if err != nil {
				return r.fatal(err)
			}
			if err := validJSON(k); err != nil {
				return r.fatal(fmt.Errorf("invalid JSON in the key at byte offset %d: %v", start, err))
			}
			key := unquote(k, hasEscape(k))
			if c, err = r.s.peek(); err != nil {
				return r.fatal(err)
			}
			if c != ':' {
				return r.fatal(r.s.invalid(c, "object (want ':')"))
			}
			r.s.skip()
			if c, err = r.s.peek(); err != nil {
				return r.fatal(err)
			}
			if key == "Records" && c == '[' {
				r.s.skip()
				r.state = atFirstElem
				continue
			}
			start = r.s.off
			v, err := r.s.value(false)
			if ie, ok := err.(*audit.InputError); ok {
				ie.Field = key
			}
			if err != nil {
				return r.fatal(err)
			}
			if err := validJSON(v); err != nil {
				return r.fatal(fmt.Errorf("invalid JSON at byte offset %d: %v", start, err))
			}
			if key == "Records" && !isNull(v) {
				return r.fatal(fmt.Errorf(`"Records" is not an array but a JSON %s`, kind(v)))
			}
			r.state = atAfterValue
		}
	}
}

func (r *arrayReader) fatal(err error) (*audit.Event, error) {
	if ie, ok := err.(*audit.InputError); ok {
		ie.File = r.m.file
		if r.state == atElem {
			ie.Record = r.rec
		}
		r.err = ie
		return nil, ie
	}
	if err == io.EOF || errors.Is(err, errCutShort) {
		err = errors.New("unexpected end of input: the JSON is cut short")
	}
	rec := r.rec
	if r.state != atElem && r.state != atAfterElem {
		rec = 0
	}
	r.err = &audit.InputError{File: r.m.file, Record: rec, Err: err, Fatal: true}
	return nil, r.err
}

var errCutShort = errors.New("cut short")

// jsonStream reads JSON values from a buffered reader, each held whole (it
// is a record) but none beyond the size limit. The walk of a value is lax,
// following only strings, escapes and bracket nesting: the caller validates
// what it gets.
type jsonStream struct {
	br    *bufio.Reader
	max   int
	off   int64 // bytes consumed
	buf   []byte
	stack []byte // closers of the open containers
}

// peek skips white space and returns the next byte without consuming it.
func (s *jsonStream) peek() (byte, error) {
	for {
		b, err := s.br.Peek(1)
		if len(b) == 0 {
			if err == nil || err == io.EOF {
				return 0, io.EOF
			}
			return 0, readErr(err)
		}
		if !isSpace(b[0]) {
			return b[0], nil
		}
		s.skip()
	}
}

// skip consumes the byte peek returned.
func (s *jsonStream) skip() {
	s.br.Discard(1)
	s.off++
}

// unexpected is the error of a byte c that starts a value where none may be
// (what: where), or of a byte that starts none.
func (s *jsonStream) unexpected(c byte, what string) error {
	if c == '{' || c == '[' || c == '"' || c == '-' || c == 't' || c == 'f' || c == 'n' || isDigit(c) {
		return fmt.Errorf("unexpected %s at byte offset %d %s", quoteByte(c), s.off, what)
	}
	return fmt.Errorf("invalid JSON at byte offset %d: unexpected %s", s.off, quoteByte(c))
}

func (s *jsonStream) invalid(c byte, what string) error {
	return fmt.Errorf("invalid JSON at byte offset %d: unexpected %s in %s", s.off, quoteByte(c), what)
}

// value reads the value that starts at the next byte (peek has skipped the
// white space before it). A value over the limit is a fatal
// *audit.InputError naming the field being read; record says the value is
// a record (its field is named from its start) rather than a member of the
// wrapper object. The result is a copy the caller may keep.
func (s *jsonStream) value(record bool) ([]byte, error) {
	start := s.off
	s.buf = s.buf[:0]
	s.stack = s.stack[:0]
	inStr, esc, scalar := false, false, false
	first := true
	for {
		win, err := s.br.Peek(1)
		if len(win) == 0 {
			if err == nil || err == io.EOF {
				if scalar {
					return s.done(), nil
				}
				return nil, errCutShort
			}
			return nil, readErr(err)
		}
		win, _ = s.br.Peek(s.br.Buffered())
		n, done := 0, false
		if first {
			first = false
			switch c := win[0]; {
			case c == '{':
				s.stack = append(s.stack, '}')
			case c == '[':
				s.stack = append(s.stack, ']')
			case c == '"':
				inStr = true
			default:
				scalar = true
			}
			n = 1
		}
	scan:
		for n < len(win) {
			c := win[n]
			switch {
			case esc:
				esc = false
				n++
			case inStr:
				for n < len(win) && win[n] != '"' && win[n] != '\\' {
					n++
				}
				if n == len(win) {
					break scan
				}
				if win[n] == '\\' {
					if n+1 == len(win) {
						esc = true
						n++
						break scan
					}
					n += 2
					continue
				}
				n++
				inStr = false
				if len(s.stack) == 0 {
					done = true
					break scan
				}
			case scalar:
				if isSpace(c) || c == ',' || c == ']' || c == '}' {
					done = true
					break scan
				}
				n++
			case c == '"':
				inStr = true
				n++
			case c == '{' || c == '[':
				if len(s.stack) > maxDepth {
					return nil, fmt.Errorf("invalid JSON at byte offset %d: nested too deeply", s.off+int64(n))
				}
				s.stack = append(s.stack, c+2) // '{'+2 is '}', '['+2 is ']'
				n++
			case c == '}' || c == ']':
				if s.stack[len(s.stack)-1] != c {
					return nil, fmt.Errorf("invalid JSON at byte offset %d: unexpected %s", s.off+int64(n), quoteByte(c))
				}
				s.stack = s.stack[:len(s.stack)-1]
				n++
				if len(s.stack) == 0 {
					done = true
					break scan
				}
			default:
				n++
			}
		}
		if len(s.buf)+n > s.max {
			partial := append(s.buf, win[:s.max-len(s.buf)]...)
			s.buf = partial
			field := ""
			if record {
				field = openField(partial)
			}
			return nil, &audit.InputError{Field: field, Err: tooLarge(s.max, fmt.Sprintf("byte offset %d", start)), Fatal: true}
		}
		s.buf = append(s.buf, win[:n]...)
		s.br.Discard(n)
		s.off += int64(n)
		if done {
			return s.done(), nil
		}
	}
}

func (s *jsonStream) done() []byte {
	v := make([]byte, len(s.buf))
	copy(v, s.buf)
	return v
}
