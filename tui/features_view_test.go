package tui

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// The frames of the logs view's panels at 80×24 and 160×50: the filter
// panel, a workflow timeline, the detail's JSON and before/after pages,
// the list of values to copy, the export form, completion under the bar.
func TestGoldenLogsPanels(t *testing.T) {
	db := demoDB(t)
	for _, size := range [][2]int{{80, 24}, {160, 50}} {
		w, hgt := size[0], size[1]
		t.Run(itoa(w)+"x"+itoa(hgt), func(t *testing.T) {
			name := func(s string) string { return s + "_" + itoa(w) + "x" + itoa(hgt) + ".txt" }
			h := newLogsHarness(t, db, Options{}, w, hgt, "--all")
			h.key("f")
			h.panelRow("Action")
			h.typeText("Del")
			h.settle("the actions", func() bool { return !h.m.panel.comp.loading && len(h.m.panel.comp.items) > 0 })
			golden(t, name("filter_completion"), h.view())
			h.key("ctrl+u")
			h.typeText("DeleteUser,CreateUser")
			h.panelRow("Error state")
			h.key("right")
			golden(t, name("filter"), h.view())
			h.key("enter")
			h.idle()
			golden(t, name("filtered"), h.view())
			h.key("c")
			h.idle()

			h.selectWhere("a workflow of several events", func(e *audit.Event) bool {
				return e.WorkflowID != "" && e.Action == "login:succeeded"
			})
			h.key("w")
			h.idle()
			golden(t, name("timeline"), h.view())
			h.key("enter")
			h.key("v")
			golden(t, name("detail_json"), h.view())
			h.key("esc")
			h.key("backspace")
			h.idle()

			h.selectWhere("a change", func(e *audit.Event) bool { return len(e.Before) > 0 && len(e.After) > 0 })
			h.key("enter")
			h.key("v")
			h.key("v")
			golden(t, name("detail_diff"), h.view())
			h.key("y")
			golden(t, name("copy"), h.view())
			h.key("esc")
			h.key("esc")

			h.key("e")
			h.key("ctrl+u")
			h.typeText("/tmp/q3.csv")
			h.key("down")
			h.key("right")
			h.key("down")
			golden(t, name("export"), h.view())
			h.key("esc")

			h.key("/")
			h.typeText("action:Del")
			h.settle("the actions", func() bool { return !h.m.bar.comp.loading && len(h.m.bar.comp.items) > 0 })
			golden(t, name("completion"), h.view())
		})
	}
}

// Hostile values in the new panels show as visible escapes: the filter
// panel and its summary, a pivot's label and query, the workflow
// timeline, the detail's JSON and before/after pages, the list of
// values to copy, completion's candidates, the export form; with and
// without colour; no frame holds a control but the console's styling.
func TestHostilePanels(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hostile.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var evs []*audit.Event
	for i, s := range hostile {
		state, _ := json.Marshal(map[string]string{"k" + s: s})
		state2, _ := json.Marshal(map[string]string{"k" + s: s + "2"})
		evs = append(evs, &audit.Event{ID: "h" + itoa(i) + s, Source: "test" + s, Time: now.Add(-time.Duration(i+1) * time.Minute),
			Service: s, Action: "act" + s, Actor: s, IP: "10.0.0.1", Status: audit.StatusFailure, Description: s,
			WorkflowID: "wf" + s, Target: s, UserAgent: s, Before: state, After: state2})
	}
	if _, err := db.Import(context.Background(), &sliceReader{evs: evs}, sqlite.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, color := range []bool{false, true} {
		h := newLogsHarness(t, db, Options{Color: color}, 160, 50)
		var frames []string
		snap := func() { frames = append(frames, h.m.View().Content) }
		h.key("f")
		h.panelRow("Browser")
		h.send(tea.PasteMsg{Content: hostile[0]})
		snap()
		h.key("enter")
		h.idle()
		snap() // the summary on the query line
		h.key("c")
		h.idle()
		for i := range hostile {
			h.m.logs.sel = i
			h.key("a")
			h.idle()
			snap() // the pivot's label and query
			h.key("backspace")
			h.key("w")
			h.idle()
			snap() // the timeline
			h.key("enter")
			h.key("v")
			snap() // JSON
			h.key("v")
			snap() // before/after
			h.key("y")
			snap() // the values to copy
			h.key("esc")
			h.key("esc")
			h.key("backspace")
			h.idle()
		}
		h.key("/")
		h.typeText("actor:")
		h.settle("the actors", func() bool { return !h.m.bar.comp.loading && len(h.m.bar.comp.items) > 0 })
		snap() // completion's candidates
		h.key("esc")
		h.key("e")
		h.key("ctrl+u")
		h.send(tea.PasteMsg{Content: "/tmp/" + hostile[2]})
		snap()
		h.key("esc")
		for _, f := range frames {
			assertSafe(t, f)
		}
		all := stripSGR(strings.Join(frames, "\n"))
		for _, s := range hostile {
			if !strings.Contains(all, sanitize.String(s)) {
				t.Errorf("color %v: %q is never shown as %q", color, s, sanitize.String(s))
			}
		}
		for _, want := range []string{`"kevil\u001b]0;pwned\u0007title"`, `pivot 1: actor evil\x1b]0;pwned\x07title ±1h`, "workflow_id:wfbidi\u202eoverride"} {
			if !strings.Contains(all, sanitize.String(want)) {
				t.Errorf("color %v: no %q in the frames", color, sanitize.String(want))
			}
		}
	}
}
