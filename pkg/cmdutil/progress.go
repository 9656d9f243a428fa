package cmdutil

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/charmbracelet/x/ansi"
)

// ProgressEvery is the least time between two draws of a progress line.
// Tests set it to 0 to see every draw.
var ProgressEvery = 100 * time.Millisecond

// Progress is one line on stderr that shows how a long run is going (files
// done of the total, records, rate, share done, time left, the current
// file), fitted to the terminal's width and redrawn in place at most ten
// times a second. It draws only when stderr is a terminal (and not with
// --quiet: see Quiet); otherwise every method is a no-op apart from
// counting. It is safe to call from any goroutine.
//
// Every byte that moves the cursor or erases the line is written by one
// function, paint.
type Progress struct {
	w       io.Writer
	enabled bool
	width   func() int
	label   string
	unit    string
	total   int64 // bytes expected; 0 = unknown
	start   time.Time
	now     func() time.Time // the clock: time.Now, fixed in tests

	done       atomic.Int64 // bytes read
	items      atomic.Int64 // records handled in files already finished
	fileItems  atomic.Int64 // records handled in the current file
	itemsTotal atomic.Int64 // records expected; 0 = unknown
	files      atomic.Int64 // files expected; 0 = not counting files
	filesDone  atomic.Int64
	current    atomic.Pointer[string] // the file being read
	last       atomic.Int64           // unix nanos of the last draw

	mu    sync.Mutex // orders paints
	shown string     // the line on screen, "" when none
}

// NewProgress returns a progress line for label over total bytes (0 when
// unknown). Records are counted as "records" until Unit says otherwise.
func (s *IOStreams) NewProgress(label string, total int64) *Progress {
	return &Progress{w: s.ErrOut, enabled: s.IsStderrTTY(), width: s.StderrWidth,
		label: sanitize.String(label), unit: "records", total: total, start: time.Now(), now: time.Now}
}

// Quiet turns the line off when q is set (--quiet). It returns p.
func (p *Progress) Quiet(q bool) *Progress {
	if q {
		p.enabled = false
	}
	return p
}

// Unit names what the records are ("events"). Call it before the first
// update. It returns p.
func (p *Progress) Unit(u string) *Progress {
	p.unit = u
	return p
}

// Files says how many files the run reads: the line then shows
// "done/total files".
func (p *Progress) Files(n int) { p.files.Store(int64(n)) }

// StartFile names the file now being read.
func (p *Progress) StartFile(name string) {
	name = sanitize.String(name)
	p.current.Store(&name)
	p.redraw()
}

// FileDone counts the current file as finished, with the records it held.
func (p *Progress) FileDone(records int) {
	p.items.Add(int64(records))
	p.fileItems.Store(0)
	p.filesDone.Add(1)
	p.current.Store(nil)
	p.redraw()
}

// Reader counts the bytes read through r as progress.
func (p *Progress) Reader(r io.Reader) io.Reader { return &progressReader{r: r, p: p} }

type progressReader struct {
	r io.Reader
	p *Progress
}

func (pr *progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	pr.p.done.Add(int64(n))
	return n, err
}

// Items records how many records of the current file (or of the whole run
// when there are no files) have been handled, and redraws.
func (p *Progress) Items(n int) {
	p.fileItems.Store(int64(n))
	p.redraw()
}

// ItemsOf records n records handled of total expected, for runs that know
// their total (sync), and redraws.
func (p *Progress) ItemsOf(n, total int64) {
	p.fileItems.Store(n)
	p.itemsTotal.Store(total)
	p.redraw()
}

// Bytes records how many of the total bytes have been handled, and
// redraws.
func (p *Progress) Bytes(n int64) {
	p.done.Store(n)
	p.redraw()
}

// Count is the number of records handled so far.
func (p *Progress) Count() int64 { return p.items.Load() + p.fileItems.Load() }

// Elapsed is the time since the progress started.
func (p *Progress) Elapsed() time.Duration { return p.now().Sub(p.start) }

func (p *Progress) redraw() {
	if !p.enabled {
		return
	}
	now := time.Now().UnixNano()
	if now-p.last.Load() < int64(ProgressEvery) {
		return
	}
	p.last.Store(now)
	line := p.Line(p.width())
	p.mu.Lock()
	p.paint(line)
	p.mu.Unlock()
}

// Line is the progress line fitted to width columns (less one, so that the
// terminal never wraps it).
func (p *Progress) Line(width int) string {
	elapsed := p.now().Sub(p.start)
	items := p.Count()
	itemsTotal := p.itemsTotal.Load()
	done := p.done.Load()

	// the share done, from bytes when their total is known, else records
	frac := -1.0
	switch {
	case p.total > 0:
		frac = min(float64(done)/float64(p.total), 1)
	case itemsTotal > 0:
		frac = min(float64(items)/float64(itemsTotal), 1)
	}
	type part struct {
		text string
		drop int // parts with the highest drop go first when space runs out
	}
	parts := []part{{p.label, 0}}
	if files := p.files.Load(); files > 0 {
		parts = append(parts, part{fmt.Sprintf("%d/%d files", p.filesDone.Load(), files), 1})
	}
	if itemsTotal > 0 {
		parts = append(parts, part{fmt.Sprintf("%d/%d %s", items, itemsTotal, p.unit), 1})
	} else if items > 0 || done == 0 {
		parts = append(parts, part{fmt.Sprintf("%d %s", items, p.unit), 1})
	}
	if s := elapsed.Seconds(); s > 0 {
		if items > 0 {
			parts = append(parts, part{fmt.Sprintf("%.0f/s", float64(items)/s), 4})
		} else if done > 0 {
			parts = append(parts, part{fmt.Sprintf("%.1f MB/s", float64(done)/s/1e6), 4})
		}
	}
	if frac >= 0 {
		parts = append(parts, part{fmt.Sprintf("%.0f%%", frac*100), 2})
		eta := "ETA ?"
		if frac > 0 && elapsed > 500*time.Millisecond {
			left := time.Duration(float64(elapsed) * (1 - frac) / frac).Round(time.Second)
			if frac < 1 {
				left = max(left, time.Second) // not "0s" while work is left
			}
			eta = "ETA " + left.String()
		}
		parts = append(parts, part{eta, 3})
	}
	cur := ""
	if c := p.current.Load(); c != nil && p.files.Load() > 1 {
		cur = *c
	}

	limit := max(width-1, 10)
	join := func() string {
		texts := make([]string, len(parts))
		for i, pt := range parts {
			texts[i] = pt.text
		}
		return strings.Join(texts, ", ")
	}
	line := join()
	for ansi.StringWidth(line) > limit && len(parts) > 1 {
		worst := 1
		for i, pt := range parts {
			if pt.drop > parts[worst].drop {
				worst = i
			}
		}
		parts = append(parts[:worst], parts[worst+1:]...)
		line = join()
	}
	if ansi.StringWidth(line) > limit {
		return ansi.Truncate(line, limit, "…")
	}
	if room := limit - ansi.StringWidth(line) - 2; cur != "" && room >= 8 {
		line += "  " + elideMiddle(cur, room)
	}
	return line
}

// elideMiddle shortens s to width columns by cutting its middle, where a
// path's least telling part is.
func elideMiddle(s string, width int) string {
	if ansi.StringWidth(s) <= width {
		return s
	}
	head := (width - 1) / 2
	tail := width - 1 - head
	return ansi.Truncate(s, head, "") + "…" + ansi.TruncateLeft(s, ansi.StringWidth(s)-tail, "")
}

// Above returns a writer for messages shown while the line is up (errors,
// retries): each write clears the line, prints the message on its own
// lines and draws the line again below it.
func (p *Progress) Above() io.Writer { return aboveWriter{p} }

type aboveWriter struct{ p *Progress }

func (a aboveWriter) Write(b []byte) (int, error) {
	p := a.p
	p.mu.Lock()
	defer p.mu.Unlock()
	line := p.shown
	if line != "" {
		p.paint("")
	}
	n, err := p.w.Write(b)
	if line != "" {
		p.paint(line)
	}
	return n, err
}

// Done clears the progress line.
func (p *Progress) Done() {
	if !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown != "" {
		p.paint("")
	}
}

// paint replaces the line on screen with line ("" erases it). It is the
// only code that moves the cursor or erases: sanitize.ClearLine, through
// the terminal chokepoint's control path. line is already sanitized (and
// goes through the chokepoint as text anyway). p.mu is held.
func (p *Progress) paint(line string) {
	sanitize.Control(p.w, sanitize.ClearLine)
	io.WriteString(p.w, line)
	p.shown = line
}
