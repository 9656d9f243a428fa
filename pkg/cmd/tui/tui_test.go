package tui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// The sessions filter panel is the filter flags of sessions list, read as
// the command reads them: a list of values, a duration range, an error
// that names the flag.
func TestSessionFilter(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	sf := SessionFilter(func() time.Time { return now })
	var names []string
	for _, f := range sf.Fields {
		names = append(names, f.Name)
		if f.Usage == "" {
			t.Errorf("field %s has no usage", f.Name)
		}
	}
	if got := strings.Join(names, " "); got != "since until user connector has-recording category resource resource-id session-id "+
		"min-duration max-duration server-os protocol connected-from status search" {
		t.Fatalf("fields: %s", got)
	}
	f, err := sf.Compile(map[string]string{"user": "alice,bob", "min-duration": "00:05", "max-duration": "1h30m", "since": "7d",
		"category": "database", "has-recording": "yes", "status": "active", "search": "10.0."})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Users) != 2 || f.MinDuration != 5*time.Minute || f.MaxDuration != 90*time.Minute || !f.Since.Equal(now.Add(-7*24*time.Hour)) ||
		len(f.Category) != 1 || f.HasRecording == nil || !*f.HasRecording || len(f.Status) != 1 || f.Search != "10.0." {
		t.Fatalf("filter: %+v", f)
	}
	for value, flag := range map[string]string{"min-duration": "--min-duration", "category": "--category", "status": "status"} {
		if _, err := sf.Compile(map[string]string{value: "nonsense"}); err == nil || !strings.Contains(err.Error(), flag) || audit.ErrorCode(err) != audit.EUSAGE {
			t.Errorf("%s nonsense: %v (code %s)", value, err, audit.ErrorCode(err))
		}
	}
}

// The session panel is sessions show's: the session, its files, its
// user's events during it; Events is the query that opens them all.
func TestSessionPanel(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	s := &session.Session{ID: "s1", UserEmail: "alice@example.com", ResourceName: "db-1", Category: session.CategoryDatabase,
		Start: start, End: start.Add(time.Hour), Duration: time.Hour, Status: session.StatusCompleted}
	if err := db.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	var evs []*audit.Event
	for i, at := range []time.Duration{-time.Minute, 10 * time.Minute, 20 * time.Minute, 2 * time.Hour} {
		evs = append(evs, &audit.Event{ID: "e" + string(rune('0'+i)), Source: "test", Time: start.Add(at), Service: "db",
			Action: "Query", Actor: "alice@example.com", Status: audit.StatusSuccess})
	}
	if err := db.AddEvents(ctx, evs...); err != nil {
		t.Fatal(err)
	}
	p, err := sessionPanel(ctx, db, s, start.Add(3*time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	text, err := p.Render(100)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Session s1", "Files", "no recording", "Audit events of this user during the session (2)", "Query"} {
		if !strings.Contains(text, want) {
			t.Errorf("the panel lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(p.Events, "actor:alice@example.com") || !strings.Contains(p.Events, "time:>=2026-11-20T10:00:00Z") {
		t.Errorf("events query %q", p.Events)
	}
}
