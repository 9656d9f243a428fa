package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

// selectWhere moves the selection down to the first held event for which
// ok holds.
func (h *harness) selectWhere(what string, ok func(*audit.Event) bool) *audit.Event {
	h.t.Helper()
	v := &h.m.logs
	for i, e := range v.rows {
		if ok(e) {
			v.sel = v.base + i
			v.scrollTo(h.m.pageSize())
			return e
		}
	}
	h.t.Fatalf("no held event with %s", what)
	return nil
}

// a pivots to the same actor ±1 h, i to the same IP ±1 h, w to the whole
// workflow as a timeline; pivots stack and Backspace goes back to each
// view as it was, the same row selected.
func TestPivots(t *testing.T) {
	db := demoDB(t)
	ctx := context.Background()
	h := newLogsHarness(t, db, Options{}, 120, 30, "--all")
	for i := 0; i < 3; i++ {
		h.key("pgdown")
	}
	h.idle()
	start := h.selectWhere("an actor, an IP and a workflow", func(e *audit.Event) bool {
		return e.Actor != "" && e.IP != "" && e.WorkflowID != "" && !strings.ContainsAny(e.Actor, "*,\"")
	})
	startSel, startTop := h.m.logs.sel, h.m.logs.topRow

	h.key("a")
	h.idle()
	v := &h.m.logs
	var f audit.Filter
	f.Add(audit.FieldActor, start.Actor)
	f.Since, f.Until = start.Time.Add(-pivotSpan), start.Time.Add(pivotSpan)
	want, _ := db.CountEvents(ctx, f)
	if int64(v.total) != want || want == 0 {
		t.Fatalf("actor pivot: %d events, want %d; query %q", v.total, want, v.query)
	}
	for _, e := range v.rows {
		if !strings.EqualFold(e.Actor, start.Actor) || e.Time.Before(f.Since) || !e.Time.Before(f.Until) {
			t.Fatalf("actor pivot holds %s %s at %s", e.ID, e.Actor, e.Time)
		}
	}
	if s := h.view(); !strings.Contains(s, "pivot 1: actor ") || !strings.Contains(s, "(backspace: back)") {
		t.Fatalf("the pivot is not shown:\n%s", s)
	}

	// from there, the IP of the selected event
	h.selectWhere("the start event", func(e *audit.Event) bool { return e.ID == start.ID })
	actorSel := h.m.logs.sel
	h.key("i")
	h.idle()
	var fi audit.Filter
	fi.Add(audit.FieldIP, start.IP)
	fi.Since, fi.Until = f.Since, f.Until
	want, _ = db.CountEvents(ctx, fi)
	if int64(v.total) != want || len(h.m.pivots) != 2 {
		t.Fatalf("IP pivot: %d events, want %d; %d pivots", v.total, want, len(h.m.pivots))
	}

	// the workflow: every event sharing its id, oldest first, whenever
	h.selectWhere("the start event", func(e *audit.Event) bool { return e.ID == start.ID })
	h.key("w")
	h.idle()
	var fw audit.Filter
	fw.Add(audit.FieldWorkflow, start.WorkflowID)
	wf := all(t, db, fw)
	if v.total != len(wf) || len(v.rows) != len(wf) || !v.timeline {
		t.Fatalf("workflow: %d events held, total %d, want %d", len(v.rows), v.total, len(wf))
	}
	for i, e := range v.rows {
		if e.WorkflowID != start.WorkflowID || i > 0 && e.Time.Before(v.rows[i-1].Time) {
			t.Fatalf("timeline row %d: %s %s at %s", i, e.ID, e.WorkflowID, e.Time)
		}
	}
	if sel := v.selected(); sel == nil || sel.ID != start.ID {
		t.Fatalf("the timeline does not select the event the pivot started from")
	}
	s := h.view()
	if !strings.Contains(s, "ELAPSED") || !strings.Contains(s, "+0.000s") || !strings.Contains(s, " ● ") || !strings.Contains(s, "all time") {
		t.Fatalf("no timeline:\n%s", s)
	}

	// back, back, back: each as it was
	h.key("backspace")
	h.idle()
	if int64(v.total) != want || len(h.m.pivots) != 2 || v.timeline {
		t.Fatalf("back to the IP pivot: %d events, %d pivots", v.total, len(h.m.pivots))
	}
	h.key("backspace")
	h.idle()
	if v.sel != actorSel || v.selected().ID != start.ID || len(h.m.pivots) != 1 {
		t.Fatalf("back to the actor pivot: row %d, want %d", v.sel, actorSel)
	}
	h.key("backspace")
	h.idle()
	if v.sel != startSel || v.topRow != startTop || v.selected().ID != start.ID || v.query != "" || len(h.m.pivots) != 0 {
		t.Fatalf("back to the start: row %d top %d (want %d %d), query %q", v.sel, v.topRow, startSel, startTop, v.query)
	}
	h.key("backspace")
	if !strings.Contains(h.view(), "no pivot to go back from") {
		t.Fatalf("backspace without a pivot:\n%s", h.view())
	}
	// the detail panel pivots too
	h.key("enter")
	h.key("a")
	h.idle()
	if h.m.detail != nil || len(h.m.pivots) != 1 {
		t.Fatal("a in the detail panel did not pivot")
	}
}
