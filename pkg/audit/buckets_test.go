package audit

import (
	"strings"
	"testing"
	"time"
)

func TestFillBuckets(t *testing.T) {
	day := 24 * time.Hour
	d := func(m time.Month, dd int) time.Time { return time.Date(2026, m, dd, 0, 0, 0, 0, time.UTC) }
	evs := []Bucket{{Time: d(11, 20), Count: 3}, {Time: d(11, 21), Count: 0}, {Time: d(11, 22), Count: 5}}
	now := time.Date(2026, 11, 25, 14, 30, 0, 0, time.UTC)

	// The whole window, before the first event and after the last, up to now.
	got, err := FillBuckets(evs, now.Add(-7*day), time.Time{}, now, day)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 8 || !got[0].Time.Equal(d(11, 18)) || !got[7].Time.Equal(d(11, 25)) {
		t.Fatalf("window: %d buckets from %v to %v", len(got), got[0].Time, got[len(got)-1].Time)
	}
	var total int64
	for i, b := range got {
		total += b.Count
		if i > 0 && !b.Time.Equal(got[i-1].Time.Add(day)) {
			t.Errorf("bucket %d at %v", i, b.Time)
		}
	}
	if total != 8 || got[2].Count != 3 || got[4].Count != 5 || got[0].Count != 0 {
		t.Errorf("counts: %+v", got)
	}
	// An until bound ends the window at the bucket before it.
	got, _ = FillBuckets(evs, d(11, 19), d(11, 24), now, day)
	if len(got) != 5 || !got[4].Time.Equal(d(11, 23)) {
		t.Errorf("since..until: %+v", got)
	}
	// No since (--all): from the first event to the last.
	got, _ = FillBuckets(evs, time.Time{}, time.Time{}, now, day)
	if len(got) != 3 {
		t.Errorf("--all: %+v", got)
	}
	// No events: the window's empty buckets still.
	got, _ = FillBuckets(nil, d(11, 20), d(11, 23), now, day)
	if len(got) != 3 || got[0].Count != 0 {
		t.Errorf("empty: %+v", got)
	}
	// Too many buckets is a usage error that says so.
	if _, err := FillBuckets(nil, now.Add(-30*day), time.Time{}, now, time.Second); ErrorCode(err) != EUSAGE {
		t.Errorf("too many buckets: %v", err)
	}
}

func TestFieldListsInErrors(t *testing.T) {
	_, err := ParseSort("-nope")
	if err == nil || ErrorCode(err) != EUSAGE || !strings.Contains(err.Error(), "time, duration_ms, id, source") {
		t.Errorf("sort error: %v", err)
	}
}
