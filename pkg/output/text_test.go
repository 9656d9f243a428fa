package output

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/auditctl/auditctl/pkg/audit"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestTableGolden(t *testing.T) {
	evs := sampleEvents()
	golden(t, "table.txt", write(t, FormatTable, evs, Options{}))
	golden(t, "table_100.txt", write(t, FormatTable, evs, Options{Width: 100}))
	golden(t, "table_columns.txt", write(t, FormatTable, evs, Options{Columns: []string{"time", "Actor", "target", "error", "duration"}}))
	golden(t, "table_hostile.txt", write(t, FormatTable, hostileEvents(), Options{Width: 120}))
}

func TestTableFitsWidth(t *testing.T) {
	evs := append(sampleEvents(), hostileEvents()...)
	long := sampleEvents()[0]
	long.Actor = strings.Repeat("東京", 40) + "@example.com"
	long.ID = strings.Repeat("f", 64)
	evs = append(evs, long)
	for _, width := range []int{100, 120, 160} {
		out := write(t, FormatTable, evs, Options{Width: width})
		for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if n := twwidth.Width(l); n > width {
				t.Errorf("width %d: line of %d cells: %q", width, n, l)
			}
		}
		if !strings.Contains(out, "…") {
			t.Errorf("width %d: nothing truncated", width)
		}
	}
	// Without a width nothing is cut.
	out := write(t, FormatTable, evs, Options{})
	if strings.Contains(out, "…") || !strings.Contains(out, long.ID) {
		t.Errorf("unlimited width truncated cells")
	}
}

func TestTableBadColumn(t *testing.T) {
	_, err := NewEventWriter(&bytes.Buffer{}, FormatTable, Options{Columns: []string{"time", "nope"}})
	if audit.ErrorCode(err) != audit.EUSAGE {
		t.Errorf("unknown column: error %v, want usage error", err)
	}
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestTextOutputsHostile: nothing of the attacker's reaches the terminal
// raw, in colour or not.
func TestTextOutputsHostile(t *testing.T) {
	evs := hostileEvents()
	var buckets []audit.Bucket
	for i, s := range hostile {
		buckets = append(buckets, audit.Bucket{Key: s, Count: int64(i + 1)})
	}
	hist := []audit.Bucket{{Key: hostile[0], Count: 3}, {Time: t0, Count: 1}}
	outputs := func(opt Options) map[string]string {
		m := map[string]string{}
		for _, width := range []int{0, 100} {
			opt.Width = width
			m["table"] = write(t, FormatTable, evs, opt)
			all := append([]string{}, audit.Columns...)
			opt.Columns = all
			m["table all columns"] = write(t, FormatTable, evs, opt)
			opt.Columns = nil
			var buf bytes.Buffer
			for _, e := range evs {
				if err := WriteEventDetail(&buf, e, opt); err != nil {
					t.Fatal(err)
				}
			}
			m["detail"] = buf.String()
			buf.Reset()
			if err := WriteCounts(&buf, FormatTable, buckets, 200, opt, "actor"); err != nil {
				t.Fatal(err)
			}
			m["counts"] = buf.String()
			buf.Reset()
			if err := WriteHistogram(&buf, FormatTable, hist, time.Hour, opt); err != nil {
				t.Fatal(err)
			}
			m["histogram"] = buf.String()
		}
		return m
	}
	plain := outputs(Options{})
	for name, out := range plain {
		assertTerminalSafe(t, name, strings.ReplaceAll(out, "\t", " ")) // tabs kept in descriptions
		if name != "detail" && strings.Contains(out, "\t") {
			t.Errorf("%s holds a raw tab", name)
		}
	}
	colored := outputs(Options{Color: true})
	for name, out := range colored {
		stripped := sgr.ReplaceAllString(out, "")
		if stripped != plain[name] {
			t.Errorf("%s in colour differs from plain beyond SGR codes:\n%q\n%q", name, stripped, plain[name])
		}
		for _, s := range hostile {
			if strings.Contains(out, s) {
				t.Errorf("%s in colour holds %q raw", name, s)
			}
		}
	}
	if !strings.Contains(colored["detail"], "\x1b[1m") {
		t.Error("detail headers are not bold in colour")
	}
}

func TestStatusColour(t *testing.T) {
	out := write(t, FormatTable, sampleEvents(), Options{Color: true})
	for _, want := range []string{
		styleSuccess.Render("success"), styleFailure.Render("failure"), styleWarning.Render("warning"),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	if plain := write(t, FormatTable, sampleEvents(), Options{}); strings.Contains(plain, "\x1b") {
		t.Error("colour written without Color")
	}
}

func TestPageFooter(t *testing.T) {
	for _, tt := range []struct {
		page, pages, total int
		want               string
	}{
		{1, 1, 0, "Page 1 of 1 (0 total)"},
		{1, 0, 0, "Page 1 of 1 (0 total)"},
		{2, 5, 230, "Page 2 of 5 (230 total)"},
	} {
		if got := PageFooter(tt.page, tt.pages, tt.total); got != tt.want {
			t.Errorf("PageFooter(%d, %d, %d) = %q, want %q", tt.page, tt.pages, tt.total, got, tt.want)
		}
	}
}

func TestDetailGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteEventDetail(&buf, sampleEvents()[0], Options{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "detail.txt", buf.String())

	buf.Reset()
	if err := WriteEventDetail(&buf, sampleEvents()[1], Options{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "detail_minimal.txt", buf.String())

	buf.Reset()
	if err := WriteEventDetail(&buf, hostileEvent(0, hostile[2]), Options{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "detail_hostile.txt", buf.String())
}

func TestDetailDescriptionAndBadState(t *testing.T) {
	e := &audit.Event{
		ID: "x", Description: "line one\r\nline two\n\x1b[1Aforged",
		Before: json.RawMessage(`{"a":`), After: json.RawMessage(`{}`),
	}
	var buf bytes.Buffer
	if err := WriteEventDetail(&buf, e, Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"Description\n  line one\n  line two\n  \\x1b[1Aforged\n",
		"Changes\n  (cannot compare: before state is not valid JSON)\n",
		"  Actor:         -\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("detail lacks %q:\n%s", want, out)
		}
	}
	e.Before, e.After = json.RawMessage(`{"a":1}`), json.RawMessage(`{"a":1.0}`)
	buf.Reset()
	_ = WriteEventDetail(&buf, e, Options{})
	if !strings.Contains(buf.String(), "Changes\n  (no changes)\n") {
		t.Errorf("equal states:\n%s", buf.String())
	}
}

func TestGeoSummary(t *testing.T) {
	for in, want := range map[string]string{
		``:     "",
		`null`: "",
		`{"city":"Denver","region_name":"Colorado","country_code":"US","latitude":39.7,"longitude":-104.9}`: "Denver, Colorado, US (39.7, -104.9)",
		`{"Country":"France"}`: "France",
		`{"asn":1234}`:         `{"asn":1234}`,
		`"Paris"`:              `"Paris"`,
	} {
		if got := geoSummary(json.RawMessage(in)); got != want {
			t.Errorf("geoSummary(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestCounts(t *testing.T) {
	buckets := []audit.Bucket{{Key: "alice", Count: 80}, {Key: "=bob", Count: 15}, {Key: "", Count: 5}}
	run := func(f Format, opt Options) string {
		var buf bytes.Buffer
		if err := WriteCounts(&buf, f, buckets, 100, opt, "actor"); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	golden(t, "counts.txt", run(FormatTable, Options{}))
	if got, want := run(FormatJSON, Options{}), `{
  "field": "actor",
  "total": 100,
  "buckets": [
    {
      "key": "alice",
      "count": 80
    },
    {
      "key": "=bob",
      "count": 15
    },
    {
      "key": "",
      "count": 5
    }
  ]
}
`; got != want {
		t.Errorf("json counts:\n%s", got)
	}
	if got, want := run(FormatNDJSON, Options{}), "{\"key\":\"alice\",\"count\":80}\n{\"key\":\"=bob\",\"count\":15}\n{\"key\":\"\",\"count\":5}\n"; got != want {
		t.Errorf("ndjson counts:\n%s", got)
	}
	if got, want := run(FormatCSV, Options{}), "key,count\nalice,80\n'=bob,15\n,5\n"; got != want {
		t.Errorf("csv counts:\n%s", got)
	}
	if got, want := run(FormatCSV, Options{CSVRaw: true}), "key,count\nalice,80\n=bob,15\n,5\n"; got != want {
		t.Errorf("raw csv counts:\n%s", got)
	}
	if got, want := run(FormatYAML, Options{}), "field: actor\ntotal: 100\nbuckets:\n  - key: alice\n    count: 80\n  - key: =bob\n    count: 15\n  - key: \"\"\n    count: 5\n"; got != want {
		t.Errorf("yaml counts:\n%s", got)
	}
	// A narrow terminal still gets a bar.
	for _, l := range strings.Split(strings.TrimSpace(run(FormatTable, Options{Width: 30})), "\n")[1:] {
		if !strings.Contains(l, "█") && !strings.ContainsAny(l, "▏▎▍▌▋▊▉") {
			t.Errorf("narrow count row without a bar: %q", l)
		}
		if twwidth.Width(l) > 30 {
			t.Errorf("narrow count row too wide: %q", l)
		}
	}
	var buf bytes.Buffer
	if err := WriteCounts(&buf, FormatTable, nil, 0, Options{}, ""); err != nil || buf.String() != "VALUE  COUNT  %\n" {
		t.Errorf("empty counts: %q, %v", buf.String(), err)
	}
}

func TestHistogram(t *testing.T) {
	var buckets []audit.Bucket
	for i, n := range []int64{3, 0, 12, 7} {
		buckets = append(buckets, audit.Bucket{Time: t0.Truncate(time.Hour).Add(time.Duration(i) * time.Hour), Count: n})
	}
	run := func(f Format) string {
		var buf bytes.Buffer
		if err := WriteHistogram(&buf, f, buckets, time.Hour, Options{}); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	golden(t, "histogram.txt", run(FormatTable))
	if got, want := run(FormatCSV), "time,count\n2026-11-03T10:00:00Z,3\n2026-11-03T11:00:00Z,0\n2026-11-03T12:00:00Z,12\n2026-11-03T13:00:00Z,7\n"; got != want {
		t.Errorf("csv histogram:\n%s", got)
	}
	var doc struct {
		Total   int64
		Buckets []struct {
			Time  time.Time
			Count int64
		}
	}
	if err := json.Unmarshal([]byte(run(FormatJSON)), &doc); err != nil || doc.Total != 22 || len(doc.Buckets) != 4 || !doc.Buckets[2].Time.Equal(buckets[2].Time) {
		t.Errorf("json histogram: %+v, %v", doc, err)
	}
	if got := strings.Count(run(FormatNDJSON), "\n"); got != 4 {
		t.Errorf("ndjson histogram has %d lines", got)
	}
}

func TestBar(t *testing.T) {
	for _, tt := range []struct {
		n, top int64
		width  int
		want   string
	}{
		{0, 10, 10, ""},
		{10, 10, 4, "████"},
		{5, 10, 4, "██"},
		{1, 1000, 4, "▏"},
		{3, 8, 1, "▍"},
		{1, 0, 4, ""},
	} {
		if got := bar(tt.n, tt.top, tt.width); got != tt.want {
			t.Errorf("bar(%d, %d, %d) = %q, want %q", tt.n, tt.top, tt.width, got, tt.want)
		}
	}
}
