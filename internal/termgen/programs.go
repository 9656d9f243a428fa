package termgen

import (
	"fmt"
	"strings"
)

// lsProg: a shell running ls --color.
type lsProg struct{}

func (p *lsProg) begin(w *writer)   {}
func (p *lsProg) resized(w *writer) {}
func (p *lsProg) end(w *writer)     { w.reset(false) }

type lsEntry struct {
	name, color string
	dir, link   bool
}

func (p *lsProg) step(w *writer) {
	n := 3 + w.r.IntN(30)
	long := w.r.IntN(3) == 0
	c256 := w.r.IntN(2) == 0
	if long {
		w.prompt("ls -la --color=auto")
	} else {
		w.prompt("ls --color=auto")
	}
	ents := make([]lsEntry, n)
	for i := range ents {
		e := &ents[i]
		e.name = pick(w.r, fileBases)
		if w.r.IntN(3) == 0 {
			e.name += fmt.Sprintf("-%d", w.r.IntN(100))
		}
		switch k := w.r.IntN(10); {
		case k < 2:
			e.dir, e.color = true, "01;34"
		case k == 2:
			e.color = "01;32"
			e.name += ".sh"
		case k == 3:
			e.link, e.color = true, "01;36"
		case k == 4:
			e.color = "40;31;01" // orphan link style: background and foreground
		default:
			e.name += pick(w.r, fileExts)
			switch {
			case strings.HasSuffix(e.name, ".tar.gz"), strings.HasSuffix(e.name, ".zip"):
				e.color = "01;31"
			case strings.HasSuffix(e.name, ".png"), strings.HasSuffix(e.name, ".jpg"):
				e.color = "01;35"
			}
		}
		if c256 && e.color != "" && w.r.IntN(2) == 0 {
			e.color = fmt.Sprintf("38;5;%d", w.r.IntN(256))
			if w.r.IntN(3) == 0 {
				e.color = "01;" + e.color + fmt.Sprintf(";48;5;%d", w.r.IntN(256))
			}
		}
	}
	name := func(e lsEntry) {
		if e.color == "" {
			w.s(e.name)
			return
		}
		w.s("\x1b[0m\x1b[" + e.color + "m" + e.name + "\x1b[0m")
	}
	if long {
		w.b = fmt.Appendf(w.b, "total %d", 4*n+w.r.IntN(100))
		w.crlf()
		for _, e := range ents {
			mode := "-rw-r--r--"
			if e.dir {
				mode = "drwxr-xr-x"
			} else if e.link {
				mode = "lrwxrwxrwx"
			} else if e.color == "01;32" {
				mode = "-rwxr-xr-x"
			}
			w.b = fmt.Appendf(w.b, "%s %2d %-8s %-8s %7d Nov %2d %02d:%02d ", mode, 1+w.r.IntN(9),
				w.user, w.user, w.r.IntN(1<<20), 1+w.r.IntN(30), w.r.IntN(24), w.r.IntN(60))
			name(e)
			if e.link {
				w.s(" -> /usr/lib/" + pick(w.r, fileBases))
			}
			w.crlf()
		}
		return
	}
	colw := 0
	for _, e := range ents {
		colw = max(colw, len(e.name)+2)
	}
	ncol := max(1, w.g.Cols/colw)
	tabs := w.r.IntN(3) == 0
	nrow := (n + ncol - 1) / ncol
	for r := 0; r < nrow; r++ {
		x := 0
		for c := 0; c < ncol; c++ {
			i := c*nrow + r
			if i >= n {
				break
			}
			if c > 0 {
				if tabs {
					// As ls with tab stops every 8: tabs as far as they go, then spaces.
					want := c * colw
					for (x/8+1)*8 <= want {
						w.s("\t")
						x = (x/8 + 1) * 8
					}
					w.pad(x, want)
				} else {
					w.pad(x, c*colw)
				}
				x = c * colw
			}
			name(ents[i])
			x += len(ents[i].name)
		}
		w.crlf()
	}
}

// topProg: top(1) in the alternate screen.
type topProg struct {
	tick int
	pids []int
}

func (p *topProg) begin(w *writer) {
	w.s("\x1b[?1049h")
	w.csi('r', 1, w.g.Rows)
	w.s("\x1b(B\x1b[m\x1b[4l\x1b[?7h\x1b[?1h\x1b=\x1b[?25l\x1b[H\x1b[2J")
	p.pids = nil
	for i := 0; i < 60; i++ {
		p.pids = append(p.pids, 1+w.r.IntN(40000))
	}
	p.redraw(w)
}

func (p *topProg) resized(w *writer) {
	w.csi('r', 1, w.g.Rows)
	w.s("\x1b[H\x1b[2J")
	p.redraw(w)
}

func (p *topProg) end(w *writer) {
	w.cup(w.g.Rows, 1)
	w.s("\x1b[?12l\x1b[?25h\x1b[?1l\x1b>")
	w.reset(true)
}

func (p *topProg) step(w *writer) {
	p.tick++
	if w.r.IntN(4) == 0 {
		// Only the clock changes.
		w.cup(1, 7)
		w.b = fmt.Appendf(w.b, "%02d:%02d:%02d", 10, p.tick/60%60, p.tick%60)
		return
	}
	p.redraw(w)
}

// line writes s cut to the screen width, then EL and CR LF (except on the
// last row).
func (p *topProg) line(w *writer, s string, last bool) {
	w.s(cutVisible(s, w.g.Cols))
	w.s("\x1b[K")
	if !last {
		w.crlf()
	}
}

func (p *topProg) redraw(w *writer) {
	w.s("\x1b[H")
	// Truecolor header, as with a themed top or btop-like tools.
	w.sgr(1, 38, 2, 80+w.r.IntN(176), 80+w.r.IntN(176), 255)
	p.line(w, fmt.Sprintf("top - 10:%02d:%02d up 3 days,  2:%02d,  %d users,  load average: %d.%02d, 0.58, 0.59",
		p.tick/60%60, p.tick%60, w.r.IntN(60), 1+w.r.IntN(5), w.r.IntN(4), w.r.IntN(100)), false)
	w.s("\x1b[m")
	p.line(w, fmt.Sprintf("Tasks: \x1b[1m%d\x1b[m total,   \x1b[1m%d\x1b[m running, %d sleeping,   0 stopped,   0 zombie",
		200+w.r.IntN(50), 1+w.r.IntN(4), 190+w.r.IntN(40)), false)
	p.line(w, fmt.Sprintf("%%Cpu(s):\x1b[38;2;0;%d;0m %4.1f us,\x1b[m  %3.1f sy,  0.0 ni, %4.1f id,  0.0 wa",
		128+w.r.IntN(128), float64(w.r.IntN(1000))/10, float64(w.r.IntN(100))/10, float64(w.r.IntN(1000))/10), false)
	p.line(w, fmt.Sprintf("MiB Mem :  15890.4 total,   %5d.1 free,   %5d.6 used,   8123.0 buff/cache",
		w.r.IntN(9999), w.r.IntN(9999)), false)
	p.line(w, "MiB Swap:   2048.0 total,   2048.0 free,      0.0 used.  12040.2 avail Mem", false)
	p.line(w, "", false)
	hdr := "    PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND"
	if len(hdr) > w.g.Cols {
		hdr = hdr[:w.g.Cols]
	}
	w.s("\x1b[7m")
	w.s(hdr)
	w.pad(len(hdr), w.g.Cols)
	w.s("\x1b[m")
	if w.g.Rows > 7 {
		w.crlf()
	}
	for row := 7; row < w.g.Rows; row++ {
		pid := p.pids[(row+p.tick)%len(p.pids)]
		s := fmt.Sprintf("%7d %-8s  20   0 %7d %6d %6d %c %5.1f %5.1f %3d:%02d.%02d %s",
			pid, pick(w.r, users), w.r.IntN(1<<22), w.r.IntN(1<<18), w.r.IntN(1<<16), "SRSI"[w.r.IntN(4)],
			float64(w.r.IntN(1000))/10, float64(w.r.IntN(300))/10, w.r.IntN(100), w.r.IntN(60), w.r.IntN(100),
			pick(w.r, []string{"systemd", "sshd", "postgres", "nginx", "auditd", "bash", "top", "kworker/0:1"}))
		if row == 7 {
			w.s("\x1b[1m")
			p.line(w, s, row == w.g.Rows-1)
			w.s("\x1b[m")
			continue
		}
		p.line(w, s, row == w.g.Rows-1)
	}
	w.s("\x1b[J")
}

// vimProg: an editor in the alternate screen.
type vimProg struct {
	line int // number of the first line shown
}

func (p *vimProg) begin(w *writer) {
	w.s("\x1b[?1049h\x1b[?1h\x1b=\x1b[H\x1b[2J")
	p.line = 1 + w.r.IntN(500)
	p.redraw(w)
}

func (p *vimProg) resized(w *writer) {
	w.s("\x1b[r\x1b[H\x1b[2J")
	p.redraw(w)
}

func (p *vimProg) end(w *writer) {
	w.s("\x1b[r")
	w.cup(w.g.Rows, 1)
	w.s("\x1b[K\x1b[?1l\x1b>")
	w.reset(true)
}

func (p *vimProg) redraw(w *writer) {
	for row := 1; row < w.g.Rows; row++ {
		w.cup(row, 1)
		p.text(w, p.line+row-1)
	}
	p.status(w)
}

// text draws source line n at the cursor and erases the rest of the row.
func (p *vimProg) text(w *writer, n int) {
	if n > 900 {
		w.s("\x1b[94m~\x1b[m\x1b[K")
		return
	}
	w.b = fmt.Appendf(w.b, "\x1b[33m%4d \x1b[m", n)
	width := w.g.Cols - 5
	x := 0
	if ind := 4 * w.r.IntN(3); ind < width {
		w.pad(0, ind)
		x = ind
	}
	for x < width-12 {
		var tok, color string
		switch w.r.IntN(6) {
		case 0:
			tok, color = pick(w.r, []string{"func", "return", "if", "for", "var", "package"}), "38;5;130"
		case 1:
			tok, color = `"`+pick(w.r, vocabulary)+`"`, "31"
		case 2:
			tok, color = "// "+pick(w.r, vocabulary), "34"
		case 3:
			tok, color = pick(w.r, []string{"(", ")", "{", "}", ":=", ","}), ""
		default:
			tok = pick(w.r, []string{"err", "ctx", "rows", "event", "session", "n", "buf"})
		}
		if x+len(tok)+1 > width || w.r.IntN(8) == 0 {
			break
		}
		if color != "" {
			w.s("\x1b[" + color + "m" + tok + "\x1b[m ")
		} else {
			w.s(tok + " ")
		}
		x += len(tok) + 1
	}
	w.s("\x1b[K")
}

func (p *vimProg) status(w *writer) {
	w.cup(w.g.Rows, 1)
	w.s("\x1b[K")
	if w.r.IntN(3) == 0 {
		w.s("\x1b[1m-- INSERT --\x1b[m")
	} else {
		w.s("\x1b[7m\"main.go\" 901L, 24311B\x1b[27m")
	}
	if c := w.g.Cols - 18; c > 30 {
		w.cup(w.g.Rows, c)
		w.b = fmt.Appendf(w.b, "%d,%d", p.line, 1+w.r.IntN(60))
		w.cup(w.g.Rows, c+14)
		w.s("Top")
	}
}

func (p *vimProg) step(w *writer) {
	bottom := w.g.Rows - 1 // last text row, 1-based
	if bottom < 3 {
		p.status(w)
		return
	}
	n := 1 + w.r.IntN(min(5, bottom-1))
	switch w.r.IntN(8) {
	case 0: // scroll forward with LF at the bottom margin
		w.csi('r', 1, bottom)
		w.cup(bottom, 1)
		for i := 0; i < n; i++ {
			w.s("\n")
		}
		p.line += n
		for i := 0; i < n; i++ {
			w.cup(bottom-n+1+i, 1)
			p.text(w, p.line+bottom-n+i)
		}
		w.csi('r', 1, w.g.Rows)
	case 1: // scroll forward with SU
		w.csi('r', 1, bottom)
		w.csi('S', n)
		p.line += n
		for i := 0; i < n; i++ {
			w.cup(bottom-n+1+i, 1)
			p.text(w, p.line+bottom-n+i)
		}
		w.s("\x1b[r")
	case 2: // scroll back with RI at the top margin, or SD
		w.csi('r', 1, bottom)
		w.cup(1, 1)
		if w.r.IntN(2) == 0 {
			for i := 0; i < n; i++ {
				w.s("\x1bM")
			}
		} else {
			w.csi('T', n)
		}
		p.line = max(1, p.line-n)
		for i := 0; i < n; i++ {
			w.cup(1+i, 1)
			p.text(w, p.line+i)
		}
		w.csi('r', 1, w.g.Rows)
	case 3: // open lines (IL) inside the text area
		w.csi('r', 1, bottom)
		row := 1 + w.r.IntN(bottom)
		w.cup(row, 1)
		w.csi('L', n)
		for i := 0; i < n && row+i <= bottom; i++ {
			w.cup(row+i, 1)
			p.text(w, p.line+row+i-1)
		}
		w.s("\x1b[r")
	case 4: // delete lines (DL)
		w.csi('r', 1, bottom)
		row := 1 + w.r.IntN(bottom)
		w.cup(row, 1)
		w.csi('M', n)
		for i := 0; i < n; i++ {
			w.cup(bottom-n+1+i, 1)
			p.text(w, p.line+bottom-n+i)
		}
		w.s("\x1b[r")
	case 5: // typing in insert mode: ICH then text, or DCH
		w.cup(1+w.r.IntN(bottom), 6+w.r.IntN(max(1, w.g.Cols-6)))
		if w.r.IntN(2) == 0 {
			w.csi('@', n)
			w.s(pick(w.r, vocabulary)[:1])
		} else {
			w.csi('P', n)
		}
	case 6: // cursor motion
		for i := 0; i < 3; i++ {
			switch w.r.IntN(6) {
			case 0:
				w.csi('A', n)
			case 1:
				w.csi('B', n)
			case 2:
				w.csi('C', n)
			case 3:
				w.csi('D', n)
			case 4:
				w.csi('G', 1+w.r.IntN(w.g.Cols))
			default:
				w.csi('d', 1+w.r.IntN(w.g.Rows))
			}
		}
		w.s("x")
	default: // a split window: scroll a sub-region
		top := 1 + w.r.IntN(bottom/2)
		w.csi('r', top, bottom)
		w.cup(bottom, 1)
		w.s("\n")
		w.cup(bottom, 1)
		p.text(w, p.line+bottom)
		w.csi('r', 1, w.g.Rows)
	}
	p.status(w)
}

var (
	cjkWords = []string{"日本語", "中文字符", "한국어", "テスト", "カタカナ", "漢字", "서버", "接続", "ログ",
		"ＡＢＣ", "１２３", "全角", "（注）"}
	emoji     = []string{"😀", "😂", "🚀", "🔥", "🎉", "👍", "🙈", "🌏"}
	combining = []string{"e\u0301", "a\u0308", "o\u0302\u0323", "n\u0303", "u\u0308\u0304", "c\u0327"}
)

// cjkProg: text with wide and combining characters.
type cjkProg struct{}

func (p *cjkProg) begin(w *writer)   {}
func (p *cjkProg) resized(w *writer) {}
func (p *cjkProg) end(w *writer)     { w.reset(false) }

func (p *cjkProg) step(w *writer) {
	switch w.r.IntN(8) {
	case 0: // a wide character at the last column wraps to the next row
		w.s("abc")
		w.csi('G', w.g.Cols)
		w.s(pick(w.r, cjkWords))
		w.crlf()
	case 1: // a wide character filling the last two columns, then more text
		w.csi('G', w.g.Cols-1)
		w.s(pick(w.r, emoji))
		w.s("x")
		w.crlf()
	case 2: // overwrite the left half of a wide character
		// Only left halves: writing into a right half blanks the left half
		// in xterm but not in tmux, the oracle (see internal/tmuxtest).
		w.s("\r" + pick(w.r, cjkWords) + pick(w.r, cjkWords))
		w.csi('G', 1+2*w.r.IntN(3))
		w.s("x")
		w.crlf()
	default:
		x := 0
		for x < w.g.Cols*3/2 {
			switch w.r.IntN(5) {
			case 0:
				s := pick(w.r, cjkWords)
				if w.r.IntN(3) == 0 {
					w.sgr(1, 30+w.r.IntN(8))
					w.s(s)
					w.s("\x1b[m")
				} else {
					w.s(s)
				}
				x += 2 * len([]rune(s))
			case 1:
				w.s(pick(w.r, emoji))
				x += 2
			case 2:
				w.s(pick(w.r, combining))
				x++
			default:
				s := pick(w.r, vocabulary)
				w.s(s)
				x += len(s)
			}
			w.s(" ")
			x++
			if w.r.IntN(6) == 0 {
				break
			}
		}
		w.crlf()
	}
}

// boxProg: line drawing with the DEC special graphics set.
type boxProg struct{}

func (p *boxProg) begin(w *writer)   { w.s("\x1b)0") }
func (p *boxProg) resized(w *writer) {}
func (p *boxProg) end(w *writer) {
	w.cup(w.g.Rows, 1)
	w.reset(false)
	w.crlf()
}

// gfx writes s in the graphics set, with ESC ( 0 or with SO/SI (G1 was set to
// graphics in begin).
func (p *boxProg) gfx(w *writer, so bool, s string) {
	if so {
		w.s("\x0e" + s + "\x0f")
	} else {
		w.s("\x1b(0" + s + "\x1b(B")
	}
}

func (p *boxProg) step(w *writer) {
	so := w.r.IntN(2) == 0
	if w.r.IntN(3) == 0 {
		// An inline rule, as dialog-like tools print between rows.
		p.gfx(w, so, "t"+strings.Repeat("q", max(0, min(40, w.g.Cols-2)))+"u")
		w.s(" " + pick(w.r, vocabulary))
		w.crlf()
		p.gfx(w, so, "`afgjklmnopqrstuvwxyz{|}~")
		w.crlf()
		return
	}
	bw := 4 + w.r.IntN(max(1, w.g.Cols-6))
	bh := 3 + w.r.IntN(max(1, w.g.Rows-4))
	top := 1 + w.r.IntN(max(1, w.g.Rows-bh+1))
	left := 1 + w.r.IntN(max(1, w.g.Cols-bw+1))
	if w.r.IntN(2) == 0 {
		w.sgr(1, 30+w.r.IntN(8), 40+w.r.IntN(8))
	}
	w.cup(top, left)
	p.gfx(w, so, "l"+strings.Repeat("q", bw-2)+"k")
	for r := top + 1; r < top+bh-1; r++ {
		w.cup(r, left)
		p.gfx(w, so, "x")
		w.words(bw - 3)
		w.cup(r, left+bw-1)
		p.gfx(w, so, "x")
	}
	w.cup(top+bh-1, left)
	p.gfx(w, so, "m"+strings.Repeat("q", bw-2)+"j")
	w.s("\x1b[m")
}

// wrapProg: long lines and autowrap.
type wrapProg struct{}

func (p *wrapProg) begin(w *writer)   {}
func (p *wrapProg) resized(w *writer) {}
func (p *wrapProg) end(w *writer)     { w.reset(false) }

func (p *wrapProg) step(w *writer) {
	switch w.r.IntN(6) {
	case 0: // exactly the width, then CR LF: no blank row in between
		n := w.words(w.g.Cols)
		w.s(strings.Repeat(".", w.g.Cols-n))
		w.crlf()
	case 1: // exactly the width, then more text: wraps
		w.s(strings.Repeat("=", w.g.Cols))
		w.words(20)
		w.crlf()
	case 2: // autowrap off: the rest overwrites the last column
		w.s("\x1b[?7l")
		w.words(w.g.Cols * 2)
		w.s("\x1b[?7h")
		w.crlf()
	case 3: // a colored span across the wrap
		w.words(w.g.Cols - 5)
		w.sgr(30+w.r.IntN(8), 40+w.r.IntN(8))
		w.words(15)
		w.s("\x1b[m")
		w.words(w.g.Cols)
		w.crlf()
	case 4: // tabs across the wrap
		for i := 0; i < w.g.Cols/8+3; i++ {
			w.s(pick(w.r, []string{"a", "bc", "def"}))
			w.s("\t")
		}
		w.crlf()
	default:
		w.words(w.g.Cols + 1 + w.r.IntN(2*w.g.Cols))
		w.crlf()
	}
}

// plainProg: plain text lines.
type plainProg struct{ seq int }

func (p *plainProg) begin(w *writer)   {}
func (p *plainProg) resized(w *writer) {}
func (p *plainProg) end(w *writer)     {}

func (p *plainProg) step(w *writer) {
	p.seq++
	if w.r.IntN(10) == 0 {
		w.crlf()
		return
	}
	w.b = fmt.Appendf(w.b, "2026-11-22 07:%02d:%02d.%03d %-5s [worker-%d] ", p.seq/60%60, p.seq%60, w.r.IntN(1000),
		pick(w.r, []string{"INFO", "WARN", "DEBUG", "ERROR"}), w.r.IntN(8))
	w.words(max(1, w.g.Cols-40))
	w.crlf()
}

// cutVisible cuts s (ASCII text and CSI sequences) to n visible columns,
// keeping escape sequences whole.
func cutVisible(s string, n int) string {
	x := 0
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j
			continue
		}
		if x == n {
			return s[:i]
		}
		x++
	}
	return s
}
