package termgen

import (
	"bytes"
	"fmt"
	"testing"
	"unicode/utf8"
)

var geometries = []Gen{{80, 24}, {20, 5}, {132, 50}, {250, 100}, {2, 2}, {}}

func TestDeterministic(t *testing.T) {
	for _, g := range All {
		for _, geo := range geometries {
			a := g.Gen(geo, 20000, 7)
			b := g.Gen(geo, 20000, 7)
			if !bytes.Equal(a, b) {
				t.Errorf("%s %v: two runs with seed 7 differ", g.Name, geo)
			}
			c := g.Gen(geo, 20000, 8)
			if bytes.Equal(a, c) {
				t.Errorf("%s %v: seeds 7 and 8 give the same stream", g.Name, geo)
			}
		}
	}
	if !bytes.Equal(Mixed(5000, 3), Default.Mixed(5000, 3)) {
		t.Error("Mixed and Default.Mixed differ")
	}
	a, b := Resizes(11), Resizes(11)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Error("Resizes(11) differs between runs")
	}
}

func TestSize(t *testing.T) {
	for _, g := range All {
		for _, geo := range geometries {
			for _, size := range []int{0, 1, 100, 4096, 100000} {
				b := g.Gen(geo, size, 1)
				if len(b) < size || len(b) >= size+MaxOvershoot || (size == 0 && len(b) != 0) {
					t.Errorf("%s %v size %d: got %d bytes", g.Name, geo, size, len(b))
				}
			}
		}
	}
}

// checkWellFormed checks that p is valid UTF-8 and that every escape
// sequence is complete and of the forms the generators promise (so that
// EscapeCount counts sequences): CSI with a final byte, OSC ended by BEL,
// or a two- or three-byte ESC sequence.
func checkWellFormed(t *testing.T, name string, p []byte) {
	t.Helper()
	if !utf8.Valid(p) {
		t.Errorf("%s: not valid UTF-8", name)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 0x80 && c < 0xa0 {
			continue // continuation bytes of UTF-8 (C1 controls are never emitted as UTF-8 runes)
		}
		if c != 0x1b {
			if c < 0x20 && !bytes.ContainsRune([]byte("\r\n\t\a\b\x0e\x0f"), rune(c)) {
				t.Errorf("%s: unexpected control %#x at %d", name, c, i)
				return
			}
			continue
		}
		if i+1 >= len(p) {
			t.Errorf("%s: ESC at the end", name)
			return
		}
		switch p[i+1] {
		case '[':
			j := i + 2
			for j < len(p) && p[j] >= 0x20 && p[j] < 0x40 {
				j++
			}
			if j >= len(p) || p[j] < 0x40 || p[j] > 0x7e {
				t.Errorf("%s: unterminated CSI at %d: %q", name, i, p[i:min(len(p), i+20)])
				return
			}
			i = j
		case ']':
			j := bytes.IndexByte(p[i:], '\a')
			if j < 0 || bytes.IndexByte(p[i+1:i+j], 0x1b) >= 0 {
				t.Errorf("%s: OSC at %d not ended by BEL", name, i)
				return
			}
			i += j
		case '(', ')':
			if i+2 >= len(p) || (p[i+2] != '0' && p[i+2] != 'B') {
				t.Errorf("%s: bad designation at %d", name, i)
				return
			}
			i += 2
		case 'M', '=', '>':
			i++
		default:
			t.Errorf("%s: unexpected ESC %q at %d", name, p[i+1], i)
			return
		}
	}
	for _, r := range string(p) {
		if r >= 0x80 && r < 0xa0 {
			t.Errorf("%s: C1 control %U", name, r)
			return
		}
	}
}

func TestWellFormed(t *testing.T) {
	for _, g := range All {
		for _, geo := range geometries {
			for seed := uint64(0); seed < 5; seed++ {
				checkWellFormed(t, fmt.Sprintf("%s %v seed %d", g.Name, geo, seed), g.Gen(geo, 30000, seed))
			}
		}
	}
	for seed := uint64(0); seed < 20; seed++ {
		checkWellFormed(t, fmt.Sprintf("Resizes(%d)", seed), Resizes(seed).Bytes())
	}
}

// TestMixedDensity measures the escape density of Mixed: about one escape
// sequence per TargetBytesPerEscape bytes, within 10% for streams of 64 KiB
// and more.
func TestMixedDensity(t *testing.T) {
	for _, geo := range []Gen{Default, {120, 40}, {40, 12}} {
		for _, size := range []int{64 << 10, 512 << 10} {
			for seed := uint64(0); seed < 3; seed++ {
				b := geo.Mixed(size, seed)
				ratio := float64(len(b)) / float64(EscapeCount(b))
				t.Logf("%v size %d seed %d: %.2f bytes per escape", geo, size, seed, ratio)
				if ratio < TargetBytesPerEscape*0.9 || ratio > TargetBytesPerEscape*1.1 {
					t.Errorf("%v size %d seed %d: %.2f bytes per escape, want %d±10%%", geo, size, seed, ratio, TargetBytesPerEscape)
				}
			}
		}
	}
}

// TestMixedCoverage checks that Mixed contains the features of every
// generator.
func TestMixedCoverage(t *testing.T) {
	b := Mixed(1<<20, 1)
	for _, want := range []string{
		"\x1b[01;34m", "\x1b[38;5;", "\x1b[38;2;", "\x1b[?1049h", "\x1b[?1049l", "\x1b[H", "\x1b[2J",
		"\x1b[1;23r", "\x1bM", "L", "\x1b[K", "\x1b(0", "\x0e", "\x0f", "\x1b[?7l", "\t", "日本語", "😀", "\u0301",
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("Mixed lacks %q", want)
		}
	}
	for _, re := range []string{"S", "T", "L", "M", "@", "P"} {
		found := false
		for n := 1; n <= 5 && !found; n++ {
			found = bytes.Contains(b, fmt.Appendf(nil, "\x1b[%d%s", n, re))
		}
		if !found {
			t.Errorf("Mixed lacks CSI n %s", re)
		}
	}
}

func TestResizes(t *testing.T) {
	for seed := uint64(0); seed < 50; seed++ {
		s := Resizes(seed)
		if s.Cols < 20 || s.Cols > 132 || s.Rows < 5 || s.Rows > 50 {
			t.Errorf("seed %d: initial size %dx%d", seed, s.Cols, s.Rows)
		}
		resizes := 0
		for i, c := range s.Chunks {
			switch {
			case c.IsResize():
				resizes++
				if c.Cols < 20 || c.Cols > 132 || c.Rows < 5 || c.Rows > 50 || len(c.Data) != 0 {
					t.Errorf("seed %d chunk %d: bad resize %+v", seed, i, c)
				}
			case len(c.Data) == 0:
				t.Errorf("seed %d chunk %d: empty", seed, i)
			}
		}
		if resizes < 4 || resizes > 12 {
			t.Errorf("seed %d: %d resizes", seed, resizes)
		}
		if n := len(s.Bytes()); n < 1000 {
			t.Errorf("seed %d: only %d bytes", seed, n)
		}
	}
}

func TestCutVisible(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 2, "ab"},
		{"abc", 3, "abc"},
		{"a\x1b[1mbc", 2, "a\x1b[1mb"},
		{"a\x1b[1;31mbc", 1, "a\x1b[1;31m"},
		{"", 0, ""},
	} {
		if got := cutVisible(c.s, c.n); got != c.want {
			t.Errorf("cutVisible(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}

func BenchmarkMixed(b *testing.B) {
	b.SetBytes(1 << 20)
	for b.Loop() {
		Mixed(1<<20, 1)
	}
}
