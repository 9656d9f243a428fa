package recording

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/auditctl/auditctl/internal/jsontext"
)

// WriterOptions configure a Writer.
type WriterOptions struct {
	// Version is the asciicast version written: 3 (the default, auditctl's
	// .rec) or 2 (for players that only read v2, like asciinema 2.x).
	Version int
	// FlushEvery flushes the underlying writer after every event, so that
	// a crash loses at most the event being written (plus at most 3 bytes
	// of a UTF-8 sequence split across events, held for the next one).
	FlushEvery bool
	// Strict writes only the event codes the version defines (v3: o, i, m,
	// r, x; v2: o, i, m, r) and counts the others in Dropped. By default
	// every code is written: asciicast players skip codes they do not know
	// (asciinema 2.2.0 included), and auditctl reads "q" and "x" back.
	Strict bool
}

// Writer writes an asciicast v3 (or v2) recording event by event.
//
// Times are written in seconds with microsecond precision, from integer
// nanoseconds: each event's time is rounded to the microsecond and v3
// intervals are differences of those rounded times, so the intervals of a
// file sum exactly to its rounded absolute times, however long it is. A
// time earlier than the previous event's is written as the previous time
// (interval 0): asciicast times never go back.
//
// Strings are JSON-escaped as asciinema does (Python's json.dumps with
// ensure_ascii=False): '"', '\\' and the control characters below 0x20
// escaped (\n, \r, \t, \b, \f, the others as \u00XX), everything else
// written as UTF-8. Event data are bytes while JSON strings are Unicode:
// for "o" and "i" events, a UTF-8 sequence split across events is joined
// (its first bytes are held back and written with the next event of the
// same code, as asciinema's incremental decoder does); bytes that are not
// UTF-8 become U+FFFD, one per byte. Any valid UTF-8 stream, however it is
// chunked, is thus written byte for byte.
type Writer struct {
	w       *bufio.Writer
	opt     WriterOptions
	lastUS  int64 // time of the last event written, in µs
	pending [2][]byte
	heldAt  [2]time.Duration // time of the event whose bytes pending[k] ends with
	buf     []byte
	events  int64
	dropped int64
	err     error
	closed  bool
}

// NewWriter writes hdr as an asciicast header and returns a Writer for the
// events. hdr.Width and hdr.Height default to 80x24.
func NewWriter(w io.Writer, hdr Header, opt WriterOptions) (*Writer, error) {
	if opt.Version == 0 {
		opt.Version = 3
	}
	if opt.Version != 2 && opt.Version != 3 {
		return nil, fmt.Errorf("asciicast writer: unsupported version %d (2 or 3)", opt.Version)
	}
	wr := &Writer{w: bufio.NewWriterSize(w, 64<<10), opt: opt}
	line, err := appendHeader(nil, hdr, opt.Version)
	if err != nil {
		return nil, err
	}
	if _, err := wr.w.Write(line); err != nil {
		return nil, err
	}
	if opt.FlushEvery {
		if err := wr.w.Flush(); err != nil {
			return nil, err
		}
	}
	return wr, nil
}

// headerKeys are the keys appendHeader writes itself (or drops); other keys
// of the source header are passed through.
var headerKeys = map[string]bool{
	"version": true, "width": true, "height": true, "term": true, "timestamp": true, "duration": true,
	"idle_time_limit": true, "command": true, "title": true, "env": true, "theme": true, "audit": true, "stdout": true,
}

func appendHeader(b []byte, h Header, version int) ([]byte, error) {
	width, height := h.Width, h.Height
	if width <= 0 {
		width = defaultWidth
	}
	if height <= 0 {
		height = defaultHeight
	}
	theme := themeOf(h.Term)
	b = append(b, `{"version": `...)
	b = strconv.AppendInt(b, int64(version), 10)
	if version == 3 {
		b = append(b, `, "term": {"cols": `...)
		b = strconv.AppendInt(b, int64(width), 10)
		b = append(b, `, "rows": `...)
		b = strconv.AppendInt(b, int64(height), 10)
		if t, ok := h.Term["type"].(string); ok && t != "" {
			b = append(b, `, "type": `...)
			b = appendJSONString(b, t)
		}
		if theme != nil {
			b = append(b, `, "theme": `...)
			b = append(b, theme...)
		}
		// Other keys of the term object ("version" of the terminal...).
		keys := make([]string, 0, len(h.Term))
		for k := range h.Term {
			if k != "cols" && k != "rows" && k != "type" && k != "theme" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			v, err := json.Marshal(h.Term[k])
			if err != nil {
				continue
			}
			b = append(b, ", "...)
			b = appendJSONString(b, k)
			b = append(b, ": "...)
			b = append(b, v...)
		}
		b = append(b, '}')
	} else {
		b = append(b, `, "width": `...)
		b = strconv.AppendInt(b, int64(width), 10)
		b = append(b, `, "height": `...)
		b = strconv.AppendInt(b, int64(height), 10)
	}
	if ts := h.Timestamp.Unix(); !h.Timestamp.IsZero() && ts >= 0 && ts <= 1e12 {
		b = append(b, `, "timestamp": `...)
		b = strconv.AppendInt(b, ts, 10)
	}
	if h.Idle > 0 && !math.IsInf(h.Idle, 0) {
		b = append(b, `, "idle_time_limit": `...)
		b = strconv.AppendFloat(b, h.Idle, 'f', -1, 64)
	}
	if h.Command != "" {
		b = append(b, `, "command": `...)
		b = appendJSONString(b, h.Command)
	}
	if h.Title != "" {
		b = append(b, `, "title": `...)
		b = appendJSONString(b, h.Title)
	}
	env := h.Env
	if t, ok := h.Term["type"].(string); ok && t != "" && version == 2 && env["TERM"] == "" {
		// v2 has no term.type: asciinema keeps the terminal type in env.
		env = maps.Clone(env)
		if env == nil {
			env = map[string]string{}
		}
		env["TERM"] = t
	}
	if len(env) > 0 {
		b = append(b, `, "env": {`...)
		keys := make([]string, 0, len(env))
		for k := range env {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendJSONString(b, k)
			b = append(b, ": "...)
			b = appendJSONString(b, env[k])
		}
		b = append(b, '}')
	}
	if version == 2 && theme != nil {
		b = append(b, `, "theme": `...)
		b = append(b, theme...)
	}
	if h.Audit != nil {
		var c bytes.Buffer
		if err := json.Compact(&c, h.Audit); err != nil {
			return nil, fmt.Errorf("asciicast writer: header key audit: %w", err)
		}
		b = append(b, `, "audit": `...)
		b = append(b, c.Bytes()...)
	}
	// Keys of the source header this writer does not know: kept.
	var raw map[string]json.RawMessage
	if len(h.Raw) > 0 && json.Unmarshal(h.Raw, &raw) == nil {
		keys := make([]string, 0, len(raw))
		for k := range raw {
			if !headerKeys[k] {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			var c bytes.Buffer
			if json.Compact(&c, raw[k]) != nil {
				continue
			}
			b = append(b, ", "...)
			b = appendJSONString(b, k)
			b = append(b, ": "...)
			b = append(b, c.Bytes()...)
		}
	}
	return append(b, "}\n"...), nil
}

// themeOf returns the JSON of term's theme, nil when it has none.
func themeOf(term map[string]any) []byte {
	t, ok := term["theme"].(map[string]any)
	if !ok {
		return nil
	}
	fg, ok1 := t["fg"].(string)
	bg, ok2 := t["bg"].(string)
	pal, ok3 := t["palette"].(string)
	if !ok1 || !ok2 || !ok3 || !isColor(fg) || !isColor(bg) || !isPalette(pal) {
		return nil
	}
	b := []byte(`{"fg": `)
	b = appendJSONString(b, fg)
	b = append(b, `, "bg": `...)
	b = appendJSONString(b, bg)
	b = append(b, `, "palette": `...)
	b = appendJSONString(b, pal)
	return append(b, '}')
}

// v2Codes and v3Codes are the codes each version defines (for Strict).
var (
	v2Codes = map[string]bool{"o": true, "i": true, "m": true, "r": true}
	v3Codes = map[string]bool{"o": true, "i": true, "m": true, "r": true, "x": true}
)

// WriteEvent writes one event. Its Line is ignored. ev.Data is not kept
// after WriteEvent returns (what waits for the rest of a UTF-8 sequence is
// copied), so it may be a view of a buffer the caller reuses.
func (w *Writer) WriteEvent(ev Event) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("asciicast writer: write after Close")
	}
	if w.opt.Strict {
		codes := v3Codes
		if w.opt.Version == 2 {
			codes = v2Codes
		}
		if !codes[ev.Code] {
			w.dropped++
			return nil
		}
	}
	data := ev.Data
	if k := pendingIndex(ev.Code); k >= 0 {
		p := w.pending[k]
		if len(p) > 0 {
			data = string(p) + data
			w.pending[k] = p[:0]
		}
		if cut := incompleteTail(data); cut < len(data) {
			w.pending[k] = append(w.pending[k], data[cut:]...)
			w.heldAt[k] = ev.Time
			data = data[:cut]
			if data == "" {
				return nil // all of it waits for the rest of its sequence
			}
		}
	}
	w.writeEvent(ev.Time, ev.Code, data)
	return w.err
}

func (w *Writer) writeEvent(t time.Duration, code, data string) {
	if t < 0 {
		t = 0
	}
	us := int64(t / time.Microsecond)
	if t%time.Microsecond >= 500*time.Nanosecond {
		us++
	}
	if us < w.lastUS {
		us = w.lastUS
	}
	v := us
	if w.opt.Version == 3 {
		v = us - w.lastUS
	}
	w.lastUS = us
	b := append(w.buf[:0], '[')
	b = appendMicros(b, v)
	b = append(b, ", "...)
	b = appendJSONString(b, code)
	b = append(b, ", "...)
	b = appendJSONString(b, data)
	b = append(b, "]\n"...)
	w.buf = b
	if _, err := w.w.Write(b); err != nil {
		w.err = err
		return
	}
	w.events++
	if w.opt.FlushEvery {
		w.err = w.w.Flush()
	}
}

func pendingIndex(code string) int {
	switch code {
	case "o":
		return 0
	case "i":
		return 1
	}
	return -1
}

// incompleteTail returns where a UTF-8 sequence that is valid so far but
// incomplete starts at the end of s, or len(s) when there is none.
func incompleteTail(s string) int {
	for i := len(s) - 1; i >= 0 && i >= len(s)-3; i-- {
		c := s[i]
		if c&0xC0 == 0x80 {
			continue // continuation byte: look further back
		}
		if c >= 0xC0 && !utf8.FullRuneInString(s[i:]) {
			return i
		}
		break
	}
	return len(s)
}

// appendMicros appends us microseconds as seconds: "1.5", "0.000001",
// "2.0".
func appendMicros(b []byte, us int64) []byte {
	b = strconv.AppendInt(b, us/1e6, 10)
	frac := us % 1e6
	b = append(b, '.')
	if frac == 0 {
		return append(b, '0')
	}
	var d [6]byte
	for i := 5; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := 6
	for d[n-1] == '0' {
		n--
	}
	return append(b, d[:n]...)
}

// appendJSONString appends s as a JSON string (see Writer for the rules).
func appendJSONString(b []byte, s string) []byte { return jsontext.AppendString(b, s) }

// Flush writes buffered events to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	w.err = w.w.Flush()
	return w.err
}

// Events returns how many events were written; Dropped how many events
// Strict dropped.
func (w *Writer) Events() int64  { return w.events }
func (w *Writer) Dropped() int64 { return w.dropped }

// Close writes what is held back (the bytes of a UTF-8 sequence the
// recording ended in the middle of, as U+FFFD, at the last event's time)
// and flushes. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	for k, code := range []string{"o", "i"} {
		if p := w.pending[k]; len(p) > 0 && w.err == nil {
			// At the time the bytes arrived (never before what was
			// written: writeEvent keeps times monotonic).
			w.pending[k] = nil
			w.writeEvent(w.heldAt[k], code, string(p))
		}
	}
	return w.Flush()
}
