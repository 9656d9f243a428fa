package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/session"
)

// EventSpans counts exactly what DeleteEvents with the same cutoff
// deletes, per source, including events in the cutoff's own second and
// microsecond.
func TestEventSpansMatchDeleteEvents(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	cut := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var evs []*audit.Event
	for i, d := range []time.Duration{-time.Hour, -time.Second, -time.Microsecond, 0, time.Microsecond, 999 * time.Millisecond, time.Hour} {
		for _, src := range []string{"a", "b"} {
			evs = append(evs, &audit.Event{ID: fmt.Sprintf("%s%d", src, i), Source: src, Time: cut.Add(d), Action: "X"})
		}
	}
	mustImport(t, db, evs...)
	spans, err := db.EventSpans(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 2 || spans[0].Source != "a" || spans[0].All.Count != 7 || spans[0].Expired.Count != 3 ||
		!spans[0].Expired.Newest.Equal(cut.Add(-time.Microsecond)) || !spans[0].All.Oldest.Equal(cut.Add(-time.Hour)) {
		t.Fatalf("spans: %+v", spans)
	}
	n, err := db.DeleteEvents(ctx, audit.Filter{Until: cut})
	if err != nil || n != spans[0].Expired.Count+spans[1].Expired.Count {
		t.Fatalf("DeleteEvents deleted %d (%v), spans said %d", n, err, spans[0].Expired.Count+spans[1].Expired.Count)
	}
	if spans, _ := db.EventSpans(ctx, cut); spans[0].Expired.Count != 0 || spans[0].All.Count != 4 {
		t.Fatalf("after: %+v", spans)
	}
}

func TestDeleteSessionsJournal(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	cut := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(id string, start time.Time, status session.Status, path string) {
		s := &session.Session{ID: id, Start: start, Status: status, HasRecording: path != "", RecordingPath: path}
		if status != session.StatusActive {
			s.End = start.Add(time.Minute)
		}
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	old, recent := cut.Add(-time.Hour), cut.Add(time.Hour)
	mk("old-own", old, session.StatusCompleted, "/rec/own.cast")
	mk("old-shared", old, session.StatusCompleted, "/rec/shared.cast")
	mk("new-shared", recent, session.StatusCompleted, "/rec/shared.cast") // the same file: it stays
	mk("old-foreign", old, session.StatusCompleted, "/home/u/mine.cast")
	mk("old-active", old, session.StatusActive, "/rec/live.cast")
	mk("new", recent, session.StatusCompleted, "/rec/new.cast")
	own := func(p string) bool { return len(p) > 5 && p[:5] == "/rec/" }

	exp, err := db.ExpiredSessions(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range exp {
		ids = append(ids, s.ID)
	}
	if !slices.Equal(ids, []string{"old-foreign", "old-own", "old-shared"}) {
		t.Fatalf("expired: %v", ids)
	}
	span, err := db.SessionSpans(ctx, cut)
	if err != nil || span.Expired.Count != 3 || span.Active != 1 || span.All.Count != 6 {
		t.Fatalf("spans: %+v %v", span, err)
	}

	// An error in the transaction's hook changes nothing.
	boom := errors.New("checkpoint failed")
	_, _, err = db.DeleteSessions(ctx, append(ids, "new", "old-active"), cut, own, func(context.Context, *sql.Conn) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	if left, _ := db.ExpiredSessions(ctx, cut); len(left) != 3 {
		t.Fatalf("rolled back: %d expired left", len(left))
	}
	if p, _ := db.PendingTrash(ctx); len(p) != 0 {
		t.Fatalf("journal after a rollback: %v", p)
	}

	// Asked for more than is expired: only the expired, not active, go.
	n, journaled, err := db.DeleteSessions(ctx, append(ids, "new", "old-active"), cut, own, nil)
	if err != nil || n != 3 || !slices.Equal(journaled, []string{"/rec/own.cast"}) {
		t.Fatalf("deleted %d, journaled %v, %v", n, journaled, err)
	}
	for _, id := range []string{"new", "new-shared", "old-active"} {
		if _, err := db.FindSession(ctx, id); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}

	// The file comes back into use before the removal: kept.
	mk("again", recent, session.StatusCompleted, "/rec/own.cast")
	var calls []string
	removed, kept, err := db.FinishTrash(ctx, func(p string) (bool, error) { calls = append(calls, p); return true, nil })
	if err != nil || len(calls) != 0 || len(removed) != 0 || !slices.Equal(kept, []string{"/rec/own.cast"}) {
		t.Fatalf("FinishTrash: calls %v removed %v kept %v %v", calls, removed, kept, err)
	}
	if p, _ := db.PendingTrash(ctx); len(p) != 0 {
		t.Fatalf("journal: %v", p)
	}

	// A removal that fails stays journaled for the next run.
	if _, _, err := db.DeleteSessions(ctx, []string{"again"}, cut.Add(2*time.Hour), own, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.FinishTrash(ctx, func(string) (bool, error) { return false, boom }); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	if p, _ := db.PendingTrash(ctx); !slices.Equal(p, []string{"/rec/own.cast"}) {
		t.Fatalf("journal after a failed removal: %v", p)
	}
	removed, _, err = db.FinishTrash(ctx, func(string) (bool, error) { return true, nil })
	if err != nil || !slices.Equal(removed, []string{"/rec/own.cast"}) {
		t.Fatalf("second try: %v %v", removed, err)
	}
}
