package tui

import (
	tea "charm.land/bubbletea/v2"
)

// bodyTop is the screen line where the body starts: under the header, the
// query line and the bar's error line.
func (m *Model) bodyTop() int {
	return 2 + m.barLines()
}

// click handles a click of the left button: on a row it selects it, on
// the selected row it opens it (Enter); on a bar of the overview's
// histogram it selects the bar, on the selected bar it narrows the window
// to it.
func (m *Model) click(msg tea.MouseClickMsg) tea.Cmd {
	mouse := msg.Mouse()
	if mouse.Button != tea.MouseLeft || m.help != nil || m.bar != nil {
		return nil
	}
	y := mouse.Y - m.bodyTop()
	if y < 0 || y >= m.bodyHeight() {
		return nil
	}
	switch {
	case m.over != nil:
		return m.over.click(m, y)
	case m.detail != nil:
		return nil
	case m.view == viewOverview:
		return m.clickOverview(mouse.X, y)
	case m.view == viewSessions:
		s := &m.sessions
		r := s.topRow + y - 1 // line 0 is the header
		if y < 1 || r >= len(s.rows) {
			return nil
		}
		if r == s.sel {
			return m.showSession()
		}
		return m.moveSession(r - s.sel)
	}
	v := &m.logs
	r := v.topRow + y - 1
	if y < 1 || r < v.base || r >= v.base+len(v.rows) {
		return nil
	}
	if r == v.sel {
		return m.openDetail()
	}
	return m.move(r - v.sel)
}

func (m *Model) clickOverview(x, y int) tea.Cmd {
	o := &m.ov
	l := m.overviewLayout(m.bodyHeight())
	if l.histRows > 0 && y >= l.histTop && y < l.histTop+l.histRows {
		j := x - histX
		if j < 0 || j >= len(o.shown(m.histWidth())) {
			return nil
		}
		if o.onBar && o.bar == j {
			return m.narrowToBar()
		}
		o.onBar, o.bar = true, j
		return nil
	}
	if y >= len(l.rows) {
		return nil
	}
	i := l.rows[y][0]
	if x >= m.width/2 {
		i = l.rows[y][1]
	}
	if i < 0 {
		return nil
	}
	if i == o.sel && !o.onBar {
		if es := o.entries(); i < len(es) && !o.loading {
			return m.openEntry(es[i])
		}
		return nil
	}
	o.sel, o.onBar = i, false
	return nil
}

// wheel scrolls what shows: an overlay, the detail panel, the table.
func (m *Model) wheel(msg tea.MouseWheelMsg) tea.Cmd {
	d := 0
	switch msg.Button {
	case tea.MouseWheelUp:
		d = -1
	case tea.MouseWheelDown:
		d = 1
	default:
		return nil
	}
	switch {
	case m.help != nil:
		if d < 0 {
			m.help.key("up", m.bodyHeight())
		} else {
			m.help.key("down", m.bodyHeight())
		}
		return nil
	case m.over != nil:
		m.over.wheel(m, d)
		return nil
	case m.detail != nil:
		m.detail.wheel(msg)
		return nil
	case m.view == viewSessions:
		return m.moveSession(3 * d)
	case m.view == viewOverview:
		if d < 0 {
			return m.overviewKey("up")
		}
		return m.overviewKey("down")
	}
	return m.move(3 * d)
}
