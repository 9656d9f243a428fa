package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/query"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// overlay is a layer drawn in place of the body, with keys of its own:
// the list of every actor (the overview), the sessions filter panel, the
// terminate prompt. Esc closes it (the last layer opened).
type overlay interface {
	// key handles a key; false: the overlay does not take it (the
	// console's keys apply).
	key(m *Model, k tea.KeyPressMsg) (tea.Cmd, bool)
	// body draws it in h lines.
	body(m *Model, h int) []string
	// keys is the key line's hint.
	keys() string
	// click handles a click on body line y (0 is the first); wheel scrolls.
	click(m *Model, y int) tea.Cmd
	wheel(m *Model, d int)
}

// openOverlay shows o over the body.
func (m *Model) openOverlay(o overlay) {
	m.closeLayer(layerOverlay)
	m.over = o
	m.open(layerOverlay)
}

// pickItem is one line of a pick list: a value, its count, and the filter
// Enter adds to the query.
type pickItem struct {
	label string
	n     int64
	add   audit.Filter
}

// pickList is a list to choose from (every actor of the window): Enter
// opens the logs narrowed to the chosen one.
type pickList struct {
	title string
	items []pickItem
	sel   int
	top   int
}

func (p *pickList) move(d, h int) {
	if len(p.items) == 0 {
		return
	}
	p.sel = min(max(p.sel+d, 0), len(p.items)-1)
	rows := max(h-1, 1)
	if p.sel < p.top {
		p.top = p.sel
	}
	if p.sel >= p.top+rows {
		p.top = p.sel - rows + 1
	}
}

func (p *pickList) key(m *Model, k tea.KeyPressMsg) (tea.Cmd, bool) {
	h := m.bodyHeight()
	switch k.String() {
	case "up", "k":
		p.move(-1, h)
	case "down", "j":
		p.move(1, h)
	case "pgup", "b":
		p.move(-(h - 1), h)
	case "pgdown", "space", " ", "f":
		p.move(h-1, h)
	case "home", "g":
		p.move(-len(p.items), h)
	case "end", "G":
		p.move(len(p.items), h)
	case "enter":
		return p.open(m), true
	default:
		return nil, false
	}
	return nil, true
}

// open runs the query narrowed to the selected item in the logs view.
func (p *pickList) open(m *Model) tea.Cmd {
	if p.sel >= len(p.items) {
		return nil
	}
	add := p.items[p.sel].add
	m.closeLayer(layerOverlay)
	m.view = viewLogs
	q := strings.TrimSpace(m.logs.query + " " + query.Format(add))
	if q == m.logs.query {
		return nil
	}
	return m.runQuery(q)
}

func (p *pickList) body(m *Model, h int) []string {
	out := []string{m.st.title.Render(" " + sanitize.String(p.title))}
	for i := p.top; i < len(p.items) && len(out) < h; i++ {
		it := p.items[i]
		line := pad(fmt.Sprintf("   %8d  %s", it.n, sanitize.String(it.label)), m.width)
		if i == p.sel {
			line = m.st.selected.Render(line)
		}
		out = append(out, line)
	}
	return out
}

func (p *pickList) keys() string {
	return "↑ ↓ choose  enter open in the logs  esc back  ? help  q quit"
}

func (p *pickList) click(m *Model, y int) tea.Cmd {
	i := p.top + y - 1
	if y < 1 || i >= len(p.items) {
		return nil
	}
	if i == p.sel {
		return p.open(m)
	}
	p.sel = i
	return nil
}

func (p *pickList) wheel(m *Model, d int) { p.move(d, m.bodyHeight()) }
