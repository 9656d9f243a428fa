package jumpcloud_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	synccmd "github.com/auditctl/auditctl/pkg/cmd/sync"
	"github.com/auditctl/auditctl/pkg/source/jumpcloud"
)

// A service account: token from the token endpoint, then Bearer and
// x-org-id; a revoked token is renewed once; the secret and the tokens
// appear in no trace or error.
func TestServiceAccount(t *testing.T) {
	srv, hs := seeded(t)
	srv.ClientID, srv.ClientSecret = "svc-id", "svc-secret-9f8e7d"
	org := srv.Events()[0].Org
	c, err := jumpcloud.NewClient(jumpcloud.Settings{ClientID: "svc-id", ClientSecret: "svc-secret-9f8e7d",
		TokenURL: hs.URL + "/oauth2/token", Endpoint: hs.URL, Orgs: []string{org}})
	if err != nil {
		t.Fatal(err)
	}
	c.Backoff, c.MaxBackoff = time.Millisecond, time.Millisecond
	var trace bytes.Buffer
	c.Debug = &syncWriter{w: &trace}
	db := openDB(t)
	o := opts(t0.Add(5 * time.Minute))
	o.Orgs = []string{org}
	res, err := jumpcloud.Sync(context.Background(), c, synccmd.Store(db), o)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, e := range srv.Events() {
		if e.Org == org {
			want++
		}
	}
	if res.Inserted != int64(want) || want == 0 {
		t.Fatalf("inserted %d, want %d", res.Inserted, want)
	}
	srv.Revoke()
	if _, err := c.Count(context.Background(), org, jumpcloud.Request{Service: []string{"all"}, StartTime: t0.Add(-time.Hour)}); err != nil {
		t.Fatalf("after a revoked token: %v", err)
	}
	tr := trace.String()
	if !strings.Contains(tr, "Authorization: Bearer [REDACTED]") || strings.Contains(tr, "svc-secret") || strings.Contains(tr, "tok-") {
		t.Fatalf("trace:\n%s", tr)
	}
	bad, _ := jumpcloud.NewClient(jumpcloud.Settings{ClientID: "svc-id", ClientSecret: "wrong-secret-1", TokenURL: hs.URL + "/oauth2/token", Endpoint: hs.URL})
	_, err = bad.Count(context.Background(), org, jumpcloud.Request{Service: []string{"all"}, StartTime: t0.Add(-time.Hour)})
	if err == nil || !strings.Contains(err.Error(), "JUMPCLOUD_CLIENT_SECRET") || strings.Contains(err.Error(), "wrong-secret-1") {
		t.Fatalf("bad secret: %v", err)
	}
}
