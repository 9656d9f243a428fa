package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/query"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/session"
)

// styles are the console's; without colour only bold, faint and reverse
// video are left.
type styles struct {
	header, dim, title, selected, err, caret, bar lipgloss.Style
}

func newStyles(color bool) styles {
	s := styles{
		header:   lipgloss.NewStyle().Bold(true).Reverse(true),
		dim:      lipgloss.NewStyle().Faint(true),
		title:    lipgloss.NewStyle().Bold(true),
		selected: lipgloss.NewStyle().Reverse(true),
		err:      lipgloss.NewStyle().Bold(true),
		caret:    lipgloss.NewStyle().Bold(true),
		bar:      lipgloss.NewStyle(),
	}
	if color {
		s.header = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#ffffff")).Background(lipgloss.Color("#30407a"))
		s.err = lipgloss.NewStyle().Foreground(lipgloss.Color("#ff5f5f"))
		s.caret = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#ff5f5f"))
		s.bar = lipgloss.NewStyle().Foreground(lipgloss.Color("#5f87d7"))
	}
	return s
}

// View draws the frame. Every untrusted value is sanitized where it
// enters the view (the table's and the detail panel's cells by pkg/output,
// the query and errors here); as a last line of defence the whole frame
// goes through the terminal chokepoint's rules (sanitize.Frame).
func (m *Model) View() tea.View {
	v := tea.NewView(sanitize.Frame(m.render()))
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	if m.bar != nil {
		v.Cursor = m.bar.input.Cursor()
		if v.Cursor != nil {
			v.Cursor.Y++ // the bar is the second line
		}
	}
	return v
}

func (m *Model) render() string {
	lines := make([]string, 0, m.height)
	lines = append(lines, m.headerLine(), m.queryLine())
	if m.bar != nil && m.bar.err != "" {
		lines = append(lines, m.errLine())
	}
	if m.bar != nil {
		if c := m.compLine(); c != "" {
			lines = append(lines, c)
		}
	}
	lines = append(lines, m.body()...)
	lines = append(lines, m.footer(), m.keyLine())
	for i, l := range lines {
		lines[i] = pad(l, m.width)
	}
	return strings.Join(lines, "\n")
}

func (m *Model) headerLine() string {
	left := " auditctl ·"
	for i, name := range viewNames {
		if viewID(i) == m.view {
			left += fmt.Sprintf(" [%d %s]", i+1, name)
		} else {
			left += fmt.Sprintf("  %d %s ", i+1, name)
		}
	}
	if m.opt.Where != "" {
		left += " · " + sanitize.String(m.opt.Where)
	}
	right := ""
	switch v := &m.logs; {
	case m.view == viewSessions && (m.sessions.loading || m.sessions.more):
		right = "reading… "
	case m.view == viewSessions:
	case m.view == viewOverview && (m.ov.loading || v.loading):
		right = "counting… "
	case m.view == viewOverview:
	case v.loading:
		right = "searching… "
	case v.older || v.newer:
		right = "reading… "
	case v.total < 0 && v.err == nil:
		right = "counting… "
	}
	if m.view == viewLogs {
		right = m.tailText() + right
	}
	right = m.exportText() + right
	gap := m.width - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		// what is going on (live, searching, exporting) matters more
		// than the whole of the cache's path: the left part is cut
		rw := min(ansi.StringWidth(right), m.width/2)
		return m.st.header.Render(pad(left, m.width-rw-1) + " " + pad(right, rw))
	}
	return m.st.header.Render(left + strings.Repeat(" ", gap) + right)
}

func (m *Model) queryLine() string {
	if m.bar != nil {
		return m.bar.input.View()
	}
	line := "  " + sanitize.String(m.logs.query)
	if m.logs.query == "" {
		line = m.st.dim.Render("  / to search")
	}
	if s := m.pf.summary(m.now()); s != "" {
		line += m.st.dim.Render("  [f] ") + s
	}
	if p := m.pivotText(); p != "" {
		// first: the query of a pivot is long and cut at the right
		line = m.st.title.Render("  "+p) + " " + strings.TrimPrefix(line, " ")
	}
	return line
}

// errLine points at the column where the bar's text goes wrong.
func (m *Model) errLine() string {
	b := m.bar
	msg := m.st.err.Render(b.err)
	if b.col > 0 && b.col+4 < m.width {
		return strings.Repeat(" ", b.col+1) + m.st.caret.Render("^") + " " + msg
	}
	return "  " + msg
}

func (m *Model) body() []string {
	h := m.bodyHeight()
	var out []string
	switch {
	case m.isOpen(layerExport):
		out = m.exportLines()
	case m.panel != nil:
		out = m.filterLines(h)
	case m.help != nil:
		all := helpLines()
		top := min(m.help.top, max(len(all)-h, 0))
		for i, l := range all[top:min(top+h, len(all))] {
			if i == 0 && top == 0 {
				l = m.st.title.Render(" " + l)
			} else {
				l = " " + l
			}
			out = append(out, l)
		}
	case m.over != nil:
		out = m.over.body(m, h)
	case m.detail != nil && m.detail.copying != nil:
		out = m.copyLines(h)
	case m.detail != nil:
		out = append(out, m.st.title.Render(" "+sanitize.String(m.detail.title())))
		out = append(out, strings.Split(m.detail.view.View(), "\n")...)
	case m.view == viewSessions:
		out = m.sessionsTable(h)
	case m.view == viewOverview:
		out = m.overviewLines(h)
	default:
		out = m.table(h)
	}
	for len(out) < h {
		out = append(out, "")
	}
	return out[:h]
}

// table is the visible part of the laid-out table, the selection in
// reverse video.
func (m *Model) table(h int) []string {
	v := &m.logs
	lines := v.lines(v.topRow-v.base, v.topRow-v.base+h-1)
	if len(lines) == 0 {
		switch {
		case v.loading:
			return []string{m.st.dim.Render("  searching…")}
		case v.err != nil:
			return []string{"  " + m.st.err.Render(errText(v.err))}
		}
		return []string{m.st.dim.Render("  no events match")}
	}
	head := lines[0]
	if v.timeline {
		head = fmt.Sprintf("%11s   ", "ELAPSED") + head
	}
	out := []string{m.st.title.Render(head)}
	for r := v.topRow; r < v.topRow+h-1; r++ {
		i := r - v.topRow + 1
		if i < 1 || i >= len(lines) {
			break
		}
		line := lines[i]
		if v.timeline {
			line = m.timelineLine(r, line)
		}
		if r == v.sel {
			line = m.st.selected.Render(pad(ansi.Strip(line), m.width))
		}
		out = append(out, line)
	}
	return out
}

// sessionsTable is the visible part of the sessions table.
func (m *Model) sessionsTable(h int) []string {
	s := &m.sessions
	if len(s.lines) == 0 {
		switch {
		case s.loading || !s.loaded:
			return []string{m.st.dim.Render("  reading the sessions…")}
		case s.err != nil:
			return []string{"  " + m.st.err.Render(errText(s.err))}
		}
		if len(s.values) > 0 {
			return []string{m.st.dim.Render("  no session matches the filter (c clears it)")}
		}
		return []string{m.st.dim.Render("  no sessions in the cache")}
	}
	out := []string{m.st.title.Render(s.lines[0])}
	for r := s.topRow; r < s.topRow+h-1 && r+1 < len(s.lines); r++ {
		line := s.lines[r+1]
		if r == s.sel {
			line = m.st.selected.Render(pad(ansi.Strip(line), m.width))
		}
		out = append(out, line)
	}
	return out
}

// footer is "Page X of Y (Z total) · the filter · the window".
func (m *Model) footer() string {
	if m.view == viewSessions {
		s := &m.sessions
		page := m.pageSize()
		active := 0
		for _, r := range s.rows {
			if r.Status == session.StatusActive {
				active++
			}
		}
		return " " + output.PageFooter(s.sel/page+1, (s.total+page-1)/page, s.total) +
			fmt.Sprintf(" · %d active (●) · %s", active, m.sessionsFilterText())
	}
	v := &m.logs
	if m.view == viewOverview {
		return " " + filterText(v.filter) + " · " + windowText(v.filter, v.defWin, m.tableOpts())
	}
	page := m.pageSize()
	var parts []string
	switch {
	case v.total >= 0:
		parts = append(parts, output.PageFooter(v.sel/page+1, (v.total+page-1)/page, v.total))
	case len(v.rows) > 0:
		parts = append(parts, fmt.Sprintf("Page %d of … (counting)", v.sel/page+1))
	}
	if v.timeline && v.total > len(v.rows) {
		parts = append(parts, fmt.Sprintf("the first %d of the workflow", len(v.rows)))
	}
	parts = append(parts, filterText(v.filter), windowText(v.filter, v.defWin, m.tableOpts()))
	return " " + strings.Join(parts, " · ")
}

// filterText is the filter without its time window, in the query
// language: the flags' part too.
func filterText(f audit.Filter) string {
	f.Since, f.Until = time.Time{}, time.Time{}
	if s := query.Format(f); s != "" {
		return "filter: " + sanitize.String(s)
	}
	return "no filter"
}

// windowText is the time window of f.
func windowText(f audit.Filter, def bool, opt output.Options) string {
	switch {
	case def:
		return fmt.Sprintf("last %d days (default)", int(cmdutil.DefaultWindow.Hours()/24))
	case f.Since.IsZero() && f.Until.IsZero():
		return "all time"
	case f.Until.IsZero():
		return "since " + opt.Time(f.Since)
	case f.Since.IsZero():
		return "before " + opt.Time(f.Until)
	}
	return opt.Time(f.Since) + " – " + opt.Time(f.Until)
}

func (m *Model) keyLine() string {
	if m.status != "" {
		if m.isErr {
			return " " + m.st.err.Render(m.status)
		}
		return " " + m.status
	}
	var k string
	switch {
	case m.isOpen(layerExport) && m.export.job != nil:
		k = "x cancel the export  esc hide (it goes on)"
	case m.isOpen(layerExport):
		k = "↑ ↓ tab field  ← → choice  enter export  esc cancel"
	case m.panel != nil:
		k = "↑ ↓ field  tab complete  ← → choice  enter apply  esc cancel  ctrl+x clear all"
	case m.bar != nil:
		k = "tab complete  enter keep  esc back  ↑ ↓ history"
	case m.help != nil:
		k = "↑ ↓ scroll  any key closes"
	case m.over != nil:
		k = m.over.keys()
	case m.detail != nil && m.detail.enter != nil:
		k = "↑ ↓ scroll  enter the user's events in the logs  esc close  ? help  q quit"
	case m.detail != nil && m.detail.copying != nil:
		k = "↑ ↓ choose  enter copy  esc cancel"
	case m.detail != nil && m.detail.event != nil:
		k = "↑ ↓ scroll  v page  y copy  a i w pivot  e export  esc close  ? help"
	case m.detail != nil:
		k = "↑ ↓ pgup pgdown scroll  esc close  / query  ? help  q quit"
	case m.view == viewSessions:
		k = "↑ ↓ move  enter show  f filter  p play  w watch  x terminate  ? help  q quit"
	case m.view == viewOverview:
		k = "↑ ↓ choose  ← → bars  enter open  / query  c clear  tab logs  ? help  q quit"
	default:
		k = "↑ ↓ move  enter detail  / query  f filter  a i w pivot  c clear  ? help  q quit"
	}
	return m.st.dim.Render(" " + k)
}

// pad cuts or pads s (which may hold SGR sequences) to exactly w columns.
func pad(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if sw := ansi.StringWidth(s); sw > w {
		return ansi.Truncate(s, w-1, "") + "…"
	} else if sw < w {
		return s + strings.Repeat(" ", w-sw)
	}
	return s
}
