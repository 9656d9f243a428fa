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

// The demo loads sessions whose recordings every sessions command reads.
func TestDemoSessions(t *testing.T) {
	env := cmdtest.New(t)
	env.MustRun("demo", "--events", "1000")
	env.MustRun("demo", "--events", "1000") // a rerun replaces the demo sessions
	var rows []struct {
		ID           string
		Category     string
		HasRecording bool `json:"has_recording"`
	}
	if err := json.Unmarshal([]byte(env.MustRun("sessions", "list", "--limit", "1000", "-o", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	for _, r := range rows {
		if r.HasRecording {
			recorded[r.Category] = true
		}
	}
	if len(rows) != 27 || len(recorded) != 3 {
		t.Fatalf("%d demo sessions, recorded categories %v", len(rows), recorded)
	}
	var qs []struct{ Status string }
	if err := json.Unmarshal([]byte(env.MustRun("sessions", "queries", "demo-db-0001", "-o", "json")), &qs); err != nil {
		t.Fatal(err)
	}
	statuses := map[string]int{}
	for _, q := range qs {
		statuses[q.Status]++
	}
	if statuses["error"] != 1 || statuses["blocked"] != 1 || statuses["ok"] < 3 {
		t.Errorf("demo queries: %v", statuses)
	}
	cmds := env.MustRun("sessions", "keystrokes", "demo-srv-0001", "--commands", "-o", "txt")
	if !strings.Contains(cmds, "  sudo systemctl status nginx\n") || !strings.Contains(cmds, "  exit\n") {
		t.Errorf("demo commands:\n%s", cmds)
	}
	screen := env.MustRun("sessions", "play", "demo-web-0001", "--no-tui", "--at", "80%")
	if !strings.Contains(screen, "ext-contractor") {
		t.Errorf("website screen at 80%%:\n%s", screen)
	}
	info := env.MustRun("sessions", "info", "demo-srv-0001", "-o", "json")
	var inf struct {
		Duration float64
		Markers  []struct{ Label string }
	}
	json.Unmarshal([]byte(info), &inf)
	if inf.Duration < 30*60 || len(inf.Markers) != 3 {
		t.Errorf("server session: %.0f s, markers %v (want a long idle gap and 3 markers)", inf.Duration, inf.Markers)
	}
}
