package tui

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/jcserver"
	"github.com/auditctl/auditctl/pkg/source/jumpcloud"
)

// With --remote jumpcloud (the local Directory Insights server), the logs
// view scrolls through the same events in the same order by keyset
// pages, and a query narrows them.
func TestRemoteScroll(t *testing.T) {
	smallChunks(t)
	evs, err := jcserver.Generate(600, now, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	srv := jcserver.New("test-key")
	srv.Now = func() time.Time { return now }
	srv.AddEvents(evs...)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c, err := jumpcloud.NewClient(jumpcloud.Settings{APIKey: "test-key", Endpoint: hs.URL, RequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	svc := &jumpcloud.Service{Client: c, Now: func() time.Time { return now }}
	h := newLogsHarness(t, svc, Options{Where: "jumpcloud"}, 100, 30, "--since", "10d")
	f, _, _ := compiler(t, "--since", "10d")("")
	want := all(t, svc, f)
	if len(want) < 3*chunkSize || h.m.logs.total != len(want) {
		t.Fatalf("%d events, total %d", len(want), h.m.logs.total)
	}
	for i := 0; i < 20; i++ {
		h.key("pgdown")
		h.idle()
		v := &h.m.logs
		if e := v.selected(); e == nil || e.ID != want[v.sel].ID {
			t.Fatalf("page %d: row %d is %v, want %s", i, v.sel, e, want[v.sel].ID)
		}
		if len(v.rows) > maxHeld {
			t.Fatalf("%d held", len(v.rows))
		}
	}
	h.search("service:sso")
	for _, e := range h.m.logs.rows {
		if e.Service != "sso" {
			t.Fatalf("row %s of service %q", e.ID, e.Service)
		}
	}
}
