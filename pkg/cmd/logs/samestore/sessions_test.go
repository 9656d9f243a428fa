package samestore_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// sessionsSame runs the sessions commands that read the store on both
// stores (same: identical stdout, stderr and exit code).
func sessionsSame(t *testing.T, same func(args ...string) result) {
	t.Helper()
	lists := [][]string{
		{}, {"--since", "7d"}, {"--since", "30d", "--until", "7d"}, {"--category", "database"}, {"--category", "SERVER,website"},
		{"--user", "*@acme.com"}, {"--user", "nobody"}, {"--user", "NINA*"}, {"--status", "completed"}, {"--status", "active"},
		{"--has-recording", "yes"}, {"--has-recording", "no"}, {"--min-duration", "00:10"}, {"--max-duration", "00:05"}, {"--search", "10.0"}, {"--search", "ACME"},
		{"--protocol", "ssh"}, {"--server-os", "linux"}, {"--connector", "*"}, {"--resource", "prod*"},
		{"--session-id", "demo-db-*"}, {"--limit", "3", "--page", "2"}, {"--limit", "3", "--page", "99"}, {"--active"},
		{"--connected-from", "WEB"}, {"--resource-id", "*"},
	}
	for i, q := range lists {
		if raceDetector && i%2 == 1 {
			continue // the same corpus, half of it, under the race detector's time
		}
		same(append([]string{"sessions", "list", "-o", "json"}, q...)...)
		if i%3 == 0 {
			same(append([]string{"sessions", "list", "-o", "table", "--wide"}, q...)...)
		}
		if i%4 == 1 {
			same(append([]string{"sessions", "list", "-o", "csv"}, q...)...)
		}
	}
	same("sessions", "list", "--jq", ".[].id")
	// Every session by id and by prefix, and the recordings they name.
	var ids []string
	r := same("sessions", "list", "-o", "json", "--limit", "1000")
	var rows []struct {
		ID           string `json:"id"`
		HasRecording bool   `json:"has_recording"`
	}
	if err := json.Unmarshal([]byte(r.out), &rows); err != nil || len(rows) == 0 {
		t.Fatalf("sessions list: %v %.200s", err, r.out)
	}
	recorded, queries := 0, 0
	for i, s := range rows {
		ids = append(ids, s.ID)
		if raceDetector && !s.HasRecording && i%4 != 0 {
			continue
		}
		same("sessions", "show", s.ID, "-o", "json")
		if r := same("sessions", "show", s.ID, "-o", "table"); r.code != 0 || !strings.Contains(r.out, "Session "+s.ID) {
			t.Errorf("sessions show %s: exit %d %.300s %s", s.ID, r.code, r.out, r.errOut)
		}
		if s.HasRecording {
			recorded++
			same("sessions", "info", s.ID, "-o", "json")
			same("sessions", "cat", s.ID)
			same("sessions", "keystrokes", s.ID, "--commands")
			if r := same("sessions", "queries", s.ID, "-o", "json"); r.code == 0 && strings.Contains(r.out, `"query"`) {
				queries++
			}
			same("sessions", "play", s.ID, "--no-tui", "--at", "40%")
		}
	}
	if recorded < 3 || queries == 0 {
		t.Errorf("%d sessions with a recording read, %d with queries: the demo has 3, one of a database", recorded, queries)
	}
	// Shell completion of stored values reads either store.
	for _, args := range [][]string{
		{"__complete", "sessions", "show", "demo-"}, {"__complete", "sessions", "queries", "demo-d"},
		{"__complete", "logs", "list", "--actor", ""}, {"__complete", "logs", "list", "--action", "Del"},
		{"__complete", "logs", "show", ""},
	} {
		if r := same(args...); r.code != 0 || strings.Count(r.out, "\n") < 2 {
			t.Errorf("%v: exit %d %q", args, r.code, r.out)
		}
	}
	same("sessions", "show", ids[0][:len(ids[0])-2])
	same("sessions", "show", "demo-")
	same("sessions", "show", "no-such-session")
	same("sessions", "queries", "no-such-session")
	if !strings.HasPrefix(ids[0], "demo-") {
		t.Errorf("demo sessions: %v", ids)
	}
}
