package cmdutil

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

func TestProgressOnlyOnATerminal(t *testing.T) {
	io1, _, _, errOut := Test()
	p := io1.NewProgress("events.ndjson", 1000)
	io.Copy(io.Discard, p.Reader(strings.NewReader(strings.Repeat("x", 500))))
	p.Items(4096)
	p.Done()
	if errOut.Len() != 0 {
		t.Fatalf("progress written to a pipe: %q", errOut)
	}

	io2, _, _, errOut := Test()
	io2.SetStderrTTY(true)
	p = io2.NewProgress("evil\x1b]0;title\x07.ndjson", 1000)
	io.Copy(io.Discard, p.Reader(strings.NewReader(strings.Repeat("x", 500))))
	p.Items(4096)
	p.Done()
	out := errOut.String()
	if !strings.Contains(out, "50%") || !strings.Contains(out, "4096 records") {
		t.Fatalf("no progress line: %q", out)
	}
	if strings.Contains(out, "\x07") || strings.Contains(out, "\x1b]0") {
		t.Fatalf("file name reached the terminal raw: %q", out)
	}

	// --quiet: nothing, even on a terminal
	io3, _, _, errOut := Test()
	io3.SetStderrTTY(true)
	p = io3.NewProgress("x", 0).Quiet(true)
	p.Items(10)
	p.Done()
	if errOut.Len() != 0 {
		t.Fatalf("--quiet progress: %q", errOut)
	}
}

// The line fits any width without wrapping, keeps what matters most when
// space is short, and elides a long file name in the middle.
func TestProgressLineFitsTheWidth(t *testing.T) {
	s, _, _, _ := Test()
	p := s.NewProgress("import", 1000).Unit("events")
	p.Files(35)
	p.FileDone(1200)
	p.StartFile("/data/cloudtrail/2024/07/10/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json.gz")
	p.Items(34)
	p.Bytes(400)
	p.now = func() time.Time { return p.start.Add(2 * time.Second) }
	for w := 1; w <= 240; w++ {
		line := p.Line(w)
		if got := ansi.StringWidth(line); got > max(w-1, 10) {
			t.Fatalf("width %d: %d columns: %q", w, got, line)
		}
	}
	line := p.Line(80)
	for _, want := range []string{"import", "1/35 files", "1234 events", "40%", "ETA 3s", "/s", "…", "K0Gto.json.gz"} {
		if !strings.Contains(line, want) {
			t.Errorf("80 columns: %q lacks %q", line, want)
		}
	}
	short := p.Line(32)
	if !strings.HasPrefix(short, "import, 1/35 files, 1234 events") {
		t.Errorf("32 columns: %q", short)
	}
	if wide := p.Line(300); !strings.Contains(wide, "/data/cloudtrail/2024/07/10/218007301253") {
		t.Errorf("300 columns: the whole name fits: %q", wide)
	}
	// sync's shape: events of a known total
	q := s.NewProgress("sync jumpcloud", 0).Unit("events")
	q.ItemsOf(250, 1000)
	q.now = func() time.Time { return q.start.Add(time.Second) }
	if got := q.Line(80); got != "sync jumpcloud, 250/1000 events, 250/s, 25%, ETA 3s" {
		t.Errorf("sync line: %q", got)
	}
}

// Messages written Above the line appear on their own lines and the line
// comes back below them.
func TestProgressAbove(t *testing.T) {
	s, _, _, errOut := Test()
	s.SetStderrTTY(true)
	old := ProgressEvery
	ProgressEvery = 0
	defer func() { ProgressEvery = old }()
	p := s.NewProgress("import", 0)
	p.Items(5)
	io.WriteString(p.Above(), "auditctl: bad.ndjson:3: invalid time\n")
	p.Done()
	want := "\r\x1b[Kimport, 5 records" + "\r\x1b[K" + "auditctl: bad.ndjson:3: invalid time\n" + "\r\x1b[Kimport, 5 records" + "\r\x1b[K"
	if got := errOut.String(); !strings.HasPrefix(got, "\r\x1b[Kimport, 5 records") || !strings.HasSuffix(got, "\r\x1b[K") ||
		!strings.Contains(got, "\r\x1b[Kauditctl: bad.ndjson:3: invalid time\n\r\x1b[Kimport, 5 records") {
		t.Fatalf("got %q\nwant like %q", got, want)
	}
}

// Only paint moves the cursor or erases: no command and no other function
// of cmdutil writes a carriage return or an escape sequence by hand, or
// sends sanitize.ClearLine, the control path's line erasure.
func TestOnlyPaintWritesControlBytes(t *testing.T) {
	for _, dir := range []string{".", "../cmd"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			for _, decl := range f.Decls {
				fn, _ := decl.(*ast.FuncDecl)
				inPaint := fn != nil && fn.Name.Name == "paint" && filepath.Base(path) == "progress.go"
				ast.Inspect(decl, func(n ast.Node) bool {
					switch n := n.(type) {
					case *ast.BasicLit:
						v, err := strconv.Unquote(n.Value)
						if n.Kind == token.STRING && err == nil && strings.ContainsAny(v, "\r\x1b\u009b") {
							t.Errorf("%s: a control byte written by hand: %s", fset.Position(n.Pos()), n.Value)
						}
					case *ast.SelectorExpr:
						if id, ok := n.X.(*ast.Ident); ok && id.Name == "sanitize" && n.Sel.Name == "ClearLine" && !inPaint {
							t.Errorf("%s: sanitize.ClearLine outside cmdutil's paint", fset.Position(n.Pos()))
						}
					}
					return true
				})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
