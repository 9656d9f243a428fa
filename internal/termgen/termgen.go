// Package termgen generates deterministic, realistic terminal output streams
// for tests and benchmarks of the terminal emulator (player/vt): the bytes a
// program writes to its tty, as a recording's "o" events carry them.
//
// Every generator is a pure function of its arguments: the same size, seed
// and geometry give the same bytes. Streams are valid UTF-8, use "\r\n" line
// ends (a tty with onlcr), and keep to sequences that xterm and tmux agree
// on, so that they can be replayed against either as an oracle; the one
// exception is TopRedraws, whose full-width rows end with EL in the
// pending-wrap state (tmux erases nothing there, xterm the last column).
//
// The size argument is a target: a generator appends whole units (a line, a
// screen redraw, a scroll) while the stream is shorter than size, so the
// result is at least size bytes (for size > 0) and longer by less than
// MaxOvershoot.
//
// The package-level functions write for an 80x24 screen (Default); Gen
// writes for another geometry. Streams stay meaningful on a screen of any
// other size: positions beyond the screen are clamped by the terminal.
package termgen

import (
	"math/rand/v2"
	"strconv"
)

// MaxOvershoot bounds by how much a generator's result exceeds its size
// argument, for screens up to 250x100.
const MaxOvershoot = 64 << 10

// Gen generates streams written for a screen of Cols x Rows cells (as the
// program producing the output believed its tty to be).
type Gen struct {
	Cols, Rows int
}

// Default is the geometry of the package-level generators.
var Default = Gen{Cols: 80, Rows: 24}

// Generator is the signature of the package-level generators.
type Generator func(size int, seed uint64) []byte

// Named is a generator with its name, for table-driven tests.
type Named struct {
	Name string
	Gen  func(g Gen, size int, seed uint64) []byte
}

// All lists every generator, Mixed last.
var All = []Named{
	{"ColoredLS", Gen.ColoredLS},
	{"TopRedraws", Gen.TopRedraws},
	{"VimScroll", Gen.VimScroll},
	{"CJK", Gen.CJK},
	{"LineDrawing", Gen.LineDrawing},
	{"LongWrap", Gen.LongWrap},
	{"PlainScroll", Gen.PlainScroll},
	{"Mixed", Gen.Mixed},
}

// ColoredLS: shell prompts and `ls --color` listings (columns, long format,
// 16- and 256-color file types, tabs between columns).
func ColoredLS(size int, seed uint64) []byte { return Default.ColoredLS(size, seed) }

// TopRedraws: top(1) in the alternate screen (1049), redrawing the whole
// screen from the home position again and again, with a truecolor header.
func TopRedraws(size int, seed uint64) []byte { return Default.TopRedraws(size, seed) }

// VimScroll: an editor in the alternate screen scrolling with DECSTBM regions,
// IL/DL, SU/SD, RI, ICH/DCH, cursor moves and a reverse-video status line.
func VimScroll(size int, seed uint64) []byte { return Default.VimScroll(size, seed) }

// CJK: wide characters (CJK, Hangul, kana, fullwidth forms, emoji) including
// wide characters written at the last column, and combining marks.
func CJK(size int, seed uint64) []byte { return Default.CJK(size, seed) }

// LineDrawing: boxes drawn with the DEC special graphics set, designated with
// ESC ( 0 and with ESC ) 0 plus SO/SI.
func LineDrawing(size int, seed uint64) []byte { return Default.LineDrawing(size, seed) }

// LongWrap: lines longer than the width (autowrap), lines of exactly the
// width followed by CR LF, and stretches with autowrap off (DECAWM).
func LongWrap(size int, seed uint64) []byte { return Default.LongWrap(size, seed) }

// PlainScroll: plain log lines ending in CR LF, scrolling the screen.
func PlainScroll(size int, seed uint64) []byte { return Default.PlainScroll(size, seed) }

// Mixed interleaves all the generators, each segment a complete program run
// (a full-screen program leaves the alternate screen at its end), until size
// bytes. Segments are chosen so that the stream has about one escape
// sequence per TargetBytesPerEscape bytes (measured: see EscapeCount and the
// package tests; within ±10% for size >= 64 KiB).
func Mixed(size int, seed uint64) []byte { return Default.Mixed(size, seed) }

// TargetBytesPerEscape is the escape density Mixed aims at.
const TargetBytesPerEscape = 25

// EscapeCount returns the number of escape sequences in p, counted as ESC
// bytes: the generators emit no C1 controls and end OSC strings with BEL,
// so every sequence begins with exactly one ESC.
func EscapeCount(p []byte) int {
	n := 0
	for _, c := range p {
		if c == 0x1b {
			n++
		}
	}
	return n
}

// ColoredLS is the package-level ColoredLS for g's geometry.
func (g Gen) ColoredLS(size int, seed uint64) []byte { return g.run(&lsProg{}, size, seed, 1) }

// TopRedraws is the package-level TopRedraws for g's geometry.
func (g Gen) TopRedraws(size int, seed uint64) []byte { return g.run(&topProg{}, size, seed, 2) }

// VimScroll is the package-level VimScroll for g's geometry.
func (g Gen) VimScroll(size int, seed uint64) []byte { return g.run(&vimProg{}, size, seed, 3) }

// CJK is the package-level CJK for g's geometry.
func (g Gen) CJK(size int, seed uint64) []byte { return g.run(&cjkProg{}, size, seed, 4) }

// LineDrawing is the package-level LineDrawing for g's geometry.
func (g Gen) LineDrawing(size int, seed uint64) []byte { return g.run(&boxProg{}, size, seed, 5) }

// LongWrap is the package-level LongWrap for g's geometry.
func (g Gen) LongWrap(size int, seed uint64) []byte { return g.run(&wrapProg{}, size, seed, 6) }

// PlainScroll is the package-level PlainScroll for g's geometry.
func (g Gen) PlainScroll(size int, seed uint64) []byte { return g.run(&plainProg{}, size, seed, 7) }

func (g Gen) norm() Gen {
	if g.Cols <= 0 {
		g.Cols = Default.Cols
	}
	if g.Rows <= 0 {
		g.Rows = Default.Rows
	}
	g.Cols = min(max(g.Cols, 2), 250)
	g.Rows = min(max(g.Rows, 2), 100)
	return g
}

// run generates a standalone stream: the program's start, then steps until
// size. A full-screen program is left running (the stream ends on the
// alternate screen), which is what a recording cut short looks like.
func (g Gen) run(p program, size int, seed, salt uint64) []byte {
	w := newWriter(g.norm(), seed, salt, size)
	if size <= 0 {
		return []byte{}
	}
	p.begin(w)
	for len(w.b) < size {
		p.step(w)
	}
	return w.b
}

// Mixed is the package-level Mixed for g's geometry.
func (g Gen) Mixed(size int, seed uint64) []byte {
	w := newWriter(g.norm(), seed, 8, size)
	if size <= 0 {
		return []byte{}
	}
	for len(w.b) < size {
		w.segment(size)
	}
	return w.b
}

// segment appends one complete program run of at least three steps and
// about 2 KiB at most (plus the start and a step), chosen to
// steer the escape density towards TargetBytesPerEscape: when the stream so far is
// sparser than the target, a dense program runs, otherwise a sparse one.
func (w *writer) segment(limit int) {
	var p program
	w.escapes += EscapeCount(w.b[w.counted:]) // segments end on sequence boundaries
	w.counted = len(w.b)
	if len(w.b) > TargetBytesPerEscape*w.escapes {
		// Dense programs: about 8 to 22 bytes per escape.
		switch w.r.IntN(3) {
		case 0:
			p = &lsProg{}
		case 1:
			p = &vimProg{}
		default:
			p = &boxProg{}
		}
	} else {
		// Sparse programs: 40 bytes per escape and more.
		switch w.r.IntN(4) {
		case 0:
			p = &cjkProg{}
		case 1:
			p = &wrapProg{}
		case 2:
			p = &topProg{}
		default:
			p = &plainProg{}
		}
	}
	end := min(len(w.b)+256+w.r.IntN(2048), limit)
	p.begin(w)
	for i := 0; i < 3 || len(w.b) < end; i++ {
		p.step(w)
	}
	p.end(w)
}

// Chunk is one piece of a Stream: output bytes, or (when Cols > 0) a resize
// of the terminal to Cols x Rows.
type Chunk struct {
	Data       []byte
	Cols, Rows int
}

// IsResize reports whether c is a resize.
func (c Chunk) IsResize() bool { return c.Cols > 0 }

// Stream is output interleaved with resizes, starting on a Cols x Rows
// screen.
type Stream struct {
	Cols, Rows int
	Chunks     []Chunk
}

// Bytes returns the output bytes of s, concatenated, without the resizes.
func (s Stream) Bytes() []byte {
	var b []byte
	for _, c := range s.Chunks {
		b = append(b, c.Data...)
	}
	return b
}

// Resizes generates a stream of 4 to 12 programs (a few KiB to some tens of
// KiB), each with one resize, to between 20x5 and 132x50. Resizes happen between programs and in the middle
// of full-screen programs, which then redraw for the new size as they do on
// SIGWINCH. No chunk is empty.
func Resizes(seed uint64) Stream {
	r := rand.New(rand.NewPCG(seed, 9))
	s := Stream{Cols: 20 + r.IntN(113), Rows: 5 + r.IntN(46)}
	w := newWriter(Gen{s.Cols, s.Rows}.norm(), seed, 10, 0)
	flush := func() {
		if len(w.b) > 0 {
			s.Chunks = append(s.Chunks, Chunk{Data: w.b})
			w.b = nil
		}
	}
	resize := func() {
		flush()
		c := Chunk{Cols: 20 + r.IntN(113), Rows: 5 + r.IntN(46)}
		s.Chunks = append(s.Chunks, c)
		w.g = Gen{c.Cols, c.Rows}.norm()
	}
	n := 4 + r.IntN(9)
	for i := 0; i < n; i++ {
		var p program
		switch r.IntN(7) {
		case 0:
			p = &lsProg{}
		case 1:
			p = &topProg{}
		case 2:
			p = &vimProg{}
		case 3:
			p = &cjkProg{}
		case 4:
			p = &boxProg{}
		case 5:
			p = &wrapProg{}
		default:
			p = &plainProg{}
		}
		p.begin(w)
		steps := 2 + r.IntN(8)
		mid := r.IntN(2) == 0
		for j := 0; j < steps; j++ {
			p.step(w)
			if mid && j == steps/2 {
				resize()
				p.resized(w)
			}
		}
		p.end(w)
		if !mid {
			resize() // between programs
		}
	}
	flush()
	return s
}

// program is one simulated program: begin starts it (e.g. enters the
// alternate screen), step appends one unit of output, resized reacts to a
// resize like the program would on SIGWINCH, end leaves the terminal in a
// clean state (main screen, default pen, charset, scroll region).
type program interface {
	begin(w *writer)
	step(w *writer)
	resized(w *writer)
	end(w *writer)
}

type writer struct {
	b []byte
	// escapes counts the escape sequences of b[:counted]; segment counts
	// only what was added since, so Mixed stays linear in its size.
	escapes, counted int
	r                *rand.Rand
	g                Gen
	host             string
	user             string
}

func newWriter(g Gen, seed, salt uint64, size int) *writer {
	w := &writer{r: rand.New(rand.NewPCG(seed, salt)), g: g}
	if size > 0 {
		w.b = make([]byte, 0, size+size/8)
	}
	w.user = pick(w.r, users)
	w.host = pick(w.r, hosts)
	return w
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func (w *writer) s(s string) { w.b = append(w.b, s...) }

func (w *writer) n(n int) { w.b = strconv.AppendInt(w.b, int64(n), 10) }

func (w *writer) crlf() { w.s("\r\n") }

// csi appends ESC [ params final, params joined with ';'.
func (w *writer) csi(final byte, params ...int) {
	w.s("\x1b[")
	for i, p := range params {
		if i > 0 {
			w.b = append(w.b, ';')
		}
		w.n(p)
	}
	w.b = append(w.b, final)
}

// cup moves the cursor to 1-based row, col.
func (w *writer) cup(row, col int) { w.csi('H', row, col) }

func (w *writer) sgr(params ...int) { w.csi('m', params...) }

// pad appends spaces up to width display columns after having written n.
func (w *writer) pad(n, width int) {
	for ; n < width; n++ {
		w.b = append(w.b, ' ')
	}
}

// words appends random words up to about n columns (ASCII only) and returns
// the number of columns written.
func (w *writer) words(n int) int {
	c := 0
	for c < n {
		wd := pick(w.r, vocabulary)
		if c+len(wd)+1 > n {
			break
		}
		if c > 0 {
			w.b = append(w.b, ' ')
			c++
		}
		w.s(wd)
		c += len(wd)
	}
	return c
}

func (w *writer) prompt(cmd string) {
	w.s("\x1b]0;")
	w.s(w.user + "@" + w.host + ": ~")
	w.s("\a")
	w.s("\x1b[01;32m" + w.user + "@" + w.host + "\x1b[00m:\x1b[01;34m~/" + pick(w.r, dirs) + "\x1b[00m$ ")
	w.s(cmd)
	w.crlf()
}

// reset leaves the terminal as a shell expects it: main screen, default pen
// and charsets, full scroll region, autowrap on, cursor visible.
func (w *writer) reset(alt bool) {
	if alt {
		w.s("\x1b[r\x1b[?1049l")
	}
	w.s("\x1b[m\x1b(B\x1b)B\x0f\x1b[?7h\x1b[?25h")
}

var (
	users      = []string{"root", "alice", "bob", "deploy", "ubuntu", "ec2-user", "postgres"}
	hosts      = []string{"web-1", "db-prod-02", "bastion", "build-7", "k8s-node-3"}
	dirs       = []string{"src", "app", "var/log", "etc/nginx", "deploy", "tmp/x"}
	vocabulary = []string{
		"the", "server", "connection", "accepted", "from", "user", "session", "opened", "closed",
		"for", "request", "GET", "/api/v1/users", "200", "404", "latency", "ms", "retry", "backend",
		"upstream", "timeout", "config", "reload", "worker", "process", "started", "pid", "signal",
		"database", "query", "SELECT", "*", "FROM", "accounts", "WHERE", "id", "=", "42", "ok",
		"error:", "warning:", "kernel:", "audit:", "type=1105", "msg=audit(1700000000.123:456):",
	}
	fileBases = []string{"main", "README", "config", "server", "backup", "notes", "index", "deploy",
		"Makefile", "docker-compose", "id_rsa", "access", "error", "report-2026", "photo", "lib", "bin"}
	fileExts = []string{"", ".go", ".md", ".yaml", ".tar.gz", ".zip", ".png", ".jpg", ".sh", ".log", ".py", ".conf"}
)
