package output

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/auditctl/auditctl/pkg/audit"
)

// lines splits a table into its lines.
func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// assertFits fails when a line of out is wider than width.
func assertFits(t *testing.T, what, out string, width int) {
	t.Helper()
	for _, l := range lines(out) {
		if n := twwidth.Width(l); n > width {
			t.Errorf("%s: line of %d cells at width %d: %q", what, n, width, l)
		}
	}
}

func render(t *testing.T, tb Table, opt Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderTable(&buf, tb, opt); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// arnEvents are CloudTrail-like events: two actors' ARNs differ only in
// the middle, and no event has a duration.
func arnEvents() []*audit.Event {
	const a = "arn:aws:sts::123837392027:assumed-role/stratus-red-team-ec2-steal-instance-credentials-role/i-0dbc91f429e48eeed"
	const b = "arn:aws:sts::123837392027:assumed-role/stratus-red-team-ec2-share-ebs-snapshot-volume-role/i-0dbc91f429e48eeed"
	var evs []*audit.Event
	for i, actor := range []string{a, b, a, "bert-jan"} {
		evs = append(evs, &audit.Event{
			ID: fmt.Sprintf("%d768ebae-afc7-4fe9-baea-4b6757b0cf00", i), Time: t0.Add(time.Duration(i) * time.Second),
			Source: "cloudtrail", Service: "ec2.amazonaws.com", Action: "DescribeInstanceAttribute",
			Actor: actor, IP: "192.168.10.20", Status: audit.StatusSuccess,
		})
	}
	return evs
}

// column returns the cells of a table's column (of single-cell
// characters) under header.
func column(out, header string) []string {
	ls := lines(out)
	i := strings.Index(ls[0], header)
	if i < 0 {
		return nil
	}
	i = len([]rune(ls[0][:i]))
	var cells []string
	for _, l := range ls[1:] {
		r := []rune(l)
		rest := string(r[min(i, len(r)):])
		cells = append(cells, strings.SplitN(rest, "  ", 2)[0])
	}
	return cells
}

func TestTableChoosesColumnsByPriority(t *testing.T) {
	evs := arnEvents()
	out := write(t, FormatTable, evs, Options{Width: 80})
	assertFits(t, "80", out, 80)
	head := strings.Fields(lines(out)[0])
	want := []string{"TIME", "(UTC)", "ACTION", "ACTOR", "STATUS", "ID"}
	if strings.Join(head, " ") != strings.Join(want, " ") {
		t.Errorf("80 columns: header %q, want %q\n%s", head, want, out)
	}
	if strings.Contains(out, "DURATION") {
		t.Errorf("a column empty in every row is shown:\n%s", out)
	}
	// Times are never cut.
	for _, l := range lines(out)[1:] {
		if !strings.HasPrefix(l, "2026-11-03 10:15:0") {
			t.Errorf("time cut: %q", l)
		}
	}
	// The ids are prefixes that tell the rows apart.
	ids := column(out, "ID")
	seen := map[string]bool{}
	for i, id := range ids {
		if !strings.HasPrefix(evs[i].ID, id) || len(id) < 8 || seen[id] || strings.Contains(id, "…") {
			t.Errorf("id cell %q of %q", id, evs[i].ID)
		}
		seen[id] = true
	}
	// Wider terminals get the dropped columns back, in order of priority.
	out = write(t, FormatTable, evs, Options{Width: 200})
	if !strings.Contains(out, "SERVICE") || !strings.Contains(out, "IP") || !strings.Contains(out, "DescribeInstanceAttribute  ") {
		t.Errorf("200 columns:\n%s", out)
	}
}

// Two ARNs that differ only in the middle stay distinguishable, in the
// event table and in a count by actor, at every width.
func TestTableLongNamesStayDistinct(t *testing.T) {
	evs := arnEvents()
	buckets := []audit.Bucket{{Key: evs[0].Actor, Count: 2}, {Key: evs[1].Actor, Count: 1}, {Key: "bert-jan", Count: 1}}
	for width := 40; width <= 130; width += 3 {
		out := write(t, FormatTable, evs, Options{Width: width})
		assertFits(t, "events", out, width)
		actors := column(out, "ACTOR")
		if actors != nil && actors[0] == actors[1] {
			t.Errorf("width %d: two ARNs look the same: %q\n%s", width, actors[0], out)
		}
		if actors != nil && actors[0] != actors[2] {
			t.Errorf("width %d: one ARN cut two ways: %q, %q", width, actors[0], actors[2])
		}
		var buf bytes.Buffer
		if err := WriteCounts(&buf, FormatTable, buckets, 4, Options{Width: width}, "actor"); err != nil {
			t.Fatal(err)
		}
		assertFits(t, "counts", buf.String(), width)
		keys := column(buf.String(), "ACTOR")
		if keys[0] == keys[1] {
			t.Errorf("count width %d: two ARNs look the same: %q\n%s", width, keys[0], buf.String())
		}
		for _, k := range keys[:2] {
			if !strings.HasPrefix(k, "arn") || !strings.HasSuffix(k, "eed") || !strings.Contains(k, "…") {
				t.Errorf("count width %d: ARN %q not cut in the middle", width, k)
			}
		}
	}
}

func TestCutMiddleDistinct(t *testing.T) {
	for _, tt := range []struct {
		cells []string
		width int
	}{
		{[]string{"aaaaaaaaaaXaaaaaaaaaa", "aaaaaaaaaaYaaaaaaaaaa"}, 9},
		{[]string{"aaaaaaaaaaXaaaaaaaaaa", "aaaaaaaaaaYaaaaaaaaaa", "aaaaaaaaaaZaaaaaaaaaa"}, 5},
		{[]string{"abcdefghijklmnop", "abcdefghijklmnopq"}, 6},
		{[]string{"東京東京東京X東京東京東京", "東京東京東京Y東京東京東京"}, 9},
		{[]string{"short", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaab"}, 8},
	} {
		got := cutMiddleDistinct(tt.cells, tt.width)
		for i := range got {
			if w := twwidth.Width(got[i]); w > tt.width {
				t.Errorf("%q at %d: %q is %d wide", tt.cells[i], tt.width, got[i], w)
			}
			for j := range i {
				if got[i] == got[j] && tt.cells[i] != tt.cells[j] {
					t.Errorf("%q and %q both cut to %q at %d", tt.cells[i], tt.cells[j], got[i], tt.width)
				}
			}
		}
	}
	if got := cutMiddleDistinct([]string{"alice@example.com"}, 12); got[0] != "alice@…e.com" {
		t.Errorf("cut in the middle: %q", got[0])
	}
}

func TestTableColumnsAndWide(t *testing.T) {
	evs := sampleEvents()
	out := write(t, FormatTable, evs, Options{Width: 60, Columns: []string{"actor", "TIME", "duration"}})
	if h := strings.Fields(lines(out)[0]); strings.Join(h, " ") != "ACTOR TIME (UTC) DURATION" {
		t.Errorf("--columns: header %q", h)
	}
	assertFits(t, "columns", out, 60)
	// An empty column named with --columns is shown.
	out = write(t, FormatTable, evs[2:], Options{Columns: []string{"time", "duration"}})
	if !strings.Contains(out, "DURATION") {
		t.Errorf("named empty column dropped:\n%s", out)
	}
	// --wide: every column but the JSON documents, nothing cut.
	out = write(t, FormatTable, evs, Options{Width: 80, Wide: true})
	for _, h := range []string{"SOURCE", "TARGET", "BROWSER", "DESCRIPTION", "TENANT"} {
		if !strings.Contains(lines(out)[0], h) {
			t.Errorf("--wide lacks %s", h)
		}
	}
	if strings.Contains(lines(out)[0], "RAW") || strings.Contains(out, "…") {
		t.Errorf("--wide:\n%s", out)
	}
	// An unknown column lists the valid ones.
	_, err := NewEventWriter(&bytes.Buffer{}, FormatTable, Options{Columns: []string{"time", "nope"}})
	if audit.ErrorCode(err) != audit.EUSAGE || !strings.Contains(err.Error(), "actor, ") {
		t.Errorf("unknown column: %v", err)
	}
	// Even named columns never overflow a very narrow terminal.
	out = write(t, FormatTable, evs, Options{Width: 12, Columns: []string{"time", "actor", "description"}})
	assertFits(t, "narrow", out, 12)
}

func TestTableTimeZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	out := write(t, FormatTable, sampleEvents()[:1], Options{Location: berlin, Zone: "Europe/Berlin", Columns: []string{"time", "action"}})
	if want := "TIME (Europe/Berlin)  ACTION\n2026-11-03 11:15:00   DeleteUser\n"; out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	// Machine formats keep UTC.
	if js := write(t, FormatJSON, sampleEvents()[:1], Options{Location: berlin}); !strings.Contains(js, `"time": "2026-11-03T10:15:00.123Z"`) {
		t.Errorf("json time: %s", js)
	}
	if got := BucketLabel(time.Date(2026, 11, 19, 23, 0, 0, 0, time.UTC), 24*time.Hour, Options{Location: berlin}); got != "2026-11-20" {
		t.Errorf("day bucket at Berlin midnight: %q", got)
	}
	if got := BucketLabel(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), 24*time.Hour, Options{Location: berlin}); got != "2026-11-20 01:00" {
		t.Errorf("UTC day bucket in Berlin: %q", got)
	}
	if got := BucketLabel(time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC), time.Hour, Options{}); got != "2026-11-20 14:00" {
		t.Errorf("hour bucket: %q", got)
	}
	if got := BucketLabel(time.Date(2026, 11, 20, 14, 0, 30, 0, time.UTC), 30*time.Second, Options{}); got != "2026-11-20 14:00:30" {
		t.Errorf("second bucket: %q", got)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                    "0ms",
		400 * time.Microsecond:               "0.4ms",
		350 * time.Millisecond:               "350ms",
		1234 * time.Millisecond:              "1.2s",
		12045 * time.Millisecond:             "12s",
		3*time.Minute + 5*time.Second:        "3m05s",
		time.Hour + 17*time.Minute:           "1h17m00s",
		-1500 * time.Millisecond:             "-1.5s",
		9*time.Second + 990*time.Millisecond: "10.0s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// randomCell is a cell of random length and script.
func randomCell(r *rand.Rand) string {
	parts := []string{"a", "arn:aws:iam::1", "東京", "é", "\x1b[2J", "\t", "👩‍💻", "-", "/", "@example.com", "0123456789"}
	var sb strings.Builder
	for range r.IntN(12) {
		sb.WriteString(parts[r.IntN(len(parts))])
	}
	return sb.String()
}

// Whatever the cells, kinds and width, no line is wider than the width.
func TestTableNeverOverflows(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		checkFits(t, r, 1+r.IntN(150), fmt.Sprint(n))
	}
}

func checkFits(t *testing.T, r *rand.Rand, width int, name string) {
	kinds := []Kind{KindText, KindName, KindID, KindFixed}
	cols := make([]Column, 1+r.IntN(8))
	for i := range cols {
		cols[i] = Column{Name: fmt.Sprint("c", i), Kind: kinds[r.IntN(len(kinds))], Priority: r.IntN(4), Right: r.IntN(2) == 0}
	}
	rows := make([][]string, r.IntN(6))
	for i := range rows {
		rows[i] = make([]string, len(cols))
		for j := range cols {
			rows[i][j] = randomCell(r)
		}
	}
	tb := Table{Columns: cols, Len: len(rows), Cell: func(i, c int) string { return rows[i][c] }}
	if r.IntN(3) == 0 {
		tb.Bars = make([]int64, len(rows))
		for i := range tb.Bars {
			tb.Bars[i] = r.Int64N(100)
		}
	}
	opt := Options{Width: width}
	if r.IntN(4) == 0 {
		opt.Columns = []string{cols[0].Name, cols[len(cols)-1].Name}
	}
	out := render(t, tb, opt)
	assertFits(t, name, out, width)
}

func FuzzTableFits(f *testing.F) {
	f.Add(uint64(1), uint64(2), 80)
	f.Add(uint64(7), uint64(0), 3)
	f.Fuzz(func(t *testing.T, a, b uint64, width int) {
		if width < 1 || width > 400 {
			return
		}
		checkFits(t, rand.New(rand.NewPCG(a, b)), width, "fuzz")
	})
}

func TestEventLine(t *testing.T) {
	e := sampleEvents()[1]
	line, err := EventLine(e, Options{})
	if err != nil || line != "2026-11-03 10:13:30  jumpcloud  sso  USER_LOGIN  carol.with.a.really.long.name@subsidiary.example.org  2001:db8::1  failure" {
		t.Errorf("line %q, %v", line, err)
	}
	line, _ = EventLine(e, Options{Width: 40})
	if twwidth.Width(line) != 40 || !strings.HasSuffix(line, "…") {
		t.Errorf("fitted line %q", line)
	}
	if line, _ = EventLine(e, Options{Width: 40, Wide: true}); twwidth.Width(line) <= 40 {
		t.Errorf("--wide line cut: %q", line)
	}
	if line, _ = EventLine(e, Options{Columns: []string{"action", "duration"}}); line != "USER_LOGIN  12s" {
		t.Errorf("--columns line %q", line)
	}
	if _, err := EventLine(e, Options{Columns: []string{"nope"}}); audit.ErrorCode(err) != audit.EUSAGE {
		t.Errorf("bad column: %v", err)
	}
	line, _ = EventLine(hostileEvent(1, hostile[1]), Options{})
	assertTerminalSafe(t, "line", line)
}

// With colours, a status column last on the line pads its shorter cells
// inside the colour: that padding trails as it does without colours, so
// the line fits and is not cut ("success  …" at 80 columns before).
func TestColouredLastColumnIsNotCut(t *testing.T) {
	var evs []*audit.Event
	for i, st := range []audit.Status{audit.StatusSuccess, audit.StatusInProgress, audit.StatusFailure} {
		evs = append(evs, &audit.Event{ID: fmt.Sprintf("e%d", i), Time: time.Date(2026, 11, 3, 10, 15, i, 0, time.UTC),
			Action: "login:attempting", Actor: "helen.park@initech.net", Status: st})
	}
	for _, w := range []int{74, 80, 100} {
		var plain, coloured bytes.Buffer
		if err := RenderTable(&plain, EventTable(evs, Options{}), Options{Width: w, Omit: []string{"id"}}); err != nil {
			t.Fatal(err)
		}
		if err := RenderTable(&coloured, EventTable(evs, Options{Color: true}), Options{Width: w, Color: true, Omit: []string{"id"}}); err != nil {
			t.Fatal(err)
		}
		if got := ansi.Strip(coloured.String()); got != plain.String() || strings.Contains(got, "…") {
			t.Errorf("width %d: coloured\n%s\nplain\n%s", w, got, plain.String())
		}
		if !strings.Contains(coloured.String(), "\x1b[") {
			t.Errorf("width %d: no colour:\n%q", w, coloured.String())
		}
	}
}
