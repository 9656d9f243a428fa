package sqlite

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestVerifyParallelEqualsSequential tampers with the rows on either side
// of the key ranges that verify cuts the events into (chunkBounds), and
// checks that every way of reading them (one range through the driver,
// the sequential reference; 2 to 257 ranges on one or two raw readers,
// or through the driver) reports exactly the same findings and counts.
// A range's last row, its first, a row whose hash sits in the next range,
// a forged row on the boundary key itself: each must be seen once, by
// one range, and fed to its segment in key order.
func TestVerifyParallelEqualsSequential(t *testing.T) {
	ctx := context.Background()
	n1, n2 := 5000, 3000 // the first batch in two segments
	if raceDetector {
		n1, n2 = 1200, 700
	}
	db := openTest(t)
	mustImport(t, db, bulk(n1)...)
	second := bulk(n2) // a second batch whose keys interleave with the first's
	for _, e := range second {
		e.Source, e.Time = "bulk2", e.Time.Add(500*time.Millisecond)
	}
	mustImport(t, db, second...)
	mustClean(t, db, int64(n1+n2))
	keys := func() []int64 {
		rows, err := db.SQL().QueryContext(ctx, "SELECT id FROM events ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var k int64
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			out = append(out, k)
		}
		return out
	}
	all := keys()
	lo, hi := all[0], all[len(all)-1]
	// around(b) is the last key below b and the first at or above it.
	around := func(b int64) (before, after int64) {
		i, _ := slices.BinarySearch(all, b)
		return all[i-1], all[i]
	}
	b64 := chunkBounds(lo, hi, 64)
	b7 := chunkBounds(lo, hi, 7)
	var edits []string
	k := func(i int64) string { return itoa(i) }
	// One kind of tampering at each of these boundaries (never the first
	// or last key: the bounds stay where they are).
	type tamper func(b int64) []string
	kinds := []tamper{
		func(b int64) []string { // the range's last row changed
			x, _ := around(b)
			return []string{"UPDATE events SET actor = 'mallory' WHERE id = " + k(x)}
		},
		func(b int64) []string { // the next range's first row changed (its document)
			_, y := around(b)
			return []string{"UPDATE event_docs SET raw = '{}' WHERE id = " + k(y)}
		},
		func(b int64) []string { // the last row deleted, its hash left
			x, _ := around(b)
			return []string{"DELETE FROM events WHERE id = " + k(x), "DELETE FROM event_docs WHERE id = " + k(x)}
		},
		func(b int64) []string { // the first row deleted with its hash
			_, y := around(b)
			return []string{"DELETE FROM events WHERE id = " + k(y), "DELETE FROM chain_rows WHERE id = " + k(y)}
		},
		func(b int64) []string { // a forged row on the boundary key itself, and one just below
			return []string{
				fmt.Sprintf("INSERT OR IGNORE INTO events (id, source, ext_id, time_ns) VALUES (%d, 'forged', 'at-%d', 1)", b, b),
				fmt.Sprintf("INSERT OR IGNORE INTO events (id, source, ext_id, time_ns) VALUES (%d, 'forged', 'below-%d', 1)", b-1, b),
			}
		},
		func(b int64) []string { // the first row's hash gone: the row is unsealed
			_, y := around(b)
			return []string{"DELETE FROM chain_rows WHERE id = " + k(y)}
		},
		func(b int64) []string { // the last row hidden from readers (a sealed row left out)
			x, _ := around(b)
			return []string{"INSERT INTO unpublished (id) VALUES (" + k(x) + ")"}
		},
		func(b int64) []string { // a hash moved to the boundary key, where no event is
			x, _ := around(b)
			return []string{fmt.Sprintf("UPDATE chain_rows SET id = %d WHERE id = %d", b, x)}
		},
		func(b int64) []string { // the last row's document gone, the first row's hash altered
			x, y := around(b)
			return []string{"DELETE FROM event_docs WHERE id = " + k(x), "UPDATE chain_rows SET hash = zeroblob(32) WHERE id = " + k(y)}
		},
	}
	// Each kind at two boundaries whose rows no other kind touches.
	touched := map[int64]bool{}
	for i, kind := range kinds {
		for _, b := range []int64{b64[3+6*i], b7[1+i%6]} {
			x, y := around(b)
			if touched[x] || touched[y] || touched[b] {
				continue
			}
			touched[x], touched[y], touched[b], touched[b-1] = true, true, true, true
			edits = append(edits, kind(b)...)
		}
	}
	behindTheBack(t, db, edits...)
	var lo2, hi2 int64
	if err := db.SQL().QueryRowContext(ctx, "SELECT min(id), max(id) FROM (SELECT min(id) AS id FROM events UNION ALL SELECT max(id) FROM events UNION ALL SELECT min(id) FROM chain_rows UNION ALL SELECT max(id) FROM chain_rows)").Scan(&lo2, &hi2); err != nil {
		t.Fatal(err)
	}
	if lo2 != lo || hi2 != hi {
		t.Fatalf("the tampering moved the key bounds: %d..%d, was %d..%d", lo2, hi2, lo, hi)
	}
	key := trustedKey(t, db)
	report := func(how verifyHow) string {
		rep, err := db.verifyChain(ctx, key, how)
		if err != nil {
			t.Fatalf("%+v: %v", how, err)
		}
		return fmt.Sprintf("events %d, unpublished %d, sessions %d, records %d\n%s", rep.Events, rep.Unpublished, rep.Sessions, rep.Records, findings(rep))
	}
	want := report(verifyHow{chunks: 1, readers: 0})
	// The reference sees every kind of tampering: a row changed, a row
	// gone, a forged row on and below a boundary, an unsealed row, a
	// segment short of rows, a sealed row hidden.
	for _, re := range []string{
		`(?m)^events changed [a-z0-9]+/e\d+ `,
		`(?m)^events deleted key `,
		`(?m)^events inserted forged/at-`,
		`(?m)^events inserted forged/below-`,
		`(?m)^events inserted [a-z0-9]+/e\d+ `,
		`(?m)^events deleted batch `,
		`unpublished 1,`,
	} {
		if !regexp.MustCompile(re).MatchString(want) {
			t.Fatalf("the sequential reference has no %s:\n%s", re, want)
		}
	}
	if n := strings.Count(want, "\n") - 1; n < 2*len(kinds) {
		t.Fatalf("only %d findings for %d kinds of tampering at two boundaries each:\n%s", n, len(kinds), want)
	}
	hows := []verifyHow{
		{chunks: 1, readers: 1}, {chunks: 2, readers: 2}, {chunks: 3, readers: 2}, {chunks: 7, readers: 2},
		{chunks: 7, readers: 1}, {chunks: 64, readers: 2}, {chunks: 64, readers: 0}, {chunks: 257, readers: 2},
	}
	if raceDetector {
		hows = []verifyHow{{chunks: 3, readers: 2}, {chunks: 64, readers: 2}, {chunks: 64, readers: 0}}
	}
	for _, how := range hows {
		if got := report(how); got != want {
			t.Errorf("%d ranges on %d raw readers:\n%s\nthe sequential reference:\n%s", how.chunks, how.readers, got, want)
		}
	}
	// And what VerifyChain itself reports.
	rep, err := db.VerifyChain(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("events %d, unpublished %d, sessions %d, records %d\n%s", rep.Events, rep.Unpublished, rep.Sessions, rep.Records, findings(rep)); got != want {
		t.Errorf("VerifyChain:\n%s\nthe sequential reference:\n%s", got, want)
	}
}
