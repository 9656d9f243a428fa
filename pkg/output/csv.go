package output

import (
	"encoding/json"
	"io"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/auditctl/auditctl/pkg/audit"
)

// NeutralizeCell defuses CSV formula injection (OWASP "CSV Injection"): a
// cell that starts with '=', '+', '-', '@', a tab or a CR would be run as
// a formula by a spreadsheet, so it gets a leading "'". The CSV writer
// applies it to text columns only: duration_ms is an integer and the JSON
// columns are JSON documents (one starting with '-' is a number), which a
// spreadsheet cannot read as a formula. Neutralization is not reversible:
// use --csv-raw (Options.CSVRaw) for an export meant to be re-imported
// byte for byte.
func NeutralizeCell(s string) string {
	if needsNeutralizing(s) {
		return "'" + s
	}
	return s
}

func needsNeutralizing(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// csvKind says how a column's value is written.
type csvKind int

const (
	csvText csvKind = iota // neutralized unless raw
	csvJSON                // a JSON document: quoted, never neutralized
	csvInt                 // duration_ms
	csvTime
)

type csvColumn struct {
	name string
	kind csvKind
	text func(e *audit.Event) string          // csvText
	json func(e *audit.Event) json.RawMessage // csvJSON
}

// csvColumns are audit.Columns with a direct accessor each, so a row is
// written without the string switch of audit.Event.Value per cell. The
// test checks that they agree with Value.
var csvColumns = func() []csvColumn {
	acc := map[string]func(e *audit.Event) string{
		"id":            func(e *audit.Event) string { return e.ID },
		"source":        func(e *audit.Event) string { return e.Source },
		"service":       func(e *audit.Event) string { return e.Service },
		"action":        func(e *audit.Event) string { return e.Action },
		"category":      func(e *audit.Event) string { return e.Category },
		"workflow_id":   func(e *audit.Event) string { return e.WorkflowID },
		"workflow_type": func(e *audit.Event) string { return e.WorkflowType },
		"actor":         func(e *audit.Event) string { return e.Actor },
		"actor_id":      func(e *audit.Event) string { return e.ActorID },
		"actor_type":    func(e *audit.Event) string { return e.ActorType },
		"target":        func(e *audit.Event) string { return e.Target },
		"target_id":     func(e *audit.Event) string { return e.TargetID },
		"target_type":   func(e *audit.Event) string { return e.TargetType },
		"ip":            func(e *audit.Event) string { return e.IP },
		"client":        func(e *audit.Event) string { return e.Client },
		"user_agent":    func(e *audit.Event) string { return e.UserAgent },
		"status":        func(e *audit.Event) string { return string(e.Status) },
		"error":         func(e *audit.Event) string { return e.Error },
		"tenant":        func(e *audit.Event) string { return e.Tenant },
		"description":   func(e *audit.Event) string { return e.Description },
	}
	docs := map[string]func(e *audit.Event) json.RawMessage{
		"geo":    func(e *audit.Event) json.RawMessage { return e.Geo },
		"params": func(e *audit.Event) json.RawMessage { return e.Params },
		"custom": func(e *audit.Event) json.RawMessage { return e.Custom },
		"before": func(e *audit.Event) json.RawMessage { return e.Before },
		"after":  func(e *audit.Event) json.RawMessage { return e.After },
		"raw":    func(e *audit.Event) json.RawMessage { return e.Raw },
	}
	cols := make([]csvColumn, len(audit.Columns))
	for i, name := range audit.Columns {
		c := csvColumn{name: name, text: acc[name], json: docs[name]}
		switch {
		case name == "time":
			c.kind = csvTime
		case name == "duration_ms":
			c.kind = csvInt
		case c.json != nil:
			c.kind = csvJSON
		case c.text == nil:
			name := name
			c.text = func(e *audit.Event) string { return e.Value(name) }
		}
		cols[i] = c
	}
	return cols
}()

// csvWriter writes audit.Columns as CSV, quoting exactly as encoding/csv
// does (LF line ends), straight into the output buffer.
type csvWriter struct {
	out    *flusher
	raw    bool
	header bool
	closed bool
}

func newCSVWriter(w io.Writer, opt Options) *csvWriter {
	return &csvWriter{out: newFlusher(w), raw: opt.CSVRaw}
}

func (cw *csvWriter) writeHeader() {
	cw.header = true
	for i, c := range csvColumns {
		if i > 0 {
			cw.out.buf = append(cw.out.buf, ',')
		}
		cw.out.buf = appendCSVField(cw.out.buf, c.name, false)
	}
	cw.out.buf = append(cw.out.buf, '\n')
}

func (cw *csvWriter) Write(e *audit.Event) error {
	if cw.closed {
		return errClosed
	}
	if !cw.header {
		cw.writeHeader()
	}
	b := cw.out.buf
	for i, c := range csvColumns {
		if i > 0 {
			b = append(b, ',')
		}
		switch c.kind {
		case csvTime:
			if !e.Time.IsZero() {
				b = e.Time.UTC().AppendFormat(b, time.RFC3339Nano)
			}
		case csvInt:
			if e.DurationMS != nil {
				b = strconv.AppendInt(b, *e.DurationMS, 10)
			}
		case csvJSON:
			b = appendCSVField(b, c.json(e), false)
		default:
			s := c.text(e)
			b = appendCSVField(b, s, !cw.raw && needsNeutralizing(s))
		}
	}
	cw.out.buf = append(b, '\n')
	return cw.out.maybeFlush()
}

func (cw *csvWriter) Close() error {
	if cw.closed {
		return cw.out.err
	}
	cw.closed = true
	if !cw.header {
		cw.writeHeader()
	}
	return cw.out.flush()
}

// appendCSVField appends s as one CSV field, with a "'" before it when
// prefix is set, quoted when encoding/csv would quote it.
func appendCSVField[T ~string | ~[]byte](b []byte, s T, prefix bool) []byte {
	if !csvNeedsQuotes(s, prefix) {
		if prefix {
			b = append(b, '\'')
		}
		return append(b, s...)
	}
	b = append(b, '"')
	if prefix {
		b = append(b, '\'')
	}
	for {
		i := indexQuote(s)
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

func indexQuote[T ~string | ~[]byte](s T) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			return i
		}
	}
	return -1
}

// csvNeedsQuotes mirrors encoding/csv's fieldNeedsQuotes for a ','
// separator, for the field ("'" if prefix) + s.
func csvNeedsQuotes[T ~string | ~[]byte](s T, prefix bool) bool {
	if len(s) == 0 {
		return false
	}
	if len(s) == 2 && s[0] == '\\' && s[1] == '.' && !prefix {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n', '\r', '"', ',':
			return true
		}
	}
	if prefix {
		return false
	}
	r, _ := utf8.DecodeRuneInString(string(s[:min(len(s), utf8.UTFMax)]))
	return unicode.IsSpace(r)
}
