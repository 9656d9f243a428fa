package tui

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

// countingBy counts CountBy calls per field, and can hold them until
// their context ends.
type countingBy struct {
	audit.EventService
	mu    sync.Mutex
	calls map[audit.Field]int
	hold  bool
	ctxs  []context.Context
}

func (c *countingBy) CountBy(ctx context.Context, f audit.Filter, field audit.Field, limit int) ([]audit.Bucket, error) {
	if limit != valuesLimit { // the overview's counts
		return c.EventService.CountBy(ctx, f, field, limit)
	}
	c.mu.Lock()
	c.calls[field]++
	hold := c.hold
	c.ctxs = append(c.ctxs, ctx)
	c.mu.Unlock()
	if hold {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return c.EventService.CountBy(ctx, f, field, limit)
}

// Tab completes keys and the values seen in the cache (read once, off
// the loop, most frequent first), Tab again the next candidate; the
// candidates show under the bar as you type; a syntax error still shows
// in place; closing the bar cancels a read still running.
func TestCompletion(t *testing.T) {
	db := demoDB(t)
	svc := &countingBy{EventService: db, calls: map[audit.Field]int{}}
	h := newLogsHarness(t, svc, Options{}, 120, 30)
	h.key("/")
	h.typeText("-act")
	if s := h.view(); !strings.Contains(s, "tab ▸ action  actor") {
		t.Fatalf("no key candidates:\n%s", s)
	}
	h.key("tab")
	if v := h.m.bar.input.Value(); v != "-action:" {
		t.Fatalf("tab gave %q", v)
	}
	h.key("tab")
	if v := h.m.bar.input.Value(); v != "-actor:" {
		t.Fatalf("tab again gave %q", v)
	}
	h.key("shift+tab")
	if v := h.m.bar.input.Value(); v != "-action:" {
		t.Fatalf("shift+tab gave %q", v)
	}
	// "-action:" does not parse yet: the error shows in place
	if s := h.view(); !strings.Contains(s, `^ expected a value after "action:"`) {
		t.Fatalf("the syntax error is not shown:\n%s", s)
	}
	h.typeText("d")
	h.settle("the actions", func() bool { return !h.m.bar.comp.loading && len(h.m.bar.comp.items) > 0 })
	f, _, _ := compiler(t)("")
	all, _ := db.CountBy(context.Background(), f, audit.FieldAction, valuesLimit)
	var want []string
	for _, b := range all {
		if strings.HasPrefix(strings.ToLower(b.Key), "d") {
			want = append(want, b.Key)
		}
	}
	if s := h.view(); len(want) < 2 || !strings.Contains(s, "tab ▸ "+want[0]+"  "+want[1]) {
		t.Fatalf("the candidates are not the actions starting with d, most frequent first (%v):\n%s", want, s)
	}
	h.key("backspace")
	h.typeText("deleteu")
	h.key("tab")
	if v := h.m.bar.input.Value(); v != "-action:DeleteUser" {
		t.Fatalf("tab on a value gave %q", v)
	}
	// another value of the list, then status's fixed values
	h.typeText(",createu")
	h.key("tab")
	h.typeText(" status:fa")
	h.key("tab")
	if v := h.m.bar.input.Value(); v != "-action:DeleteUser,CreateUser status:failure" {
		t.Fatalf("got %q", v)
	}
	h.key("enter")
	h.idle()
	if h.m.logs.query != "-action:DeleteUser,CreateUser status:failure" || h.m.logs.total == 0 {
		t.Fatalf("query %q: %d", h.m.logs.query, h.m.logs.total)
	}
	// the actions were read once; a second bar uses them
	h.key("/")
	h.key("ctrl+u")
	h.typeText("action:Del")
	if len(h.m.bar.comp.items) == 0 {
		t.Fatal("no candidates the second time")
	}
	h.key("esc")
	h.idle()
	if svc.calls[audit.FieldAction] != 1 {
		t.Fatalf("the actions were read %d times", svc.calls[audit.FieldAction])
	}

	// a read still running when the bar closes is cancelled
	svc.mu.Lock()
	svc.hold = true
	svc.mu.Unlock()
	h.key("/")
	h.typeText(" actor:")
	h.settle("the read of the actors", func() bool {
		svc.mu.Lock()
		defer svc.mu.Unlock()
		return svc.calls[audit.FieldActor] == 1
	})
	if !strings.Contains(h.view(), "tab: reading the values…") {
		t.Fatalf("the read is not said:\n%s", h.view())
	}
	h.key("esc")
	svc.mu.Lock()
	ctx := svc.ctxs[len(svc.ctxs)-1]
	svc.mu.Unlock()
	if ctx.Err() == nil {
		t.Fatal("closing the bar did not cancel the read")
	}
	// the cancelled read's message may still be on its way: wait for it
	// (a read kept once cancelled times out here)
	h.settle("the cancelled read to be dropped", func() bool {
		_, ok := h.m.values[audit.FieldActor]
		return !ok
	})
	h.idle()
}
