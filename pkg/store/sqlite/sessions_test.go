package sqlite

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/session"
)

func testSessions() []*session.Session {
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	var out []*session.Session
	users := []struct{ name, email string }{{"Alice Kim", "alice@example.com"}, {"Bob Ray", "bob@example.com"}, {"Priya N", "priya@example.com"}}
	cats := []session.Category{session.CategoryServer, session.CategoryDatabase, session.CategoryWebsite}
	for i := range 30 {
		u := users[i%3]
		s := &session.Session{
			ID: fmt.Sprintf("s%03d-%x", i, i*7919), UserName: u.name, UserEmail: u.email, Role: "admin",
			Account: []string{"root", "postgres", "webadmin"}[i%3], ResourceName: fmt.Sprintf("res-%d", i%5),
			ResourceID: fmt.Sprintf("r%d", i%5), Category: cats[i%3], Connector: []string{"conn-eu", "conn-us"}[i%2],
			ServerName: fmt.Sprintf("srv-%d", i%4), ServerOS: []string{"linux", "windows"}[i%2], Host: fmt.Sprintf("10.0.0.%d", i),
			Port: 22, Protocol: []string{"ssh", "rdp", "https"}[i%3], ClientIP: fmt.Sprintf("203.0.113.%d", i),
			ClientName: "OpenSSH_9.6", ConnectedFrom: []string{"web", "proxy"}[i%2],
			Start: base.Add(time.Duration(i) * time.Hour), Status: session.StatusCompleted,
			HasRecording: i%4 != 0, RecordingPath: fmt.Sprintf("/rec/%d.rec", i),
		}
		s.Duration = time.Duration(i*7) * time.Minute
		s.End = s.Start.Add(s.Duration)
		if i == 29 {
			s.Status, s.End, s.Duration, s.RecorderPID = session.StatusActive, time.Time{}, 0, 4242
		}
		out = append(out, s)
	}
	return out
}

func TestSessionsStore(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	all := testSessions()
	for _, s := range all {
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateSession(ctx, all[0]); audit.ErrorCode(err) != audit.EINVALID {
		t.Errorf("duplicate id: %v", err)
	}
	got, err := db.FindSession(ctx, all[3].ID)
	if err != nil || !reflect.DeepEqual(got, all[3]) {
		t.Fatalf("FindSession = %+v, %v\nwant %+v", got, err, all[3])
	}
	if got, err := db.FindSession(ctx, "s007"); err != nil || got.ID != all[7].ID {
		t.Errorf("prefix: %v %v", got, err)
	}
	if _, err := db.FindSession(ctx, "s00"); audit.ErrorCode(err) != audit.EUSAGE ||
		err.Error() != `ambiguous: 10 sessions start with "s00", give more characters: s000-0, s001-1eef, s002-3dde, s003-5ccd, s004-7bbc, …` {
		t.Errorf("3-character prefix: %v", err)
	}
	if _, err := db.FindSession(ctx, "zz"); audit.ErrorCode(err) != audit.ENOTFOUND {
		t.Errorf("no such prefix: %v", err)
	}
	if _, err := db.FindSession(ctx, "s01"); audit.ErrorCode(err) == "" {
		t.Errorf("ambiguous prefix accepted")
	}
	// Complete the active one.
	a := all[29]
	a.Status, a.End, a.Duration, a.RecorderPID, a.RecordingSHA256 = session.StatusTerminated, a.Start.Add(90*time.Second), 90*time.Second, 0, "abc"
	a.TerminatedBy = "alice"
	if err := db.UpdateSession(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.FindSession(ctx, a.ID); !reflect.DeepEqual(got, a) {
		t.Errorf("after update %+v", got)
	}
	if err := db.UpdateSession(ctx, &session.Session{ID: "nope", Start: time.Now(), Status: session.StatusActive}); audit.ErrorCode(err) != audit.ENOTFOUND {
		t.Errorf("update of a missing session: %v", err)
	}

	yes := true
	tests := []struct {
		name string
		f    session.Filter
		want func(*session.Session) bool
	}{
		{"all", session.Filter{}, func(*session.Session) bool { return true }},
		{"user by email", session.Filter{Users: []string{"BOB@example.com"}}, func(s *session.Session) bool { return s.UserEmail == "bob@example.com" }},
		{"user by name wildcard", session.Filter{Users: []string{"ali*"}}, func(s *session.Session) bool { return s.UserName == "Alice Kim" }},
		{"category", session.Filter{Category: []session.Category{session.CategoryDatabase}}, func(s *session.Session) bool { return s.Category == session.CategoryDatabase }},
		{"has recording", session.Filter{HasRecording: &yes}, func(s *session.Session) bool { return s.HasRecording }},
		{"durations", session.Filter{MinDuration: 30 * time.Minute, MaxDuration: 90 * time.Minute}, func(s *session.Session) bool {
			return s.Duration >= 30*time.Minute && s.Duration <= 90*time.Minute
		}},
		{"window", session.Filter{Since: all[5].Start, Until: all[10].Start}, func(s *session.Session) bool {
			return !s.Start.Before(all[5].Start) && s.Start.Before(all[10].Start)
		}},
		{"search client ip", session.Filter{Search: "203.0.113.1"}, func(s *session.Session) bool { return strings.Contains(s.ClientIP, "203.0.113.1") }},
		{"search account", session.Filter{Search: "postgres"}, func(s *session.Session) bool { return s.Account == "postgres" }},
		{"os protocol from", session.Filter{ServerOS: []string{"linux"}, Protocol: []string{"SSH"}, ConnectedFrom: []string{"web"}}, func(s *session.Session) bool {
			return s.ServerOS == "linux" && s.Protocol == "ssh" && s.ConnectedFrom == "web"
		}},
		{"connector resource", session.Filter{Connector: []string{"conn-eu"}, ResourceName: []string{"res-2", "res-4"}}, func(s *session.Session) bool {
			return s.Connector == "conn-eu" && (s.ResourceName == "res-2" || s.ResourceName == "res-4")
		}},
		{"status", session.Filter{Status: []session.Status{session.StatusTerminated}}, func(s *session.Session) bool { return s.Status == session.StatusTerminated }},
		{"session id", session.Filter{SessionID: []string{all[2].ID}}, func(s *session.Session) bool { return s.ID == all[2].ID }},
	}
	for _, tt := range tests {
		got, total, err := db.FindSessions(ctx, tt.f, session.Page{})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var want []string
		for i := len(all) - 1; i >= 0; i-- {
			if tt.want(all[i]) {
				want = append(want, all[i].ID)
			}
		}
		var ids []string
		for _, s := range got {
			ids = append(ids, s.ID)
		}
		if !reflect.DeepEqual(ids, want) || total != len(want) || len(want) == 0 {
			t.Errorf("%s: got %v (total %d), want %v", tt.name, ids, total, want)
		}
	}
	page, total, err := db.FindSessions(ctx, session.Filter{}, session.Page{Limit: 5, Offset: 10})
	if err != nil || total != 30 || len(page) != 5 || page[0].ID != all[19].ID {
		t.Errorf("page: %d rows, total %d, %v", len(page), total, err)
	}
}
