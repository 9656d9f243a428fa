package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// rssBudget is the most memory any import may use, whatever its input.
const rssBudget = 512 << 20

// aas is n bytes of 'a', made as they are read.
type aas int64

func (a *aas) Read(p []byte) (int, error) {
	if *a <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), int64(*a))]
	for i := range p {
		p[i] = 'a'
	}
	*a -= aas(len(p))
	return len(p), nil
}

// hostileFile writes prefix, n bytes of 'a' and suffix to dir/name,
// compressed as the name says.
func hostileFile(t *testing.T, dir, name, prefix string, n int64, suffix string) string {
	t.Helper()
	a := aas(n)
	return writeCompressed(t, dir, name, io.MultiReader(strings.NewReader(prefix), &a, strings.NewReader(suffix)))
}

// writeCompressed writes r to dir/name, compressed as the name says.
func writeCompressed(t *testing.T, dir, name string, r io.Reader) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var w io.WriteCloser = nopCloser{f}
	switch {
	case strings.HasSuffix(name, ".gz"):
		w, _ = gzip.NewWriterLevel(f, gzip.BestSpeed)
	case strings.HasSuffix(name, ".zst"):
		w, _ = zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(8<<20))
	}
	if _, err := io.Copy(w, r); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// runMeasured runs the binary and returns its exit code, stderr and peak
// resident memory (getrusage of the child).
func runMeasured(t *testing.T, bin string, env []string, args ...string) (int, string, int64) {
	t.Helper()
	// The child's peak includes this process's resident memory when it was
	// started (vfork shares it until exec): keep it small.
	runtime.GC()
	debug.FreeOSMemory()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatal(err)
		}
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Skip("no rusage on this system")
	}
	return cmd.ProcessState.ExitCode(), stderr.String(), ru.Maxrss * 1024 // KiB on Linux
}

const t0 = `"time":"2026-01-01T00:00:00Z"`

// TestImportHostileSizes imports a corpus of hostile-size files (one 200 MB
// value, compressed to a few hundred KB, in every format and container) in
// a real process and checks each is refused with exit code 3, naming the
// file, line or byte offset and field, storing nothing, and that the
// process's peak memory (getrusage) stays under 512 MB. Then a file of many
// records each just under the limit imports, within the same budget.
func TestImportHostileSizes(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	env := append(os.Environ(), "AUDITCTL_DB="+db, "NO_COLOR=1")
	const huge = 200 << 20
	for _, tc := range []struct {
		name, prefix, suffix string
		n                    int64
		want                 string // in the error
	}{
		{"array.json.gz", `[{"id":"ok",` + t0 + `},{"id":"x",` + t0 + `,"actor":"`, `"}]`, huge, `record 2: field "actor"`},
		{"object.ndjson.gz", `{"id":"x",` + t0 + `,"custom":{"note":"`, `"}}`, huge, `:1: field "custom.note"`},
		{"line.ndjson.zst", `{"id":"ok",` + t0 + "}\n" + `{"id":"x",` + t0 + `,"description":"`, `"}`, huge, `:2: field "description"`},
		{"plain.ndjson", `{"id":"x",` + t0 + `,"actor":"`, `"}`, 24 << 20, `:1: field "actor"`},
		{"cell.csv.gz", "id,time,actor\nok,2026-01-01T00:00:00Z,bob\nx,2026-01-01T00:00:00Z,\"", "\"\n", huge, `:3: field "actor"`},
		{"bare.csv.zst", "id,time,actor\nx,2026-01-01T00:00:00Z,", "\n", huge, `:2: field "actor"`},
		{"cloudtrail.json.gz", `{"Records":[{"eventName":"A","eventSource":"s","eventTime":"2026-01-01T00:00:00Z","requestParameters":{"policyDocument":"`, `"}}]}`, huge, `record 1: field "requestParameters.policyDocument"`},
		{"jumpcloud.json.gz", `[{"id":"x","event_type":"user_update","service":"directory","timestamp":"2026-01-01T00:00:00Z","changes":[{"field":"description","to":"`, `"}]}]`, huge, `record 1: field "changes[0].to"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := hostileFile(t, dir, tc.name, tc.prefix, tc.n, tc.suffix)
			code, stderr, rss := runMeasured(t, bin, env, "import", path)
			t.Logf("%s: exit %d, peak RSS %d MiB: %s", tc.name, code, rss>>20, strings.TrimSpace(stderr))
			if code != 3 || !strings.Contains(stderr, path) || !strings.Contains(stderr, tc.want) ||
				!strings.Contains(stderr, "larger than the 1MiB limit") || !strings.Contains(stderr, "byte offset") {
				t.Errorf("exit %d, stderr %q; want exit 3 naming %s and %s", code, stderr, path, tc.want)
			}
			if rss > rssBudget {
				t.Errorf("peak RSS %d MiB, over %d MiB", rss>>20, rssBudget>>20)
			}
			// --skip-invalid does not skip it: nothing of the file is stored.
			code, _, _ = runMeasured(t, bin, env, "import", "--skip-invalid", path)
			if code != 3 {
				t.Errorf("--skip-invalid: exit %d, want 3", code)
			}
		})
	}
	if code, out := countEvents(t, bin, env); code != 0 || !strings.Contains(out, `"total":0`) {
		t.Errorf("after the hostile files: count %q (exit %d), want 0: something was stored", out, code)
	}

	// Raised: the same record of 2 MiB imports with --max-event-size 4MiB.
	path := hostileFile(t, dir, "raised.ndjson.gz", `{"id":"r",`+t0+`,"actor":"`, 2<<20, `"}`)
	if code, stderr, _ := runMeasured(t, bin, env, "import", path); code != 3 {
		t.Errorf("2 MiB record, default limit: exit %d: %s", code, stderr)
	}
	if code, stderr, _ := runMeasured(t, bin, env, "import", "--max-event-size", "4MiB", path); code != 0 {
		t.Errorf("2 MiB record, --max-event-size 4MiB: exit %d: %s", code, stderr)
	}
	if code, stderr, _ := runMeasured(t, bin, env, "import", "--max-event-size", "1TiB", path); code != 2 {
		t.Errorf("--max-event-size 1TiB: exit %d, want 2: %s", code, stderr)
	}

	// Many records, each just under the limit: they import, within budget.
	// The prefetched batches are bounded by their bytes (without that bound,
	// 150 such records peaked at 1.04 GB); what remains is mostly SQLite's
	// page cache of the import connection, which holds what the transaction
	// wrote, up to 512 MiB (docs/performance.md).
	filler := strings.Repeat("a", 1<<20-200)
	pr, pw := io.Pipe()
	go func() {
		for i := range 100 {
			fmt.Fprintf(pw, `{"id":"big%d",%s,"actor":"u%d","description":"%s"}`+"\n", i, t0, i, filler)
		}
		pw.Close()
	}()
	many := writeCompressed(t, dir, "many.ndjson.gz", pr)
	code, stderr, rss := runMeasured(t, bin, env, "import", many)
	t.Logf("many.ndjson.gz: exit %d, peak RSS %d MiB", code, rss>>20)
	if code != 0 {
		t.Errorf("100 records of 1 MiB: exit %d: %s", code, stderr)
	}
	if rss > rssBudget {
		t.Errorf("100 records of 1 MiB: peak RSS %d MiB, over %d MiB", rss>>20, rssBudget>>20)
	}
}

func countEvents(t *testing.T, bin string, env []string) (int, string) {
	cmd := exec.Command(bin, "logs", "count", "--all", "-o", "json")
	cmd.Env = env
	out, _ := cmd.Output()
	return cmd.ProcessState.ExitCode(), strings.TrimSpace(string(out))
}

// TestRecordingHostileSizes reads hostile-size recordings (one 200 MB
// event in asciicast v2 and v3, gzip and zstd; a ttyrec frame claiming 4 GB)
// with every sessions command that reads events, in a real process: each
// refuses the event with exit code 3 naming the file and line or byte
// offset, within the memory budget (getrusage of the child).
func TestRecordingHostileSizes(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	env := append(os.Environ(), "AUDITCTL_DB="+filepath.Join(dir, "audit.db"), "NO_COLOR=1")
	const huge = 200 << 20
	var ttyrec []byte
	frame := func(sec uint32, n uint32, data string) {
		h := make([]byte, 12)
		h[0], h[1], h[2], h[3] = byte(sec), byte(sec>>8), byte(sec>>16), byte(sec>>24)
		h[8], h[9], h[10], h[11] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
		ttyrec = append(append(ttyrec, h...), data...)
	}
	for i := range 9 {
		frame(1700000000+uint32(i), 4, "ok\r\n")
	}
	frame(1700000010, 0xffffffff, "")
	for _, tc := range []struct {
		name, prefix, suffix string
		n                    int64
		want                 string
	}{
		{"v2.cast.gz", `{"version": 2, "width": 80, "height": 24}` + "\n" + `[0.5, "o", "ok"]` + "\n" + `[1.0, "o", "`, "\"]\n", huge, `:3: field "data"`},
		{"v3.cast.zst", `{"version": 3, "term": {"cols": 80, "rows": 24}}` + "\n" + `[0.5, "i", "`, "\"]\n", huge, `:2: field "data"`},
		{"big.ttyrec", string(ttyrec), "", 0, `field "len"`},
	} {
		path := hostileFile(t, dir, tc.name, tc.prefix, tc.n, tc.suffix)
		for _, args := range [][]string{{"sessions", "cat"}, {"sessions", "keystrokes", "-o", "json"}, {"sessions", "queries", "-o", "json"}, {"sessions", "info"}} {
			name := tc.name + " " + strings.Join(args, " ")
			code, stderr, rss := runMeasured(t, bin, env, append(args, path)...)
			t.Logf("%s: exit %d, peak RSS %d MiB", name, code, rss>>20)
			if code != 3 || !strings.Contains(stderr, path) || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "larger than the 1MiB limit") {
				t.Errorf("%s: exit %d, stderr %q; want exit 3 naming %s and %s", name, code, stderr, path, tc.want)
			}
			if rss > rssBudget {
				t.Errorf("%s: peak RSS %d MiB, over %d MiB", name, rss>>20, rssBudget>>20)
			}
		}
	}
	// Raised, the 2 MiB event reads.
	path := hostileFile(t, dir, "two.cast", `{"version": 2, "width": 80, "height": 24}`+"\n"+`[1.0, "o", "`, 2<<20, "\"]\n")
	if code, stderr, _ := runMeasured(t, bin, env, "sessions", "cat", path); code != 3 {
		t.Errorf("2 MiB event, default limit: exit %d: %s", code, stderr)
	}
	if code, stderr, _ := runMeasured(t, bin, env, "sessions", "cat", "--max-event-size", "4MiB", path); code != 0 {
		t.Errorf("2 MiB event, --max-event-size 4MiB: exit %d: %s", code, stderr)
	}
}

// TestListingsStream: sessions keystrokes and queries write each row as it
// is decoded (json, ndjson, csv, txt): listing a recording of a million
// input events, or 200,000 queries, holds no more than a few rows, measured
// as the child's peak RSS. Collecting every row first (before) peaked at
// 270 MiB (keystrokes -o ndjson), 620 MiB (-o json) and 110 MiB (queries
// -o csv).
func TestListingsStream(t *testing.T) {
	if testing.Short() {
		t.Skip("a million events")
	}
	bin := binary(t)
	dir := t.TempDir()
	env := append(os.Environ(), "AUDITCTL_DB="+filepath.Join(dir, "audit.db"), "NO_COLOR=1")
	lines := func(n int, line func(i int) string) io.Reader {
		pr, pw := io.Pipe()
		go func() {
			bw := bufio.NewWriter(pw)
			bw.WriteString(`{"version": 3, "term": {"cols": 80, "rows": 24}}` + "\n")
			for i := range n {
				bw.WriteString(line(i))
			}
			bw.Flush()
			pw.Close()
		}()
		return pr
	}
	kpath := writeCompressed(t, dir, "keys.cast.gz", lines(1000000, func(int) string { return `[0.001, "i", "a"]` + "\n" }))
	qpath := writeCompressed(t, dir, "queries.cast.gz", lines(200000, func(i int) string {
		return fmt.Sprintf(`[0.001, "q", "{\"query\":\"SELECT %d FROM accounts WHERE owner = 'someone@example.com';\",\"message\":\"SELECT 1\",\"rows\":1,\"duration_ms\":0.5}"]`+"\n", i)
	}))
	const budget = 96 << 20
	for _, args := range [][]string{
		{"sessions", "keystrokes", "--ungrouped", "-o", "ndjson", kpath},
		{"sessions", "keystrokes", "--ungrouped", "-o", "json", kpath},
		{"sessions", "keystrokes", "--ungrouped", "-o", "txt", kpath},
		{"sessions", "queries", "-o", "csv", qpath},
		{"sessions", "queries", "-o", "json", qpath},
	} {
		code, stderr, rss := runMeasured(t, bin, env, args...)
		t.Logf("%s: exit %d, peak RSS %d MiB", strings.Join(args[:len(args)-1], " "), code, rss>>20)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
		if rss > budget {
			t.Errorf("%v: peak RSS %d MiB, over %d MiB: rows are held, not streamed", args, rss>>20, budget>>20)
		}
	}
}
