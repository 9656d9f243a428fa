package tui

import (
	"context"
	"fmt"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/spf13/pflag"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/session"
)

// NewSessionFilter makes the sessions filter panel of a set of flags (the
// filter flags of `sessions list`): define adds them to a flag set and
// returns the function that reads them into a filter. Each field of the
// panel is a flag, in the order defined, its usage beside it; its value is
// set as the command line sets it.
func NewSessionFilter(define func(fs *pflag.FlagSet) func() (session.Filter, error)) *SessionFilter {
	fs := pflag.NewFlagSet("sessions", pflag.ContinueOnError)
	fs.SortFlags = false
	define(fs)
	sf := &SessionFilter{}
	fs.VisitAll(func(fl *pflag.Flag) {
		sf.Fields = append(sf.Fields, FilterField{Name: fl.Name, Usage: fl.Usage})
	})
	sf.Compile = func(values map[string]string) (session.Filter, error) {
		fs := pflag.NewFlagSet("sessions", pflag.ContinueOnError)
		read := define(fs)
		for _, fl := range sf.Fields {
			if v := values[fl.Name]; v != "" {
				if err := fs.Set(fl.Name, v); err != nil {
					return session.Filter{}, audit.Errorf(audit.EUSAGE, "--%s %q: %v", fl.Name, v, err)
				}
			}
		}
		return read()
	}
	return sf
}

// sessFilterPanel is the sessions view's filter panel (f): one field a
// filter of `sessions list` (date range, user, connector, recording,
// category, resource, session and resource id, duration, server OS,
// protocol, connected from, status, search), checked as you type; Enter
// applies it, Esc leaves the filter as it was.
type sessFilterPanel struct {
	fields []FilterField
	inputs []textinput.Model
	focus  int
	err    string
}

// inputWidth is the width of a field of the filter panel.
const inputWidth = 28

// newInput is a field of a panel or a prompt: a steady cursor, and no
// colour without colour.
func newInput(width int, color bool) textinput.Model {
	ti := textinput.New()
	ti.Prompt = ""
	st := ti.Styles()
	st.Cursor.Blink = false
	if !color {
		plain := textinput.StyleState{Placeholder: lipgloss.NewStyle().Faint(true)}
		st.Focused, st.Blurred, st.Cursor.Color = plain, plain, nil
	}
	ti.SetStyles(st)
	ti.SetWidth(width)
	return ti
}

func (m *Model) openSessionFilter() tea.Cmd {
	sf := m.opt.SessionFilter
	if sf == nil {
		m.setStatus("no sessions filter here", true)
		return nil
	}
	p := &sessFilterPanel{fields: sf.Fields}
	for _, f := range sf.Fields {
		ti := newInput(inputWidth, m.opt.Color)
		ti.SetValue(m.sessions.values[f.Name])
		ti.CursorEnd()
		p.inputs = append(p.inputs, ti)
	}
	m.openOverlay(p)
	return p.inputs[0].Focus()
}

// values are the fields that hold something.
func (p *sessFilterPanel) values() map[string]string {
	out := map[string]string{}
	for i, f := range p.fields {
		if v := p.inputs[i].Value(); v != "" {
			out[f.Name] = v
		}
	}
	return out
}

// check compiles what the fields hold, keeping the error to show.
func (p *sessFilterPanel) check(m *Model) bool {
	p.err = ""
	if _, err := m.opt.SessionFilter.Compile(p.values()); err != nil {
		p.err = errText(err)
		return false
	}
	return true
}

func (p *sessFilterPanel) setFocus(i int) tea.Cmd {
	if len(p.inputs) == 0 {
		return nil
	}
	p.inputs[p.focus].Blur()
	p.focus = (i + len(p.inputs)) % len(p.inputs)
	return p.inputs[p.focus].Focus()
}

func (p *sessFilterPanel) key(m *Model, k tea.KeyPressMsg) (tea.Cmd, bool) {
	switch k.String() {
	case "esc", "ctrl+c":
		return nil, false
	case "up", "shift+tab":
		return p.setFocus(p.focus - 1), true
	case "down", "tab":
		return p.setFocus(p.focus + 1), true
	case "enter":
		if !p.check(m) {
			return nil, true
		}
		values := p.values()
		m.closeLayer(layerOverlay)
		return m.setSessionFilter(values), true
	}
	var cmd tea.Cmd
	before := p.inputs[p.focus].Value()
	p.inputs[p.focus], cmd = p.inputs[p.focus].Update(k)
	if p.inputs[p.focus].Value() != before {
		p.check(m)
	}
	return cmd, true
}

func (p *sessFilterPanel) paste(msg tea.PasteMsg) {
	p.inputs[p.focus], _ = p.inputs[p.focus].Update(msg)
}

func (p *sessFilterPanel) body(m *Model, h int) []string {
	out := []string{m.st.title.Render(" Filter sessions") + m.st.dim.Render("  (as sessions list: alice,bob is either; * a wildcard)")}
	// the fields scroll when the height is short: the focused one shows
	first := 0
	rows := h - 2 // the title, the error line
	if len(p.fields) > rows {
		first = min(max(p.focus-rows/2, 0), len(p.fields)-rows)
	}
	for i := first; i < len(p.fields) && len(out) < h-1; i++ {
		label := fmt.Sprintf("   %-15s ", p.fields[i].Name)
		if i == p.focus {
			label = m.st.selected.Render(label)
		}
		out = append(out, label+"["+pad(p.inputs[i].View(), inputWidth+1)+"]  "+m.st.dim.Render(p.fields[i].Usage))
	}
	if p.err != "" {
		out = append(out, "   "+m.st.err.Render(p.err))
	}
	return out
}

func (p *sessFilterPanel) keys() string {
	return "↑ ↓ tab field  enter apply  esc cancel  ctrl+u clear the field"
}

func (p *sessFilterPanel) click(m *Model, y int) tea.Cmd {
	rows := m.bodyHeight() - 2
	first := 0
	if len(p.fields) > rows {
		first = min(max(p.focus-rows/2, 0), len(p.fields)-rows)
	}
	if i := first + y - 1; y >= 1 && i < len(p.fields) {
		return p.setFocus(i)
	}
	return nil
}

func (p *sessFilterPanel) wheel(m *Model, d int) {
	if d < 0 {
		p.setFocus(max(p.focus-1, 0))
	} else {
		p.setFocus(min(p.focus+1, len(p.inputs)-1))
	}
}

// confirmPrompt asks before x terminates a session, with an optional
// reason for the audit log.
type confirmPrompt struct {
	s     *session.Session
	input textinput.Model
}

func newConfirm(s *session.Session, color bool) *confirmPrompt {
	ti := newInput(40, color)
	ti.Placeholder = "optional, for the audit log"
	return &confirmPrompt{s: s, input: ti}
}

func (c *confirmPrompt) key(m *Model, k tea.KeyPressMsg) (tea.Cmd, bool) {
	switch k.String() {
	case "esc", "ctrl+c":
		return nil, false
	case "enter":
		m.closeLayer(layerOverlay)
		return m.terminate(c.s, c.input.Value()), true
	}
	var cmd tea.Cmd
	c.input, cmd = c.input.Update(k)
	return cmd, true
}

// terminate ends s in a command (Options.Terminate: `sessions terminate`)
// and reads the list again.
func (m *Model) terminate(s *session.Session, reason string) tea.Cmd {
	m.setStatus("terminating session "+sanitize.String(s.ID)+"…", false)
	term, ctx := m.opt.Terminate, m.ctx
	return func() tea.Msg {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		return terminatedMsg{s: s, err: term(ctx, s, reason)}
	}
}

func (c *confirmPrompt) body(m *Model, h int) []string {
	out := m.sessionsTable(max(h-3, 1))
	for len(out) < h-3 {
		out = append(out, "")
	}
	return append(out[:max(h-3, 0)],
		"",
		m.st.err.Render(" Terminate session "+sanitize.String(who(c.s))+"?"),
		" reason: "+c.input.View())
}

func (c *confirmPrompt) keys() string {
	return "enter terminate (its command is killed; the audit log names you)  esc cancel"
}

func (c *confirmPrompt) click(*Model, int) tea.Cmd { return nil }
func (c *confirmPrompt) wheel(*Model, int)         {}
