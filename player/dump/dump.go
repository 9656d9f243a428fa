// Package dump renders a recording as plain text, through the emulator:
// the screen at one moment (`sessions play --no-tui`) or every line as it
// scrolled past (`sessions cat`). The recording's bytes never reach the
// output: only the emulator's cells do, and those are sanitized.
package dump

import (
	"bufio"
	"context"
	"io"
	"unicode/utf8"

	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/player/seek"
	"github.com/auditctl/auditctl/player/vt"
)

// Screen writes the active screen of t, one line per row, trailing spaces
// trimmed. With color, rows keep their SGR styling (for a terminal).
func Screen(w io.Writer, t *vt.Terminal, color bool) error {
	bw := bufio.NewWriter(w)
	_, rows := t.Size()
	var row, line []byte
	for y := range rows {
		if color {
			row = t.AppendRowANSI(row[:0], y)
			line = appendSafeANSI(line[:0], row)
		} else {
			row = t.AppendRowText(row[:0], y)
			line = appendSafe(line[:0], row)
		}
		line = append(line, '\n')
		if color {
			// The emulator's own SGR sequences reach a terminal through
			// its control path; the text between them is sanitized.
			if err := sanitize.WriteStyled(w, string(line)); err != nil {
				return err
			}
			continue
		}
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Cat replays rd and writes the session as plain text: every line of the
// main screen as it scrolled off the top (or was cleared), rows that
// autowrapped joined into one line, then the final screen without its
// trailing blank rows. A damaged recording is written up to the damage
// (with the screen as it was then), and the error is returned.
func Cat(ctx context.Context, w io.Writer, rd *recording.Reader) error {
	hdr := rd.Header()
	t := vt.New(hdr.Width, hdr.Height)
	c := newCatter(w)
	t.SetLineHandler(c.line)
	err := seek.Each(ctx, rd, func(ev *recording.Event) error {
		seek.Apply(t, ev)
		return c.err
	})
	if err != nil {
		if c.err == nil {
			// Cancelled: print what was read, then fail. (A damaged
			// recording is read as far as it is readable: rd.Damage.)
			if ferr := c.finish(t); ferr != nil {
				return ferr
			}
		}
		return err
	}
	return c.finish(t)
}

// Follow is Cat for a recording still being written (recording.Follow):
// events are applied as they arrive and a line is written out as soon as
// the cursor leaves it (a shell prints a line, then moves on), or when it
// scrolls off before that; a line is not printed twice unless the program
// moves the cursor back up and redraws it. Nothing is printed while a
// full-screen program holds the alternate screen.
//
// A bad line is skipped and reported to bad (when not nil) as it is met;
// a break (a fatal reading error) ends the output, the screen so far
// printed, and is returned. rd.Damage() lists both afterwards.
func Follow(w io.Writer, rd *recording.Reader, bad func(error)) error {
	hdr := rd.Header()
	t := vt.New(hdr.Width, hdr.Height)
	c := newCatter(w)
	c.live = true
	done := 0 // rows 0..done-1 of the screen have been printed
	t.SetLineHandler(func(text string, wrapped bool) {
		if done > 0 { // the top row leaves, already printed
			done--
			return
		}
		c.line(text, wrapped)
	})
	var row []byte
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil && !recording.Fatal(err) {
			if bad != nil {
				bad(err)
			}
			continue
		}
		if err != nil {
			c.skip = done
			c.finish(t) // what was readable, then the error
			return err
		}
		seek.Apply(t, &ev)
		if c.err != nil {
			return c.err
		}
		if t.AltScreen() {
			continue
		}
		cur := t.Cursor().Row
		if cur < done {
			done = cur // moved up: those rows may be redrawn
		}
		for ; done < cur; done++ {
			row = t.AppendRowText(row[:0], done)
			c.line(string(row), t.RowWrapped(done))
		}
	}
	c.skip = done
	return c.finish(t)
}

// catter collects lines; a row that wrapped is held until the row that
// ends the line arrives.
type catter struct {
	live    bool // flush every line
	skip    int  // finish: the first rows of the screen were printed already
	bw      *bufio.Writer
	pending []byte // wrapped rows not yet ended
	out     []byte
	err     error
}

func newCatter(w io.Writer) *catter { return &catter{bw: bufio.NewWriterSize(w, 64<<10)} }

func (c *catter) line(text string, wrapped bool) {
	if c.err != nil {
		return
	}
	if wrapped {
		c.pending = append(c.pending, text...)
		if len(c.pending) < 1<<20 { // a bound on one logical line
			return
		}
	} else {
		c.pending = append(c.pending, text...)
	}
	c.out = appendSafe(c.out[:0], c.pending)
	c.out = append(c.out, '\n')
	_, c.err = c.bw.Write(c.out)
	if c.live && c.err == nil {
		c.err = c.bw.Flush()
	}
	c.pending = c.pending[:0]
}

func (c *catter) finish(t *vt.Terminal) error {
	if c.err != nil {
		return c.err
	}
	_, rows := t.Size()
	last := rows - 1
	for last >= 0 && t.RowText(last) == "" && !t.RowWrapped(last) {
		last--
	}
	var row []byte
	for y := c.skip; y <= last; y++ {
		row = t.AppendRowText(row[:0], y)
		c.line(string(row), t.RowWrapped(y) && y < last)
	}
	if len(c.pending) > 0 {
		c.line("", false)
	}
	if c.err != nil {
		return c.err
	}
	return c.bw.Flush()
}

// appendSafe appends text with anything a terminal would interpret made
// visible (sanitize.String's rules).
func appendSafe(dst, text []byte) []byte {
	if isPlain(text) {
		return append(dst, text...)
	}
	return append(dst, sanitize.String(string(text))...)
}

// isPlain reports whether text is printable ASCII only, the common case
// that needs no sanitizing.
func isPlain(text []byte) bool {
	for _, c := range text {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// appendSafeANSI sanitizes the text between the SGR sequences of a row
// that AppendRowANSI produced. Cells never hold ESC (the emulator's parser
// consumes it), so every ESC in row starts a sequence the emulator wrote.
func appendSafeANSI(dst, row []byte) []byte {
	for len(row) > 0 {
		if row[0] == 0x1b {
			// CSI ... m
			end := 2
			for end < len(row) && row[end] != 'm' {
				end++
			}
			if end < len(row) {
				end++
			}
			dst = append(dst, row[:end]...)
			row = row[end:]
			continue
		}
		i := 0
		for i < len(row) && row[i] != 0x1b {
			_, size := utf8.DecodeRune(row[i:])
			i += size
		}
		dst = appendSafe(dst, row[:i])
		row = row[i:]
	}
	return dst
}
