package vt

import (
	"testing"

	"github.com/auditctl/auditctl/internal/termgen"
)

// TestWriteAllocs: after warm-up, writing a large mixed chunk allocates
// nothing (not per byte, not per line, not per sequence).
func TestWriteAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	p := termgen.Mixed(1<<20, 3)
	plain := termgen.PlainScroll(1<<20, 3)
	for _, sz := range []struct{ cols, rows int }{{80, 24}, {200, 60}} {
		term := New(sz.cols, sz.rows)
		term.Write(p)
		term.Write(plain)
		if n := testing.AllocsPerRun(5, func() { term.Write(p) }); n > 2 {
			t.Errorf("%dx%d: Write of %d mixed bytes: %v allocs", sz.cols, sz.rows, len(p), n)
		}
		if n := testing.AllocsPerRun(5, func() { term.Write(plain) }); n > 2 {
			t.Errorf("%dx%d: Write of %d plain bytes: %v allocs", sz.cols, sz.rows, len(plain), n)
		}
		str := string(p[:1<<16])
		if n := testing.AllocsPerRun(5, func() { term.WriteString(str) }); n > 0 {
			t.Errorf("%dx%d: WriteString: %v allocs", sz.cols, sz.rows, n)
		}
		var buf []byte
		if n := testing.AllocsPerRun(5, func() {
			for y := 0; y < sz.rows; y++ {
				buf = term.AppendRowText(buf[:0], y)
			}
		}); n > 0 {
			t.Errorf("AppendRowText allocates: %v", n)
		}
	}
}
