package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// TestCountManyEqualsCountEvents: CountMany (with its index hints),
// EachBrief and CountGroups give what CountEvents, EachEvent and CountBy
// give, for a mix of indexed, scanning, full-text and differently bounded
// filters.
func TestCountManyEqualsCountEvents(t *testing.T) {
	db := openTest(t)
	mustImport(t, db, sample()...)
	ctx := context.Background()
	f := func(since, until time.Duration, kv ...string) audit.Filter {
		var fl audit.Filter
		if since != 0 {
			fl.Since = base.Add(since)
		}
		if until != 0 {
			fl.Until = base.Add(until)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == "text" {
				fl.Text = append(fl.Text, kv[i+1])
				continue
			}
			if kv[i][0] == '-' {
				fl.AddExclude(audit.Field(kv[i][1:]), kv[i+1])
				continue
			}
			fl.Add(audit.Field(kv[i]), kv[i+1])
		}
		return fl
	}
	min10 := int64(100)
	dur := f(0, 0)
	dur.MinDuration = &min10
	fs := []audit.Filter{
		f(0, 0),
		f(time.Minute, 20*time.Minute),
		f(0, 0, "action", "DeleteUser"),            // index
		f(0, 0, "ip", "10.0.1.*"),                  // scan
		f(5*time.Minute, 0, "ip", "10.0.0.0/24"),   // scan, bounded below
		f(0, 25*time.Minute, "-status", "failure"), // scan, bounded above
		f(0, 0, "text", "number"),                  // full text
		f(0, 0, "tenant", ""),                      // scan
		f(0, 0, "actor", "bob@example.com", "ip", "10.0.1.*"),
		dur,
		f(40*time.Minute, 50*time.Minute, "ip", "10.0.*"), // no event
	}
	got, err := db.CountMany(ctx, fs)
	if err != nil {
		t.Fatal(err)
	}
	nonzero := 0
	for i, fl := range fs {
		want, err := db.CountEvents(ctx, fl)
		if err != nil {
			t.Fatal(err)
		}
		if got[i] != want {
			t.Errorf("filter %d (%s): CountMany %d, CountEvents %d", i, fl.String(), got[i], want)
		}
		if want > 0 {
			nonzero++
		}
	}
	if nonzero < 8 {
		t.Errorf("only %d filters match anything: the test data does not exercise them", nonzero)
	}
	// The same filters' Briefs gathered by ScanMany (the scanning ones
	// from the shared pass), as EachBrief streams them.
	groupBy := []audit.Field{audit.FieldActor, audit.FieldIP}
	var bqs []audit.BriefQuery
	for _, fl := range fs {
		bqs = append(bqs, audit.BriefQuery{Filter: fl, Fields: groupBy})
	}
	counts, many, err := db.ScanMany(ctx, fs, bqs)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(counts) != fmt.Sprint(got) {
		t.Errorf("ScanMany counts %v, CountMany %v", counts, got)
	}
	// Every indexed filter joining the pass (as a filter whose index holds
	// many entries does) counts and gathers the same.
	defer func(n int64) { passLookups = n }(passLookups)
	passLookups = 0
	counts0, many0, err := db.ScanMany(ctx, fs, bqs)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(counts0) != fmt.Sprint(got) {
		t.Errorf("ScanMany counts with indexed filters in the pass %v, CountMany %v", counts0, got)
	}
	for i := range many {
		if len(many[i]) != len(many0[i]) {
			t.Errorf("filter %d: %d Briefs, %d with indexed filters in the pass", i, len(many[i]), len(many0[i]))
			continue
		}
		for j := range many[i] {
			if fmt.Sprint(*many[i][j]) != fmt.Sprint(*many0[i][j]) {
				t.Errorf("filter %d: Brief %d: %v, with indexed filters in the pass %v", i, j, many[i][j], many0[i][j])
			}
		}
	}
	// The same filters streamed as Briefs and counted by group.
	for i, fl := range fs {
		var briefs, gathered []string
		for _, b := range many[i] {
			gathered = append(gathered, fmt.Sprintf("%d/%s/%s/%s/%s/%s", b.Key, b.ID, b.Source, b.Values[0], b.Values[1], b.Time.Format(time.RFC3339Nano)))
		}
		if err := db.EachBrief(ctx, fl, groupBy, func(b *audit.Brief) error {
			briefs = append(briefs, fmt.Sprintf("%d/%s/%s/%s/%s/%s", b.Key, b.ID, b.Source, b.Values[0], b.Values[1], b.Time.Format(time.RFC3339Nano)))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if strings.Join(briefs, " ") != strings.Join(gathered, " ") {
			t.Errorf("filter %d (%s): EachBrief\n%v\nScanMany\n%v", i, fl.String(), briefs, gathered)
		}
		briefs = nil
		if err := db.EachBrief(ctx, fl, []audit.Field{audit.FieldActor, audit.FieldIP}, func(b *audit.Brief) error {
			briefs = append(briefs, b.ID+"/"+b.Values[0]+"/"+b.Values[1]+"/"+b.Time.Format(time.RFC3339))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var whole []string
		if err := db.EachEvent(ctx, fl, audit.Page{Sort: []audit.SortKey{{Field: audit.FieldTime}}}, func(e *audit.Event) error {
			whole = append(whole, e.ID+"/"+e.Actor+"/"+e.IP+"/"+e.Time.Format(time.RFC3339))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if strings.Join(briefs, " ") != strings.Join(whole, " ") {
			t.Errorf("filter %d: EachBrief\n%v\nEachEvent\n%v", i, briefs, whole)
		}
		groups, err := db.CountGroups(ctx, fl, audit.FieldActor)
		if err != nil {
			t.Fatal(err)
		}
		want, err := db.CountBy(ctx, fl, audit.FieldActor, 0)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(groups) != fmt.Sprint(want) {
			t.Errorf("filter %d: CountGroups %v, CountBy %v", i, groups, want)
		}
	}
	// A writer holding the lock: the pass runs on the driver connection
	// alone, with the same answers.
	func() {
		defer func(w time.Duration) { verifyLockWait = w }(verifyLockWait)
		verifyLockWait = 20 * time.Millisecond
		lock, err := sql.Open("sqlite", db.Path())
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Close()
		c, err := lock.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
		defer c.ExecContext(ctx, "ROLLBACK")
		counts1, many1, err := db.ScanMany(ctx, fs, bqs)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(counts1) != fmt.Sprint(got) || len(many1) != len(many) {
			t.Fatalf("under a writer's lock: counts %v, want %v", counts1, got)
		}
		for i := range many {
			if len(many1[i]) != len(many[i]) {
				t.Errorf("filter %d under a writer's lock: %d Briefs, want %d", i, len(many1[i]), len(many[i]))
			}
		}
	}()
	evs, err := db.EventsByKey(ctx, []int64{1 << 60})
	if err != nil || len(evs) != 0 {
		t.Errorf("EventsByKey of no event: %v %v", evs, err)
	}
	if _, err := db.CountMany(ctx, []audit.Filter{{Since: base, Until: base}}); audit.ExitCode(err) != 2 {
		t.Errorf("an invalid filter: %v", err)
	}
}

// TestIndexBoundStopsPastTheThreshold: the bound is exact up to
// passLookups and passLookups+1 beyond it (all the caller asks).
func TestIndexBoundStopsPastTheThreshold(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustImport(t, db, sample()...) // 24 Login, 6 DeleteUser
	conn, err := db.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	defer func(n int64) { passLookups = n }(passLookups)
	for _, c := range []struct {
		action    string
		threshold int64
		want      int64
	}{{"Login", 10_000, 24}, {"Login", 24, 24}, {"Login", 23, 24}, {"Login", 5, 6}, {"DeleteUser", 5, 6}, {"DeleteUser", 6, 6}, {"DeleteUser", 0, 1}} {
		passLookups = c.threshold
		var f audit.Filter
		f.Add(audit.FieldAction, c.action)
		n, err := indexBound(ctx, conn, f)
		if err != nil {
			t.Fatal(err)
		}
		if n != c.want {
			t.Errorf("%s, threshold %d: bound %d, want %d", c.action, c.threshold, n, c.want)
		}
	}
}
