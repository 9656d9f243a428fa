package importer

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/auditctl/auditctl/pkg/audit"
)

// lineReader reads NDJSON: one JSON object per line, blank lines skipped.
// A bad line is not fatal: the next one is read independently.
type lineReader struct {
	m    *mapper
	sc   *bufio.Scanner
	line int   // physical line of the last record
	rec  int   // index of the last record
	err  error // sticky: io.EOF or a fatal error
}

func newLineReader(m *mapper, r io.Reader) *lineReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 16<<10), maxLineSize)
	return &lineReader{m: m, sc: sc}
}

func (r *lineReader) Next() (*audit.Event, error) {
	if r.err != nil {
		return nil, r.err
	}
	for r.sc.Scan() {
		r.line++
		b := trimWS(r.sc.Bytes())
		if len(b) == 0 {
			continue
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
	err := r.sc.Err()
	if err == nil {
		r.err = io.EOF
		return nil, io.EOF
	}
	if errors.Is(err, bufio.ErrTooLong) {
		err = fmt.Errorf("line longer than %d MiB", maxLineSize>>20)
	}
	r.err = &audit.InputError{File: r.m.file, Line: r.line + 1, Err: err, Fatal: true}
	return nil, r.err
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
// {"Records":[...]} objects, one or more, element by element with a
// json.Decoder. A record that cannot be mapped is skipped over; broken JSON
// syntax is fatal, as nothing after it can be trusted.
type arrayReader struct {
	m       *mapper
	dec     *json.Decoder
	wrapper bool
	started bool // array mode: the top-level array has been opened
	inObj   bool // wrapper mode: inside a top-level object
	inArray bool
	rec     int
	err     error
}

func newArrayReader(m *mapper, r io.Reader, wrapper bool) *arrayReader {
	return &arrayReader{m: m, dec: json.NewDecoder(r), wrapper: wrapper}
}

func (r *arrayReader) Next() (*audit.Event, error) {
	if r.err != nil {
		return nil, r.err
	}
	for {
		if r.inArray {
			if r.dec.More() {
				r.rec++
				var raw json.RawMessage
				if err := r.dec.Decode(&raw); err != nil {
					return r.fatal(err)
				}
				ev, fe := r.m.mapJSON(raw)
				if fe != nil {
					return nil, &audit.InputError{File: r.m.file, Record: r.rec, Field: fe.field, Err: fe.err}
				}
				return ev, nil
			}
			if _, err := r.dec.Token(); err != nil { // ']'
				return r.fatal(err)
			}
			r.inArray = false
			continue
		}
		if !r.wrapper {
			tok, err := r.dec.Token()
			switch {
			case err == io.EOF:
				r.err = io.EOF
				return nil, io.EOF
			case err != nil:
				return r.fatal(err)
			case r.started:
				return r.fatal(fmt.Errorf("unexpected %s after the array", tokenString(tok)))
			case tok != json.Delim('['):
				return r.fatal(fmt.Errorf("want a JSON array, got %s", tokenString(tok)))
			}
			r.started, r.inArray = true, true
			continue
		}
		if !r.inObj {
			tok, err := r.dec.Token()
			switch {
			case err == io.EOF:
				r.err = io.EOF
				return nil, io.EOF
			case err != nil:
				return r.fatal(err)
			case tok != json.Delim('{'):
				return r.fatal(fmt.Errorf(`want a {"Records":[...]} object, got %s`, tokenString(tok)))
			}
			r.inObj = true
			continue
		}
		if !r.dec.More() {
			if _, err := r.dec.Token(); err != nil { // '}'
				return r.fatal(err)
			}
			r.inObj = false
			continue
		}
		tok, err := r.dec.Token()
		if err != nil {
			return r.fatal(err)
		}
		if key, _ := tok.(string); key == "Records" {
			tok, err := r.dec.Token()
			switch {
			case err != nil:
				return r.fatal(err)
			case tok == json.Delim('['):
				r.inArray = true
			case tok == nil:
			default:
				return r.fatal(fmt.Errorf(`"Records" is not an array but %s`, tokenString(tok)))
			}
			continue
		}
		var skip json.RawMessage
		if err := r.dec.Decode(&skip); err != nil {
			return r.fatal(err)
		}
	}
}

func (r *arrayReader) fatal(err error) (*audit.Event, error) {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		err = fmt.Errorf("invalid JSON at byte offset %d: %s", se.Offset, se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF:
		err = errors.New("unexpected end of input: the JSON is cut short")
	}
	rec := r.rec
	if !r.inArray {
		rec = 0
	}
	r.err = &audit.InputError{File: r.m.file, Record: rec, Err: err, Fatal: true}
	return nil, r.err
}

func tokenString(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("'%s'", t)
	case string:
		return fmt.Sprintf("string %q", t)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}
