package recorder

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"

	"github.com/auditctl/auditctl/pkg/keys"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/sqllex"
)

// gate owns the input line of a database session with deny rules (see
// docs/recorder.md, "Deny rules"). The user types into its line editor, not
// into the client's: the client receives only the statements and client
// commands the gate decided to let through, one at a time, each when the
// client is back at its prompt, byte for byte as they were decided on.
//
//   - At each Enter, the text typed (held lines and the line) is lexed
//     (pkg/sqllex, in the client's dialect). Complete units are decided in
//     order; what does not complete a unit yet (an open quote, an open
//     comment, a statement without its ';') is held, never sent.
//   - A refused unit is recorded as a blocked "q" event and the user told;
//     the units after it in the same input (the rest of that read from the
//     terminal or pipe, a paste included) are not sent either, each
//     recorded as blocked, and what is held is dropped.
//   - A unit allowed is queued; the queue's head is sent when the client is
//     idle (the query tracker has no query pending), and becomes the
//     tracker's pending query, whose reply makes its "q" event.
//   - C-c clears what is held and the queue (queued statements are
//     recorded as not sent), and interrupts the client when a query runs.
//   - C-d on an empty line is sent (the client's end of input).
//
// The editor keeps its own history (Up/Down), so that the statement decided
// on is the statement the client receives. It is drawn on the user's
// terminal after the client's prompt, and drawn again after output the
// client prints while something is typed.
//
// It is not safe for concurrent use: the recorder serializes calls.
type gate struct {
	rules     []Rule
	allowMeta bool
	d         sqllex.Dialect
	q         *queryTracker
	draw      bool // the user's terminal shows the editor (a terminal, not a pipe)
	cols      int

	dec  keys.Decoder
	kbuf []keys.Key

	lex     sqllex.Lexer // holds the lines entered that do not complete a unit yet
	held    string       // the same, for drawing (kept only when draw is set)
	line    []rune       // the line being edited (a paste may hold newlines)
	cursor  int
	hist    []string
	histPos int    // index in hist of the line shown; len(hist) for a new line
	saved   []rune // the new line, while history is shown

	queue []queued
	// term reports the client's terminal mode (nil: a line editor's raw
	// mode); sawRaw is set once the client was seen in raw mode.
	term       func() (canonical, echo bool)
	sawRaw     bool
	needPrompt bool // a refusal was shown: the prompt is due again
	// asciiOnly: the client's locale is not UTF-8, and its line editor
	// (readline's convert-meta) would read a byte above 0x7f as a Meta key
	// (M-t transposes words...).
	asciiOnly bool
	// A line typed while the client reads without echo (hidBuf), ready
	// to send (hidLine), and whether one was sent that the client has not
	// answered yet (hidWait).
	hidBuf, hidLine []byte
	hidWait         bool

	// What is drawn: the editor starts at column startCol of the screen
	// line the cursor was on, and the cursor is curRow rows below it.
	drawn    bool
	startCol int
	curRow   int
}

type queued struct {
	text string // sent as is, then a carriage return (unless raw)
	unit bool   // a statement: a "q" event with its reply
	raw  bool   // bytes sent as they are (C-d)
}

// gateAction is what the recorder does after the gate took input.
type gateAction struct {
	show   []byte            // to draw on the user's terminal (and record)
	send   [][]byte          // to write to the client, in order
	events []recording.Event // "q" events, in order
}

const contPrompt = "-> "

// maxHeld bounds the input held (typed, not yet a complete statement).
const maxHeld = 1 << 20

func newGate(rules []Rule, allowMeta bool, d sqllex.Dialect, q *queryTracker, draw bool, cols int) *gate {
	if cols <= 0 {
		cols = 80
	}
	return &gate{rules: rules, allowMeta: allowMeta, d: d, q: q, draw: draw, cols: cols, lex: sqllex.Lexer{Dialect: d}}
}

// Input takes keys typed at time t: one read from the user's terminal or
// pipe.
func (g *gate) Input(t time.Duration, p []byte) gateAction {
	var act gateAction
	if g.hidden() {
		g.hiddenInput(p, &act)
		return act
	}
	g.hidLine = nil
	g.kbuf = g.dec.Decode(g.kbuf[:0], p)
	refused := "" // a unit of this read was refused: the rest is not sent
	for _, k := range g.kbuf {
		if k.Kind == keys.Special {
			switch k.Name {
			case "Enter":
				refused = g.enter(t, &act, refused)
				continue
			case "C-c":
				g.interrupt(t, &act)
				continue
			case "C-d":
				if !g.holding() && len(g.line) == 0 && refused == "" {
					g.queue = append(g.queue, queued{text: "\x04", raw: true})
					continue
				}
			}
		}
		g.edit(k)
		if refused == "" {
			g.redraw(&act)
		}
	}
	if refused != "" {
		// What is left of the refused read is dropped, not held.
		g.dropHeld()
		g.line, g.cursor = g.line[:0], 0
	}
	if g.needPrompt {
		g.needPrompt = false
		p := g.prompt()
		act.show = append(act.show, p...)
		g.startCol = width(p) % g.cols
	}
	g.pump(t, &act)
	return act
}

// hidden reports whether the client reads a line it does not echo (a
// password prompt: canonical mode, echo off).
func (g *gate) hidden() bool {
	if g.term == nil {
		return false
	}
	canonical, echo := g.term()
	return canonical && !echo
}

// hiddenInput takes keys typed while the client reads a line without echo
// (a password). They are not a statement: the line goes to the client as
// typed, its own terminal editing it. But only one line per prompt: a
// second line sent before the client has read the first would wait in the
// terminal and be read later as a statement, unseen by the rules. So the
// read's rest after a line end is dropped, and the next line waits until
// the client has printed something (it has read the line).
func (g *gate) hiddenInput(p []byte, act *gateAction) {
	for _, c := range p {
		if c == 0x03 {
			g.hidBuf, g.hidLine = nil, nil
			act.send = append(act.send, []byte{0x03})
			return
		}
		g.hidBuf = append(g.hidBuf, c)
		if len(g.hidBuf) > 4096 {
			g.hidBuf = g.hidBuf[:0] // no password is that long
		}
		if c == '\r' || c == '\n' {
			g.hidLine, g.hidBuf = g.hidBuf, nil
			g.sendHidden(act)
			return // the rest of the read is dropped
		}
	}
}

// sendHidden sends the hidden line when the client has read the last one.
func (g *gate) sendHidden(act *gateAction) {
	if g.hidLine == nil || g.hidWait {
		return
	}
	if !g.hidden() {
		g.hidLine = nil // too late: the client reads statements again
		return
	}
	act.send = append(act.send, g.hidLine)
	g.hidLine, g.hidWait = nil, true
}

// EndOfInput is the end of a piped input: what is held is dropped (it was
// never a complete statement), and the client gets an end-of-file once the
// queue has been sent.
func (g *gate) EndOfInput(t time.Duration) gateAction {
	var act gateAction
	g.dropHeld()
	g.line, g.cursor = nil, 0
	g.queue = append(g.queue, queued{text: "\x04", raw: true})
	g.pump(t, &act)
	return act
}

// Output is called with client output that arrived at time t, before it is
// shown: the query tracker sees it, the editor is erased before it and
// drawn again after it (hide and show), and the queue moves on when the
// client is back at its prompt.
func (g *gate) Output(t time.Duration, p []byte) (hide []byte, act gateAction) {
	if g.drawn {
		var b strings.Builder
		g.erase(&b)
		hide = []byte(b.String())
	}
	act.events = g.q.Output(t, p)
	g.hidWait = false
	g.sendHidden(&act)
	if hide != nil {
		g.render(&act, g.screenCol())
	}
	g.pump(t, &act)
	return hide, act
}

// Close ends the session at time t: queued statements were not sent.
func (g *gate) Close(t time.Duration) []recording.Event {
	var act gateAction
	g.dropQueue(t, &act, "C-d", "not sent: the client ended first")
	return append(act.events, g.q.Close(t)...)
}

// pump sends the queue's head when the client is idle: no query pending,
// and its prompt on the screen (nothing is sent before the client first
// shows it: the terminal would echo it, and a client that reads a line
// without echo, a password, is not at its prompt).
func (g *gate) pump(t time.Duration, act *gateAction) {
	for len(g.queue) > 0 && g.q.pending == nil && strings.TrimSpace(g.q.out.partial()) != "" {
		canonical, echo := true, true
		if g.term != nil {
			canonical, echo = g.term()
		} else {
			canonical = false
		}
		if canonical && !echo {
			return
		}
		if !canonical {
			g.sawRaw = true
		}
		it := g.queue[0]
		if it.raw && canonical && g.sawRaw {
			// A client with a line editor is between two reads: an
			// end-of-file now would be lost when it switches to raw mode.
			return
		}
		g.queue = g.queue[1:]
		if it.raw {
			act.send = append(act.send, []byte(it.text))
			continue
		}
		act.send = append(act.send, []byte(it.text+"\r"))
		g.q.Submit(t, it.text, it.unit)
	}
}

// enter ends a line: the complete units in what is held are decided.
func (g *gate) enter(t time.Duration, act *gateAction, refused string) string {
	line := string(g.line)
	var text string // what was typed, shown again when it is refused
	if g.draw {
		text = g.held + line + "\n"
	}
	if s := strings.TrimSpace(line); s != "" && (len(g.hist) == 0 || g.hist[len(g.hist)-1] != s) {
		g.hist = append(g.hist, s)
		if len(g.hist) > 500 {
			g.hist = g.hist[1:]
		}
	}
	g.histPos = len(g.hist)
	g.saved = nil
	units := g.lex.Write([]byte(line + "\n"))
	var typed strings.Builder
	if g.drawn {
		g.erase(&typed)
	}
	g.drawn = false
	var notices []string
	for _, u := range units {
		if refused != "" {
			g.addEvent(act, t, u.Text, "blocked by rule "+refused+" (not sent: it came after a blocked statement in the same input)")
			notices = append(notices, "auditctl: not sent: "+oneLine(u.Text))
			continue
		}
		if rule, why := g.decide(u); rule != "" {
			refused = rule
			g.addEvent(act, t, u.Text, "blocked by rule "+rule)
			notices = append(notices, "auditctl: statement blocked by rule "+why)
			continue
		}
		g.queue = append(g.queue, queued{text: u.Text, unit: u.Kind == sqllex.Statement})
	}
	g.line, g.cursor = g.line[:0], 0
	if refused != "" {
		g.dropHeld()
		if g.draw {
			// The user sees what was typed, then why it went nowhere, then
			// (at the end of the read) the prompt again: the client saw
			// nothing of it.
			if !g.needPrompt {
				typed.WriteString(crlf(strings.TrimRight(text, "\n")))
				typed.WriteString("\r\n")
			}
			for _, n := range notices {
				typed.WriteString(n + "\r\n")
			}
			act.show = append(act.show, typed.String()...)
			g.needPrompt = true
		} else {
			for _, n := range notices {
				act.show = append(act.show, "\r\n"+n+"\r\n"...)
			}
		}
		return refused
	}
	if g.lex.Blank() {
		g.dropHeld() // comments and blanks: nothing the client would act on
	}
	if g.draw {
		g.held = g.lex.Pending()
		act.show = append(act.show, typed.String()...)
		if g.held != "" {
			g.render(act, g.startCol)
		}
	}
	return ""
}

// holding reports whether lines entered are held (not a complete unit yet).
func (g *gate) holding() bool { return g.lex.PendingLen() > 0 }

func (g *gate) dropHeld() {
	g.lex.Reset()
	g.held = ""
}

// decide returns the rule that refuses u ("" to let it through) and the
// notice's explanation.
func (g *gate) decide(u sqllex.Unit) (rule, why string) {
	if r, ok := matchRules(g.rules, u.Normal); ok {
		return r.Text, fmt.Sprintf("%q", r.Text)
	}
	if r, ok := matchRules(g.rules, sqllex.Folded(u.Text)); ok {
		return r.Text, fmt.Sprintf("%q (in a comment)", r.Text)
	}
	if g.allowMeta {
		return "", ""
	}
	for _, c := range u.Commands {
		if w := sqllex.Risk(g.d, c); w != "" {
			return "client-command: " + w, fmt.Sprintf("client-command: %s (--allow-meta allows it)", w)
		}
	}
	if w := sqllex.StatementRisk(g.d, u.Normal); w != "" {
		return "client-command: " + w, fmt.Sprintf("client-command: %s (--allow-meta allows it)", w)
	}
	if g.asciiOnly && !isASCII(u.Text) {
		const w = "text that is not ASCII, outside a UTF-8 locale, is read by the client's line editor as editing keys"
		return "client-command: " + w, "client-command: " + w + " (--allow-meta allows it)"
	}
	if u.Interpolates {
		const w = "a psql variable makes the statement sent differ from the statement typed"
		return "client-command: " + w, "client-command: " + w + " (--allow-meta allows it)"
	}
	return "", ""
}

// interrupt is C-c: what is held and queued goes; a running query is
// interrupted in the client.
func (g *gate) interrupt(t time.Duration, act *gateAction) {
	g.dropQueue(t, act, "C-c", "not sent: interrupted")
	busy := g.q.pending != nil
	if g.drawn {
		var b strings.Builder
		g.erase(&b)
		act.show = append(act.show, b.String()...)
	}
	had := g.holding() || len(g.line) > 0
	g.dropHeld()
	g.line, g.cursor, g.drawn = g.line[:0], 0, false
	g.histPos, g.saved = len(g.hist), nil
	if busy {
		act.send = append(act.send, []byte{0x03})
		return
	}
	if g.draw && had {
		p := g.prompt()
		act.show = append(act.show, "^C\r\n"+p...)
		g.startCol = width(p) % g.cols
	}
}

func (g *gate) dropQueue(t time.Duration, act *gateAction, rule, why string) {
	for _, it := range g.queue {
		if it.unit {
			g.addEvent(act, t, it.text, "blocked by rule "+rule+" ("+why+")")
		}
	}
	g.queue = nil
}

func (g *gate) addEvent(act *gateAction, t time.Duration, query, msg string) {
	var a trackerAction
	g.q.addEvent(&a, t, recording.Query{Query: query, Message: msg})
	act.events = append(act.events, a.events...)
}

// prompt is the client's prompt: as the tracker learned it, else the line
// the client's output ends with.
func (g *gate) prompt() string {
	p := g.q.prompt
	if p == "" {
		p = strings.TrimSpace(g.q.out.partial())
	}
	if p == "" {
		return ""
	}
	return p + " "
}

// edit applies a key to the line.
func (g *gate) edit(k keys.Key) {
	switch k.Kind {
	case keys.Text, keys.Paste:
		text := k.Name
		if k.Kind == keys.Paste {
			text = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(text)
		}
		// A tab becomes a space: sent to the client, a tab would be its
		// line editor's completion, and the statement received would not
		// be the statement decided on ("DR<Tab>" completes to "DROP").
		// Other control characters are not text.
		rs := []rune(strings.Map(func(r rune) rune {
			switch {
			case r == '\t':
				return ' '
			case r == '\n' || r >= ' ' && r != 0x7f && !(r >= 0x80 && r < 0xa0):
				return r
			}
			return -1
		}, text))
		if g.lex.PendingLen()+len(g.line)+len(rs) > maxHeld {
			return // bounded, like any line buffer: the excess is not taken
		}
		g.line = append(g.line[:g.cursor], append(rs, g.line[g.cursor:]...)...)
		g.cursor += len(rs)
		return
	case keys.Special:
	default:
		return
	}
	switch k.Name {
	case "Tab":
		g.edit(keys.Key{Kind: keys.Text, Name: " "}) // no completion: see above
	case "Backspace", "C-h":
		if g.cursor > 0 {
			g.cursor--
			g.line = append(g.line[:g.cursor], g.line[g.cursor+1:]...)
		}
	case "Delete", "C-d":
		if g.cursor < len(g.line) {
			g.line = append(g.line[:g.cursor], g.line[g.cursor+1:]...)
		}
	case "C-u":
		g.line = append(g.line[:0], g.line[g.cursor:]...)
		g.cursor = 0
	case "C-k":
		g.line = g.line[:g.cursor]
	case "C-w", "M-Backspace":
		i := g.cursor
		for i > 0 && (g.line[i-1] == ' ' || g.line[i-1] == '\t') {
			i--
		}
		for i > 0 && g.line[i-1] != ' ' && g.line[i-1] != '\t' && g.line[i-1] != '\n' {
			i--
		}
		g.line = append(g.line[:i], g.line[g.cursor:]...)
		g.cursor = i
	case "Left", "C-b":
		if g.cursor > 0 {
			g.cursor--
		}
	case "Right", "C-f":
		if g.cursor < len(g.line) {
			g.cursor++
		}
	case "Home", "C-a":
		g.cursor = 0
	case "End", "C-e":
		g.cursor = len(g.line)
	case "Up", "C-p":
		if g.histPos > 0 {
			if g.histPos == len(g.hist) {
				g.saved = append([]rune(nil), g.line...)
			}
			g.histPos--
			g.line = []rune(g.hist[g.histPos])
			g.cursor = len(g.line)
		}
	case "Down", "C-n":
		if g.histPos < len(g.hist) {
			g.histPos++
			if g.histPos == len(g.hist) {
				g.line = append([]rune(nil), g.saved...)
			} else {
				g.line = []rune(g.hist[g.histPos])
			}
			g.cursor = len(g.line)
		}
	}
}

// screenCol is the column the client's output left the cursor at.
func (g *gate) screenCol() int { return width(g.q.out.partial()) % g.cols }

// redraw draws the editor again after an edit.
func (g *gate) redraw(act *gateAction) {
	if !g.draw {
		return
	}
	start := g.startCol
	if !g.drawn {
		start = g.screenCol()
	}
	var b strings.Builder
	if g.drawn {
		g.erase(&b)
	}
	act.show = append(act.show, b.String()...)
	g.render(act, start)
}

// render draws held and line from column start of the cursor's line, and
// puts the cursor where it edits.
func (g *gate) render(act *gateAction, start int) {
	if !g.draw {
		return
	}
	g.startCol = start
	if g.held == "" && len(g.line) == 0 {
		g.drawn, g.curRow = false, 0
		return
	}
	var b strings.Builder
	row, col := 0, start
	var curRow, curCol int
	put := func(r rune) {
		if r == '\n' {
			b.WriteString("\r\n")
			row, col = row+1, 0
			for _, c := range contPrompt {
				b.WriteRune(c)
				col++
			}
			return
		}
		if r == '\t' {
			r = ' '
		}
		w := runewidth.RuneWidth(r)
		if col+w > g.cols {
			b.WriteString("\r\n")
			row, col = row+1, 0
		}
		b.WriteRune(r)
		col += w
		if col >= g.cols {
			b.WriteString(" \r") // leave the pending wrap: the cursor is on the next row
			row, col = row+1, 0
		}
	}
	for _, r := range g.held {
		put(r)
	}
	for i, r := range g.line {
		if i == g.cursor {
			curRow, curCol = row, col
		}
		put(r)
	}
	if g.cursor >= len(g.line) {
		curRow, curCol = row, col
	}
	if row > curRow {
		fmt.Fprintf(&b, "\x1b[%dA", row-curRow)
	}
	if col != curCol {
		b.WriteString("\r")
		if curCol > 0 {
			fmt.Fprintf(&b, "\x1b[%dC", curCol)
		}
	}
	g.drawn, g.curRow = true, curRow
	act.show = append(act.show, b.String()...)
}

// erase moves the cursor back to where the editor starts and clears to the
// end of the screen.
func (g *gate) erase(b *strings.Builder) {
	if !g.drawn {
		return
	}
	b.WriteString("\r")
	if g.curRow > 0 {
		fmt.Fprintf(b, "\x1b[%dA", g.curRow)
	}
	if g.startCol > 0 {
		fmt.Fprintf(b, "\x1b[%dC", g.startCol)
	}
	b.WriteString("\x1b[J")
	g.drawn, g.curRow = false, 0
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// utf8Locale reports whether env's locale (LC_ALL, else LC_CTYPE, else
// LANG) is a UTF-8 one.
func utf8Locale(env []string) bool {
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := lookupEnv(env, k); v != "" {
			v = strings.ToLower(v)
			return strings.Contains(v, "utf-8") || strings.Contains(v, "utf8")
		}
	}
	return false
}

func width(s string) int {
	if !utf8.ValidString(s) {
		return len(s)
	}
	return runewidth.StringWidth(s)
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n"+contPrompt) }

// oneLine shortens a statement for a notice.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 60 {
		s = string(r[:57]) + "..."
	}
	return s
}
