package recording

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

// step is what one call of Next returned, and the Position after it.
type step struct {
	ev    Event
	err   string
	fatal bool
	pos   Position
}

// steps reads r to the end (or a fatal error), recording every call.
func steps(t testing.TB, r *Reader, limit int) []step {
	t.Helper()
	var out []step
	for len(out) < limit {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		s := step{ev: ev, pos: r.Position()}
		if err != nil {
			s.err = err.Error()
		}
		out = append(out, s)
		var ie *audit.InputError
		if errors.As(err, &ie) && ie.Fatal {
			out[len(out)-1].fatal = true
			break
		}
	}
	return out
}

// checkResume resumes at every position of a reading of data from the
// start and checks that the next events (up to window, -1 for all) are
// identical: times, codes, data, lines, errors and positions.
func checkResume(t *testing.T, name string, data []byte, window int) {
	t.Helper()
	r, err := NewReader(name, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Seekable() {
		t.Fatalf("%s: not seekable", name)
	}
	hdr := r.Header()
	start := r.Position()
	all := steps(t, r, 1<<30)
	positions := append([]Position{start}, make([]Position, 0, len(all))...)
	for _, s := range all {
		if s.fatal {
			break // nothing can be read after a fatal error
		}
		positions = append(positions, s.pos)
	}
	for i, pos := range positions {
		if pos.Events > int64(i) || pos.Offset > int64(len(data)) {
			t.Fatalf("%s: position %d: %+v", name, i, pos)
		}
		rr, err := Resume(name, bytes.NewReader(data[pos.Offset:]), hdr, pos)
		if err != nil {
			t.Fatalf("%s: resume at %+v: %v", name, pos, err)
		}
		limit := 1 << 30
		if window >= 0 {
			limit = window
		}
		got := steps(t, rr, limit)
		want := all[i:]
		if len(want) > limit {
			want = want[:limit]
		}
		if len(got) != len(want) {
			t.Fatalf("%s: resumed at step %d: %d steps, want %d", name, i, len(got), len(want))
		}
		for k := range got {
			if got[k] != want[k] {
				t.Fatalf("%s: resumed at step %d, step %d:\n got %+v\nwant %+v", name, i, k, got[k], want[k])
			}
		}
	}
}

func TestResumeShared(t *testing.T) {
	dir := dataDir(t)
	n := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(p, ".cast") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(p, bytes.NewReader(data))
		if err != nil {
			return nil // broken header: nothing to resume
		}
		r.Close()
		window := -1
		if len(data) > 1<<20 {
			window = 20 // big.cast: every position, the next 20 steps
		}
		checkResume(t, p, data, window)
		n++
		return nil
	})
	if n < 30 {
		t.Errorf("only %d recordings checked", n)
	}
}

func TestResumeGenerated(t *testing.T) {
	const h3 = `{"version": 3, "term": {"cols": 80, "rows": 24}}` + "\n"
	const h2 = `{"version": 2, "width": 80, "height": 24}` + "\n"
	for name, data := range map[string]string{
		"v3-comments": h3 + "# c\n\n[0.5, \"o\", \"a\"]\n# mid\n\n\n[0.25, \"i\", \"b\"]\n[1, \"zz\", \"?\"]\n# end\n\n",
		"v3-badline":  h3 + "[0.5, \"o\", \"a\"]\nlol\n[0.25, \"r\", \"0x0\"]\n[0.25, \"o\", \"b\"]",
		"v3-crlf":     strings.ReplaceAll(h3+"[0.5, \"o\", \"a\"]\n[0.25, \"o\", \"b\"]\n", "\n", "\r\n"),
		"v2-blank":    h2 + "\n[0.5, \"o\", \"a\"]\n\n[1.5, \"o\", \"b\"]\n[1.5, \"q\", \"{}\"]\n",
		"v3-long":     h3 + "[0.1, \"o\", \"" + strings.Repeat("x", 200<<10) + "\"]\n[0.1, \"o\", \"y\"]\n",
		"v3-fatal":    h3 + "[0.1, \"o\", \"a\"]\n[0.1, \"o\", \"" + strings.Repeat("x", 2<<20) + "\"]\n[0.1, \"o\", \"b\"]\n",
	} {
		t.Run(name, func(t *testing.T) {
			checkResume(t, name, []byte(data), -1)
		})
	}
}

func TestSeekable(t *testing.T) {
	h3 := `{"version": 3, "term": {"cols": 80, "rows": 24}}` + "\n[1, \"o\", \"a\"]\n"
	cases := map[string]bool{h3: true, `{"version":1,"width":8,"height":2,"stdout":[[1,"x"]]}`: false}
	for in, want := range cases {
		r, err := NewReader("s", strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if r.Seekable() != want {
			t.Errorf("%.20q: Seekable %v", in, !want)
		}
	}
	var gz bytes.Buffer
	gzipTo(&gz, []byte(h3))
	r, err := NewReader("gz", &gz)
	if err != nil || r.Seekable() {
		t.Errorf("gzip: seekable %v, %v", r != nil && r.Seekable(), err)
	}
	hdr := r.Header()
	hdr.Format = FormatTtyrec
	if _, err := Resume("x", strings.NewReader(""), hdr, Position{Line: 1}); err == nil {
		t.Error("Resume of a ttyrec: want error")
	}
}

func TestOpenAt(t *testing.T) {
	dir := dataDir(t)
	path := filepath.Join(dir, "asciinema-server/3/full.cast")
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Next()
	r.Next()
	pos := r.Position()
	want, _ := r.Next()
	r2, err := OpenAt(path, r.Header(), pos)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	got, err := r2.Next()
	if err != nil || got != want || pos.Events != 2 {
		t.Errorf("OpenAt: %+v %v, want %+v (pos %+v)", got, err, want, pos)
	}
}
