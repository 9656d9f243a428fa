package vt

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/recording"
)

// op is one step of a replay: output bytes, or a resize when cols > 0.
type op struct {
	data       []byte
	cols, rows int
}

func apply(t *Terminal, ops []op) {
	for _, o := range ops {
		if o.cols > 0 {
			t.Resize(o.cols, o.rows)
		} else {
			t.Write(o.data)
		}
	}
}

// diff returns "" when a and b are in the same state, else a description of
// the first difference. strictParser also compares parser fields that have
// no effect on later output.
func diff(a, b *Terminal, strictParser bool) string {
	if a.cols != b.cols || a.rows != b.rows {
		return fmt.Sprintf("size %dx%d vs %dx%d", a.cols, a.rows, b.cols, b.rows)
	}
	for si, pair := range [][2]*screen{{&a.main, &b.main}, {&a.alt, &b.alt}} {
		for y := 0; y < a.rows; y++ {
			la, lb := pair[0].row(y), pair[1].row(y)
			if la.used != lb.used {
				return fmt.Sprintf("screen %d row %d: used %d vs %d", si, y, la.used, lb.used)
			}
			if la.wrapped != lb.wrapped {
				return fmt.Sprintf("screen %d row %d: wrapped %v vs %v", si, y, la.wrapped, lb.wrapped)
			}
			for x := 0; x < a.cols; x++ {
				ca, cb := la.cells[x], lb.cells[x]
				ta, tb := a.cellText(&ca), b.cellText(&cb)
				if ca.flags&cCont != 0 {
					ta = ""
				}
				if cb.flags&cCont != 0 {
					tb = ""
				}
				if ta != tb || ca.flags != cb.flags || !ca.sameStyle(&cb) {
					return fmt.Sprintf("screen %d cell %d,%d: %q %+v vs %q %+v\nA:\n%s\nB:\n%s", si, x, y, ta, ca, tb, cb, a.Text(), b.Text())
				}
			}
		}
	}
	if a.st != b.st {
		return fmt.Sprintf("state %+v vs %+v", a.st, b.st)
	}
	if (a.scr == &a.alt) != (b.scr == &b.alt) || (a.scr == &a.alt) != a.st.alt {
		return "active screen"
	}
	for i := range a.tabs {
		if a.tabs[i] != b.tabs[i] {
			return fmt.Sprintf("tab stop %d", i)
		}
	}
	pa, pb := a.p, b.p
	if !strictParser {
		for _, p := range []*parser{&pa, &pb} {
			for i := int(p.nparams); i < maxParams; i++ {
				p.params[i] = 0
			}
			p.sub &= 1<<p.nparams - 1
			for i := p.oscLen; i < oscMax; i++ {
				p.osc[i] = 0
			}
			p.r = 0
		}
	}
	if pa != pb {
		return fmt.Sprintf("parser %+v vs %+v", pa.state, pb.state)
	}
	return ""
}

// checkInvariants reports a broken internal invariant.
func checkInvariants(t *Terminal) error {
	st := &t.st
	if st.x < 0 || st.x > t.cols || st.y < 0 || st.y >= t.rows {
		return fmt.Errorf("cursor %d,%d outside %dx%d", st.x, st.y, t.cols, t.rows)
	}
	c := t.Cursor()
	if c.Col < 0 || c.Col >= t.cols || c.Row < 0 || c.Row >= t.rows {
		return fmt.Errorf("Cursor() %+v outside", c)
	}
	if st.top < 0 || st.top > st.bot || st.bot >= t.rows {
		return fmt.Errorf("region %d..%d", st.top, st.bot)
	}
	if len(t.tabs) != t.cols {
		return errors.New("tab stops")
	}
	if (t.scr == &t.alt) != st.alt {
		return errors.New("active screen")
	}
	for si, s := range []*screen{&t.main, &t.alt} {
		if len(s.lines) != t.rows || s.top < 0 || s.top >= t.rows {
			return fmt.Errorf("screen %d ring", si)
		}
		for y := 0; y < t.rows; y++ {
			cs := s.row(y).cells
			if u := s.row(y).used; u < 0 || u > t.cols {
				return fmt.Errorf("screen %d row %d: used %d", si, y, u)
			}
			if len(cs) != t.cols {
				return fmt.Errorf("screen %d row %d: %d cells", si, y, len(cs))
			}
			for x := range cs {
				f := cs[x].flags
				if f&cWide != 0 && (x+1 >= len(cs) || cs[x+1].flags&cCont == 0) {
					return fmt.Errorf("screen %d cell %d,%d: wide without right half", si, x, y)
				}
				if f&cCont != 0 && (x == 0 || cs[x-1].flags&cWide == 0) {
					return fmt.Errorf("screen %d cell %d,%d: right half without left", si, x, y)
				}
				if f&cComb != 0 && int(cs[x].r) >= len(t.comb) {
					return fmt.Errorf("screen %d cell %d,%d: bad combined index", si, x, y)
				}
				if f&(cComb|cCont) == 0 && runeWidth(cs[x].r) <= 0 {
					return fmt.Errorf("screen %d cell %d,%d: unprintable %U", si, x, y, cs[x].r)
				}
			}
		}
	}
	return nil
}

// randomStream returns n bytes of random terminal output made of printable
// text and control sequences of every kind the terminal handles, plus noise.
func randomStream(r *rand.Rand, n int) []byte {
	var b []byte
	num := func() string {
		switch r.IntN(6) {
		case 0:
			return ""
		case 1:
			return strconv.Itoa(r.IntN(300))
		default:
			return strconv.Itoa(r.IntN(12))
		}
	}
	words := []string{"hello", "world", "中文字", "😀", "e\u0301", "a\u0308\u0301", "x", "  ", "ｱ", "─│┌", "\u200d", "\ufe0f", "ab", "abcdefghijklmnopqrstuvwxyz0123456789"}
	for len(b) < n {
		switch k := r.IntN(40); {
		case k < 10:
			b = append(b, words[r.IntN(len(words))]...)
		case k < 13:
			b = append(b, "\r\n\b\t\n\r\x0e\x0f\a"[r.IntN(9)])
		case k < 24:
			b = append(b, "\x1b["...)
			if r.IntN(8) == 0 {
				b = append(b, "?>!= $"[r.IntN(6)])
			}
			for i := r.IntN(4); i > 0; i-- {
				b = append(b, num()...)
				b = append(b, ";;:"[r.IntN(3)])
			}
			b = append(b, num()...)
			if r.IntN(20) == 0 {
				b = append(b, " !$\""[r.IntN(4)])
			}
			b = append(b, "@ABCDEFGHIJKLMPSTXZ`abdefghlmnrsuJKq"[r.IntN(36)])
		case k < 27:
			b = append(b, "\x1b[?"...)
			b = append(b, []string{"1", "6", "7", "25", "47", "1047", "1049", "1048", "2004", "1000", "1006", "5", "4"}[r.IntN(13)]...)
			b = append(b, "hl"[r.IntN(2)])
		case k < 30:
			b = append(b, "\x1b["...)
			b = append(b, []string{"38;5;" + num(), "48;2;1;2;3", "38:2::10:20:30", "4:3", "1;2;3;4;5;7;8;9", "0", "22;23;24;27", "9" + strconv.Itoa(r.IntN(8)), "10" + strconv.Itoa(r.IntN(8)), "3" + strconv.Itoa(r.IntN(10)), "4" + strconv.Itoa(r.IntN(10))}[r.IntN(11)]...)
			b = append(b, 'm')
		case k < 33:
			b = append(b, '\x1b')
			b = append(b, []string{"7", "8", "D", "E", "H", "M", "(0", "(B", ")0", "#8", "=", ">", "c", "(A", "*0"}[r.IntN(15)]...)
		case k < 34:
			b = append(b, []string{"\x1b]0;title\a", "\x1b]2;tït\x1b\\", "\x1bP1$qm\x1b\\", "\x1b_apc\x1b\\", "\x1b]11;?\a", "\x1b]8;;http://x\x1b\\"}[r.IntN(6)]...)
		case k < 36:
			b = append(b, fmt.Sprintf("\x1b[%d;%dr", r.IntN(10), r.IntN(30))...)
		case k < 38:
			b = append(b, byte(r.IntN(256)))
		default:
			b = append(b, fmt.Sprintf("\x1b[%d;%dH", r.IntN(30), r.IntN(90))...)
		}
	}
	return b
}

// randomOps splits a random stream into writes with a few resizes.
func randomOps(r *rand.Rand, n int) []op {
	data := randomStream(r, n)
	var ops []op
	for len(data) > 0 {
		k := min(len(data), 1+r.IntN(512))
		ops = append(ops, op{data: data[:k]})
		data = data[k:]
		if r.IntN(10) == 0 {
			ops = append(ops, op{cols: 1 + r.IntN(100), rows: 1 + r.IntN(40)})
		}
	}
	return ops
}

// recordingsDir is where the shared sample recordings live.
const recordingsDir = "/work/shared/data/recordings"

type recOps struct {
	name       string
	cols, rows int
	ops        []op
}

// loadRecordings reads every recording under recordingsDir; it skips the
// test when the directory is absent.
func loadRecordings(t testing.TB) []recOps {
	if _, err := os.Stat(recordingsDir); err != nil {
		t.Skipf("no recordings: %v", err)
	}
	var out []recOps
	filepath.WalkDir(recordingsDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".cast") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return nil
		}
		defer f.Close()
		rd, err := recording.NewReader(path, f)
		if err != nil {
			return nil // invalid fixtures are the reader's business
		}
		h := rd.Header()
		ro := recOps{name: path, cols: h.Width, rows: h.Height}
		if ro.cols <= 0 || ro.rows <= 0 {
			ro.cols, ro.rows = 80, 24
		}
		for {
			ev, err := rd.Next()
			if err == io.EOF || err != nil {
				break
			}
			switch ev.Code {
			case "o":
				ro.ops = append(ro.ops, op{data: []byte(ev.Data)})
			case "r":
				var c, r int
				if _, err := fmt.Sscanf(ev.Data, "%dx%d", &c, &r); err == nil && c > 0 && r > 0 {
					ro.ops = append(ro.ops, op{cols: c, rows: r})
				}
			}
		}
		out = append(out, ro)
		return nil
	})
	return out
}
