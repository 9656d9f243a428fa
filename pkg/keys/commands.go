package keys

import (
	"strings"
	"time"
	"unicode"
)

// Command is one command line reconstructed from keystrokes.
type Command struct {
	Start time.Duration // time of the line's first key
	End   time.Duration // time of the Enter (or of the key that ended the line)
	Line  string
	// Ended says how the line ended: "enter", "cancel" (C-c), "eof" (C-d on
	// an empty line) or "end" (the recording ended first).
	Ended string
	// Uncertain is set when the line holds keys whose effect on the line
	// cannot be known from keystrokes alone (history recall with Up/Down or
	// C-r, completion with Tab); Notes lists them.
	Uncertain bool
	Notes     []string
}

// LineEditor replays keys on a line buffer the way a readline-style shell
// edits its input line, and emits a Command at each Enter. It applies
// printable text and pastes at the cursor, Backspace/C-h, Delete/C-d,
// C-u (kill to start), C-k (kill to end), C-w and M-Backspace (kill the word
// before the cursor), Left/Right/C-b/C-f, Home/End/C-a/C-e, and C-c
// (cancels the line).
type LineEditor struct {
	line    []rune
	cursor  int
	start   time.Duration
	started bool
	notes   []string
	out     []Command
}

// Key applies one key typed at time t.
func (e *LineEditor) Key(t time.Duration, k Key) {
	if k.Kind == Mouse || k.Kind == Reply {
		return // not typed: a terminal reply never edits the line, nor starts it
	}
	if !e.started {
		e.start, e.started = t, true
	}
	switch k.Kind {
	case Text, Paste:
		text := k.Name
		if k.Kind == Paste {
			// A pasted newline submits the line in a shell without
			// bracketed paste support; with it, the shell keeps it in the
			// line. Keep it visible as a space.
			text = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(text)
		}
		e.insert(text)
		return
	case Unknown:
		e.note(k.Name)
		return
	}
	switch k.Name {
	case "Enter":
		e.emit(t, "enter")
	case "C-c":
		e.emit(t, "cancel")
	case "C-d":
		if len(e.line) == 0 {
			e.emit(t, "eof")
			return
		}
		e.deleteAt(e.cursor)
	case "Backspace":
		if e.cursor > 0 {
			e.cursor--
			e.deleteAt(e.cursor)
		}
	case "Delete":
		e.deleteAt(e.cursor)
	case "C-u":
		e.line = append(e.line[:0], e.line[e.cursor:]...)
		e.cursor = 0
	case "C-k":
		e.line = e.line[:e.cursor]
	case "C-w", "M-Backspace":
		i := e.cursor
		for i > 0 && unicode.IsSpace(e.line[i-1]) {
			i--
		}
		for i > 0 && !unicode.IsSpace(e.line[i-1]) {
			i--
		}
		e.line = append(e.line[:i], e.line[e.cursor:]...)
		e.cursor = i
	case "Left", "C-b":
		if e.cursor > 0 {
			e.cursor--
		}
	case "Right", "C-f":
		if e.cursor < len(e.line) {
			e.cursor++
		}
	case "Home", "C-a":
		e.cursor = 0
	case "End", "C-e":
		e.cursor = len(e.line)
	case "C-l":
		// Clears the screen, not the line.
	case "Up", "Down", "C-p", "C-n", "C-r", "C-s", "PgUp", "PgDn":
		e.note(k.Name + " (history)")
	case "Tab":
		e.note("Tab (completion)")
	default:
		e.note(k.Name)
	}
}

func (e *LineEditor) insert(s string) {
	rs := []rune(s)
	e.line = append(e.line[:e.cursor], append(rs, e.line[e.cursor:]...)...)
	e.cursor += len(rs)
}

func (e *LineEditor) deleteAt(i int) {
	if i >= 0 && i < len(e.line) {
		e.line = append(e.line[:i], e.line[i+1:]...)
	}
}

func (e *LineEditor) note(s string) {
	if len(e.notes) < 16 {
		e.notes = append(e.notes, s)
	}
}

func (e *LineEditor) emit(t time.Duration, how string) {
	e.out = append(e.out, Command{
		Start:     e.start,
		End:       t,
		Line:      string(e.line),
		Ended:     how,
		Uncertain: len(e.notes) > 0,
		Notes:     e.notes,
	})
	e.line, e.cursor, e.started, e.notes = e.line[:0], 0, false, nil
}

// Close ends the input at time t: a line still being typed is emitted with
// Ended "end" if it holds anything.
func (e *LineEditor) Close(t time.Duration) {
	if e.started && (len(e.line) > 0 || len(e.notes) > 0) {
		e.emit(t, "end")
	}
	e.started = false
}

// Commands returns the commands emitted so far and forgets them.
func (e *LineEditor) Commands() []Command {
	out := e.out
	e.out = nil
	return out
}

// Row is one row of a keystroke listing: a run of printable text typed one
// key after another (over any number of input events), or one other key.
type Row struct {
	Time time.Duration // when its first key was typed
	Key  Key           // for a run of text, Name holds the whole run
	Keys int           // the keys merged into the row
	Line int           // the recording line of its first key (0: not known)
}

// MaxRun bounds the text of one Row (in bytes): a longer run of text goes
// on in a new row, so that grouping stays linear whatever the input.
const MaxRun = 4096

// AppendRow adds k, typed at time t on the recording's line line, to rows:
// text right after text joins the last row (up to MaxRun bytes), anything
// else starts a new one. It is the one grouping of `sessions keystrokes`
// and of the player's keystroke panel.
func AppendRow(rows []Row, t time.Duration, line int, k Key) []Row {
	if n := len(rows); n > 0 && k.Kind == Text && rows[n-1].Key.Kind == Text &&
		len(rows[n-1].Key.Name)+len(k.Name) <= MaxRun {
		rows[n-1].Key.Name += k.Name
		rows[n-1].Keys++
		return rows
	}
	return append(rows, Row{Time: t, Key: k, Keys: 1, Line: line})
}
