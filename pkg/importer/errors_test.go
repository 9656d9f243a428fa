package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

// errWant is one expected InputError.
type errWant struct {
	line, record int
	field        string
	contains     string
}

func checkErr(t *testing.T, got *audit.InputError, w errWant) {
	t.Helper()
	if got.Line != w.line || got.Record != w.record || got.Field != w.field || !strings.Contains(got.Error(), w.contains) {
		t.Errorf("error %q (line %d record %d field %q); want line %d record %d field %q containing %q",
			got.Error(), got.Line, got.Record, got.Field, w.line, w.record, w.field, w.contains)
	}
	if audit.ErrorCode(got) != audit.EINVALID || audit.ExitCode(got) != 3 {
		t.Errorf("error %v: code %s, want invalid", got, audit.ErrorCode(got))
	}
}

func TestNDJSONErrors(t *testing.T) {
	ok := `{"id":"ok%d","time":"2026-01-01T00:00:00Z"}`
	lines := []string{
		fmt.Sprintf(ok, 1),
		`{"id":"broken","time":`,         // 2: broken JSON
		``,                               // 3: blank
		fmt.Sprintf(ok, 2),               // 4
		`{"id":"t","time":"yesterday"}`,  // 5: bad time
		`{"id":"m"}`,                     // 6: missing time
		`{"id":"ts","timestamp":"nope"}`, // 7: bad timestamp
		`[1,2]`,                          // 8: not an object
		`{"id":"s","time":"2026-01-01T00:00:00Z","status":"maybe"}`,                                  // 9
		`{"id":"a","time":"2026-01-01T00:00:00Z","actor":{"x":1}}`,                                   // 10
		`{"id":"d","time":"2026-01-01T00:00:00Z","duration_ms":"fast"}`,                              // 11
		`{"eventName":"X","eventSource":"s","eventTime":"never"}`,                                    // 12: CloudTrail
		`{"event_type":"x","service":"sso","timestamp":"2026-01-01T00:00:00Z","initiated_by":"bob"}`, // 13: DI
		`{"EventType":"user:x","Timestamp":"2026-01-01T00:00:00Z","OperationStatus":"meh"}`,          // 14: seed 004
		`{"id":"x","time":"2026-01-01T00:00:00Z"} {}`,                                                // 15: two values
		fmt.Sprintf(ok, 3), // 16
	}
	res := readString(t, "in.ndjson", strings.Join(lines, "\r\n"), FormatAuto)
	if res.fatal != nil {
		t.Fatalf("fatal %v", res.fatal)
	}
	if len(res.events) != 3 || res.events[0].ID != "ok1" || res.events[1].ID != "ok2" || res.events[2].ID != "ok3" {
		t.Fatalf("events %+v", res.events)
	}
	wants := []errWant{
		{2, 2, "", "in.ndjson:2: invalid JSON"},
		{5, 4, "time", `field "time"`},
		{6, 5, "time", "missing"},
		{7, 6, "timestamp", `"nope"`},
		{8, 7, "", "not a JSON object"},
		{9, 8, "status", "maybe"},
		{10, 9, "actor", "want a string"},
		{11, 10, "duration_ms", "fast"},
		{12, 11, "eventTime", "never"},
		{13, 12, "initiated_by", "want a JSON object"},
		{14, 13, "OperationStatus", "meh"},
		{15, 14, "", "after the object"},
	}
	if len(res.errs) != len(wants) {
		t.Fatalf("%d errors, want %d: %v", len(res.errs), len(wants), res.errs)
	}
	for i, w := range wants {
		checkErr(t, res.errs[i], w)
	}
}

func TestNDJSONLongLine(t *testing.T) {
	in := `{"time":"2026-01-01T00:00:00Z"}` + "\n" + `{"x":"` + strings.Repeat("a", DefaultMaxEventSize) + `"}` + "\n"
	res := readString(t, "big", in, FormatNDJSON)
	if len(res.events) != 1 || res.fatal == nil || res.fatal.Line != 2 || res.fatal.Field != "x" || !strings.Contains(res.fatal.Error(), "larger than the 1MiB limit") {
		t.Fatalf("%d events, fatal %v", len(res.events), res.fatal)
	}
}

func TestJSONArrayErrors(t *testing.T) {
	good := `{"id":"g%d","time":"2026-01-01T00:00:00Z"}`
	// A bad record is skipped; the next one reads.
	res := readString(t, "a.json", "["+fmt.Sprintf(good, 1)+`,{"id":"b","time":"x"},7,`+fmt.Sprintf(good, 2)+"]", FormatAuto)
	if res.fatal != nil || len(res.events) != 2 || res.events[1].ID != "g2" || len(res.errs) != 2 {
		t.Fatalf("%+v", res)
	}
	checkErr(t, res.errs[0], errWant{0, 2, "time", "a.json: record 2"})
	checkErr(t, res.errs[1], errWant{0, 3, "", "not a JSON object"})

	// Broken syntax is fatal, after the records before it.
	for _, tc := range []struct{ in, contains string }{
		{"[" + fmt.Sprintf(good, 1) + `,{"id":}]`, "invalid JSON"},
		{"[" + fmt.Sprintf(good, 1) + `,`, "end of input"},
		{"[" + fmt.Sprintf(good, 1) + `] x`, "invalid"},
		{"[" + fmt.Sprintf(good, 1) + `] [1]`, "after the array"},
		{`{"Records":[` + fmt.Sprintf(good, 1) + `,{]}`, "invalid JSON"},
		{`{"Records":{}}`, "not an array"},
		{`{"Records":[` + fmt.Sprintf(good, 1) + "]} 5", "want a"},
	} {
		res := readString(t, "b.json", tc.in, FormatAuto)
		if res.fatal == nil || !strings.Contains(res.fatal.Error(), tc.contains) {
			t.Errorf("%s: fatal %v; want one containing %q", tc.in, res.fatal, tc.contains)
		}
		if strings.Contains(tc.in, "g1") && len(res.events) != 1 {
			t.Errorf("%s: %d events before the error, want 1", tc.in, len(res.events))
		}
		if res.fatal != nil && res.fatal.File != "b.json" {
			t.Errorf("file %q", res.fatal.File)
		}
	}
	res = readString(t, "c.json", `[`+fmt.Sprintf(good, 1)+`,{"id":}]`, FormatAuto)
	if res.fatal == nil || res.fatal.Record != 2 {
		t.Errorf("fatal %+v; want record 2", res.fatal)
	}
}

func TestCSVErrors(t *testing.T) {
	head := "Id,Timestamp,EventType,CustomValues,OperationStatus\n"
	in := head +
		"1,2026-01-01T00:00:00Z,a,,success\n" + // 2
		"2,2026-01-01T00:00:00Z,b,{bad json},success\n" + // 3
		"3,2026-01-01T00:00:00Z,c\n" + // 4: too few fields
		"4,not a time,d,,success\n" + // 5
		"5,2026-01-01T00:00:00Z,e,\"{\"\"k\"\":\n1}\",success\n" + // 6-7: a good multi-line cell
		"6,2026-01-01T00:00:00Z,f,\"{\"\"k\"\":\n1\",success\n" + // 8-9: a bad multi-line cell
		"7,2026-01-01T00:00:00Z,g,,sometimes\n" + // 10
		"8,,h,,success\n" + // 11: no time
		"9,2026-01-01T00:00:00Z,i,x\"y,success\n" + // 12: bare quote
		"10,2026-01-01T00:00:00Z,j,,inProgress\n" // 13
	res := readString(t, "e.csv", in, FormatAuto)
	if res.fatal != nil {
		t.Fatalf("fatal %v", res.fatal)
	}
	ids := []string{}
	for _, e := range res.events {
		ids = append(ids, e.ID)
	}
	if strings.Join(ids, ",") != "1,5,10" {
		t.Errorf("events %v, want 1,5,10", ids)
	}
	if e := res.events[2]; e.Status != audit.StatusInProgress {
		t.Errorf("status %q", e.Status)
	}
	wants := []errWant{
		{3, 2, "CustomValues", "e.csv:3: field \"CustomValues\": not valid JSON"},
		{4, 3, "", "wrong number of fields: got 3, want 5"},
		{5, 4, "Timestamp", "not a time"},
		{8, 6, "CustomValues", "not valid JSON"},
		{10, 7, "OperationStatus", "sometimes"},
		{11, 8, "Timestamp", "missing"},
		{12, 9, "", "bare"},
	}
	if len(res.errs) != len(wants) {
		t.Fatalf("%d errors, want %d: %v", len(res.errs), len(wants), res.errs)
	}
	for i, w := range wants {
		checkErr(t, res.errs[i], w)
	}

	for _, tc := range []struct{ in, contains string }{
		{"Id,EventType\n1,x\n", "no time column"},
		{"Id,Time,Timestamp\n1,x,y\n", "two time columns"},
		{"Id,time,ID\n1,x,y\n", "repeats"},
	} {
		res := readString(t, "h.csv", tc.in, FormatCSV)
		if res.fatal == nil || res.fatal.Line != 1 || !strings.Contains(res.fatal.Error(), tc.contains) {
			t.Errorf("%q: fatal %v, want one on line 1 containing %q", tc.in, res.fatal, tc.contains)
		}
	}
	// An unterminated quote eats the rest: one error, then the end.
	res = readString(t, "q.csv", "time,action\n2026-01-01T00:00:00Z,\"open\n2026-01-01T00:00:00Z,x\n", FormatCSV)
	if len(res.events) != 0 || len(res.errs) != 1 || res.fatal != nil {
		t.Errorf("%+v", res)
	}
}

// hostile is text that must never be altered on its way in: terminal escapes
// (CSI, OSC with BEL and ST), C1 controls, bidi overrides, NUL, a BOM.
const hostile = "a\x1b[2J\x1b]0;pwned\x07b\x1b]8;;http://evil\x1b\\c\u009b31m\u0085\u202eevil\u202c\u2066x\u2069\x00end\ufeff"

func TestHostileStrings(t *testing.T) {
	enc := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	line := `{"id":` + enc(hostile) + `,"time":"2026-01-01T00:00:00Z","actor":` + enc(hostile) +
		`,"description":` + enc(hostile) + `,"custom":{"k":` + enc(hostile) + `}}`
	di := `{"id":"d","event_type":` + enc(hostile) + `,"service":"sso","timestamp":"2026-01-01T00:00:00Z","initiated_by":{"username":` + enc(hostile) + `},"x":` + enc(hostile) + `}`
	res := readString(t, "h.ndjson", line+"\n"+di+"\n", FormatAuto)
	if len(res.events) != 2 || len(res.errs) > 0 {
		t.Fatalf("%+v", res)
	}
	e := res.events[0]
	if e.ID != hostile || e.Actor != hostile || e.Description != hostile {
		t.Errorf("fields altered: %q %q %q", e.ID, e.Actor, e.Description)
	}
	if string(e.Raw) != line {
		t.Errorf("raw altered: %q", e.Raw)
	}
	var c struct{ K string }
	if json.Unmarshal(e.Custom, &c); c.K != hostile {
		t.Errorf("custom altered: %q", e.Custom)
	}
	d := res.events[1]
	if d.Action != hostile || d.Actor != hostile || string(d.Raw) != di {
		t.Errorf("DI fields altered: %q %q", d.Action, d.Actor)
	}
	if json.Unmarshal(d.Custom, &struct{ X *string }{}) != nil || !bytes.Contains(d.Custom, []byte(enc(hostile))) {
		t.Errorf("DI custom %q", d.Custom)
	}

	// CSV: raw text in cells, quoted where needed.
	cell := `"` + strings.ReplaceAll(hostile, `"`, `""`) + `"`
	in := "id,time,actor,target\n" + cell + ",2026-01-01T00:00:00Z," + cell + ",\"multi\nline " + hostile[1:] + "\"\n"
	res = readString(t, "h.csv", in, FormatCSV)
	if len(res.events) != 1 || len(res.errs) > 0 {
		t.Fatalf("%+v", res)
	}
	e = res.events[0]
	if e.ID != hostile || e.Actor != hostile || e.Target != "multi\nline "+hostile[1:] {
		t.Errorf("csv fields altered: %q %q %q", e.ID, e.Actor, e.Target)
	}
	var raw map[string]string
	if err := json.Unmarshal(e.Raw, &raw); err != nil || raw["actor"] != hostile || raw["id"] != hostile {
		t.Errorf("csv raw %q: %v", e.Raw, err)
	}
}
