package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/query"
)

// panelRow moves the open filter panel to the row labelled label.
func (h *harness) panelRow(label string) {
	h.t.Helper()
	for i := 0; i < numRows; i++ {
		if strings.TrimSpace(panelRows[h.m.panel.row].label) == label {
			return
		}
		h.key("down")
	}
	h.t.Fatalf("no row %q in the filter panel", label)
}

// The filter panel (f) filters as the command line's flags do, ANDed with
// the query as they are with -q: the same events as the CLI's filter of
// `--action DeleteUser --status failure -q 'action:DeleteUser,CreateUser'`;
// a bad value is said in place and not applied; presets set the window;
// c clears the query and the panel.
func TestFilterPanel(t *testing.T) {
	if len(panelRows) != numRows {
		t.Fatalf("numRows %d, want %d", numRows, len(panelRows))
	}
	db := demoDB(t)
	ctx := context.Background()
	h := newLogsHarness(t, db, Options{}, 100, 30)
	all := h.m.logs.total
	h.search("action:DeleteUser,CreateUser")
	h.key("f")
	if h.m.panel == nil || !strings.Contains(h.view(), "Error state") || !strings.Contains(h.view(), "Duration min") {
		t.Fatalf("f did not open the panel:\n%s", h.view())
	}
	h.panelRow("Action")
	h.typeText("DeleteUser")
	h.panelRow("Error state")
	h.key("right")
	h.key("right")
	h.key("enter")
	h.idle()
	f, _, err := compiler(t, "--action", "DeleteUser", "--status", "failure")("action:DeleteUser,CreateUser")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := db.CountEvents(ctx, f)
	v := &h.m.logs
	if h.m.panel != nil || int64(v.total) != want || want == 0 {
		t.Fatalf("panel applied: %d events, want %d as the CLI", v.total, want)
	}
	for _, e := range v.rows {
		if e.Action != "DeleteUser" || e.Status != audit.StatusFailure {
			t.Fatalf("row %s: %s %s", e.ID, e.Action, e.Status)
		}
	}
	if s := h.view(); !strings.Contains(s, "[f] action:DeleteUser status:failure") || !strings.Contains(s, "last 7 days (default)") {
		t.Fatalf("the query line does not show the panel's filter:\n%s", s)
	}

	// a bad value: said in place, Enter refused, Esc leaves it as it was
	h.key("f")
	h.panelRow("IP")
	h.typeText("999.1.2.3")
	if s := h.view(); !strings.Contains(s, "IP: ") || !strings.Contains(s, "999.1.2.3") {
		t.Fatalf("no error for the IP:\n%s", s)
	}
	h.key("enter")
	if h.m.panel == nil {
		t.Fatal("enter applied a bad panel")
	}
	h.key("esc")
	if h.m.panel != nil || int64(h.m.logs.total) != want {
		t.Fatal("esc did not leave the filter as it was")
	}

	// the date range: all time lifts the default window
	h.key("c")
	h.idle()
	if h.m.logs.query != "" || !h.m.pf.empty() || h.m.logs.total != all {
		t.Fatalf("c: query %q, panel %+v, %d events (want %d)", h.m.logs.query, h.m.pf, h.m.logs.total, all)
	}
	h.key("f")
	h.panelRow("Date range")
	for datePresets[h.m.panel.st.preset].since != "all" {
		h.key("right")
	}
	h.panelRow("Duration min (ms)")
	h.typeText("1.5s")
	h.key("enter")
	h.idle()
	min := int64(1500)
	want, _ = db.CountEvents(ctx, audit.Filter{MinDuration: &min})
	if int64(h.m.logs.total) != want || !strings.Contains(h.view(), "all time") {
		t.Fatalf("all time, duration ≥ 1.5s: %d events, want %d:\n%s", h.m.logs.total, want, h.view())
	}
	// a custom range typed in "from"
	h.key("f")
	h.key("ctrl+x")
	h.panelRow("from")
	h.typeText("2026-11-19")
	if datePresets[h.m.panel.st.preset].since != "custom" {
		t.Fatal("typing a date did not make the range custom")
	}
	h.key("enter")
	h.idle()
	f, _, _ = compiler(t, "--since", "2026-11-19")("")
	want, _ = db.CountEvents(ctx, f)
	if int64(h.m.logs.total) != want || want == 0 {
		t.Fatalf("from 2026-11-19: %d events, want %d", h.m.logs.total, want)
	}
}

// The filter panel's fields complete the values seen in the cache as the
// query bar does, from the same values (read once for both): Tab puts in
// the most frequent value starting with what is typed, Tab again the
// next, shift+Tab the one before; after a comma the next value is
// completed; a field left empty moves on with Tab; the completed filter
// is the CLI's.
func TestFilterPanelCompletion(t *testing.T) {
	db := demoDB(t)
	ctx := context.Background()
	svc := &countingBy{EventService: db, calls: map[audit.Field]int{}}
	h := newLogsHarness(t, svc, Options{}, 100, 30)
	f, _, _ := compiler(t)("")
	values := func(field audit.Field, prefix string) []string {
		bs, err := db.CountBy(ctx, f, field, valuesLimit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, b := range bs {
			if b.Key != "" && strings.HasPrefix(strings.ToLower(b.Key), strings.ToLower(prefix)) {
				out = append(out, b.Key)
			}
		}
		return out
	}

	// the bar reads the actions first; the panel uses what it read
	h.key("/")
	h.typeText("action:D")
	h.settle("the actions", func() bool { return !h.m.bar.comp.loading && len(h.m.bar.comp.items) > 0 })
	h.key("esc")
	h.idle()

	h.key("f")
	h.panelRow("Action")
	if s := h.view(); strings.Contains(s, "tab ▸") {
		t.Fatalf("candidates offered for an empty field:\n%s", s)
	}
	h.typeText("d")
	want := values(audit.FieldAction, "d")
	if len(want) < 2 {
		t.Fatalf("the demo cache has %d actions starting with d", len(want))
	}
	if s := h.view(); !strings.Contains(s, "tab ▸ "+want[0]+"  "+want[1]) {
		t.Fatalf("the candidates are not the actions starting with d, most frequent first (%v):\n%s", want, s)
	}
	h.key("tab")
	if v := h.m.panel.inputs[h.m.panel.row].Value(); v != want[0] || strings.TrimSpace(panelRows[h.m.panel.row].label) != "Action" {
		t.Fatalf("tab gave %q on row %q, want %q", v, panelRows[h.m.panel.row].label, want[0])
	}
	h.key("tab")
	if v := h.m.panel.inputs[h.m.panel.row].Value(); v != want[1] {
		t.Fatalf("tab again gave %q, want %q", v, want[1])
	}
	h.key("shift+tab")
	if v := h.m.panel.inputs[h.m.panel.row].Value(); v != want[0] {
		t.Fatalf("shift+tab gave %q, want %q", v, want[0])
	}
	// a second value after the comma
	h.typeText(",cre")
	second := values(audit.FieldAction, "cre")
	if len(second) == 0 {
		t.Fatal("no action starting with cre")
	}
	h.key("tab")
	if v := h.m.panel.inputs[h.m.panel.row].Value(); v != want[0]+","+second[0] {
		t.Fatalf("the second value: %q, want %q", v, want[0]+","+second[0])
	}

	// the category: read now, under the panel's context
	h.panelRow("Category")
	h.typeText("a")
	h.settle("the categories", func() bool { return !h.m.panel.comp.loading })
	cats := values(audit.FieldCategory, "a")
	if len(cats) == 0 {
		t.Fatal("no category starting with a")
	}
	h.key("tab")
	if v := h.m.panel.inputs[h.m.panel.row].Value(); v != query.FormatValue(cats[0]) {
		t.Fatalf("category: %q, want %q", v, query.FormatValue(cats[0]))
	}
	h.key("ctrl+u") // no such category among those actions
	// an empty field: Tab moves to the next one
	h.panelRow("Workflow")
	h.key("tab")
	if l := strings.TrimSpace(panelRows[h.m.panel.row].label); l != "Source" {
		t.Fatalf("tab on an empty field went to %q", l)
	}
	svc.mu.Lock()
	actionReads := svc.calls[audit.FieldAction]
	svc.mu.Unlock()
	if actionReads != 1 {
		t.Fatalf("the actions were read %d times (once for the bar and the panel)", actionReads)
	}

	h.key("enter")
	h.idle()
	cf, _, err := compiler(t, "--action", want[0]+","+second[0])("")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := db.CountEvents(ctx, cf)
	if int64(h.m.logs.total) != n || n == 0 {
		t.Fatalf("the completed filter: %d events, the CLI's %d", h.m.logs.total, n)
	}

	// closing the panel cancels a read still running
	svc.mu.Lock()
	svc.hold = true
	svc.mu.Unlock()
	h.key("f")
	h.panelRow("Source")
	h.typeText("x")
	if h.m.values[audit.FieldSource] == nil || !h.m.values[audit.FieldSource].loading {
		t.Fatal("the sources are not being read")
	}
	h.key("esc")
	h.settle("the read cancelled", func() bool { return h.m.values[audit.FieldSource] == nil })
}
