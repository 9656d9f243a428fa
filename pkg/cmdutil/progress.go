package cmdutil

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/auditctl/auditctl/pkg/sanitize"
)

// Progress draws a one-line progress bar on stderr when it is a terminal,
// and nothing otherwise. It is safe to call from any goroutine.
type Progress struct {
	w       io.Writer
	enabled bool
	label   string
	total   int64 // bytes expected; 0 = unknown
	done    atomic.Int64
	items   atomic.Int64
	start   time.Time
	last    atomic.Int64 // unix nanos of the last draw
}

// NewProgress returns a progress line for label over total bytes (0 when
// unknown).
func (s *IOStreams) NewProgress(label string, total int64) *Progress {
	return &Progress{w: s.ErrOut, enabled: s.IsStderrTTY(), label: sanitize.String(label), total: total, start: time.Now()}
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

// Items records how many records have been handled and redraws at most 10
// times a second.
func (p *Progress) Items(n int) {
	p.items.Store(int64(n))
	p.redraw()
}

// Bytes records how many of the total bytes have been handled and redraws
// at most 10 times a second.
func (p *Progress) Bytes(n int64) {
	p.done.Store(n)
	p.redraw()
}

func (p *Progress) redraw() {
	if !p.enabled {
		return
	}
	now := time.Now().UnixNano()
	if now-p.last.Load() < int64(100*time.Millisecond) {
		return
	}
	p.last.Store(now)
	p.draw()
}

func (p *Progress) draw() {
	elapsed := time.Since(p.start).Seconds()
	items := p.items.Load()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(items) / elapsed
	}
	line := fmt.Sprintf("%s %d records, %.0f/s", p.label, items, rate)
	if p.total > 0 {
		frac := min(float64(p.done.Load())/float64(p.total), 1)
		const width = 24
		full := int(frac * width)
		count := fmt.Sprintf("%d records, %.0f/s", items, rate)
		if items == 0 && elapsed > 0 { // progress in bytes only
			count = fmt.Sprintf("%.0f MB/s", float64(p.done.Load())/elapsed/1e6)
		}
		line = fmt.Sprintf("%s [%s%s] %3.0f%%  %s", p.label,
			strings.Repeat("█", full), strings.Repeat("░", width-full), frac*100, count)
	}
	clearLine(p.w)
	io.WriteString(p.w, line)
}

// clearLine returns to the start of stderr's line and erases it, through
// the terminal chokepoint's control path: the one place a progress line is
// redrawn.
func clearLine(w io.Writer) { sanitize.Control(w, sanitize.ClearLine) }

// Done clears the progress line.
func (p *Progress) Done() {
	if p.enabled {
		clearLine(p.w)
	}
}
