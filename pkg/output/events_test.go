package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/auditctl/auditctl/pkg/audit"
)

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{
		"": "", "table": FormatTable, "JSON": FormatJSON, " ndjson ": FormatNDJSON,
		"jsonl": FormatNDJSON, "csv": FormatCSV, "yaml": FormatYAML, "yml": FormatYAML,
	} {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := ParseFormat("xml")
	if audit.ErrorCode(err) != audit.EUSAGE {
		t.Errorf("ParseFormat(xml) error = %v, want a usage error", err)
	}
	if DefaultFormat(true) != FormatTable || DefaultFormat(false) != FormatJSON {
		t.Error("DefaultFormat: want table on a terminal, json otherwise")
	}
	if _, err := NewEventWriter(io.Discard, "xml", Options{}); audit.ErrorCode(err) != audit.EUSAGE {
		t.Errorf("NewEventWriter(xml) error = %v, want usage error", err)
	}
}

func write(t *testing.T, f Format, evs []*audit.Event, opt Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteEvents(&buf, f, evs, opt); err != nil {
		t.Fatalf("WriteEvents(%s): %v", f, err)
	}
	return buf.String()
}

func TestEmptyDocuments(t *testing.T) {
	for f, want := range map[Format]string{
		FormatJSON:   "[]\n",
		FormatNDJSON: "",
		FormatYAML:   "[]\n",
		FormatCSV:    strings.Join(audit.Columns, ",") + "\n",
		FormatTable:  "TIME (UTC)  SERVICE  ACTION  ACTOR  IP  STATUS  DURATION  ID\n",
	} {
		if got := write(t, f, nil, Options{}); got != want {
			t.Errorf("%s of no events = %q, want %q", f, got, want)
		}
	}
}

// TestJSONMatchesEncodingJSON checks the incremental array against
// encoding/json's encoding of the whole slice.
func TestJSONMatchesEncodingJSON(t *testing.T) {
	evs := sampleEvents()
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(evs); err != nil {
		t.Fatal(err)
	}
	if got := write(t, FormatJSON, evs, Options{}); got != want.String() {
		t.Errorf("json output:\n%s\nwant:\n%s", got, want.String())
	}
	want.Reset()
	enc = json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	for _, e := range evs {
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
	}
	if got := write(t, FormatNDJSON, evs, Options{}); got != want.String() {
		t.Errorf("ndjson output:\n%s\nwant:\n%s", got, want.String())
	}
	if got := write(t, FormatJSON, []*audit.Event{{ID: "<&>"}}, Options{}); !strings.Contains(got, `"<&>"`) {
		t.Errorf("json escapes HTML: %s", got)
	}
}

// assertSameEvent compares a decoded event with the original: strings
// exactly, JSON documents by meaning.
func assertSameEvent(t *testing.T, got, want *audit.Event) {
	t.Helper()
	g, w := *got, *want
	for _, p := range [][2]*json.RawMessage{{&g.Geo, &w.Geo}, {&g.Params, &w.Params}, {&g.Custom, &w.Custom},
		{&g.Before, &w.Before}, {&g.After, &w.After}, {&g.Raw, &w.Raw}} {
		if !jsonEqual(*p[0], *p[1]) {
			t.Errorf("event %q: JSON %s, want %s", want.ID, *p[0], *p[1])
		}
		*p[0], *p[1] = nil, nil
	}
	if !g.Time.Equal(w.Time) {
		t.Errorf("event %q: time %v, want %v", want.ID, g.Time, w.Time)
	}
	g.Time = w.Time
	if !reflect.DeepEqual(g, w) {
		t.Errorf("round trip changed the event:\n got %#v\nwant %#v", g, w)
	}
}

func TestJSONRoundTripHostile(t *testing.T) {
	evs := hostileEvents()
	out := write(t, FormatJSON, evs, Options{})
	assertTerminalSafe(t, "json", out)
	var got []*audit.Event
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("json output does not decode: %v", err)
	}
	if len(got) != len(evs) {
		t.Fatalf("decoded %d events, want %d", len(got), len(evs))
	}
	for i := range evs {
		assertSameEvent(t, got[i], evs[i])
	}

	out = write(t, FormatNDJSON, evs, Options{})
	assertTerminalSafe(t, "ndjson", out)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(evs) {
		t.Fatalf("ndjson has %d lines, want %d", len(lines), len(evs))
	}
	for i, l := range lines {
		var e audit.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("ndjson line %d: %v", i+1, err)
		}
		assertSameEvent(t, &e, evs[i])
	}
}

func TestAppendSafeJSON(t *testing.T) {
	in := map[string]string{"k\u202e": "a\u009bb\u2028c\x7fd\U000E0041e\u00adf\ufeff"}
	b, _ := json.Marshal(in)
	b = append(b[:len(b)-1], []byte(`,"bad":"x`+"\xff"+`y"}`)...)
	safe := appendSafeJSON(nil, b)
	assertTerminalSafe(t, "safe json", string(safe))
	var got, want map[string]string
	if err := json.Unmarshal(safe, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %q, want %q", got, want)
	}
	if !strings.Contains(string(safe), `\udb40\udc41`) {
		t.Errorf("astral format character not written as a surrogate pair: %s", safe)
	}
}

func TestYAMLRoundTripHostile(t *testing.T) {
	evs := hostileEvents()
	out := write(t, FormatYAML, evs, Options{})
	assertTerminalSafe(t, "yaml", out)
	var got []map[string]any
	if err := yaml.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("yaml output does not decode: %v\n%s", err, out)
	}
	if len(got) != len(evs) {
		t.Fatalf("decoded %d items, want %d", len(got), len(evs))
	}
	for i, e := range evs {
		// Every string field of the JSON encoding comes back exactly.
		var want map[string]any
		if err := json.Unmarshal(mustJSON(e), &want); err != nil {
			t.Fatal(err)
		}
		for k, v := range want {
			switch v := v.(type) {
			case string:
				if got[i][k] != v {
					t.Errorf("event %d %s = %q, want %q", i, k, got[i][k], v)
				}
			case map[string]any:
				// JSON documents: compare as JSON.
				if !jsonEqual(mustJSON(got[i][k]), mustJSON(v)) {
					t.Errorf("event %d %s = %v, want %v", i, k, got[i][k], v)
				}
			}
		}
		if d, ok := got[i]["duration_ms"].(int); !ok || int64(d) != *e.DurationMS {
			t.Errorf("event %d duration_ms = %#v", i, got[i]["duration_ms"])
		}
	}
}

func TestYAMLLayout(t *testing.T) {
	e := &audit.Event{
		ID: "1", Time: t0, Source: "s", Action: "true", Actor: "123",
		Params: json.RawMessage(`{"b":1,"a":[1.5,"x",null,false],"big":12345678901234567890}`),
	}
	want := `- id: "1"
  time: "2026-11-03T10:15:00.123Z"
  source: s
  action: "true"
  actor: "123"
  params:
    b: 1
    a:
      - 1.5
      - x
      - null
      - false
    big: 12345678901234567890
`
	if got := write(t, FormatYAML, []*audit.Event{e}, Options{}); got != want {
		t.Errorf("yaml:\n%s\nwant:\n%s", got, want)
	}
}

func TestCSV(t *testing.T) {
	e := &audit.Event{
		ID: "=cmd|' /C calc'!A0", Time: t0, Source: "+1", Service: "-2+3", Action: "@SUM(A1)",
		Actor: "\tx", ActorID: "\rx", Target: "a,b", TargetID: `q"uote`, Description: "multi\nline",
		Tenant: " lead space", DurationMS: audit.Ms(-5),
		Params: json.RawMessage(`-1`), Custom: json.RawMessage(`{"a":"=1"}`),
	}
	read := func(s string) [][]string {
		r := csv.NewReader(strings.NewReader(s))
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("csv does not parse: %v\n%s", err, s)
		}
		return recs
	}
	idx := map[string]int{}
	for i, c := range audit.Columns {
		idx[c] = i
	}

	recs := read(write(t, FormatCSV, []*audit.Event{e}, Options{}))
	if !reflect.DeepEqual(recs[0], audit.Columns) {
		t.Errorf("header = %v", recs[0])
	}
	row := recs[1]
	for col, want := range map[string]string{
		"id": "'=cmd|' /C calc'!A0", "source": "'+1", "service": "'-2+3", "action": "'@SUM(A1)",
		"actor": "'\tx", "actor_id": "'\rx", "target": "a,b", "target_id": `q"uote`,
		"description": "multi\nline", "tenant": " lead space", "time": "2026-11-03T10:15:00.123Z",
		"duration_ms": "-5", "params": "-1", "custom": `{"a":"=1"}`, "raw": "",
	} {
		if got := row[idx[col]]; got != want {
			t.Errorf("csv %s = %q, want %q", col, got, want)
		}
	}

	recs = read(write(t, FormatCSV, []*audit.Event{e}, Options{CSVRaw: true}))
	for _, col := range audit.Columns {
		if got, want := recs[1][idx[col]], e.Value(col); got != want {
			t.Errorf("csv raw %s = %q, want %q", col, got, want)
		}
	}
}

func TestNeutralizeCell(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "a": "a", "=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@x": "'@x",
		"\tx": "'\tx", "\rx": "'\rx", " =x": " =x", "'=x": "'=x", "x=1": "x=1",
	} {
		if got := NeutralizeCell(in); got != want {
			t.Errorf("NeutralizeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCSVMatchesEncodingCSV checks the hand-rolled writer against
// encoding/csv on every awkward value.
func TestCSVMatchesEncodingCSV(t *testing.T) {
	values := append([]string{"", `\.`, " x", "\u00a0x", "\u3000x", `"`, `a""b`, "a\r\nb", ",", "x\n", "=", "é,"}, hostile...)
	var evs []*audit.Event
	for i, v := range values {
		e := hostileEvent(i, v)
		if i%2 == 0 {
			e.DurationMS = nil
		}
		evs = append(evs, e)
	}
	evs = append(evs, &audit.Event{}) // zero time, no duration
	for _, raw := range []bool{false, true} {
		var want bytes.Buffer
		cw := csv.NewWriter(&want)
		_ = cw.Write(audit.Columns)
		for _, e := range evs {
			rec := make([]string, len(audit.Columns))
			for i, c := range audit.Columns {
				rec[i] = e.Value(c)
				switch c {
				case "duration_ms", "time", "geo", "params", "custom", "before", "after", "raw":
				default:
					if !raw {
						rec[i] = NeutralizeCell(rec[i])
					}
				}
			}
			_ = cw.Write(rec)
		}
		cw.Flush()
		if got := write(t, FormatCSV, evs, Options{CSVRaw: raw}); got != want.String() {
			t.Errorf("raw=%v: csv differs from encoding/csv:\n got %q\nwant %q", raw, got, want.String())
		}
	}
}

func TestCSVColumnsMatchValue(t *testing.T) {
	for i, e := range append(hostileEvents(), sampleEvents()...) {
		for _, c := range csvColumns {
			var got string
			switch {
			case c.text != nil:
				got = c.text(e)
			case c.json != nil:
				got = string(c.json(e))
			default:
				continue
			}
			if want := e.Value(c.name); got != want {
				t.Errorf("event %d column %s: %q, Value gives %q", i, c.name, got, want)
			}
		}
	}
}

// countingWriter counts bytes and writes, keeping nothing.
type countingWriter struct {
	n, writes, maxWrite int
	afterFirst          int // events written when the first write came
	events              *int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.writes == 0 && c.events != nil {
		c.afterFirst = *c.events
	}
	c.n += len(p)
	c.writes++
	c.maxWrite = max(c.maxWrite, len(p))
	return len(p), nil
}

func TestStreaming(t *testing.T) {
	e := sampleEvents()[0]
	const n = 100_000
	for _, f := range []Format{FormatNDJSON, FormatCSV, FormatJSON, FormatYAML} {
		count := n
		if f == FormatYAML {
			count = n / 10
		}
		written := 0
		cw := &countingWriter{events: &written}
		w, err := NewEventWriter(cw, f, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for range count {
			if err := w.Write(e); err != nil {
				t.Fatal(err)
			}
			written++
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if cw.afterFirst == 0 || cw.afterFirst > 200 {
			t.Errorf("%s: first write after %d events, want early", f, cw.afterFirst)
		}
		if cw.maxWrite > 2*flushSize {
			t.Errorf("%s: a write of %d bytes: output is accumulating", f, cw.maxWrite)
		}
		if cw.n < count*200 {
			t.Errorf("%s: only %d bytes for %d events", f, cw.n, count)
		}
	}
}

type failWriter struct{}

func (failWriter) Write(p []byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	for _, f := range []Format{FormatNDJSON, FormatCSV, FormatJSON, FormatYAML, FormatTable} {
		w, _ := NewEventWriter(failWriter{}, f, Options{})
		var err error
		for i := 0; i < 1000 && err == nil; i++ {
			err = w.Write(sampleEvents()[0])
		}
		if err == nil {
			err = w.Close()
		}
		if err == nil {
			t.Errorf("%s: write error not reported", f)
		}
		if err := w.Write(sampleEvents()[0]); err == nil {
			if f != FormatTable {
				t.Errorf("%s: write after a failure succeeded", f)
			}
		}
	}
	w, _ := NewEventWriter(io.Discard, FormatJSON, Options{})
	_ = w.Close()
	if err := w.Write(sampleEvents()[0]); err == nil {
		t.Error("write after close succeeded")
	}
	bad := &audit.Event{ID: "x", Params: json.RawMessage(`{bad`)}
	w, _ = NewEventWriter(io.Discard, FormatNDJSON, Options{})
	if err := w.Write(bad); err == nil {
		t.Error("invalid params JSON not reported")
	}
}

func BenchmarkCSV(b *testing.B) {
	e := sampleEvents()[0]
	w, _ := NewEventWriter(io.Discard, FormatCSV, Options{})
	var n int64
	{
		var buf bytes.Buffer
		_ = WriteEvents(&buf, FormatCSV, []*audit.Event{e}, Options{})
		n = int64(buf.Len() - len(strings.Join(audit.Columns, ",")) - 1)
	}
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(e); err != nil {
			b.Fatal(err)
		}
	}
	_ = w.Close()
}

func BenchmarkNDJSON(b *testing.B) {
	e := sampleEvents()[0]
	w, _ := NewEventWriter(io.Discard, FormatNDJSON, Options{})
	b.SetBytes(int64(len(mustJSON(e)) + 1))
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(e); err != nil {
			b.Fatal(err)
		}
	}
	_ = w.Close()
}

func BenchmarkJSON(b *testing.B) {
	e := sampleEvents()[0]
	w, _ := NewEventWriter(io.Discard, FormatJSON, Options{})
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(e); err != nil {
			b.Fatal(err)
		}
	}
	_ = w.Close()
}

func BenchmarkTable1000(b *testing.B) {
	evs := make([]*audit.Event, 1000)
	for i := range evs {
		evs[i] = sampleEvents()[i%3]
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteEvents(io.Discard, FormatTable, evs, Options{Width: 120}); err != nil {
			b.Fatal(err)
		}
	}
}
