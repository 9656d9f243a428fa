package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// EventWriter writes events in one format. Write streams (except for the
// table, which must see every row to size its columns); Close finishes
// the document (the "]" of a JSON array) and flushes. An EventWriter that
// was given no event still writes a valid empty document on Close.
type EventWriter interface {
	Write(e *audit.Event) error
	Close() error
}

// NewEventWriter returns a writer of events to w in format f. json, ndjson,
// csv and yaml use constant memory whatever the number of events.
func NewEventWriter(w io.Writer, f Format, opt Options) (EventWriter, error) {
	switch f {
	case FormatJSON:
		return newJSONWriter(w, true), nil
	case FormatNDJSON:
		return newJSONWriter(w, false), nil
	case FormatCSV:
		return newCSVWriter(w, opt), nil
	case FormatYAML:
		return &yamlWriter{out: newFlusher(w)}, nil
	case FormatTable, "":
		return newTableWriter(w, opt)
	}
	return nil, audit.Errorf(audit.EUSAGE, "unknown output format %q", f)
}

// WriteEvents writes events with a new EventWriter and closes it.
func WriteEvents(w io.Writer, f Format, events []*audit.Event, opt Options) error {
	ew, err := NewEventWriter(w, f, opt)
	if err != nil {
		return err
	}
	for _, e := range events {
		if err := ew.Write(e); err != nil {
			return err
		}
	}
	return ew.Close()
}

// flushSize is how much output is gathered before it is written out.
const flushSize = 32 << 10

// flusher gathers output in a buffer and writes it to w whenever it holds
// flushSize bytes, so streaming writers make few, large writes and never
// hold more than one buffer. The first write error sticks.
type flusher struct {
	w   io.Writer
	buf []byte
	err error
}

func newFlusher(w io.Writer) *flusher {
	return &flusher{w: w, buf: make([]byte, 0, flushSize+flushSize/4)}
}

func (f *flusher) maybeFlush() error {
	if len(f.buf) >= flushSize {
		return f.flush()
	}
	return f.err
}

func (f *flusher) flush() error {
	if f.err != nil {
		return f.err
	}
	if len(f.buf) > 0 {
		_, f.err = f.w.Write(f.buf)
		f.buf = f.buf[:0]
	}
	return f.err
}

// errClosed is returned by Write after Close.
var errClosed = errors.New("output: write after close")

// jsonWriter writes a pretty JSON array (indent) or NDJSON (one compact
// object per line).
type jsonWriter struct {
	out    *flusher
	indent bool
	n      int
	closed bool
	enc    *json.Encoder
	tmp    bytes.Buffer
}

func newJSONWriter(w io.Writer, indent bool) *jsonWriter {
	jw := &jsonWriter{out: newFlusher(w), indent: indent}
	jw.enc = json.NewEncoder(&jw.tmp)
	jw.enc.SetEscapeHTML(false)
	if indent {
		jw.enc.SetIndent("  ", "  ")
	}
	return jw
}

func (jw *jsonWriter) Write(e *audit.Event) error {
	if jw.closed {
		return errClosed
	}
	jw.tmp.Reset()
	if err := jw.enc.Encode(e); err != nil {
		return encodeError(e, err)
	}
	b := jw.tmp.Bytes()
	if jw.indent {
		b = b[:len(b)-1] // the encoder's newline
		if jw.n == 0 {
			jw.out.buf = append(jw.out.buf, "[\n  "...)
		} else {
			jw.out.buf = append(jw.out.buf, ",\n  "...)
		}
	}
	jw.out.buf = appendSafeJSON(jw.out.buf, b)
	jw.n++
	return jw.out.maybeFlush()
}

func (jw *jsonWriter) Close() error {
	if jw.closed {
		return jw.out.err
	}
	jw.closed = true
	if jw.indent {
		if jw.n == 0 {
			jw.out.buf = append(jw.out.buf, "[]\n"...)
		} else {
			jw.out.buf = append(jw.out.buf, "\n]\n"...)
		}
	}
	return jw.out.flush()
}

// encodeError is the error of an event that cannot be encoded: a document
// (geo, params, custom, before, after, raw) that is not valid JSON can
// only come from a damaged cache, a local failure (exit 5) that names the
// event; anything else is a bug.
func encodeError(e *audit.Event, err error) error {
	var me *json.MarshalerError
	if errors.As(err, &me) {
		return audit.Errorf(audit.ELOCAL, "event %s (source %s): a stored document is damaged (not valid JSON: %v): delete the event or re-import its source",
			sanitize.String(e.ID), sanitize.String(e.Source), me.Unwrap())
	}
	return fmt.Errorf("encode event %s: %w", e.ID, err)
}
