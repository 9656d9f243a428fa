package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/query"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// pivotSpan is how far around an event the actor and IP pivots look.
const pivotSpan = time.Hour

// frame is what a pivot left: the logs view as it was (its query, the
// window of rows held, the selection), the filter panel, and where the
// pivot went, so that Backspace puts it all back at once.
type frame struct {
	logs  logsView
	pf    filterState
	label string // where the pivot went: "actor alice ±1h"
}

// pivot shows the events around the selected one: kind 'a' everything its
// actor did within ±1 h, 'i' everything from its IP within ±1 h, 'w' its
// whole workflow (every event sharing its WorkflowId, whenever) as a
// timeline. The query of the pivot is put in the bar's language, so it
// can be refined; pivots stack, Backspace goes back.
func (m *Model) pivot(kind string) tea.Cmd {
	e := m.logs.selected()
	if e == nil {
		return nil
	}
	var f audit.Filter
	var label string
	around := func(field audit.Field, name, value string) bool {
		if value == "" {
			m.setStatus("this event has no "+name, false)
			return false
		}
		f.Add(field, value)
		f.Since, f.Until = e.Time.Add(-pivotSpan), e.Time.Add(pivotSpan)
		label = name + " " + sanitize.String(value) + " ±1h"
		return true
	}
	switch kind {
	case "a":
		if !around(audit.FieldActor, "actor", e.Actor) {
			return nil
		}
	case "i":
		if !around(audit.FieldIP, "IP", e.IP) {
			return nil
		}
	case "w":
		if e.WorkflowID == "" {
			m.setStatus("this event has no workflow id", false)
			return nil
		}
		f.Add(audit.FieldWorkflow, e.WorkflowID)
		label = "workflow " + sanitize.String(e.WorkflowID)
	}
	text := query.Format(f)
	saved, savedPF := m.logs, m.pf
	v := &m.logs
	m.pf = filterState{}
	v.allTime, v.timeline, v.origin = kind == "w", kind == "w", e.ID
	if _, _, err := m.compile(text); err != nil { // the command line's flags exclude it
		m.logs, m.pf = saved, savedPF
		m.setStatus(errText(err), true)
		return nil
	}
	m.pivots = append(m.pivots, frame{logs: saved, pf: savedPF, label: label})
	m.closeLayer(layerDetail)
	m.view = viewLogs
	return m.runQuery(text)
}

// back returns to what the last pivot left, as it was: the same rows
// held, the same row selected.
func (m *Model) back() tea.Cmd {
	if len(m.pivots) == 0 {
		m.setStatus("no pivot to go back from (a actor, i IP, w workflow)", false)
		return nil
	}
	fr := m.pivots[len(m.pivots)-1]
	m.pivots = m.pivots[:len(m.pivots)-1]
	v := &m.logs
	if v.cancel != nil {
		v.cancel()
	}
	gen := v.gen + 1
	loading := fr.logs.loading
	*v = fr.logs
	v.gen = gen
	v.ctx, v.cancel = context.WithCancel(m.ctx)
	v.loading, v.older, v.newer, v.jump = false, false, false, 0
	m.pf = fr.pf
	m.closeLayer(layerDetail)
	m.view = viewLogs
	m.setStatus("back: "+fr.label+" closed", false)
	if loading || len(v.rows) == 0 && v.err == nil {
		return m.runQuery(v.query) // it had not arrived yet
	}
	m.relayout()
	var cmds []tea.Cmd
	if v.total < 0 {
		cmds = append(cmds, m.count())
	}
	return tea.Batch(append(cmds, m.prefetch())...)
}

// pivotText is the query line's note of the pivots taken.
func (m *Model) pivotText() string {
	if len(m.pivots) == 0 {
		return ""
	}
	labels := make([]string, len(m.pivots))
	for i, fr := range m.pivots {
		labels[i] = fr.label
	}
	return fmt.Sprintf("pivot %d: %s (backspace: back) ·", len(m.pivots), strings.Join(labels, " › "))
}

// timelineGutter is the width of the timeline's left column: the time
// since the workflow's first event and its line.
const timelineGutter = 14

// timelineLine prefixes a table line of the workflow timeline: row r's
// time since the first event, ● at the event the pivot started from.
func (m *Model) timelineLine(r int, line string) string {
	v := &m.logs
	i := r - v.base
	if i < 0 || i >= len(v.rows) || len(v.rows) == 0 {
		return strings.Repeat(" ", timelineGutter) + line
	}
	mark := "│"
	if v.rows[i].ID == v.origin {
		mark = "●"
	}
	return fmt.Sprintf("%11s %s ", "+"+elapsed(v.rows[i].Time.Sub(v.rows[0].Time)), mark) + line
}

// elapsed is a short duration: 0s, 1.234s, 2m03s, 1h02m, 3d04h.
func elapsed(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.3fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}
