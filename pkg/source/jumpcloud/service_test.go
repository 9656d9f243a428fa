package jumpcloud_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	synccmd "github.com/auditctl/auditctl/pkg/cmd/sync"
	"github.com/auditctl/auditctl/pkg/query"
	"github.com/auditctl/auditctl/pkg/source/jumpcloud"
)

// Live queries return exactly what the cache returns for the same filter,
// once the cache holds the same events.
func TestPushdownMatchesCache(t *testing.T) {
	srv, hs := seeded(t)
	db := openDB(t)
	c := client(t, hs.URL)
	now := t0.Add(5 * time.Minute)
	if _, err := jumpcloud.Sync(context.Background(), c, synccmd.Store(db), opts(now)); err != nil {
		t.Fatal(err)
	}
	var trace bytes.Buffer
	c.Debug = &trace
	svc := &jumpcloud.Service{Client: c, Now: func() time.Time { return now }}
	evs := srv.Events()
	var some struct {
		Org, Actor string
	}
	some.Org = evs[0].Org
	var first map[string]any
	json.Unmarshal(evs[len(evs)/2].Raw, &first)
	if by, ok := first["initiated_by"].(map[string]any); ok {
		some.Actor, _ = by["username"].(string)
		if some.Actor == "" {
			some.Actor, _ = by["email"].(string)
		}
	}
	if some.Actor == "" {
		t.Fatal("no actor in the data")
	}
	queries := []string{
		"",
		"service:sso",
		"service:sso,ldap status:failure",
		"action:user_login_attempt -status:success",
		"actor:" + some.Actor,
		"actor:" + strings.ToUpper(some.Actor),
		"actor:j*",
		"-actor:j* service:directory",
		"tenant:" + some.Org + " -service:sso",
		"ip:10.0.0.0/8",
		"ip:198.51.100.*",
		"target_type:user action:user_update",
		"category:\"User Access\" status:failure",
		"browser:Chrome*",
		"source:jumpcloud service:mdm",
		"source:cloudtrail",
		"service:s3.amazonaws.com",
		"status:warning",
		"duration:>100",
		"time:>=2026-11-15 time:<2026-11-18 service:systems",
		"error:\"MFA verification failed\"",
		"-error:\"\" service:radius",
		"saml",
		"\"MFA verification failed\" service:directory",
		"-saml service:sso",
	}
	ctx := context.Background()
	for _, q := range queries {
		f, err := query.Parse(q, now)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		if f.Since.IsZero() {
			f.Since = now.Add(-31 * 24 * time.Hour)
		}
		for _, pg := range []audit.Page{{Limit: 10, Offset: 30}, {Limit: 5000, NoTotal: true},
			{Limit: 7, Sort: []audit.SortKey{{Field: audit.FieldTime}}}, {Limit: 15, Sort: []audit.SortKey{{Field: audit.FieldActor}, {Field: audit.FieldTime, Desc: true}}}} {
			want, wantTotal, err := db.FindEvents(ctx, f, pg)
			if err != nil {
				t.Fatal(err)
			}
			got, gotTotal, err := svc.FindEvents(ctx, f, pg)
			if err != nil {
				t.Fatalf("%q: %v", q, err)
			}
			if wantTotal != gotTotal || !sameEvents(got, want) {
				t.Fatalf("%q %+v: remote %d events (total %d) %v, cache %d (total %d) %v", q, pg, len(got), gotTotal, ids(got), len(want), wantTotal, ids(want))
			}
		}
		// keyset pages (Page.After), both ways: the same events as the cache's
		for _, desc := range []bool{true, false} {
			var wc, gc *audit.Cursor
			for page := 0; page < 4; page++ {
				pg := audit.Page{Limit: 9, Sort: []audit.SortKey{{Field: audit.FieldTime, Desc: desc}}, NoTotal: page > 0}
				pg.After = wc
				want, wantTotal, err := db.FindEvents(ctx, f, pg)
				if err != nil {
					t.Fatal(err)
				}
				pg.After = gc
				got, gotTotal, err := svc.FindEvents(ctx, f, pg)
				if err != nil {
					t.Fatalf("%q keyset page %d: %v", q, page, err)
				}
				if wantTotal != gotTotal || !sameEvents(got, want) {
					t.Fatalf("%q keyset page %d (desc %v): remote %v (total %d), cache %v (total %d)", q, page, desc, ids(got), gotTotal, ids(want), wantTotal)
				}
				if len(want) < pg.Limit {
					break
				}
				wc, gc = audit.CursorOf(want[len(want)-1]), audit.CursorOf(got[len(got)-1])
			}
		}
		wn, _ := db.CountEvents(ctx, f)
		gn, err := svc.CountEvents(ctx, f)
		if err != nil || wn != gn {
			t.Fatalf("%q: count remote %d (%v), cache %d", q, gn, err, wn)
		}
		for _, by := range []audit.Field{audit.FieldAction, audit.FieldActor, audit.FieldTargetType} {
			wb, _ := db.CountBy(ctx, f, by, 10)
			gb, err := svc.CountBy(ctx, f, by, 10)
			if err != nil || !sameBuckets(wb, gb) {
				t.Fatalf("%q by %s: remote %v (%v), cache %v", q, by, gb, err, wb)
			}
		}
		for _, iv := range []time.Duration{6 * time.Hour} {
			wh, _ := db.Histogram(ctx, f, iv)
			gh, err := svc.Histogram(ctx, f, iv)
			if err != nil || !sameBuckets(wh, gh) {
				t.Fatalf("%q per %s: remote %d buckets (%v), cache %d", q, iv, len(gh), err, len(wh))
			}
		}
	}
	tr := trace.String()
	for _, want := range []string{"applied client-side: actor", "search_term=", `"event_type":["user_login_attempt"]`} {
		if !strings.Contains(tr, want) {
			t.Errorf("debug trace lacks %q", want)
		}
	}
}

func ids(evs []*audit.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.ID)
	}
	if len(out) > 8 {
		out = append(out[:8], "…")
	}
	return out
}

func sameEvents(a, b []*audit.Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		ja, _ := json.Marshal(a[i])
		jb, _ := json.Marshal(b[i])
		if !bytes.Equal(ja, jb) {
			return false
		}
	}
	return true
}

func sameBuckets(a, b []audit.Bucket) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(a[i].Key, b[i].Key) || a[i].Count != b[i].Count || !a[i].Time.Equal(b[i].Time) {
			return false
		}
	}
	return true
}
