package recorder

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/auditctl/auditctl/pkg/keys"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/sqllex"
)

// queryTracker turns the keystrokes and output of a database client session
// into query events (see docs/recorder.md, "Database sessions"):
//
//   - Without deny rules, keystrokes are replayed on a line editor
//     (keys.LineEditor). At each Enter the line joins the statement being
//     typed; the statement is submitted when it is complete (pkg/sqllex: a
//     ';' outside quotes and comments, or a \g terminator). A line starting
//     with '\' on its own is a client meta-command, not a statement.
//   - With deny rules, the gate owns the line and tells the tracker what it
//     sent (Submit); keystrokes are not replayed.
//   - The response is the output after the submit, escape sequences
//     removed. The query ends when the client prints its prompt again (the
//     text the cursor was after when the statement's first key was typed),
//     else when the user types again or the session ends; its duration runs
//     from the submit to the output chunk holding the prompt (or to the last
//     output before the next keystroke).
//
// It is not safe for concurrent use: the recorder serializes calls.
type queryTracker struct {
	dialect sqllex.Dialect
	dec     keys.Decoder
	ed      keys.LineEditor
	keyBuf  []keys.Key
	lines   []string // the statement typed so far, one element per line
	typing  bool     // keys were typed on the current line

	prompt string   // learned prompt, trimmed
	out    stripper // output since the last submit
	// pending is the statement submitted and waiting for its response.
	pending    *pendingQuery
	lastOutput time.Duration
}

type pendingQuery struct {
	query  string
	submit time.Duration
	output bool // output arrived since the submit
	lines  []string
	// keyed is set when the user typed while the query was pending (in a
	// pager, or ahead); settle is the time of the last output before that.
	keyed  bool
	settle time.Duration
	// command: a client command the gate sent; it ends at the prompt like
	// a query, but makes no event.
	command bool
}

// trackerAction is what the recorder does for the input it passed to
// Input: forward the bytes to the client, and write the "q" events.
type trackerAction struct {
	forward []byte
	events  []recording.Event // "q" events to write, in order
}

func newQueryTracker(d sqllex.Dialect) *queryTracker {
	return &queryTracker{dialect: d}
}

// Submit starts a query (or a client command, which makes no event) that
// the gate sent to the client at time t, the client being at its prompt.
func (q *queryTracker) Submit(t time.Duration, stmt string, record bool) {
	if p := strings.TrimSpace(q.out.partial()); p != "" {
		q.prompt = p
	}
	q.pending = &pendingQuery{query: stmt, submit: t, lines: strings.Split(stmt, "\n"), command: !record}
	q.out.reset()
}

// Input processes keystrokes typed at time t.
func (q *queryTracker) Input(t time.Duration, p []byte) trackerAction {
	var act trackerAction
	act.forward = make([]byte, 0, len(p))
	for i := range p {
		q.keyBuf = q.dec.Decode(q.keyBuf[:0], p[i:i+1])
		for _, k := range q.keyBuf {
			if p := q.pending; p != nil && !p.keyed {
				p.keyed = true
				p.settle = p.submit
				if p.output {
					p.settle = q.lastOutput
				}
			}
			if q.pending == nil && !q.typing && len(q.lines) == 0 {
				q.prompt = strings.TrimSpace(q.out.partial())
			}
			q.typing = true
			q.ed.Key(t, k)
			for _, c := range q.ed.Commands() {
				q.line(t, c, &act)
			}
		}
		act.forward = append(act.forward, p[i])
	}
	return act
}

// line handles a line the editor emitted.
func (q *queryTracker) line(t time.Duration, c keys.Command, act *trackerAction) {
	q.typing = false
	switch c.Ended {
	case "cancel":
		q.lines = nil
		return
	case "enter":
	default:
		return
	}
	text := c.Line
	if len(q.lines) == 0 && strings.HasPrefix(strings.TrimSpace(text), `\`) {
		return // a meta-command (\dt, \q, ...)
	}
	stmt := strings.TrimSpace(strings.Join(append(q.lines, text), "\n"))
	if stmt == "" {
		return
	}
	if !complete(q.dialect, stmt) {
		q.lines = append(q.lines, text)
		return
	}
	q.lines = nil
	if q.pending != nil {
		q.finishSettled(act) // the client did not show its prompt: the previous query is over
	}
	q.pending = &pendingQuery{query: stmt, submit: t, lines: strings.Split(stmt, "\n")}
	q.out.reset()
}

// Output processes client output that arrived at time t.
func (q *queryTracker) Output(t time.Duration, p []byte) []recording.Event {
	q.out.Write(p)
	if q.pending == nil {
		if len(q.out.lines) > 0 {
			q.out.lines = q.out.lines[:0] // only the partial line matters between queries
		}
		return nil
	}
	q.pending.output = true
	q.lastOutput = t
	if q.atPrompt() {
		var act trackerAction
		end := t
		if q.pending.keyed {
			end = q.pending.settle
		}
		q.finish(&act, end)
		// A fresh prompt: keys typed while the query ran went elsewhere
		// (a pager's q and spaces), not into the next statement.
		q.ed = keys.LineEditor{}
		q.dec = keys.Decoder{}
		q.typing = false
		return act.events
	}
	return nil
}

// atPrompt reports whether the output ends with the client's prompt.
func (q *queryTracker) atPrompt() bool {
	if len(q.out.lines) == 0 {
		return false // the response has not even ended a line
	}
	raw := q.out.partial()
	p := strings.TrimSpace(raw)
	if p == "" {
		return false
	}
	if q.prompt != "" && p == q.prompt {
		return true
	}
	// Another prompt (psql's "db=!#" in a failed transaction): a short
	// word ending in a prompt character and a space, after a reply (a
	// continuation prompt may come before the echo of a line typed ahead).
	if !promptRE().MatchString(p) || !strings.HasSuffix(raw, " ") {
		return false
	}
	for _, l := range q.out.lines {
		if l = strings.TrimSpace(l); l != "" && !isEcho(l, q.pending.lines) {
			return true
		}
	}
	return false
}

var promptRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\S{0,64}[=\-#>$%]$`) })

// Close ends the session at time t: a query still waiting for its response
// is written with what arrived.
func (q *queryTracker) Close(t time.Duration) []recording.Event {
	var act trackerAction
	if q.pending != nil {
		q.finishSettled(&act)
	}
	return act.events
}

// finishSettled ends the pending query without a prompt: at the last
// output before the user typed again, else the last output.
func (q *queryTracker) finishSettled(act *trackerAction) {
	end := q.lastOutput
	if q.pending.keyed {
		end = q.pending.settle
	}
	q.finish(act, end)
}

func (q *queryTracker) finish(act *trackerAction, end time.Duration) {
	p := q.pending
	q.pending = nil
	if !p.output || end < p.submit {
		end = p.submit
	}
	msg, rows := summarize(q.out.lines, p.lines)
	q.out.lines = q.out.lines[:0]
	if p.command {
		return
	}
	q.addEvent(act, end, recording.Query{
		Query: p.query, Message: msg, Rows: rows,
		DurationMS: float64((end-p.submit)/time.Microsecond) / 1000,
	})
}

func (q *queryTracker) addEvent(act *trackerAction, t time.Duration, qq recording.Query) {
	data, err := recording.EncodeQuery(qq)
	if err != nil {
		return // a negative duration cannot happen; nothing to record otherwise
	}
	act.events = append(act.events, recording.Event{Time: t, Code: "q", Data: data})
}

// complete reports whether stmt is complete statements, nothing left open
// (see pkg/sqllex): in psql, a ';' outside quotes, comments and
// parentheses, or a \g terminator.
func complete(d sqllex.Dialect, stmt string) bool {
	units, rest := sqllex.Split(d, stmt+"\n")
	return len(units) > 0 && sqllex.Blank(d, rest)
}

var (
	rowsRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\((\d+) rows?\)$`) })
	tagRE  = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:INSERT \d+ (\d+)|(?:SELECT|UPDATE|DELETE|MOVE|FETCH|COPY|MERGE) (\d+)|[A-Z]+(?: [A-Z]+)*)$`)
	})
	mysqlRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\b(\d+) rows? (?:affected|in set)\b`) })
)

// summarize picks the message of a response and the rows it reports: the
// first ERROR/FATAL/PANIC line, else a "(N rows)" footer, else a command
// tag (INSERT 0 1, UPDATE 2, CREATE TABLE), else the first non-empty line.
// Lines that end with a line of the statement are the client's echo of
// what was typed (late when the user types ahead), not its reply.
func summarize(lines, stmt []string) (string, *int64) {
	var first, footer, tag string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || isEcho(l, stmt) {
			continue
		}
		for _, p := range []string{"ERROR", "FATAL", "PANIC"} {
			if strings.HasPrefix(l, p) {
				return l, nil
			}
		}
		if first == "" {
			first = l
		}
		if footer == "" && rowsRE().MatchString(l) {
			footer = l
		}
		if tag == "" && len(l) <= 64 && tagRE().MatchString(l) {
			tag = l
		}
	}
	msg := first
	switch {
	case footer != "":
		msg = footer
	case tag != "":
		msg = tag
	}
	return msg, rowsOf(msg)
}

func isEcho(l string, stmt []string) bool {
	for _, s := range stmt {
		if s = strings.TrimSpace(s); s != "" && strings.HasSuffix(l, s) {
			return true
		}
	}
	return false
}

// rowsOf returns the row count a message states, nil when it states none.
func rowsOf(msg string) *int64 {
	var s string
	if m := rowsRE().FindStringSubmatch(msg); m != nil {
		s = m[1]
	} else if m := tagRE().FindStringSubmatch(msg); m != nil {
		s = m[1] + m[2]
	} else if m := mysqlRE().FindStringSubmatch(msg); m != nil {
		s = m[1]
	}
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil
	}
	return &n
}
