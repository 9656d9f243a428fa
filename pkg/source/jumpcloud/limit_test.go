package jumpcloud_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/source/jumpcloud"
)

// A page holding an event over the size limit fails at once (no retry: the
// data would be the same) with exit code 3, naming the event and field; a
// raised limit reads it; a response over MaxPageBytes is refused unread.
func TestPageEventTooLarge(t *testing.T) {
	var requests atomic.Int32
	bodySize := 2 << 20
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("X-Result-Count", "2")
		w.Header().Set("X-Limit", "10000")
		fmt.Fprintf(w, `[{"id":"a","event_type":"x","service":"sso","timestamp":"2026-01-01T00:00:00Z"},`+
			`{"id":"b","event_type":"x","service":"sso","timestamp":"2026-01-01T00:00:00Z","initiated_by":{"email":"%s"}}]`,
			strings.Repeat("a", bodySize))
	}))
	defer hs.Close()
	page := func(max int) error {
		c := client(t, hs.URL)
		c.MaxEventSize = max
		c.Backoff, c.MaxBackoff = time.Millisecond, time.Millisecond
		return c.Pages(context.Background(), "", jumpcloud.Request{Service: []string{"all"}, StartTime: t0.Add(-time.Hour), EndTime: t0}, func(jumpcloud.Page) error { return nil })
	}
	err := page(0)
	if err == nil || audit.ExitCode(err) != 3 || !strings.Contains(err.Error(), `event 2: field "initiated_by.email"`) ||
		!strings.Contains(err.Error(), "larger than the 1MiB limit") || requests.Load() != 1 {
		t.Fatalf("err = %v (exit %d), %d requests", err, audit.ExitCode(err), requests.Load())
	}
	if err := page(4 << 20); err != nil {
		t.Fatalf("--max-event-size 4MiB: %v", err)
	}
	bodySize = jumpcloud.MaxPageBytes
	requests.Store(0)
	err = page(64 << 20)
	if err == nil || audit.ExitCode(err) != 3 || !strings.Contains(err.Error(), "larger than 32 MiB") || requests.Load() != 1 {
		t.Fatalf("a response over MaxPageBytes: %v (exit %d), %d requests", err, audit.ExitCode(err), requests.Load())
	}
}
