package recording

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/auditctl/auditctl/internal/bytesize"
	"github.com/auditctl/auditctl/pkg/audit"
)

func (r *Reader) fatal(line int, field string, err error) error {
	e := &audit.InputError{File: r.name, Line: line, Field: field, Err: err, Fatal: true}
	r.err = e
	return e
}

func (r *Reader) lineErr(line int, field string, format string, args ...any) error {
	return &audit.InputError{File: r.name, Line: line, Field: field, Err: fmt.Errorf(format, args...)}
}

// readLine returns the next line without its "\n" (valid until the next
// call) and counts it. It returns io.EOF at the end of the input.
func (r *Reader) readLine() ([]byte, error) {
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.off += int64(len(chunk))
		switch err {
		case nil:
			if len(r.buf) > 0 {
				r.buf = append(r.buf, chunk...)
				chunk = r.buf
			}
			if n := len(bytes.TrimRight(chunk, "\r\n")); n > r.limit() {
				r.buf = chunk
				return nil, r.tooLarge(r.off - int64(len(chunk)))
			}
			r.line++
			return chunk[:len(chunk)-1], nil
		case bufio.ErrBufferFull:
			r.buf = append(r.buf, chunk...)
		case io.EOF:
			r.buf = append(r.buf, chunk...)
			if len(r.buf) == 0 {
				return nil, io.EOF
			}
			if len(bytes.TrimRight(r.buf, "\r")) > r.limit() {
				return nil, r.tooLarge(r.off - int64(len(r.buf)))
			}
			r.line++
			r.cut = true
			return r.buf, nil
		default:
			if r.packed && errors.Is(err, io.ErrUnexpectedEOF) {
				err = errors.New("the compressed stream ends early: the file is truncated")
			} else {
				err = fmt.Errorf("read: %w", err)
			}
			return nil, r.fatal(r.line+1, "", err)
		}
		if len(r.buf) > r.limit()+2 {
			return nil, r.tooLarge(r.off - int64(len(r.buf)))
		}
	}
}

// limit is the event size limit (Resume's Reader has the default).
func (r *Reader) limit() int {
	if r.max <= 0 {
		return DefaultMaxEventSize
	}
	return r.max
}

// tooLarge is the fatal error of a line over the limit that starts at byte
// offset start: an asciicast event's data, or a header or timing line.
func (r *Reader) tooLarge(start int64) error {
	field := ""
	if b := bytes.TrimLeft(r.buf, " \t"); len(b) > 0 && b[0] == '[' && r.dec == nil {
		field = "data"
	}
	return r.fatal(r.line+1, field, fmt.Errorf("event larger than the %s limit (the line starts at byte offset %d); --max-event-size raises the limit",
		bytesize.Format(r.limit()), start))
}

func (r *Reader) readHeader() error {
	line, err := r.readLine()
	if err == io.EOF {
		return r.fatal(1, "", errors.New("empty recording: no header"))
	}
	if err != nil {
		return err
	}
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return r.fatal(1, "", errors.New("first line is not an asciicast header (a JSON object)"))
	}
	if !json.Valid(line) {
		// Perhaps a v1 document spread over several lines.
		return r.readV1(line)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return r.fatal(1, "", fmt.Errorf("invalid header: %w", err))
	}
	var version int
	if err := json.Unmarshal(m["version"], &version); err != nil || m["version"] == nil {
		return r.fatal(1, "version", errors.New("missing or invalid asciicast version"))
	}
	r.hdr.Version = version
	if version >= 1 && version <= 3 {
		r.hdr.Format = fmt.Sprintf("asciicast-v%d", version)
	}
	r.hdr.Raw = append(json.RawMessage(nil), line...)
	switch version {
	case 1:
		return r.v1FromMap(m, 1)
	case 2:
		return r.v2Header(m)
	case 3:
		return r.v3Header(m)
	}
	return r.fatal(1, "version", fmt.Errorf("unsupported asciicast version %d", version))
}

// commonHeader decodes the keys shared by all versions.
func (r *Reader) commonHeader(m map[string]json.RawMessage, line int) error {
	h := &r.hdr
	if v, ok := m["timestamp"]; ok && !isNull(v) {
		var ts float64
		if err := json.Unmarshal(v, &ts); err != nil || ts < 0 || ts > 1e12 {
			return r.fatal(line, "timestamp", errors.New("timestamp is not a Unix time in seconds"))
		}
		sec, frac := math.Modf(ts)
		h.Timestamp = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	for _, f := range []struct {
		key string
		dst *float64
	}{{"duration", &h.Duration}, {"idle_time_limit", &h.Idle}} {
		if v, ok := m[f.key]; ok && !isNull(v) {
			if err := json.Unmarshal(v, f.dst); err != nil || *f.dst < 0 {
				return r.fatal(line, f.key, fmt.Errorf("%s is not a non-negative number", f.key))
			}
		}
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"title", &h.Title}, {"command", &h.Command}} {
		if v, ok := m[f.key]; ok {
			if err := json.Unmarshal(v, f.dst); err != nil {
				return r.fatal(line, f.key, fmt.Errorf("%s is not a string", f.key))
			}
		}
	}
	if v, ok := m["env"]; ok && !isNull(v) {
		if err := json.Unmarshal(v, &h.Env); err != nil {
			return r.fatal(line, "env", errors.New("env is not an object of strings"))
		}
	}
	if v, ok := m["audit"]; ok {
		h.Audit = append(json.RawMessage(nil), v...)
	}
	return nil
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

func (r *Reader) positiveInt(v json.RawMessage, line int, field string) (int, error) {
	var n int
	if v == nil || json.Unmarshal(v, &n) != nil || n <= 0 || n > 1<<16 {
		return 0, r.fatal(line, field, fmt.Errorf("%s is not a positive integer", field))
	}
	return n, nil
}

func (r *Reader) v2Header(m map[string]json.RawMessage) error {
	var err error
	if r.hdr.Width, err = r.positiveInt(m["width"], 1, "width"); err != nil {
		return err
	}
	if r.hdr.Height, err = r.positiveInt(m["height"], 1, "height"); err != nil {
		return err
	}
	r.hdr.Term = map[string]any{"cols": float64(r.hdr.Width), "rows": float64(r.hdr.Height)}
	if v, ok := m["theme"]; ok {
		theme, err := r.theme(v, 1, "theme")
		if err != nil {
			return err
		}
		if theme != nil {
			r.hdr.Term["theme"] = theme
		}
	}
	if err := r.commonHeader(m, 1); err != nil {
		return err
	}
	if t := r.hdr.Env["TERM"]; t != "" {
		r.hdr.Term["type"] = t // v3's term.type is v2's env.TERM
	}
	return nil
}

func (r *Reader) v3Header(m map[string]json.RawMessage) error {
	tv, ok := m["term"]
	var term map[string]json.RawMessage
	if !ok || json.Unmarshal(tv, &term) != nil || term == nil {
		return r.fatal(1, "term", errors.New("term is missing or not an object"))
	}
	var err error
	if r.hdr.Width, err = r.positiveInt(term["cols"], 1, "term.cols"); err != nil {
		return err
	}
	if r.hdr.Height, err = r.positiveInt(term["rows"], 1, "term.rows"); err != nil {
		return err
	}
	if v, ok := term["theme"]; ok {
		if _, err := r.theme(v, 1, "term.theme"); err != nil {
			return err
		}
	}
	if err := json.Unmarshal(tv, &r.hdr.Term); err != nil {
		return r.fatal(1, "term", err)
	}
	return r.commonHeader(m, 1)
}

// theme validates an asciicast theme: null or {} (no theme), or an object
// with fg and bg "#rrggbb" and a palette of 8 or 16 such colors separated by
// ':'. It returns the decoded theme, nil for no theme.
func (r *Reader) theme(v json.RawMessage, line int, field string) (map[string]any, error) {
	if isNull(v) {
		return nil, nil
	}
	var t map[string]json.RawMessage
	if err := json.Unmarshal(v, &t); err != nil {
		return nil, r.fatal(line, field, errors.New("theme is not an object"))
	}
	if len(t) == 0 {
		return nil, nil
	}
	var fg, bg, palette string
	if json.Unmarshal(t["fg"], &fg) != nil || !isColor(fg) {
		return nil, r.fatal(line, field+".fg", fmt.Errorf("invalid theme color %s, want \"#rrggbb\"", t["fg"]))
	}
	if json.Unmarshal(t["bg"], &bg) != nil || !isColor(bg) {
		return nil, r.fatal(line, field+".bg", fmt.Errorf("invalid theme color %s, want \"#rrggbb\"", t["bg"]))
	}
	if json.Unmarshal(t["palette"], &palette) != nil || !isPalette(palette) {
		return nil, r.fatal(line, field+".palette", errors.New("invalid theme palette, want 8 or 16 \"#rrggbb\" colors separated by ':'"))
	}
	out := map[string]any{"fg": fg, "bg": bg, "palette": palette}
	return out, nil
}

func isColor(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	for i := 1; i < 7; i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func isPalette(s string) bool {
	n := 0
	for len(s) > 0 {
		if len(s) < 7 || !isColor(s[:7]) {
			return false
		}
		n++
		s = s[7:]
		if len(s) > 0 {
			if s[0] != ':' {
				return false
			}
			s = s[1:]
			if len(s) == 0 {
				return false
			}
		}
	}
	return n == 8 || n == 16
}

// readV1 reads the rest of the input as one v1 JSON document whose first
// line is first.
func (r *Reader) readV1(first []byte) error {
	doc := append([]byte(nil), first...)
	doc = append(doc, '\n')
	rest, err := io.ReadAll(io.LimitReader(r.br, int64(maxV1Len)+1))
	if err != nil {
		return r.fatal(0, "", fmt.Errorf("read: %w", err))
	}
	if len(rest) > maxV1Len {
		return r.fatal(0, "", fmt.Errorf("asciicast v1 document larger than %d MiB (v1 is read whole; convert it to v2 or v3)", maxV1Len>>20))
	}
	doc = append(doc, rest...)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		line := 1
		var se *json.SyntaxError
		if errors.As(err, &se) && se.Offset <= int64(len(doc)) {
			line += bytes.Count(doc[:se.Offset], []byte{'\n'})
		} else if errors.As(err, &se) {
			line += bytes.Count(doc, []byte{'\n'})
		}
		if last := 1 + bytes.Count(bytes.TrimRight(doc, "\r\n"), []byte{'\n'}); line > last {
			line = last
		}
		return r.fatal(line, "", fmt.Errorf("invalid JSON: %w", err))
	}
	var version int
	if json.Unmarshal(m["version"], &version) != nil || version != 1 {
		return r.fatal(1, "version", errors.New("multi-line header: only asciicast v1 may span lines"))
	}
	r.hdr.Version = 1
	r.hdr.Format = FormatAsciicastV1
	return r.v1FromMap(m, 1)
}

func (r *Reader) v1FromMap(m map[string]json.RawMessage, line int) error {
	var err error
	if r.hdr.Width, err = r.positiveInt(m["width"], line, "width"); err != nil {
		return err
	}
	if r.hdr.Height, err = r.positiveInt(m["height"], line, "height"); err != nil {
		return err
	}
	r.hdr.Term = map[string]any{"cols": float64(r.hdr.Width), "rows": float64(r.hdr.Height)}
	if err := r.commonHeader(m, line); err != nil {
		return err
	}
	if t := r.hdr.Env["TERM"]; t != "" {
		r.hdr.Term["type"] = t
	}
	if json.Unmarshal(m["stdout"], &r.v1) != nil || m["stdout"] == nil {
		return r.fatal(line, "stdout", errors.New("stdout is missing or not an array of frames"))
	}
	delete(m, "stdout")
	raw, err := json.Marshal(m)
	if err != nil {
		return r.fatal(line, "", err)
	}
	r.hdr.Raw = raw
	return nil
}

// nextLine returns the next event of an asciicast v2 or v3 file.
func (r *Reader) nextLine() (Event, error) {
	for {
		line, err := r.readLine()
		if err != nil {
			return Event{}, err
		}
		// Skip blank lines (both versions) and comments (v3).
		i := skipWS(line, 0)
		if i == len(line) {
			continue
		}
		if line[i] == '#' && r.hdr.Version == 3 {
			continue
		}
		ev, err := r.parseEvent(line)
		if err != nil && r.cut {
			// The last line has no newline and does not parse: the file
			// was cut mid-line (a recorder killed while writing, a
			// partial copy). Nothing can follow it.
			var ie *audit.InputError
			if errors.As(err, &ie) {
				ie.Err = fmt.Errorf("the file ends mid-line (truncated): %w", ie.Err)
				ie.Fatal = true
				r.err = ie
			}
		}
		return ev, err
	}
}

func (r *Reader) nextV1() (Event, error) {
	if r.v1index >= len(r.v1) {
		return Event{}, io.EOF
	}
	r.v1index++
	rec := r.v1index
	bad := func(format string, args ...any) (Event, error) {
		return Event{}, &audit.InputError{File: r.name, Record: rec, Field: "stdout", Err: fmt.Errorf(format, args...)}
	}
	var frame []json.RawMessage
	if err := json.Unmarshal(r.v1[rec-1], &frame); err != nil {
		return bad("frame %d is not an array", rec)
	}
	if len(frame) != 2 {
		return bad("frame %d has %d elements, want 2 [delay, data]", rec, len(frame))
	}
	d, err := parseSeconds(frame[0])
	if err != nil {
		return bad("frame %d: delay: %v", rec, err)
	}
	var data string
	if json.Unmarshal(frame[1], &data) != nil {
		return bad("frame %d: data is not a string", rec)
	}
	if d > math.MaxInt64-r.clock {
		return bad("frame %d: time overflows", rec)
	}
	r.clock += d
	return Event{Time: r.clock, Code: "o", Data: data}, nil
}

// parseEvent parses one event line of v2 or v3.
func (r *Reader) parseEvent(line []byte) (Event, error) {
	n := r.line
	tok, ok := splitEvent(line)
	var code, data string
	if ok {
		var ok1, ok2 bool
		code, ok1 = decodeString(tok[1])
		data, ok2 = decodeString(tok[2])
		ok = ok1 && ok2
	}
	if !ok {
		var err error
		if tok, err = r.splitSlow(line); err != nil {
			return Event{}, err
		}
		code, _ = decodeString(tok[1])
		data, _ = decodeString(tok[2])
	}
	t, err := parseSeconds(tok[0])
	if err != nil {
		return Event{}, r.lineErr(n, "time", "invalid time %s: %v", tok[0], err)
	}
	if code == "r" && !validResize(data) {
		return Event{}, r.lineErr(n, "data", "invalid resize %q, want COLSxROWS", data)
	}
	ev := Event{Code: code, Data: data, Line: n}
	if r.hdr.Version == 3 {
		if t > math.MaxInt64-r.clock {
			return Event{}, r.lineErr(n, "time", "time overflows")
		}
		r.clock += t
		ev.Time = r.clock
	} else {
		ev.Time = t
		r.clock = t
	}
	return ev, nil
}

// splitSlow classifies a line the fast path could not split, with
// encoding/json, and returns its three raw elements or an error.
func (r *Reader) splitSlow(line []byte) ([3][]byte, error) {
	n := r.line
	var tok [3][]byte
	var elems []json.RawMessage
	if err := json.Unmarshal(line, &elems); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return tok, r.lineErr(n, "", "event is a JSON %s, want an array [time, code, data]", te.Value)
		}
		return tok, r.lineErr(n, "", "invalid JSON: %v", err)
	}
	if len(elems) != 3 {
		return tok, r.lineErr(n, "", "event has %d elements, want 3 [time, code, data]", len(elems))
	}
	if c := elems[0][0]; c != '-' && (c < '0' || c > '9') {
		return tok, r.lineErr(n, "time", "time %s is not a number", elems[0])
	}
	if elems[1][0] != '"' {
		return tok, r.lineErr(n, "code", "event code %s is not a string", elems[1])
	}
	if elems[2][0] != '"' {
		return tok, r.lineErr(n, "data", "event data %s is not a string", elems[2])
	}
	for i := range tok {
		tok[i] = elems[i]
	}
	return tok, nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// splitEvent is the fast path: it splits `[number, "string", "string"]`
// into its three tokens. It returns false for anything else (including
// valid JSON it does not handle), leaving the diagnosis to splitSlow.
func splitEvent(b []byte) (tok [3][]byte, ok bool) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '[' {
		return tok, false
	}
	i = skipWS(b, i+1)
	start := i
	for i < len(b) && (b[i] >= '0' && b[i] <= '9' || b[i] == '.' || b[i] == '-' || b[i] == '+' || b[i] == 'e' || b[i] == 'E') {
		i++
	}
	if i == start {
		return tok, false
	}
	tok[0] = b[start:i]
	for k := 1; k <= 2; k++ {
		i = skipWS(b, i)
		if i >= len(b) || b[i] != ',' {
			return tok, false
		}
		i = skipWS(b, i+1)
		end, ok := scanString(b, i)
		if !ok {
			return tok, false
		}
		tok[k] = b[i:end]
		i = end
	}
	i = skipWS(b, i)
	if i >= len(b) || b[i] != ']' {
		return tok, false
	}
	if skipWS(b, i+1) != len(b) {
		return tok, false
	}
	if _, err := parseSeconds(tok[0]); errors.Is(err, errNumberSyntax) {
		return tok, false
	}
	return tok, true
}

// scanString returns the index just past the JSON string starting at b[i],
// or false when there is none (or it holds a raw control character).
func scanString(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, false
	}
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c == '\\':
			i++
		case c < 0x20:
			return 0, false
		}
	}
	return 0, false
}

// decodeString decodes a JSON string token.
func decodeString(tok []byte) (string, bool) {
	if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
		return "", false
	}
	body := tok[1 : len(tok)-1]
	// Fast path: no escape, no control, all ASCII.
	i := 0
	for i < len(body) {
		c := body[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			break
		}
		i++
	}
	if i == len(body) {
		return string(body), true
	}
	// One pass: copy runs, decode escapes, note raw non-ASCII bytes.
	out := make([]byte, 0, len(body))
	rawNonASCII := false
	start := 0
	for i < len(body) {
		c := body[i]
		switch {
		case c < 0x20, c == '"':
			return "", false
		case c >= utf8.RuneSelf:
			rawNonASCII = true
			i++
			continue
		case c != '\\':
			i++
			continue
		}
		out = append(out, body[start:i]...)
		i++
		if i >= len(body) {
			return "", false
		}
		switch body[i] {
		case '"', '\\', '/':
			out = append(out, body[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r1, ok := hex4(body, i+1)
			if !ok {
				return "", false
			}
			i += 4
			ru := rune(r1)
			if utf16.IsSurrogate(ru) {
				ru = utf8.RuneError
				if i+2 < len(body) && body[i+1] == '\\' && body[i+2] == 'u' {
					if r2, ok := hex4(body, i+3); ok {
						if d := utf16.DecodeRune(rune(r1), rune(r2)); d != utf8.RuneError {
							ru = d
							i += 6
						}
					}
				}
			}
			out = utf8.AppendRune(out, ru)
		default:
			return "", false
		}
		i++
		start = i
	}
	out = append(out, body[start:]...)
	if rawNonASCII && !utf8.Valid(out) {
		// Rare: let encoding/json apply its replacement rules.
		var s string
		if json.Unmarshal(tok, &s) != nil {
			return "", false
		}
		return s, true
	}
	return string(out), true
}

func hex4(b []byte, i int) (uint16, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var v uint16
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint16(c)
	}
	return v, true
}

var errNumberSyntax = errors.New("not a JSON number")

// parseSeconds converts a JSON number of seconds into nanoseconds exactly,
// from its decimal digits (digits below 1 ns are truncated). Negative
// values and values beyond time.Duration's range are errors.
func parseSeconds(b []byte) (time.Duration, error) {
	i := 0
	neg := false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	var mant uint64
	nd := 0  // significant digits kept in mant
	exp := 0 // decimal exponent adjustment for mant
	digit := func(c byte, frac bool) {
		if mant == 0 && c == '0' {
			if frac {
				exp--
			}
			return
		}
		if nd < 19 {
			mant = mant*10 + uint64(c-'0')
			nd++
			if frac {
				exp--
			}
		} else if !frac {
			exp++ // integer digit beyond precision: value is huge anyway
		}
	}
	if i >= len(b) || b[i] < '0' || b[i] > '9' {
		return 0, errNumberSyntax
	}
	if b[i] == '0' {
		i++
	} else {
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			digit(b[i], false)
		}
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return 0, errNumberSyntax
		}
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			digit(b[i], true)
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return 0, errNumberSyntax
		}
		e := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if e < 100000 {
				e = e*10 + int(b[i]-'0')
			}
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i != len(b) {
		return 0, errNumberSyntax
	}
	if mant == 0 {
		return 0, nil
	}
	if neg {
		return 0, errors.New("negative")
	}
	exp += 9 // seconds to nanoseconds
	for ; exp > 0; exp-- {
		if mant > math.MaxInt64/10 {
			return 0, errors.New("too large")
		}
		mant *= 10
	}
	for ; exp < 0 && mant > 0; exp++ {
		mant /= 10
	}
	if mant > math.MaxInt64 {
		return 0, errors.New("too large")
	}
	return time.Duration(mant), nil
}

// validResize reports whether s is "COLSxROWS" with two positive decimal
// integers.
func validResize(s string) bool {
	x := -1
	for i := 0; i < len(s); i++ {
		if s[i] == 'x' {
			x = i
			break
		}
	}
	if x < 0 {
		return false
	}
	ok := func(t string) bool {
		if len(t) == 0 || len(t) > 5 {
			return false
		}
		for i := 0; i < len(t); i++ {
			if t[i] < '0' || t[i] > '9' {
				return false
			}
		}
		n, err := strconv.Atoi(t)
		return err == nil && n > 0 && n <= 1<<16
	}
	return ok(s[:x]) && ok(s[x+1:])
}
