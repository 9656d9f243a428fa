package recording

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// Query is the data of a "q" event: one database query of a session
// (SPEC §6). The event's data is the JSON encoding of
// {"query":…,"message":…,"duration_ms":…,"rows":…}.
type Query struct {
	Query      string  // the statement as sent
	Message    string  // the server's reply ("SELECT 3", an error); may be empty
	DurationMS float64 // how long it ran, in milliseconds
	Rows       *int64  // rows returned or affected; nil when unknown
}

// QueryStatus derives a query's status from its message: "blocked" for a
// statement a deny rule refused or the recorder did not send (the message
// starts "blocked by rule"), "error" when it starts ERROR, FATAL or PANIC,
// else "ok".
func QueryStatus(message string) string {
	m := strings.TrimSpace(message)
	switch {
	case strings.HasPrefix(m, "blocked by rule"):
		return "blocked"
	case strings.HasPrefix(m, "ERROR"), strings.HasPrefix(m, "FATAL"), strings.HasPrefix(m, "PANIC"):
		return "error"
	}
	return "ok"
}

// QueryEvent is a decoded "q" event: the query, its status and where it
// is in the recording.
type QueryEvent struct {
	Query
	Status string        // QueryStatus(Message): ok, error or blocked
	Time   time.Duration // from the start of the recording
	Line   int           // the event's line (0 for formats without lines)
}

// EachQuery calls fn for every query ("q") event of r, decoded, in order:
// the one reading of a recording's query history (`sessions queries`,
// queries rules of `check`). A query event whose data does not decode is
// damage like a bad line: it is skipped and noted in r.Damage() with its
// file:line and the field at fault (data.query, data.rows…), and reading
// goes on. It returns only fn's errors.
func (r *Reader) EachQuery(fn func(QueryEvent) error) error {
	return r.Each(func(ev Event) error {
		if ev.Code != "q" {
			return nil
		}
		q, err := DecodeQuery(ev.Data)
		if err != nil {
			field := "data"
			var qe *QueryError
			if errors.As(err, &qe) && qe.Field != "" {
				field = "data." + qe.Field
			}
			r.note(&audit.InputError{File: r.name, Line: ev.Line, Field: field, Err: err})
			return nil
		}
		return fn(QueryEvent{Query: q, Status: QueryStatus(q.Message), Time: ev.Time, Line: ev.Line})
	})
}

// QueryError is the error of DecodeQuery. Field is the key at fault, ""
// when the data is not a JSON object at all.
type QueryError struct {
	Field string
	Err   error
}

func (e *QueryError) Error() string {
	if e.Field == "" {
		return "query event: " + e.Err.Error()
	}
	return fmt.Sprintf("query event: %q: %v", e.Field, e.Err)
}

func (e *QueryError) Unwrap() error { return e.Err }

// DecodeQuery decodes the data of a "q" event. It is strict about what it
// knows: the data must be one JSON object; "query" is a required string;
// "message" a string (or null); "duration_ms" a non-negative number (or
// null); "rows" a non-negative integer (or null); a key may appear once.
// Other keys are ignored, as asciicast ignores what it does not know.
func DecodeQuery(data string) (Query, error) {
	var q Query
	b := []byte(data)
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		return q, &QueryError{Err: fmt.Errorf("invalid JSON: %v", err)}
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return q, &QueryError{Err: errors.New("data is not a JSON object")}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // {
		return q, &QueryError{Err: err}
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return q, &QueryError{Err: err}
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return q, &QueryError{Field: key, Err: err}
		}
		if seen[key] {
			return q, &QueryError{Field: key, Err: errors.New("duplicate key")}
		}
		seen[key] = true
		null := string(raw) == "null"
		switch key {
		case "query":
			if json.Unmarshal(raw, &q.Query) != nil || null {
				return q, &QueryError{Field: key, Err: fmt.Errorf("is %s, want a string", jsonKind(raw))}
			}
		case "message":
			if !null && json.Unmarshal(raw, &q.Message) != nil {
				return q, &QueryError{Field: key, Err: fmt.Errorf("is %s, want a string", jsonKind(raw))}
			}
		case "duration_ms":
			if null {
				break
			}
			f, err := strconv.ParseFloat(string(raw), 64)
			if raw[0] == '"' || err != nil || f < 0 || math.IsInf(f, 0) {
				return q, &QueryError{Field: key, Err: fmt.Errorf("is %s, want a non-negative number of milliseconds", jsonKind(raw))}
			}
			q.DurationMS = f
		case "rows":
			if null {
				break
			}
			n, err := strconv.ParseInt(string(raw), 10, 64)
			if err != nil || n < 0 {
				return q, &QueryError{Field: key, Err: fmt.Errorf("is %s, want a non-negative integer", jsonKind(raw))}
			}
			q.Rows = &n
		}
	}
	if !seen["query"] {
		return q, &QueryError{Field: "query", Err: errors.New("missing")}
	}
	// Keys this decoder ignores must still hold what any JSON reader
	// accepts (a number no float64 holds, say).
	var whole map[string]any
	if err := json.Unmarshal(b, &whole); err != nil {
		return q, &QueryError{Err: fmt.Errorf("invalid JSON: %v", err)}
	}
	return q, nil
}

// jsonKind describes a JSON value for an error message.
func jsonKind(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "empty"
	}
	switch c := raw[0]; {
	case c == '"':
		return "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	}
	if len(raw) > 32 {
		raw = raw[:32]
	}
	return string(raw)
}

// EncodeQuery encodes q as the data of a "q" event:
// {"query":…,"message":…,"duration_ms":…,"rows":…} with rows null when
// unknown. It fails for a duration that is negative, NaN or infinite.
func EncodeQuery(q Query) (string, error) {
	if q.DurationMS < 0 || math.IsNaN(q.DurationMS) || math.IsInf(q.DurationMS, 0) {
		return "", fmt.Errorf("query event: invalid duration_ms %v", q.DurationMS)
	}
	if q.Rows != nil && *q.Rows < 0 {
		return "", fmt.Errorf("query event: invalid rows %d", *q.Rows)
	}
	b := make([]byte, 0, 64+len(q.Query)+len(q.Message))
	b = append(b, `{"query":`...)
	b = appendJSONString(b, q.Query)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, q.Message)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, q.DurationMS, 'f', -1, 64)
	b = append(b, `,"rows":`...)
	if q.Rows == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, *q.Rows, 10)
	}
	return string(append(b, '}')), nil
}
