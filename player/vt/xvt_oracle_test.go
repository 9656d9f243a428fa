package vt_test

// Differential testing against github.com/charmbracelet/x/vt (test-only):
// random escape streams, built from fuzz input by a small grammar, are fed to
// both emulators and every cell (text, width, colors, attributes) and the
// cursor are compared.
//
// x/vt is close to xterm but not equal to it, and our Terminal follows tmux
// where tmux and xterm differ. Every known difference is kept out of the
// grammar or normalised, each marked below with its tag:
//
//	X1..X17  x/vt deviates from xterm and tmux (x/vt bugs or limits)
//	T*       our Terminal follows tmux where xterm differs (see
//	         oracle_test.go and the package documentation)
//
// The list, with examples, is in /work/notes/xvt-deviations.md.
//
// Run: go test ./player/vt -run XVT -v
// Fuzz: go test ./player/vt -run '^$' -fuzz FuzzDifferentialXVT

import (
	"fmt"
	"image/color"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
	xvt "github.com/charmbracelet/x/vt"

	"github.com/auditctl/auditctl/player/vt"
)

// grammar turns fuzz input into a terminal stream: each input byte chooses a
// production, the following bytes its arguments; any input is a valid
// program. It tracks the little state it needs to steer around the known
// deviations.
type grammar struct {
	in         []byte
	i          int
	out        []byte
	cols, rows int

	tmux     bool // the stream is for tmux: see buildStream
	wide     bool // wide mode: wide characters, with the column tracked
	col      int  // wide mode: the cursor column (always known there)
	alt      bool // on the alternate screen
	nowrap   bool // autowrap is off
	gfx      bool // G0 is DEC special graphics
	saved    bool // a DECSC happened on this screen (since the last switch)
	savedGfx bool // gfx at the DECSC
	region   bool // a scroll region other than the full screen is set
}

func (g *grammar) more() bool { return g.i < len(g.in) }

func (g *grammar) next() int {
	if g.i >= len(g.in) {
		return 0
	}
	c := g.in[g.i]
	g.i++
	return int(c)
}

func (g *grammar) s(s string) { g.out = append(g.out, s...) }

func (g *grammar) csi(final string, params ...int) {
	g.s("\x1b[")
	for i, p := range params {
		if i > 0 {
			g.s(";")
		}
		g.out = strconv.AppendInt(g.out, int64(p), 10)
	}
	g.s(final)
}

// unwrap leaves the pending-wrap state where it could be set, without a
// visible effect otherwise: CUF then CUB. At the last column (pending or
// not) the cursor ends one column to the left in every model. Used before
// operations whose effect in that state differs between xterm (x/vt) and
// tmux (our Terminal): T2 (BS), T5 (LF, EL, ED, ECH, ICH, DCH, SU/SD/IL/DL
// and the like), and before DECSC (X17).
func (g *grammar) unwrap() {
	if !g.tmux {
		g.s("\x1b[C\x1b[D")
	}
}

var (
	gramWide  = []string{"日", "本", "語", "한", "글", "テ", "ス", "ト", "中", "Ａ", "😀", "🚀"}
	gramMarks = []string{"\u0301", "\u0308", "\u0323"}
	// gramSGR: attributes and their resets. Blink (5) and conceal (8) are
	// included; rapid blink (6) too (x/vt keeps it apart, normalised). Not
	// 21, double underline in xterm and tmux, ignored by x/vt (X16).
	gramSGR = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 22, 23, 24, 25, 27, 28, 29, 39, 49}
)

// buildStream builds a stream for a cols x rows terminal (cols >= 6,
// rows >= 2) from fuzz input. forTmux builds it for the tmux oracle, which
// compares text only: without CHT (T1), and without the detours around the
// T cases (our Terminal follows tmux there) and around x/vt's deviations
// that concern tmux-compatible behaviour (X6, X7, X10, X14, X15); and
// without IL and ICH (T16).
func buildStream(in []byte, cols, rows int, forTmux bool) []byte {
	g := &grammar{in: in, cols: cols, rows: rows, tmux: forTmux}
	if len(in) > 0 && in[0]%4 == 0 {
		g.wide = true
		g.i = 1
	}
	for g.more() {
		g.production()
	}
	return g.out
}

func (g *grammar) production() {
	cols, rows := g.cols, g.rows
	if g.wide {
		g.wideProduction()
		return
	}
	switch op := g.next() % 20; op {
	case 0, 1, 2: // printable ASCII run; no '_' (X6)
		n := 1 + g.next()%24
		for j := 0; j < n; j++ {
			c := byte(0x20 + g.next()%95)
			if c == '_' && !g.tmux {
				c = '-'
			}
			g.out = append(g.out, c)
		}
	case 3: // a letter with a combining mark, in ASCII (X7); not with
		// autowrap off (T12: at the last column, tmux and our Terminal
		// attach the mark to the character before the last one)
		if g.nowrap && !g.tmux {
			return
		}
		if g.gfx && !g.tmux {
			g.s("\x1b(B")
			g.gfx = false
		}
		g.out = append(g.out, byte('a'+g.next()%26))
		g.s(gramMarks[g.next()%len(gramMarks)])
	case 4, 5: // cursor motion; counts >= 1 (X4); vertical relative
		// moves only without a region (X15)
		n := 1 + g.next()%(cols+3)
		k := g.next() % 9
		if g.region && !g.tmux && (k < 2 || k > 6) {
			k = 4
		}
		if k != 4 && k != 6 {
			// Relative moves and VPA from the pending-wrap state: tmux
			// and our Terminal count from one past the last column (T11).
			g.unwrap()
		}
		if k == 5 && g.tmux {
			// tmux keeps the pending wrap across VPA; xterm and our
			// Terminal do not (T18).
			g.s("\x1b[C\x1b[D")
		}
		switch k {
		case 0:
			g.csi("A", n)
		case 1:
			g.csi("B", n)
		case 2:
			g.csi("C", n)
		case 3:
			g.csi("D", n)
		case 4:
			g.csi("G", n)
		case 5:
			g.csi("d", 1+g.next()%(rows+3))
		case 6:
			g.csi("H", 1+g.next()%(rows+3), n)
		case 7:
			g.csi("E", 1+n%5)
		default:
			g.csi("F", 1+n%5)
		}
	case 6: // SGR: 16 colors and attributes
		switch g.next() % 4 {
		case 0:
			g.csi("m", 30+g.next()%8)
		case 1:
			g.csi("m", 40+g.next()%8)
		case 2:
			g.csi("m", 90+g.next()%8, 100+g.next()%8)
		default:
			g.csi("m", gramSGR[g.next()%len(gramSGR)])
		}
	case 7: // SGR: 256 colors and truecolor
		fb := 38 + 10*(g.next()%2)
		if g.next()%2 == 0 {
			g.csi("m", fb, 5, g.next())
		} else {
			g.csi("m", fb, 2, g.next(), g.next(), g.next())
		}
	case 8: // erase
		g.unwrap()
		switch g.next() % 4 {
		case 0:
			g.ed(g.next() % 3)
		case 1:
			g.csi("K", g.next()%3)
		case 2:
			g.csi("X", 1+g.next()%(cols+2))
		default:
			g.csi("K")
		}
	case 9: // insert and delete lines (only inside the region: T4) and
		// characters (only without a region: X10); then CR (T3)
		g.unwrap()
		n := 1 + g.next()%(rows+2)
		free := !g.region || g.tmux
		k := g.next() % 4
		if g.tmux && k%2 == 0 {
			// tmux leaves stale rows or cells behind after IL and ICH
			// when they insert more than they move (T16).
			return
		}
		switch {
		case k < 2 && free:
			if k == 0 {
				g.csi("L", n)
			} else {
				g.csi("M", n)
			}
			if !g.tmux {
				g.s("\r")
			}
		case k == 2 && free:
			g.csi("@", 1+g.next()%(cols+2))
		case free:
			g.csi("P", 1+g.next()%(cols+2))
		}
	case 10: // scroll region, always a valid one (invalid regions are
		// among the tmux edge cases); it homes the cursor
		if g.next()%4 == 0 {
			g.csi("r")
			g.region = false
		} else {
			top := 1 + g.next()%(rows-1)
			bot := top + 1 + g.next()%(rows-top)
			g.csi("r", top, bot)
			g.region = top > 1 || bot < rows
		}
	case 11: // scrolling
		g.unwrap()
		n := 1 + g.next()%(rows+2)
		switch g.next() % 4 { // no NEL (X3)
		case 0:
			g.csi("S", n)
		case 1:
			g.csi("T", n)
		case 2:
			g.s("\x1bM")
		default:
			g.s("\x1bD")
		}
	case 12: // tabs
		g.unwrap()
		switch g.next() % 3 {
		case 0:
			g.s("\t")
		case 1:
			if g.tmux {
				g.s("\t")
			} else {
				g.csi("I", 1+g.next()%4)
			}
		default:
			g.csi("Z", 1+g.next()%4)
		}
	case 13: // alternate screen; then home, default pen and charset,
		// no region (X2, X8)
		g.altSwitch()
	case 14, 15: // C0 controls
		if k := g.next() % 6; k == 0 {
			g.s("\r")
		} else {
			g.unwrap()
			if k == 2 && !g.tmux {
				// Never at column 0: tmux and our Terminal go back to
				// the end of the previous row when it wrapped (T10).
				g.s("\x1b[C")
			}
			g.s([]string{"", "\n", "\b", "\r\n", "\x0b", "\x0c"}[k])
		}
	case 16: // save and restore the cursor: restore only after a save on
		// this screen (X9), then re-designate the saved charset (X9)
		if g.next()%2 == 0 {
			g.unwrap()
			g.s("\x1b7")
			g.saved, g.savedGfx = true, g.gfx
		} else if g.saved {
			// x/vt keeps a pending wrap across DECRC (X17): unwrap.
			g.s("\x1b8")
			g.unwrap()
			g.gfx = g.savedGfx
			if g.gfx {
				g.s("\x1b(0")
			} else {
				g.s("\x1b(B")
			}
		}
	case 17: // autowrap
		g.unwrap()
		if g.tmux {
			// Turning autowrap off in the pending-wrap state: tmux keeps
			// the cursor past the last column (the next character is
			// dropped, erasing there erases nothing); xterm and our
			// Terminal go on at the last column (T17).
			g.s("\x1b[C\x1b[D")
		}
		g.nowrap = g.next()%3 == 0
		if g.nowrap {
			g.s("\x1b[?7l")
		} else {
			g.s("\x1b[?7h")
		}
	case 18: // line drawing
		g.gfx = g.next()%2 == 0
		if g.gfx {
			g.s("\x1b(0")
		} else {
			g.s("\x1b(B")
		}
	case 19: // a run at the right margin: pending wrap and wrapping
		g.csi("G", cols-g.next()%3)
		g.s("xyz")
	}
}

// ed erases in display. x/vt's ED 1 erases the whole cursor row (X14): it
// becomes ED 0. x/vt's ED 2 clears to the default background where xterm
// and tmux use the current one (X13): reset it first.
func (g *grammar) ed(n int) {
	switch {
	case n == 1 && !g.tmux:
		n = 0
	case n == 2:
		g.s("\x1b[49m")
	}
	g.csi("J", n)
}

// eraseMode picks the mode of EL or ED in wide mode (column 0): not 1,
// which would erase the left half of a wide character there; tmux keeps
// the right half (T6), x/vt blanks it but keeps its old background (X5).
func (g *grammar) eraseMode() int {
	n := g.next() % 3
	if n == 1 {
		n = 2
	}
	return n
}

// altSwitch enters or leaves the alternate screen. x/vt clears the
// alternate screen with the default background (X13), homes the cursor on
// entering it and does not restore the cursor on leaving (X2), and keeps a
// scroll region per screen (X8): the pen is reset before, and the region,
// cursor, pen and charset after.
func (g *grammar) altSwitch() {
	if !g.alt {
		g.s("\x1b[m\x1b[?1049h\x1b[r\x1b[H\x1b[m\x1b(B")
	} else {
		g.s("\x1b[m\x1b[?1049l\x1b[r\x1b[H\x1b[m\x1b(B")
	}
	g.alt = !g.alt
	g.gfx, g.saved, g.region, g.col = false, false, false, 0
}

// wideProduction: wide mode keeps the cursor column known, so that no wide
// character reaches the last column (X1) and nothing lands on half of one
// (X5: x/vt and our Terminal split wide characters differently from tmux;
// the tmux oracle covers those cases).
func (g *grammar) wideProduction() {
	switch g.next() % 10 {
	case 0, 1, 2, 3: // text: ASCII and wide characters, short of the last
		// column, over an erased rest of the row (X5: no half of an old
		// wide character is left behind)
		g.s("\x1b[K")
		for n := 1 + g.next()%12; n > 0; n-- {
			if g.next()%2 == 0 {
				if g.col+2 > g.cols-1 {
					break
				}
				g.s(gramWide[g.next()%len(gramWide)])
				g.col += 2
			} else {
				if g.col+1 > g.cols-1 {
					break
				}
				g.out = append(g.out, byte('a'+g.next()%26))
				g.col++
			}
		}
	case 4: // new line
		g.s([]string{"\r\n", "\r\x1bM", "\r\x1bD", "\r"}[g.next()%4])
		g.col = 0
	case 5: // SGR
		switch g.next() % 4 {
		case 0:
			g.csi("m", 30+g.next()%8, 40+g.next()%8)
		case 1:
			g.csi("m", 38, 5, g.next())
		case 2:
			g.csi("m", 48, 2, g.next(), g.next(), g.next())
		default:
			g.csi("m", gramSGR[g.next()%len(gramSGR)])
		}
	case 6: // whole-line operations from column 0
		g.s("\r")
		g.col = 0
		n := 1 + g.next()%g.rows
		k := g.next() % 6
		if g.region && !g.tmux && k < 2 {
			k = 2 // IL, DL only without a region (T4)
		}
		if g.tmux && k == 0 {
			k = 1 // no IL for tmux (T16)
		}
		switch k {
		case 0:
			g.csi("L", n)
		case 1:
			g.csi("M", n)
		case 2:
			g.csi("S", n)
		case 3:
			g.csi("T", n)
		case 4:
			g.csi("K", g.eraseMode())
		default:
			g.ed(g.eraseMode())
		}
	case 7: // move to a row, column 1
		g.csi("H", 1+g.next()%g.rows, 1)
		g.col = 0
	case 8: // scroll region
		top := 1 + g.next()%(g.rows-1)
		bot := top + 1 + g.next()%(g.rows-top)
		g.csi("r", top, bot)
		g.region = top > 1 || bot < g.rows
		g.col = 0
	default:
		g.altSwitch()
	}
}

// newXVT returns an x/vt emulator whose reply pipe is drained (it would block
// on terminal queries otherwise) and closed at the end of the test. The
// pipe is closed through its writer: Emulator.Close writes a field that a
// concurrent Read reads without synchronisation (a data race in x/vt).
func newXVT(tb testing.TB, cols, rows int) *xvt.Emulator {
	e := xvt.NewEmulator(cols, rows)
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, e)
		close(done)
	}()
	tb.Cleanup(func() {
		if c, ok := e.InputPipe().(io.Closer); ok {
			c.Close()
		} else {
			e.Close()
		}
		<-done
	})
	return e
}

// colorKey renders a color for comparison: "" default, "i<n>" indexed (the
// 16 ANSI colors are indexed 0-15), "#rrggbb" RGB.
func colorKey(c vt.Color) string {
	if c.IsDefault() {
		return ""
	}
	if n, ok := c.Indexed(); ok {
		return "i" + strconv.Itoa(int(n))
	}
	r, g, b, _ := c.RGB()
	return fmt.Sprintf("#%02x%02x%02x", r, g, b)
}

func xvtColorKey(c color.Color) string {
	switch c := c.(type) {
	case nil:
		return ""
	case ansi.BasicColor:
		return "i" + strconv.Itoa(int(c))
	case ansi.IndexedColor:
		return "i" + strconv.Itoa(int(c))
	}
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8)
}

// cellKey is a comparable rendering of a cell.
type cellKey struct {
	text   string
	width  int
	fg, bg string
	attrs  vt.Attr
}

func (k cellKey) String() string {
	return fmt.Sprintf("%q w%d fg=%q bg=%q attrs=%#x", k.text, k.width, k.fg, k.bg, k.attrs)
}

func ourCell(term *vt.Terminal, x, y int) cellKey {
	c := term.Cell(x, y)
	return cellKey{c.Text, c.Width, colorKey(c.Style.Fg), colorKey(c.Style.Bg), c.Style.Attrs}
}

// xvtGraphics normalises x/vt's DEC special graphics: it maps y and z to
// U+2A7D and U+2A7E where xterm (and tmux, and we) show ≤ and ≥ (X12).
var xvtGraphics = strings.NewReplacer("⩽", "≤", "⩾", "≥")

func xvtCell(e *xvt.Emulator, x, y int) cellKey {
	c := e.CellAt(x, y)
	if c == nil {
		return cellKey{text: " ", width: 1}
	}
	k := cellKey{text: xvtGraphics.Replace(c.Content), width: c.Width,
		fg: xvtColorKey(c.Style.Fg), bg: xvtColorKey(c.Style.Bg)}
	if k.text == "" && k.width == 0 && x > 0 {
		if p := e.CellAt(x-1, y); p == nil || p.Width != 2 {
			k.text, k.width = " ", 1 // a cleared cell, not a right half
		}
	}
	if k.text == "" && k.width != 0 {
		k.text = " "
	}
	a := c.Style.Attrs
	for _, m := range []struct {
		x uint8
		v vt.Attr
	}{
		{uv.AttrBold, vt.AttrBold}, {uv.AttrFaint, vt.AttrFaint}, {uv.AttrItalic, vt.AttrItalic},
		{uv.AttrBlink, vt.AttrBlink}, {uv.AttrRapidBlink, vt.AttrBlink}, {uv.AttrReverse, vt.AttrInverse},
		{uv.AttrConceal, vt.AttrInvisible}, {uv.AttrStrikethrough, vt.AttrStrike},
	} {
		if a&m.x != 0 {
			k.attrs |= m.v
		}
	}
	if c.Style.Underline != ansi.UnderlineNone {
		k.attrs |= vt.AttrUnderline
	}
	return k
}

// xvtDiff compares the two emulators and describes the differences ("" when
// equal).
func xvtDiff(term *vt.Terminal, e *xvt.Emulator) string {
	cols, rows := term.Size()
	var b strings.Builder
	n := 0
	for y := 0; y < rows; y++ {
		for x := 0; x < cols; x++ {
			o, t := ourCell(term, x, y), xvtCell(e, x, y)
			if o.width == 0 && t.width == 0 {
				// The right half of a wide character: its style is
				// not part of the contract (ours repeats the left
				// half's, x/vt keeps none).
				o.fg, o.bg, o.attrs = t.fg, t.bg, t.attrs
			}
			const showsFg = vt.AttrInverse | vt.AttrUnderline | vt.AttrStrike
			if o.text == " " && t.text == " " && (o.attrs|t.attrs)&showsFg == 0 {
				// The foreground of a blank cell cannot be seen.
				o.fg = t.fg
			}
			if o == t {
				continue
			}
			n++
			if n <= 4 {
				fmt.Fprintf(&b, "\n  cell %d,%d: ours %v\n            x/vt %v", x, y, o, t)
			}
		}
	}
	if n > 4 {
		fmt.Fprintf(&b, "\n  ... %d cells differ", n)
	}
	if n > 0 {
		for y := 0; y < rows; y++ {
			fmt.Fprintf(&b, "\n  row %2d ours %q", y, term.RowText(y))
		}
		for y := 0; y < rows; y++ {
			fmt.Fprintf(&b, "\n  row %2d x/vt %q", y, strings.TrimRight(xvtRowText(e, y), " "))
		}
	}
	c, p := term.Cursor(), e.CursorPosition()
	if c.Col != p.X || c.Row != p.Y {
		fmt.Fprintf(&b, "\n  cursor: ours %d,%d x/vt %d,%d", c.Col, c.Row, p.X, p.Y)
	}
	if term.AltScreen() != e.IsAltScreen() {
		fmt.Fprintf(&b, "\n  alternate screen: ours %v x/vt %v", term.AltScreen(), e.IsAltScreen())
	}
	return b.String()
}

func xvtRowText(e *xvt.Emulator, y int) string {
	var b strings.Builder
	for x := 0; x < e.Width(); x++ {
		b.WriteString(xvtCell(e, x, y).text)
	}
	return b.String()
}

// runXVT feeds stream to both emulators and returns the differences.
func runXVT(tb testing.TB, stream []byte, cols, rows int) string {
	term := vt.New(cols, rows)
	term.Write(stream)
	e := newXVT(tb, cols, rows)
	e.Write(stream)
	return xvtDiff(term, e)
}

// shrinkXVT removes bytes from a failing input while it keeps failing, and
// returns the smallest input found. Shrinking the input rather than the
// stream keeps every candidate a stream of the grammar.
func shrinkXVT(tb testing.TB, input []byte) []byte {
	fails := func(in []byte) bool {
		if len(in) < 3 {
			return false
		}
		cols, rows := xvtSize(in)
		return runXVT(tb, buildStream(in[2:], cols, rows, false), cols, rows) != ""
	}
	for chunk := len(input) / 2; chunk >= 1; chunk /= 2 {
		for i := 2; i+chunk <= len(input); {
			try := append(append([]byte{}, input[:i]...), input[i+chunk:]...)
			if fails(try) {
				input = try
			} else {
				i += chunk
			}
		}
	}
	return input
}

func xvtSize(input []byte) (cols, rows int) { return 6 + int(input[0])%40, 2 + int(input[1])%14 }

// differentialXVT builds a stream from input and compares the emulators.
func differentialXVT(t *testing.T, input []byte) {
	if len(input) < 3 {
		return
	}
	cols, rows := xvtSize(input)
	stream := buildStream(input[2:], cols, rows, false)
	if runXVT(t, stream, cols, rows) != "" {
		in := shrinkXVT(t, input)
		cols, rows := xvtSize(in)
		min := buildStream(in[2:], cols, rows, false)
		t.Errorf("%dx%d: our Terminal and x/vt differ on %q\n(shrunk from a %d-byte stream; fuzz input %q)%s",
			cols, rows, min, len(stream), in, runXVT(t, min, cols, rows))
	}
}

func FuzzDifferentialXVT(f *testing.F) {
	f.Add([]byte("\x48\x10\x00hello world\x0e\x05\x01\x13\x00"))
	f.Fuzz(differentialXVT)
}

// TestDifferentialXVT runs the differential on a few hundred inputs from a
// fixed generator.
func TestDifferentialXVT(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 50
	}
	fails := 0
	for seed := uint64(0); seed < uint64(n) && fails < 10; seed++ {
		r := rand.New(rand.NewPCG(seed, 0x78767421))
		in := make([]byte, 3+r.IntN(400))
		for i := range in {
			in[i] = byte(r.Uint32())
		}
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			differentialXVT(t, in)
			if t.Failed() {
				fails++
			}
		})
	}
}
