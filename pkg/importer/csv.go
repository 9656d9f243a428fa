package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/auditctl/auditctl/internal/jsontext"
	"io"
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
)

// col is the event field a CSV column fills.
type col uint8

const (
	cUnknown col = iota // kept in raw only
	cID
	cTime
	cSource
	cService
	cAction
	cCategory
	cWorkflowID
	cWorkflowType
	cActor
	cActorID
	cActorType
	cTarget
	cTargetID
	cTargetType
	cIP
	cClient
	cUserAgent
	cGeo
	cStatus
	cError
	cDuration
	cTenant
	cDescription
	cParams
	cCustom
	cBefore
	cAfter
	cRaw
)

// csvColumns maps normalized header names (see normHeader) to fields: seed
// 004's 17 columns and auditctl's export (audit.Columns).
var csvColumns = map[string]col{
	// both
	"id": cID, "workflowid": cWorkflowID, "workflowtype": cWorkflowType,
	"target": cTarget, "targetid": cTargetID, "targettype": cTargetType,
	// seed 004
	"tenantid": cTenant, "timestamp": cTime, "eventtype": cAction, "eventdescription": cDescription,
	"initiator": cActor, "initiatortype": cActorType, "initiatorid": cActorID,
	"operationstatus": cStatus, "customvalues": cCustom, "originalstate": cBefore, "updatedstate": cAfter,
	// auditctl's export
	"time": cTime, "source": cSource, "service": cService, "action": cAction, "category": cCategory,
	"actor": cActor, "actorid": cActorID, "actortype": cActorType,
	"ip": cIP, "client": cClient, "useragent": cUserAgent, "geo": cGeo,
	"status": cStatus, "error": cError, "durationms": cDuration, "tenant": cTenant,
	"description": cDescription, "params": cParams, "custom": cCustom,
	"before": cBefore, "after": cAfter, "raw": cRaw,
}

// normHeader folds a header name for matching: lower case, without spaces,
// underscores or hyphens ("Workflow Id", "workflow_id" and "WorkflowId" are
// one column).
func normHeader(s string) string {
	s = strings.TrimPrefix(s, "\ufeff")
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if r == ' ' || r == '_' || r == '-' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// csvReader reads CSV with a header row. Errors in a record are not fatal:
// the reader goes on with the next.
type csvReader struct {
	file, source string
	cr           *csv.Reader
	header       []string // as written (without a byte order mark)
	cols         []col
	keys         []string // `"<header>":` for building raw
	hasCategory  bool
	hasRaw       bool
	rec          int
	rawCap       int
	hashBuf      []byte
	lim          *csvLimit
	err          error // sticky: io.EOF or a fatal error
}

func newCSVReader(file, source string, r io.Reader, max int) *csvReader {
	lim := &csvLimit{r: r, max: max, stop: int64(max) + csvSlack}
	// csv.Reader reads through this buffer (it keeps a *bufio.Reader of
	// 4 KiB or more as it is): large reads, few calls.
	cr := csv.NewReader(bufio.NewReaderSize(lim, bufSize))
	cr.ReuseRecord = true
	cr.LazyQuotes = false
	return &csvReader{file: file, source: source, cr: cr, lim: lim}
}

// csvSlack is what may be read ahead of a record (the buffer csv.Reader
// reads through).
const csvSlack = bufSize

// csvLimit stands between csv.Reader and the input: encoding/csv holds a
// record whole, however long, so csvLimit refuses to hand it more than the
// size limit past the start of the record being read. It keeps the bytes of
// that record (for the error: which field, which line) and counts the lines
// before it.
type csvLimit struct {
	r       io.Reader
	max     int
	read    int64  // bytes handed to csv
	stop    int64  // no byte at or past this offset is handed over
	keep    []byte // bytes from offset from to read
	skipped int    // keep[:skipped] is before the record being read
	from    int64
	lines   int // newlines before the record being read
	tripped bool
}

var errCSVTooLarge = errors.New("csv record over the size limit")

func (l *csvLimit) Read(p []byte) (int, error) {
	if l.read >= l.stop {
		l.tripped = true
		return 0, errCSVTooLarge
	}
	if rest := l.stop - l.read; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := l.r.Read(p)
	l.keep = append(l.keep, p[:n]...)
	l.read += int64(n)
	return n, err
}

// next says a record ends at offset end (csv.Reader.InputOffset).
func (l *csvLimit) next(end int64) {
	drop := int(end-l.from) - l.skipped
	l.lines += bytes.Count(l.keep[l.skipped:l.skipped+drop], []byte{'\n'})
	l.skipped += drop
	if l.skipped > len(l.keep)/2 {
		l.keep = l.keep[:copy(l.keep, l.keep[l.skipped:])]
		l.from += int64(l.skipped)
		l.skipped = 0
	}
	l.stop = end + int64(l.max) + csvSlack
}

// size is the size of the record that ends at offset end, without its line
// end.
func (l *csvLimit) size(end int64) int {
	rec := l.keep[l.skipped : l.skipped+int(end-l.from)-l.skipped]
	rec = bytes.TrimSuffix(rec, []byte{'\n'})
	return len(bytes.TrimSuffix(rec, []byte{'\r'}))
}

// tooLarge is the error for a record over the limit: the line it starts on
// and the column being read when the limit was reached.
func (r *csvReader) tooLarge() error {
	l := r.lim
	partial := l.keep[l.skipped:]
	if len(partial) > l.max {
		partial = partial[:l.max]
	}
	col, quoted := 0, false
	for _, c := range partial {
		switch {
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			col++
		}
	}
	field := fmt.Sprintf("column %d", col+1)
	if col < len(r.header) {
		field = r.header[col]
	}
	r.err = &audit.InputError{File: r.file, Line: l.lines + 1, Field: field,
		Err: tooLarge(l.max, fmt.Sprintf("byte offset %d", l.from+int64(l.skipped))), Fatal: true}
	return r.err
}

func (r *csvReader) fatal(line int, field string, err error) (*audit.Event, error) {
	r.err = &audit.InputError{File: r.file, Line: line, Field: field, Err: err, Fatal: true}
	return nil, r.err
}

func (r *csvReader) readHeader() error {
	rec, err := r.cr.Read()
	if r.lim.tripped {
		return r.tooLarge()
	}
	if err != nil {
		return err
	}
	r.lim.next(r.cr.InputOffset())
	r.cr.FieldsPerRecord = len(rec)
	r.header = make([]string, len(rec))
	r.cols = make([]col, len(rec))
	r.keys = make([]string, len(rec))
	seen := map[string]string{}
	hasTime := false
	for i, h := range rec {
		h = strings.TrimPrefix(h, "\ufeff")
		r.header[i] = h
		n := normHeader(h)
		if prev, ok := seen[n]; ok && n != "" {
			return &audit.InputError{File: r.file, Line: 1, Field: h, Err: fmt.Errorf("column %q repeats column %q", h, prev), Fatal: true}
		}
		seen[n] = h
		c := csvColumns[n]
		r.cols[i] = c
		switch c {
		case cTime:
			if hasTime {
				return &audit.InputError{File: r.file, Line: 1, Field: h, Err: errors.New("two time columns (time and Timestamp)"), Fatal: true}
			}
			hasTime = true
		case cCategory:
			r.hasCategory = true
		case cRaw:
			r.hasRaw = true
		}
		r.keys[i] = string(append(jsontext.AppendString(nil, h), ':'))
	}
	if !hasTime {
		return &audit.InputError{File: r.file, Line: 1, Err: errors.New("the header has no time column (want time or Timestamp)"), Fatal: true}
	}
	return nil
}

func (r *csvReader) Next() (*audit.Event, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.header == nil {
		if err := r.readHeader(); err != nil {
			if err == io.EOF {
				r.err = io.EOF
				return nil, io.EOF
			}
			var ie *audit.InputError
			if errors.As(err, &ie) {
				r.err = ie
				return nil, ie
			}
			return r.fatal(1, "", csvErr(err))
		}
	}
	rec, err := r.cr.Read()
	if r.lim.tripped {
		return nil, r.tooLarge()
	}
	if err == io.EOF {
		r.err = io.EOF
		return nil, io.EOF
	}
	if end := r.cr.InputOffset(); r.lim.size(end) > r.lim.max {
		// within the read-ahead slack, but over the limit all the same
		r.lim.stop = r.lim.read
		r.lim.tripped = true
		return nil, r.tooLarge()
	} else {
		r.lim.next(end)
	}
	r.rec++
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return r.fatal(0, "", err) // the reader failed: nothing more to read
		}
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			err = fmt.Errorf("wrong number of fields: got %d, want %d", len(rec), len(r.header))
		} else {
			err = csvErr(err)
		}
		return nil, &audit.InputError{File: r.file, Line: pe.StartLine, Record: r.rec, Err: err}
	}
	return r.mapRecord(rec)
}

// csvErr words a csv.ParseError without repeating the line.
func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d, column %d: %w", pe.Line, pe.Column, pe.Err)
	}
	return err
}

// neutralized undoes the export's formula-injection guard: a leading ' before
// = + - @ TAB or CR is dropped.
func neutralized(s string) string {
	if len(s) >= 2 && s[0] == '\'' {
		switch s[1] {
		case '=', '+', '-', '@', '\t', '\r':
			return s[1:]
		}
	}
	return s
}

func (r *csvReader) mapRecord(rec []string) (*audit.Event, error) {
	e := &audit.Event{}
	bad := func(i int, format string, args ...any) (*audit.Event, error) {
		line, _ := r.cr.FieldPos(i)
		return nil, &audit.InputError{File: r.file, Line: line, Record: r.rec, Field: r.header[i], Err: fmt.Errorf(format, args...)}
	}
	for i, cell := range rec {
		c := r.cols[i]
		if c == cUnknown {
			continue
		}
		v := neutralized(cell)
		switch c {
		case cID:
			e.ID = v
		case cTime:
			if strings.TrimSpace(v) == "" {
				return bad(i, "missing: every event needs a time")
			}
			t, err := parseTime(v)
			if err != nil {
				return bad(i, "%v", err)
			}
			e.Time = t
		case cSource:
			e.Source = v
		case cService:
			e.Service = v
		case cAction:
			e.Action = v
		case cCategory:
			e.Category = v
		case cWorkflowID:
			e.WorkflowID = v
		case cWorkflowType:
			e.WorkflowType = v
		case cActor:
			e.Actor = v
		case cActorID:
			e.ActorID = v
		case cActorType:
			e.ActorType = v
		case cTarget:
			e.Target = v
		case cTargetID:
			e.TargetID = v
		case cTargetType:
			e.TargetType = v
		case cIP:
			e.IP = v
		case cClient:
			e.Client = v
		case cUserAgent:
			e.UserAgent = v
		case cStatus:
			if strings.TrimSpace(v) != "" {
				st, ok := audit.ParseStatus(v)
				if !ok {
					return bad(i, "unknown status %q (want success, failure, warning, in_progress or inProgress)", v)
				}
				e.Status = st
			}
		case cError:
			e.Error = v
		case cDuration:
			if strings.TrimSpace(v) != "" {
				d, err := parseDuration(v)
				if err != nil {
					return bad(i, "%v", err)
				}
				e.DurationMS = &d
			}
		case cTenant:
			e.Tenant = v
		case cDescription:
			e.Description = v
		case cGeo, cParams, cCustom, cBefore, cAfter, cRaw:
			doc, err := jsonCell(v)
			if err != nil {
				return bad(i, "%v", err)
			}
			switch c {
			case cGeo:
				e.Geo = doc
			case cParams:
				e.Params = doc
			case cCustom:
				e.Custom = doc
			case cBefore:
				e.Before = doc
			case cAfter:
				e.After = doc
			case cRaw:
				e.Raw = doc
			}
		}
	}
	if e.Raw == nil {
		e.Raw = r.rawObject(rec)
	}
	if e.ID == "" {
		e.ID = r.contentID(e.Raw)
	}
	if e.Source == "" {
		e.Source = r.source
	}
	if !r.hasCategory && e.Category == "" {
		e.Category = workflowCategory(e.WorkflowType)
	}
	return e, nil
}

// jsonCell reads a JSON-typed cell: empty and null are nil; anything else
// must be valid JSON.
func jsonCell(v string) (json.RawMessage, error) {
	if strings.TrimSpace(v) == "" || v == "null" {
		return nil, nil
	}
	b := []byte(v)
	if err := validJSON(b); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	return b, nil
}

// validJSON checks that b is one JSON value, white space around it aside.
func validJSON(b []byte) error {
	i := skipWS(b, 0)
	end, err := skipValue(b, i, 1)
	if err != nil {
		return err
	}
	if end = skipWS(b, end); end < len(b) {
		return &syntaxError{off: end, msg: "data after the value"}
	}
	return nil
}

// rawObject is the record as a JSON object of header to cell, cells as
// written in the file.
func (r *csvReader) rawObject(rec []string) json.RawMessage {
	b := make([]byte, 0, r.rawCap)
	b = append(b, '{')
	for i, cell := range rec {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r.keys[i]...)
		b = jsontext.AppendString(b, cell)
	}
	b = append(b, '}')
	if len(b)+64 > r.rawCap {
		r.rawCap = len(b) + 64
	}
	return b
}

func (r *csvReader) contentID(raw []byte) string {
	var m mapper
	m.buf = r.hashBuf
	id := m.contentID(raw)
	r.hashBuf = m.buf
	return id
}
