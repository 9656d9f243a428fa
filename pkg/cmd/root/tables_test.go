package root_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"github.com/auditctl/auditctl/internal/bintest"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// buildBinary is the auditctl binary of this checkout.
func buildBinary(t *testing.T) string { return bintest.Auditctl(t) }

// inPty runs the binary with stdout and stderr on a pseudo-terminal of
// cols x 24, COLUMNS=cols, and returns what the terminal received (CR LF
// made LF).
func inPty(t *testing.T, bin string, cols int, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "COLUMNS="+strconv.Itoa(cols), "NO_COLOR=1", "TZ="), env...)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(cols), Rows: 24})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, err = io.Copy(&buf, f)
	if err != nil && !errors.Is(err, syscall.EIO) { // EIO: the child closed the terminal
		t.Fatal(err)
	}
	f.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("auditctl %v: %v\n%s", args, err, buf.String())
	}
	return strings.ReplaceAll(buf.String(), "\r\n", "\n")
}

// run runs the binary with its output on a pipe.
func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("auditctl %v: %v", args, err)
	}
	return string(out)
}

func tableLines(out string) []string {
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

// assertFits checks that no line is wider than cols and that the table is
// one line per row: rows lines after the header, each starting with what
// rowStart matches.
func assertFits(t *testing.T, what, out string, cols int, rowStart *regexp.Regexp) []string {
	t.Helper()
	ls := tableLines(out)
	for _, l := range ls {
		if n := twwidth.Width(l); n > cols {
			t.Errorf("%s: a line of %d cells on a %d-column terminal: %q", what, n, cols, l)
		}
	}
	var rows []string
	for _, l := range ls[1:] {
		if strings.HasPrefix(l, "Page ") {
			break
		}
		if rowStart != nil && !rowStart.MatchString(l) {
			t.Errorf("%s: a line that is not a row (wrapped?): %q", what, l)
		}
		rows = append(rows, l)
	}
	if len(rows) == 0 {
		t.Errorf("%s: no rows:\n%s", what, out)
	}
	return rows
}

var (
	dateTime = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  `)
	offset   = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3}  `)
)

// TestTablesAt80Columns runs the real binary in an 80x24 pseudo-terminal
// over the demo data: every table fits, a row is one line, times and the
// ids that `logs show` needs survive, queries stay readable.
func TestTablesAt80Columns(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("pseudo-terminal test")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	run(t, bin, "--db", db, "demo")

	out := inPty(t, bin, 80, nil, "--db", db, "logs", "list", "--all", "--limit", "30")
	rows := assertFits(t, "logs list", out, 80, dateTime)
	if len(rows) != 30 || !strings.HasPrefix(out, "TIME (UTC)") {
		t.Errorf("logs list: %d rows:\n%s", len(rows), out)
	}
	head := strings.Fields(tableLines(out)[0])
	if head[len(head)-1] != "ID" {
		t.Fatalf("logs list at 80 columns has no ID column:\n%s", out)
	}
	// The id shown is a prefix that logs show takes.
	fields := strings.Fields(rows[0])
	id := fields[len(fields)-1]
	if show := run(t, bin, "--db", db, "logs", "show", id, "-o", "json"); !strings.Contains(show, `"id": "`+id) {
		t.Errorf("logs show %s: %s", id, show)
	}

	out = inPty(t, bin, 80, nil, "--db", db, "logs", "count", "--by", "actor", "--all", "--top", "30")
	assertFits(t, "count --by actor", out, 80, nil)

	// --since 7d: the default window's days, without its stderr notice of
	// the older events (the pty mixes stderr into the table).
	out = inPty(t, bin, 80, nil, "--db", db, "logs", "count", "--interval", "1d", "--since", "7d")
	rows = assertFits(t, "count --interval 1d", out, 80, regexp.MustCompile(`^\d{4}-\d\d-\d\d  `))
	if len(rows) < 7 {
		t.Errorf("count --interval 1d over 7 days: %d rows\n%s", len(rows), out)
	}

	out = inPty(t, bin, 80, nil, "--db", db, "sessions", "list")
	assertFits(t, "sessions list", out, 80, dateTime)
	if !strings.HasPrefix(out, "START (UTC)") || !strings.Contains(tableLines(out)[0], "ID") {
		t.Errorf("sessions list:\n%s", out)
	}

	rec := filepath.Join(dir, "recordings", "demo", "demo-db-0001.rec")
	out = inPty(t, bin, 80, nil, "--db", db, "sessions", "queries", rec)
	rows = assertFits(t, "sessions queries", out, 80, offset)
	var queries []struct{ Query string }
	if err := json.Unmarshal([]byte(run(t, bin, "--db", db, "sessions", "queries", rec, "-o", "json")), &queries); err != nil || len(queries) != len(rows) {
		t.Fatalf("queries json: %v, %d queries, %d rows", err, len(queries), len(rows))
	}
	for i, q := range queries {
		want := q.Query[:min(len(q.Query), 38)]
		if !strings.Contains(rows[i], want) {
			t.Errorf("queries row %d does not show %q: %q", i, want, rows[i])
		}
	}

	out = inPty(t, bin, 80, nil, "--db", db, "sessions", "keystrokes", filepath.Join(dir, "recordings", "demo", "demo-srv-0001.rec"))
	assertFits(t, "sessions keystrokes", out, 80, offset)

	out = inPty(t, bin, 80, nil, "--db", db, "logs", "tail", "-n", "20")
	assertFits(t, "logs tail", "HEADER\n"+out, 80, dateTime)

	// Invalid --columns, --by and --sort values are usage errors that list
	// the valid ones.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"logs", "list", "--columns", "time,nope"}, "want one of: time, source, service"},
		{[]string{"sessions", "list", "--columns", "nope"}, "want one of: start, user, resource"},
		{[]string{"logs", "count", "--by", "nope"}, "want one of: source, service, action"},
		{[]string{"logs", "list", "--sort", "nope"}, "want one of: time, duration_ms, id"},
		{[]string{"logs", "list", "--tz", "Mars/Olympus"}, "Europe/Berlin"},
	} {
		cmd := exec.Command(bin, append([]string{"--db", db, "-o", "table"}, c.args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("auditctl %v: %v, stderr %q; want exit 2 and %q", c.args, err, stderr.String(), c.want)
		}
	}

	// TZ names the zone in the header and shifts the times; --tz wins.
	out = inPty(t, bin, 80, []string{"TZ=Europe/Berlin"}, "--db", db, "logs", "list", "--all", "--limit", "3")
	if !strings.HasPrefix(out, "TIME (Europe/Berlin)") {
		t.Errorf("TZ=Europe/Berlin:\n%s", out)
	}
	out = inPty(t, bin, 80, []string{"TZ=Europe/Berlin"}, "--db", db, "logs", "list", "--all", "--limit", "3", "--tz", "UTC")
	if !strings.HasPrefix(out, "TIME (UTC)") {
		t.Errorf("--tz UTC:\n%s", out)
	}
	// --wide: no width limit, every column.
	out = inPty(t, bin, 80, nil, "--db", db, "logs", "list", "--all", "--limit", "3", "--wide")
	if h := tableLines(out)[0]; !strings.Contains(h, "DESCRIPTION") || twwidth.Width(h) <= 80 {
		t.Errorf("--wide header: %q", h)
	}
}

// TestCloudTrailTables: real CloudTrail logs at 80 columns have no
// DURATION column (CloudTrail has no durations), and long role ARNs that
// differ only in the middle stay distinguishable in a count by actor.
func TestCloudTrailTables(t *testing.T) {
	data := filepath.Join("..", "..", "..", "..", "shared", "data", "cloudtrail", "invictus-aws")
	if _, err := os.Stat(data); err != nil {
		t.Skip("no CloudTrail sample data:", err)
	}
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("pseudo-terminal test")
	}
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "audit.db")
	if out, err := exec.Command(bin, "--db", db, "--quiet", "import", data).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	list := inPty(t, bin, 80, nil, "--db", db, "logs", "list", "--all", "--limit", "25")
	assertFits(t, "cloudtrail logs list", list, 80, dateTime)
	if strings.Contains(list, "DURATION") {
		t.Errorf("CloudTrail rows with a DURATION column:\n%s", list)
	}
	count := inPty(t, bin, 80, nil, "--db", db, "logs", "count", "--by", "actor", "--all", "--top", "0")
	rows := assertFits(t, "cloudtrail count --by actor", count, 80, nil)
	seen := map[string]bool{}
	arns := 0
	for _, r := range rows {
		v := strings.SplitN(r, "  ", 2)[0]
		if seen[v] {
			t.Errorf("two actors shown as %q:\n%s", v, count)
		}
		seen[v] = true
		if strings.HasPrefix(v, "arn:") {
			arns++
		}
	}
	if arns < 3 {
		t.Errorf("only %d ARNs in the count:\n%s", arns, count)
	}
	golden(t, "cloudtrail_list_80.txt", list)
	golden(t, "cloudtrail_count_80.txt", count)
}

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
