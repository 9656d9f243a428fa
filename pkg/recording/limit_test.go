package recording

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// lazyAs is n bytes of 'a', made as they are read.
type lazyAs struct{ n int64 }

func (r *lazyAs) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n)]
	for i := range p {
		p[i] = 'a'
	}
	r.n -= int64(len(p))
	return len(p), nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestHostileEventTooLarge: one 200 MB event, made as it is read, in every
// format: refused as soon as the limit is reached, with the line (or byte
// offset) and field, having read little more than the limit; a ttyrec frame
// claiming 4 GB is refused from its header, before any allocation.
func TestHostileEventTooLarge(t *testing.T) {
	const huge = 200 << 20
	var frames []byte
	for i := range 9 {
		frames = appendTtyrecFrame(frames, t0+time.Duration(i)*time.Second, []byte("ok\r\n"))
	}
	bigFrame := appendTtyrecFrame(nil, t0+10*time.Second, nil)
	bigFrame[8], bigFrame[9], bigFrame[10], bigFrame[11] = 0xff, 0xff, 0xff, 0xff
	for _, tc := range []struct {
		name   string
		in     io.Reader
		line   int
		field  string
		events int
	}{
		{"v2", io.MultiReader(strings.NewReader(`{"version": 2, "width": 80, "height": 24}`+"\n"+`[0.5, "o", "ok"]`+"\n"+`[1.0, "o", "`), &lazyAs{huge}, strings.NewReader("\"]\n")), 3, "data", 1},
		{"v3", io.MultiReader(strings.NewReader(`{"version": 3, "term": {"cols": 80, "rows": 24}}`+"\n"+`[0.5, "i", "`), &lazyAs{huge}, strings.NewReader("\"]\n")), 2, "data", 0},
		{"v3 header", io.MultiReader(strings.NewReader(`{"version": 3, "title": "`), &lazyAs{huge}, strings.NewReader("\"}\n")), 1, "", -1},
		{"ttyrec", io.MultiReader(bytes.NewReader(frames), bytes.NewReader(bigFrame), &lazyAs{huge}), 0, "len", 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &countingReader{r: tc.in}
			r, err := NewReader("h.rec", src)
			events := 0
			if err == nil {
				for {
					if _, err = r.Next(); err != nil {
						break
					}
					events++
				}
			}
			var ie *audit.InputError
			if !errors.As(err, &ie) || !ie.Fatal || ie.File != "h.rec" || ie.Line != tc.line || ie.Field != tc.field ||
				!strings.Contains(err.Error(), "larger than the 1MiB limit") || !strings.Contains(err.Error(), "--max-event-size") {
				t.Fatalf("error %v (%+v); want a fatal one on line %d, field %q", err, ie, tc.line, tc.field)
			}
			if tc.events >= 0 && events != tc.events {
				t.Errorf("%d events before the error, want %d", events, tc.events)
			}
			if tc.name != "ttyrec" && !strings.Contains(err.Error(), "byte offset") {
				t.Errorf("no byte offset: %v", err)
			}
			if src.n > DefaultMaxEventSize+256<<10 {
				t.Errorf("read %d bytes to refuse it", src.n)
			}
		})
	}
}

// TestMaxEventSizeOption: the limit is the option's.
func TestMaxEventSizeOption(t *testing.T) {
	line := `[0.5, "o", "` + strings.Repeat("x", 3000) + `"]` + "\n"
	data := `{"version": 2, "width": 80, "height": 24}` + "\n" + line
	for limit, ok := range map[int]bool{2048: false, 4096: true, 0: true} {
		path := writeFile(t, "r.cast", []byte(data))
		r, err := Open(path, Options{MaxEventSize: limit})
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Next()
		r.Close()
		if (err == nil) != ok {
			t.Errorf("limit %d: %v", limit, err)
		}
	}
}

// TestScriptChunkTooLarge: a timing line naming a 200 MB chunk is refused
// before reading it.
func TestScriptChunkTooLarge(t *testing.T) {
	timing := "0.5 2\n0.1 209715200\n"
	r, err := NewScriptReader("t.timing", strings.NewReader(timing), &lazyAs{200<<20 + 2}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	var ie *audit.InputError
	if !errors.As(err, &ie) || !ie.Fatal || ie.Line != 2 || ie.Field != "nbytes" || !strings.Contains(err.Error(), "larger than the 1MiB limit") {
		t.Fatalf("%v", err)
	}
}

// A Reader resumed at a Position keeps the limit of the Reader it came
// from: it reads (and refuses) what that Reader reads.
func TestResumeKeepsLimit(t *testing.T) {
	data := `{"version": 3, "term": {"cols": 80, "rows": 24}}` + "\n" + `[0.5, "o", "a"]` + "\n" +
		`[0.5, "o", "` + strings.Repeat("x", 2<<20) + `"]` + "\n"
	path := writeFile(t, "big.cast", []byte(data))
	r, err := Open(path, Options{MaxEventSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	pos := r.Position()
	r2, err := OpenAt(path, r.Header(), pos)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if ev, err := r2.Next(); err != nil || len(ev.Data) != 2<<20 {
		t.Fatalf("resumed: %d bytes, %v", len(ev.Data), err)
	}
	pos.MaxEventSize = 0 // the default: 1 MiB
	r3, err := OpenAt(path, r.Header(), pos)
	if err != nil {
		t.Fatal(err)
	}
	defer r3.Close()
	if _, err := r3.Next(); err == nil || !strings.Contains(err.Error(), "larger than the 1MiB limit") {
		t.Fatalf("default limit: %v", err)
	}
}
