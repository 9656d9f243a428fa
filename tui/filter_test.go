package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
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
