package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/query"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// Completion in the query bar: Tab completes the word at the cursor, a
// key (action, actor…) or a value of action, service, actor, source
// (the values seen in the cache, in the command line's window, most
// frequent first) or status; Tab again the next candidate, shift+Tab the
// one before. The candidates show under the bar as you type. The values
// of a field are read once, in a command off the update loop (CountBy,
// the most frequent valuesLimit), kept for the session, and the read is
// cancelled when the bar closes before it ends.

// valuesLimit is how many values of a field completion knows.
const valuesLimit = 500

// completedFields are the fields whose values are completed from the
// cache.
var completedFields = map[audit.Field]bool{
	audit.FieldAction: true, audit.FieldService: true, audit.FieldActor: true, audit.FieldSource: true,
	audit.FieldCategory: true, audit.FieldBrowser: true, audit.FieldIP: true,
}

var statusValues = []string{"success", "failure", "warning", "in_progress"}

// completionKeys are the query's keys, the canonical names first.
var completionKeys = func() []string {
	keys := []string{"action", "actor", "service", "source", "status", "ip", "category", "workflow", "target",
		"browser", "error", "tenant", "time", "duration", "id", "client"}
	seen := map[string]bool{}
	for _, k := range keys {
		seen[k] = true
	}
	for _, k := range audit.FieldNames() {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	return keys
}()

// fieldValues are the known values of a field.
type fieldValues struct {
	items   []string
	loading bool
	err     error
}

type valuesMsg struct {
	field audit.Field
	items []string
	err   error
}

// completion is the bar's completion state: the word at the cursor and
// its candidates.
type completion struct {
	start, end int      // the word's runes in the text
	key        bool     // completing a key (else a value)
	items      []string // the candidates
	loading    bool     // the field's values are being read
	idx        int      // the candidate Tab put in (-1: none yet)
	applied    string   // the text right after that Tab
	prefix     string   // what was typed before the first Tab
}

// word finds the word under the cursor (pos, in runes) of text: its
// start, and for a value its field and where the value starts.
func word(text []rune, pos int) (start int, field audit.Field, valStart int, isValue bool) {
	inQuote := false
	start = 0
	for i := 0; i < pos; i++ {
		switch {
		case text[i] == '"' && (i == 0 || text[i-1] != '\\'):
			inQuote = !inQuote
		case unicode.IsSpace(text[i]) && !inQuote:
			start = i + 1
		}
	}
	w := string(text[start:pos])
	ks := start
	if strings.HasPrefix(w, "-") {
		w, ks = w[1:], start+1
	}
	colon := strings.IndexByte(w, ':')
	if colon < 0 {
		return ks, "", 0, false
	}
	f, ok := audit.ParseField(w[:colon])
	if !ok {
		return ks, "", 0, false
	}
	return ks, f, valueStart(text, ks+len([]rune(w[:colon]))+1, pos), true
}

// complete works out the candidates for the bar's text at its cursor,
// starting the read of a field's values when needed.
func (m *Model) complete() tea.Cmd {
	b := m.bar
	text := []rune(b.input.Value())
	pos := min(b.input.Position(), len(text))
	if pos < len(text) && !unicode.IsSpace(text[pos]) {
		b.comp = completion{idx: -1} // in the middle of a word
		return nil
	}
	start, field, vs, isValue := word(text, pos)
	if !isValue {
		typed := string(text[start:pos])
		if typed == "" || strings.ContainsAny(typed, "\"") {
			b.comp = completion{idx: -1}
			return nil
		}
		b.comp = completion{start: start, end: pos, key: true, idx: -1, items: match(completionKeys, typed), prefix: typed}
		return nil
	}
	c, cmd := m.valueCompletion(b.ctx, field, text, vs, pos)
	b.comp = c
	return cmd
}

// valueCompletion is the completion of the value of field typed in
// text[vs:pos]: the values of status, or those seen in the cache (the
// first time, the command reading them, under ctx). The query bar and
// the filter panel's fields complete through it.
func (m *Model) valueCompletion(ctx context.Context, field audit.Field, text []rune, vs, pos int) (completion, tea.Cmd) {
	c := completion{start: vs, end: pos, idx: -1}
	var cmd tea.Cmd
	var pool []string
	switch {
	case field == audit.FieldStatus:
		pool = statusValues
	case completedFields[field]:
		fv := m.values[field]
		if fv == nil {
			fv = &fieldValues{loading: true}
			m.values[field] = fv
			cmd = m.readValues(ctx, field)
		}
		c.loading, pool = fv.loading, fv.items
	default:
		return completion{idx: -1}, nil
	}
	typed := strings.TrimPrefix(string(text[vs:pos]), `"`)
	c.items = match(pool, typed)
	if len(c.items) == 1 && strings.EqualFold(c.items[0], typed) {
		c.items = nil // already complete
	}
	c.prefix = typed
	return c, cmd
}

// valueStart is where the value under the cursor (pos) starts in text,
// the values starting at vs: after the last comma outside quotes.
func valueStart(text []rune, vs, pos int) int {
	inQuote := false
	for i := vs; i < pos; i++ {
		switch {
		case text[i] == '"' && (i == 0 || text[i-1] != '\\'):
			inQuote = !inQuote
		case text[i] == ',' && !inQuote:
			vs = i + 1
		}
	}
	return vs
}

// match is the candidates of pool for typed: those it starts (case
// folded), then those holding it, each list in pool's order.
func match(pool []string, typed string) []string {
	t := strings.ToLower(typed)
	var pre, in []string
	for _, p := range pool {
		l := strings.ToLower(p)
		switch {
		case strings.HasPrefix(l, t):
			pre = append(pre, p)
		case t != "" && strings.Contains(l, t):
			in = append(in, p)
		}
	}
	return append(pre, in...)
}

// readValues reads the most frequent values of field in the command
// line's window, under ctx (the bar's or the filter panel's: the read
// ends when it closes).
func (m *Model) readValues(ctx context.Context, field audit.Field) tea.Cmd {
	f, _, err := m.opt.Compile("")
	if err != nil {
		f = audit.Filter{}
	}
	svc := m.opt.Events
	return func() tea.Msg {
		bs, err := svc.CountBy(ctx, f, field, valuesLimit)
		var items []string
		for _, b := range bs {
			if b.Key != "" {
				items = append(items, b.Key)
			}
		}
		return valuesMsg{field: field, items: items, err: err}
	}
}

func (m *Model) gotValues(msg valuesMsg) tea.Cmd {
	fv := m.values[msg.field]
	if fv == nil {
		return nil
	}
	if msg.err != nil {
		delete(m.values, msg.field) // read again next time
		if !errors.Is(msg.err, context.Canceled) && (m.bar != nil || m.panel != nil) {
			m.setStatus("completion: "+errText(msg.err), true)
		}
		return nil
	}
	fv.items, fv.loading = msg.items, false
	switch {
	case m.bar != nil && m.bar.comp.idx < 0:
		return m.complete()
	case m.panel != nil && m.panel.comp.idx < 0:
		return m.panelComplete()
	}
	return nil
}

// tabComplete puts the next (d 1) or previous (d -1) candidate in place
// of the word.
func (m *Model) tabComplete(d int) tea.Cmd {
	b := m.bar
	if b.comp.stale(&b.input) {
		m.complete()
	}
	if !b.comp.cycle(&b.input, d) {
		return nil
	}
	return m.edited()
}

// stale says whether c must be worked out afresh: no Tab yet, or typed
// since the last.
func (c *completion) stale(in *textinput.Model) bool {
	if c.idx >= 0 && in.Value() != c.applied {
		c.idx = -1
	}
	return c.idx < 0
}

// cycle puts c's next (d 1) or previous (d -1) candidate in place of the
// word in the input; false when there is none.
func (c *completion) cycle(in *textinput.Model, d int) bool {
	if len(c.items) == 0 {
		return false
	}
	if c.idx < 0 {
		c.idx = 0
		if d < 0 {
			c.idx = len(c.items) - 1
		}
	} else {
		c.idx = (c.idx + d + len(c.items)) % len(c.items)
	}
	ins := c.items[c.idx]
	if c.key {
		ins += ":"
	} else {
		ins = query.FormatValue(ins)
	}
	text := []rune(in.Value())
	out := string(text[:c.start]) + ins
	c.end = len([]rune(out))
	out += string(text[min(in.Position(), len(text)):])
	in.SetValue(out)
	in.SetCursor(c.end)
	c.applied = out
	return true
}

// compLine is the line of candidates under the bar.
func (m *Model) compLine() string { return m.candidatesLine(&m.bar.comp) }

// candidatesLine is the line of c's candidates (under the bar or the
// filter panel).
func (m *Model) candidatesLine(c *completion) string {
	if len(c.items) == 0 {
		if c.loading {
			return m.st.dim.Render("  tab: reading the values…")
		}
		return ""
	}
	var b strings.Builder
	b.WriteString(m.st.dim.Render("  tab ▸ "))
	w := 8
	for i, it := range c.items {
		s := sanitize.String(it)
		if w+len([]rune(s))+2 > m.width-10 {
			b.WriteString(m.st.dim.Render(fmt.Sprintf("… +%d", len(c.items)-i)))
			break
		}
		if i == c.idx {
			s = m.st.selected.Render(s)
		}
		b.WriteString(s + "  ")
		w += len([]rune(sanitize.String(it))) + 2
	}
	return b.String()
}
