package demo_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
)

func TestDemoThenInvestigate(t *testing.T) {
	env := cmdtest.New(t)
	// 5,000 events keep the test quick under -race; the generator's own
	// tests cover the default 20,000.
	out := env.MustRun("demo", "--events", "5000")
	if !strings.Contains(out, "Loaded 5000 demo events") || !strings.Contains(out, "DeleteUser") {
		t.Fatalf("demo output:\n%s", out)
	}
	count := func() int64 {
		var c struct{ Total int64 }
		if err := json.Unmarshal([]byte(env.MustRun("logs", "count", "--all")), &c); err != nil {
			t.Fatal(err)
		}
		return c.Total
	}
	if n := count(); n != 5000 {
		t.Fatalf("cache holds %d events", n)
	}
	// running it again replaces the demo data instead of adding to it
	env.MustRun("demo", "--events", "5000")
	if n := count(); n != 5000 {
		t.Fatalf("after a second demo the cache holds %d events", n)
	}
	var deletions []audit.Event
	if err := json.Unmarshal([]byte(env.MustRun("logs", "list", "--action", "DeleteUser")), &deletions); err != nil {
		t.Fatal(err)
	}
	if len(deletions) == 0 {
		t.Fatal("no deletions in the last 7 days")
	}
	failed := 0
	for _, e := range deletions {
		if e.Time.Before(cmdtest.Now.Add(-7*24*time.Hour)) || e.Action != "DeleteUser" {
			t.Fatalf("outside the default window or wrong action: %+v", e)
		}
		if e.Status != audit.StatusSuccess {
			failed++
		}
	}
	var viaQuery []audit.Event
	if err := json.Unmarshal([]byte(env.MustRun("logs", "list", "-q", "action:DeleteUser -status:success")), &viaQuery); err != nil {
		t.Fatal(err)
	}
	if failed == 0 || len(viaQuery) != failed {
		t.Fatalf("%d failed deletions by flags, %d by query", failed, len(viaQuery))
	}
}
