package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestSyncStateWidens(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, ok, err := db.SyncState(ctx, "jumpcloud", "o1", "all"); ok || err != nil {
		t.Fatalf("new cache has a state: %v %v", ok, err)
	}
	t1 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	steps := []SyncState{
		{From: t1, Until: t1.Add(time.Hour)},
		{From: t1.Add(30 * time.Minute), Until: t1.Add(2 * time.Hour)}, // forward
		{From: t1.Add(-time.Hour), Until: t1},                          // backfill
		{From: t1, Until: t1.Add(time.Hour)},                           // an older run finishing late: no narrowing
	}
	for _, s := range steps {
		s.Source, s.Org, s.Service = "jumpcloud", "o1", "all"
		if err := db.ExtendSyncState(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	st, ok, err := db.SyncState(ctx, "jumpcloud", "o1", "all")
	if err != nil || !ok || !st.From.Equal(t1.Add(-time.Hour)) || !st.Until.Equal(t1.Add(2*time.Hour)) {
		t.Fatalf("state %+v %v %v", st, ok, err)
	}
	if _, ok, _ := db.SyncState(ctx, "jumpcloud", "o2", "all"); ok {
		t.Fatal("states are per org")
	}
	all, err := db.SyncStates(ctx, "jumpcloud")
	if err != nil || len(all) != 1 {
		t.Fatalf("%v %v", all, err)
	}
}
