package tui

import (
	"bytes"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/output"
)

// detailPanel shows one event whole (Enter): the panel of `logs show`,
// every field, the JSON documents pretty-printed, the changes, scrolled
// in a viewport.
type detailPanel struct {
	name   string                          // the first line: "Event ID", "Session ID"
	render func(width int) (string, error) // the panel's text, safe to print
	view   viewport.Model
	err    string
	// enter, when set, is what Enter does in the panel (a session's panel:
	// its user's events in the logs view).
	enter func() tea.Cmd
	// event, for an event's panel: its pages (v) and the values y copies.
	event   *audit.Event
	page    int
	pages   [numPages]func(width int) (string, error)
	copying *copyList
}

func (m *Model) openDetail() tea.Cmd {
	e := m.logs.selected()
	if e == nil {
		return nil
	}
	opt := output.Options{Color: m.opt.Color, Location: m.opt.Location}
	fields := func(w int) (string, error) {
		opt.Width = w
		var buf bytes.Buffer
		err := output.WriteEventDetail(&buf, e, opt)
		return buf.String(), err
	}
	m.showDetail("Event "+e.ID, fields)
	d := m.detail
	d.event = e
	d.pages = [numPages]func(int) (string, error){
		fields,
		func(int) (string, error) { return eventJSON(e), nil },
		func(int) (string, error) { return diffPage(e, m.opt.Color), nil },
	}
	return nil
}

// turnPage shows the event's next page (fields, JSON, before/after).
func (m *Model) turnPage() {
	d := m.detail
	d.page = (d.page + 1) % numPages
	d.render = d.pages[d.page]
	d.resize(m.width, m.bodyHeight()-1)
	d.view.GotoTop()
}

// showDetail opens the detail panel over what render writes.
func (m *Model) showDetail(name string, render func(width int) (string, error)) {
	d := &detailPanel{name: name, render: render}
	d.view = viewport.New()
	d.view.KeyMap = viewport.KeyMap{} // keys are the panel's (key)
	d.view.SoftWrap = true            // long values and JSON lines wrap
	d.resize(m.width, m.bodyHeight()-1)
	m.detail = d
	m.open(layerDetail)
}

// resize lays the panel out again for a width and a height.
func (d *detailPanel) resize(w, h int) {
	d.view.SetWidth(w)
	d.view.SetHeight(max(h, 1))
	text, err := d.render(w)
	if err != nil {
		text += "\n" + errText(err)
	}
	d.view.SetContent(strings.TrimRight(text, "\n"))
}

// key scrolls the panel; false: the key is not the panel's.
func (d *detailPanel) key(s string) bool {
	switch s {
	case "up", "k":
		d.view.ScrollUp(1)
	case "down", "j":
		d.view.ScrollDown(1)
	case "pgup", "b":
		d.view.PageUp()
	case "pgdown", "space", " ", "f":
		d.view.PageDown()
	case "home", "g":
		d.view.GotoTop()
	case "end", "G":
		d.view.GotoBottom()
	case "enter":
		return true
	default:
		return false
	}
	return true
}

func (d *detailPanel) wheel(msg tea.MouseWheelMsg) {
	switch msg.Button {
	case tea.MouseWheelUp:
		d.view.ScrollUp(3)
	case tea.MouseWheelDown:
		d.view.ScrollDown(3)
	}
}

// title is the panel's first line.
func (d *detailPanel) title() string {
	pos := ""
	if n := d.view.TotalLineCount(); n > d.view.Height() {
		pos = fmt.Sprintf("  (%d%%)", int(d.view.ScrollPercent()*100))
	}
	if d.event != nil {
		pos += "  · " + pageNames[d.page] + " (v: " + pageNames[(d.page+1)%numPages] + ")"
	}
	return d.name + pos
}
