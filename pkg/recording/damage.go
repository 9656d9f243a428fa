package recording

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// MaxFlaws bounds the bad lines a Damage lists (the count stays exact).
const MaxFlaws = 1000

// Damage is what a Reader could not read of a recording, and how much of
// it is readable. Every command and the player take it from one place:
// Reader.Damage while or after reading, or seek.Index.Damage.
//
// Two kinds of damage differ:
//
//   - a bad line the reader can skip (an asciicast event line that is not
//     valid JSON, a bad field, a bad script SIGWINCH entry): it is listed
//     in Flaws and reading goes on, so every later event is still read.
//     Only that line's event is lost (and, in asciicast v3, whose times
//     are relative, its interval: later times are early by it).
//   - a Break, where the reader cannot go on: a compressed stream cut
//     short, a last line cut mid-way (the file ends without its newline),
//     a truncated ttyrec frame, a script data file that ends early, an I/O
//     error. The readable span ends there, at Readable.
//
// A moment t of the recording is exact when no flaw lies at or before it
// (Before(t) is empty); it is shown with events missing when some do; and
// it cannot be shown at all when it lies past a Break (Beyond(t)).
type Damage struct {
	// Flaws are the skipped bad lines in order (the first MaxFlaws).
	Flaws []Flaw `json:"flaws,omitempty"`
	// Skipped counts every skipped bad line (may exceed len(Flaws)).
	Skipped int64 `json:"skipped,omitempty"`
	// Break is where reading stopped before the end; nil when the
	// recording was read to its end.
	Break *Flaw `json:"break,omitempty"`
	// Readable is the time of the last event read: the readable span is
	// [0, Readable].
	Readable time.Duration `json:"readable"`
	// Duration is the whole recording's duration as far as it is known:
	// Readable, or with a Break the header's duration (asciicast v1/v2
	// "duration") when that is longer. When Duration > Readable the part
	// in between is known to exist but cannot be read.
	Duration time.Duration `json:"duration"`
}

// Flaw is one place where a recording is damaged.
type Flaw struct {
	// Line is the 1-based line of the (decompressed) input; for formats
	// without lines (ttyrec, asciicast v1) 0 and Record is the frame.
	Line   int `json:"line,omitempty"`
	Record int `json:"record,omitempty"`
	// At is the time of the last event read before the flaw: the lost
	// event belongs at or after At, so every moment from At on may miss
	// it.
	At time.Duration `json:"at"`
	// Err is the reading error, naming the file and line.
	Err string `json:"error"`
}

// Damaged reports whether anything could not be read.
func (d *Damage) Damaged() bool { return d.Skipped > 0 || d.Break != nil }

// Unlisted is how many skipped bad lines Flaws does not list (beyond
// MaxFlaws).
func (d *Damage) Unlisted() int64 { return d.Skipped - int64(len(d.Flaws)) }

// Beyond reports whether moment t lies past a Break: its screen cannot be
// known.
func (d *Damage) Beyond(t time.Duration) bool { return d.Break != nil && t > d.Readable }

// Before returns the flaws (skipped lines, then the Break) whose lost
// event may belong at or before t: the screen at t may miss them.
func (d *Damage) Before(t time.Duration) []Flaw {
	var out []Flaw
	for _, f := range d.Flaws {
		if f.At <= t {
			out = append(out, f)
		}
	}
	if d.Break != nil && d.Break.At <= t {
		out = append(out, *d.Break)
	}
	return out
}

// All returns every listed flaw: the skipped lines, then the Break.
func (d *Damage) All() []Flaw {
	out := append([]Flaw(nil), d.Flaws...)
	if d.Break != nil {
		out = append(out, *d.Break)
	}
	return out
}

// Summary says in one line what is damaged, e.g. "2 bad lines skipped
// (first f.rec:3); unreadable from f.rec:40 on, after 00:02.000 of 38:41.200".
func (d *Damage) Summary() string {
	var s string
	if d.Skipped > 0 {
		s = fmt.Sprintf("%d bad line", d.Skipped)
		if d.Skipped > 1 {
			s += "s"
		}
		s += " skipped"
	}
	if d.Break != nil {
		if s != "" {
			s += "; "
		}
		s += fmt.Sprintf("unreadable after %s", clock(d.Readable))
		if d.Duration > d.Readable {
			s += fmt.Sprintf(" of %s", clock(d.Duration))
		}
	}
	return s
}

// clock prints d as MM:SS.mmm (HH:MM:SS.mmm from an hour).
func clock(d time.Duration) string {
	ms := d.Milliseconds()
	if ms >= 3600000 {
		return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
	}
	return fmt.Sprintf("%02d:%02d.%03d", ms/60000, ms/1000%60, ms%1000)
}

// Damage returns what the Reader could not read so far. After Next has
// returned io.EOF or a fatal error it describes the whole recording.
func (r *Reader) Damage() Damage {
	d := r.dmg
	d.Flaws = append([]Flaw(nil), r.dmg.Flaws...)
	d.Duration = d.Readable
	if d.Break != nil {
		if hd := time.Duration(r.hdr.Duration * float64(time.Second)); hd > d.Duration {
			d.Duration = hd
		}
	}
	return d
}

// note records a reading error Next returns.
func (r *Reader) note(err error) {
	f := Flaw{At: r.clock, Err: err.Error()}
	var ie *audit.InputError
	fatal := true
	if errors.As(err, &ie) {
		f.Line, f.Record, fatal = ie.Line, ie.Record, ie.Fatal
	}
	if fatal {
		if r.dmg.Break == nil {
			r.dmg.Break = &f
		}
		return
	}
	r.dmg.Skipped++
	if len(r.dmg.Flaws) < MaxFlaws {
		r.dmg.Flaws = append(r.dmg.Flaws, f)
	}
}

// Fatal reports whether a reading error ends the recording (nothing more
// can be read) rather than one bad line that Next skips when called again.
func Fatal(err error) bool {
	var ie *audit.InputError
	if errors.As(err, &ie) {
		return ie.Fatal
	}
	return err != nil
}

// Each calls fn for every readable event of r, in order: bad lines the
// reader can skip are skipped, and reading stops at a Break. Both are in
// r.Damage() afterwards; Each returns only fn's errors (and nil).
func (r *Reader) Each(fn func(Event) error) error {
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if Fatal(err) {
				return nil
			}
			continue
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
}
