package tui

import (
	"context"
	"errors"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/query"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// debounce is how long the bar waits after a key before it runs what was
// typed: the query runs as you type, each one cancelling the last.
var debounce = 150 * time.Millisecond

// queryBar is the `/` query bar: the -q language, checked as you type.
type queryBar struct {
	input textinput.Model
	orig  string // the query when the bar opened: Esc goes back to it
	gen   int    // of the last edit, for the debounce
	err   string // why the text does not compile
	col   int    // the column of a syntax error (1-based), 0 for none
	hist  int    // position in the history while browsing it with ↑ ↓
	draft string // what was typed before browsing the history
	comp  completion
	// ctx is the bar's: reading the values to complete ends with it.
	ctx    context.Context
	cancel context.CancelFunc
}

// debounceMsg runs the bar's text once typing paused.
type debounceMsg struct{ gen int }

func (m *Model) openBar() tea.Cmd {
	ti := textinput.New()
	ti.Prompt = "/ "
	ti.Placeholder = `action:DeleteUser -status:success actor:*@example.com "free text"`
	ti.SetValue(m.logs.query)
	ti.CursorEnd()
	ti.SetWidth(max(m.width-3, 1))
	m.bar = &queryBar{input: ti, orig: m.logs.query, hist: len(m.history), comp: completion{idx: -1}}
	m.bar.ctx, m.bar.cancel = context.WithCancel(m.ctx)
	m.open(layerBar)
	m.relayout()
	return tea.Batch(m.bar.input.Focus(), m.complete())
}

// cancelBar closes the bar (Esc): the query it opened over comes back.
func (m *Model) cancelBar() tea.Cmd {
	orig := m.bar.orig
	m.bar.cancel()
	m.bar = nil
	m.relayout()
	if m.logs.query != orig {
		return m.runQuery(orig)
	}
	return nil
}

func (m *Model) barKey(k tea.KeyPressMsg) tea.Cmd {
	b := m.bar
	switch k.String() {
	case "enter":
		text := b.input.Value()
		if _, _, err := m.compile(text); err != nil {
			b.setErr(text, err)
			m.relayout()
			return nil
		}
		if t := strings.TrimSpace(text); t != "" && (len(m.history) == 0 || m.history[len(m.history)-1] != text) {
			m.history = append(m.history, text)
		}
		m.closeLayer(layerBar)
		if text != m.logs.query {
			return m.runQuery(text)
		}
		return nil
	case "esc":
		return m.closeLast()
	case "tab":
		return m.tabComplete(1)
	case "shift+tab":
		return m.tabComplete(-1)
	case "up":
		if b.hist > 0 {
			if b.hist == len(m.history) {
				b.draft = b.input.Value()
			}
			b.hist--
			b.input.SetValue(m.history[b.hist])
			b.input.CursorEnd()
			return m.edited()
		}
		return nil
	case "down":
		if b.hist < len(m.history) {
			b.hist++
			if b.hist == len(m.history) {
				b.input.SetValue(b.draft)
			} else {
				b.input.SetValue(m.history[b.hist])
			}
			b.input.CursorEnd()
			return m.edited()
		}
		return nil
	}
	return m.barInput(k)
}

// barInput hands a message to the text input and checks what it holds
// now.
func (m *Model) barInput(msg tea.Msg) tea.Cmd {
	before, pos := m.bar.input.Value(), m.bar.input.Position()
	var cmd tea.Cmd
	m.bar.input, cmd = m.bar.input.Update(msg)
	if m.bar.input.Value() == before {
		if m.bar.input.Position() != pos {
			lines := m.barLines()
			cmd = tea.Batch(cmd, m.complete())
			if lines != m.barLines() {
				m.relayout()
			}
		}
		return cmd
	}
	return tea.Batch(cmd, m.edited())
}

// edited checks the bar's new text and, when it compiles, runs it once
// typing pauses.
func (m *Model) edited() tea.Cmd {
	b := m.bar
	text := b.input.Value()
	_, _, err := m.compile(text)
	lines := m.barLines()
	b.setErr(text, err)
	if b.comp.idx < 0 || text != b.comp.applied {
		b.comp.idx = -1
	}
	var comp tea.Cmd
	if b.comp.idx < 0 {
		comp = m.complete()
	}
	if lines != m.barLines() {
		m.relayout()
	}
	if err != nil {
		return comp
	}
	b.gen++
	gen := b.gen
	return tea.Batch(comp, tea.Tick(debounce, func(time.Time) tea.Msg { return debounceMsg{gen: gen} }))
}

// setErr records why text does not compile (nil: it does).
func (b *queryBar) setErr(text string, err error) {
	b.err, b.col = "", 0
	if err == nil {
		return
	}
	var se *query.SyntaxError
	if errors.As(err, &se) {
		b.err, b.col = sanitize.String(se.Msg), se.Column
		return
	}
	b.err = errText(err)
}

// errText is an error as one safe line, without the exit-code wrapping.
func errText(err error) string {
	var ae *audit.Error
	if errors.As(err, &ae) {
		return sanitize.String(ae.Error())
	}
	return sanitize.String(err.Error())
}

// barLines is the number of lines under the bar: the syntax error, the
// candidates of completion.
func (m *Model) barLines() int {
	if m.bar == nil {
		return 0
	}
	n := 0
	if m.bar.err != "" {
		n++
	}
	if m.compLine() != "" {
		n++
	}
	return n
}
