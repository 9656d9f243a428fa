package postgres

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// testSessions are sessions whose text fields mix case, LIKE's special
// characters and non-ASCII letters, so that the two stores' matching
// differs if anything does.
func testSessions() []*session.Session {
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 123456789, time.UTC)
	users := []struct{ name, email string }{{"Alice Kim", "alice@example.com"}, {"BOB_ray", "Bob%Ray@Example.com"}, {"Émile", "emile@exemple.fr"}}
	cats := []session.Category{session.CategoryServer, session.CategoryDatabase, session.CategoryWebsite}
	var out []*session.Session
	for i := range 40 {
		u := users[i%3]
		s := &session.Session{
			ID: fmt.Sprintf("s%03d-%x", i, i*7919), UserName: u.name, UserEmail: u.email, Role: "admin",
			Account: []string{"root", "Postgres", "web_admin"}[i%3], ResourceName: fmt.Sprintf("Res-%d", i%5),
			ResourceID: fmt.Sprintf("r%d", i%5), Category: cats[i%3], Connector: []string{"conn-EU", "conn-us"}[i%2],
			ServerName: fmt.Sprintf("srv-%d", i%4), ServerOS: []string{"linux", "Windows"}[i%2], Host: fmt.Sprintf("10.0.0.%d", i),
			Port: 22 + i%3, Protocol: []string{"ssh", "rdp", "https"}[i%3], ClientIP: fmt.Sprintf("203.0.113.%d", i),
			ClientName: "OpenSSH_9.6", ConnectedFrom: []string{"web", "proxy"}[i%2],
			Start: t0.Add(time.Duration(i/2) * time.Hour), Status: session.StatusCompleted,
			HasRecording: i%4 != 0, RecordingPath: fmt.Sprintf("/rec/%d.rec", i), RecordingSHA256: fmt.Sprintf("%064x", i),
			Command: "psql -h db 'x'",
		}
		s.Duration = time.Duration(i*7) * time.Minute
		s.End = s.Start.Add(s.Duration)
		switch i {
		case 39:
			s.Status, s.End, s.Duration, s.RecorderPID = session.StatusActive, time.Time{}, 0, 4242
		case 38:
			s.Status, s.TerminatedBy = session.StatusTerminated, "alice"
		}
		out = append(out, s)
	}
	return out
}

// TestSessionsSameAsCache stores the same sessions in both stores and
// requires the same answer to every filter, page and id lookup.
func TestSessionsSameAsCache(t *testing.T) {
	ctx := context.Background()
	pg, lite := bothStores(t, server(t), "sessions")
	all := testSessions()
	for _, st := range []store.Store{pg, lite} {
		for _, s := range all {
			if err := st.CreateSession(ctx, s); err != nil {
				t.Fatalf("%T: %v", st, err)
			}
		}
		if err := st.CreateSession(ctx, all[0]); audit.ErrorCode(err) != audit.EINVALID {
			t.Errorf("%T: a duplicate id: %v", st, err)
		}
		if err := st.CreateSession(ctx, &session.Session{ID: "x", Status: session.StatusActive}); audit.ErrorCode(err) != audit.EINVALID {
			t.Errorf("%T: no start: %v", st, err)
		}
	}
	if got, err := pg.FindSession(ctx, all[3].ID); err != nil || !reflect.DeepEqual(got, all[3]) {
		t.Fatalf("FindSession = %+v, %v\nwant %+v", got, err, all[3])
	}
	yes, no := true, false
	filters := []session.Filter{
		{}, {Users: []string{"BOB_RAY"}}, {Users: []string{"bob%ray@example.com"}}, {Users: []string{"bob_*"}},
		{Users: []string{"b*%*"}}, {Users: []string{"émile"}}, {Users: []string{"Émile"}}, {Users: []string{"*ALICE*", "nobody"}},
		{Category: []session.Category{session.CategoryDatabase}}, {HasRecording: &yes}, {HasRecording: &no},
		{MinDuration: 30 * time.Minute, MaxDuration: 90 * time.Minute}, {MinDuration: time.Hour},
		{Since: all[5].Start, Until: all[10].Start}, {Since: all[5].Start.Add(time.Nanosecond)},
		{Search: "203.0.113.1"}, {Search: "POSTGRES"}, {Search: "_"}, {Search: "%"}, {Search: "web_"}, {Search: "émile"},
		{ServerOS: []string{"windows"}, Protocol: []string{"SSH", "rdp"}, ConnectedFrom: []string{"WEB"}},
		{Connector: []string{"CONN-eu"}, ResourceName: []string{"res-2", "RES-4"}}, {ResourceID: []string{"R1"}},
		{Status: []session.Status{session.StatusTerminated, session.StatusActive}},
		{SessionID: []string{all[2].ID}}, {SessionID: []string{"S002*"}}, {SessionID: []string{"S002-3DDE"}},
		{SessionID: []string{"s01*"}, Users: []string{"alice*"}},
	}
	for i, f := range filters {
		for _, p := range []session.Page{{}, {Limit: 3, Offset: 2}} {
			a, na, errA := lite.FindSessions(ctx, f, p)
			b, nb, errB := pg.FindSessions(ctx, f, p)
			if errA != nil || errB != nil {
				t.Fatalf("filter %d: %v / %v", i, errA, errB)
			}
			if !reflect.DeepEqual(a, b) || na != nb {
				t.Errorf("filter %d %+v page %+v:\nsqlite   %d %v\npostgres %d %v", i, f, p, na, ids(a), nb, ids(b))
			}
		}
	}
	for _, id := range []string{all[7].ID, "s007", "s00", "s0", "zz", "", "S007", all[39].ID[:6]} {
		a, errA := lite.FindSession(ctx, id)
		b, errB := pg.FindSession(ctx, id)
		if !reflect.DeepEqual(a, b) || fmt.Sprint(errA) != fmt.Sprint(errB) {
			t.Errorf("FindSession(%q): sqlite %v %v, postgres %v %v", id, a, errA, b, errB)
		}
	}
	// An update replaces the row; a missing id is not found.
	a := all[39]
	a.Status, a.End, a.Duration, a.RecorderPID = session.StatusTerminated, a.Start.Add(90*time.Second), 90*time.Second, 0
	if err := pg.UpdateSession(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, _ := pg.FindSession(ctx, a.ID); !reflect.DeepEqual(got, a) {
		t.Errorf("after update %+v", got)
	}
	if err := pg.UpdateSession(ctx, &session.Session{ID: "nope", Start: time.Now(), Status: session.StatusActive}); audit.ErrorCode(err) != audit.ENOTFOUND {
		t.Errorf("update of a missing session: %v", err)
	}
}

// bothStores opens a new PostgreSQL store (database name, made by
// newURL: server) and a new cache.
func bothStores(t *testing.T, newURL func(string) string, name string) (*DB, *sqlite.DB) {
	t.Helper()
	ctx := context.Background()
	pg, err := Open(ctx, newURL(name), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	return pg, lite
}

func ids(ss []*session.Session) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

// TestImportNothing: an input without events (a sync slice with none, an
// empty file) stores nothing and is no error, in both stores.
func TestImportNothing(t *testing.T) {
	ctx := context.Background()
	pg, lite := bothStores(t, server(t), "nothing")
	for _, st := range []store.Store{pg, lite} {
		for i := 0; i < 2; i++ { // the second on a connection the first used
			res, err := st.Import(ctx, &sliceEvents{}, store.ImportOptions{Name: "empty"})
			if err != nil || res.Read != 0 || res.Inserted != 0 {
				t.Fatalf("%T: import of nothing: %+v %v", st, res, err)
			}
		}
	}
}

type sliceEvents struct{ evs []*audit.Event }

func (r *sliceEvents) Next() (*audit.Event, error) {
	if len(r.evs) == 0 {
		return nil, io.EOF
	}
	e := r.evs[0]
	r.evs = r.evs[1:]
	return e, nil
}

// TestSyncState: a stream's state widens, never narrows, in both stores
// alike.
func TestSyncState(t *testing.T) {
	ctx := context.Background()
	pg, lite := bothStores(t, server(t), "syncstate")
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	for _, st := range []store.Store{pg, lite} {
		if _, ok, err := st.SyncState(ctx, "jumpcloud", "", "all"); ok || err != nil {
			t.Fatalf("%T: state before any sync: %v %v", st, ok, err)
		}
		for _, w := range [][2]int{{10, 12}, {11, 15}, {5, 9}, {12, 13}} {
			if err := st.ExtendSyncState(ctx, store.SyncState{Source: "jumpcloud", Service: "all", From: day(w[0]), Until: day(w[1])}); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.ExtendSyncState(ctx, store.SyncState{Source: "jumpcloud", Org: "o2", Service: "sso", From: day(1), Until: day(2)}); err != nil {
			t.Fatal(err)
		}
		got, ok, err := st.SyncState(ctx, "jumpcloud", "", "all")
		if !ok || err != nil || !got.From.Equal(day(5)) || !got.Until.Equal(day(15)) || got.Updated.IsZero() {
			t.Errorf("%T: state %+v %v %v", st, got, ok, err)
		}
		list, err := st.SyncStates(ctx, "jumpcloud")
		if err != nil || len(list) != 2 || list[0].Org != "" || list[1].Org != "o2" || !list[1].Until.Equal(day(2)) {
			t.Errorf("%T: states %+v %v", st, list, err)
		}
	}
}
