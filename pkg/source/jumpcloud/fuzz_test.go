package jumpcloud_test

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"

	"github.com/auditctl/auditctl/pkg/importer"
	"github.com/auditctl/auditctl/pkg/source/jumpcloud"
)

// FuzzParsePage feeds the client's response parsing arbitrary bodies and
// paging headers: it must never panic, and a page it accepts is consistent
// with its headers.
func FuzzParsePage(f *testing.F) {
	f.Add([]byte(`[]`), "0", "100", "")
	f.Add([]byte(`[{"id":"a1","event_type":"user_login_attempt","service":"directory","timestamp":"2026-11-01T10:00:00.123Z","initiated_by":{"username":"alice","type":"user"},"success":false,"error_message":"bad password"}]`), "1", "1", `[1761991200123,"a1"]`)
	f.Add([]byte(`[{"id":1,"event_type":"x","service":"sso","timestamp":1761991200}, {"id":"b","event_type":"y","service":"ldap","timestamp":"2026-11-01T10:00:00Z","changes":[{"field":"f","from":1,"to":2}]}]`), "2", "10", "")
	f.Add([]byte(`[{"id":"a","event_type":"x","service":"sso"}]`), "1", "10", "")
	f.Add([]byte(`{"message":"Unauthorized"}`), "", "", "")
	f.Add([]byte(`[{"id":"a","event_type":"x","service":"sso","timestamp":"2026-11-01T10:00:00Z"} ] x`), "1", "1", "[1]")
	f.Add([]byte("[\"\\u00e9\\ud800\"]"), "1", "1", "")
	f.Fuzz(func(t *testing.T, body []byte, count, limit, after string) {
		h := http.Header{}
		h.Set("X-Result-Count", count)
		h.Set("X-Limit", limit)
		if after != "" {
			h.Set("X-Search_after", after)
		}
		orig := bytes.Clone(body)
		p, err := jumpcloud.ParsePage(body, h, &importer.DIMapper{})
		if !bytes.Equal(orig, body) {
			t.Fatal("ParsePage changed the body")
		}
		if err != nil {
			return
		}
		n, _ := strconv.Atoi(count)
		l, _ := strconv.Atoi(limit)
		if len(p.Events) != n || n > l {
			t.Fatalf("accepted %d events with X-Result-Count %q X-Limit %q", len(p.Events), count, limit)
		}
		if (p.Next != nil) != (n == l && n > 0) {
			t.Fatalf("next %q for %d/%d", p.Next, n, l)
		}
		for _, e := range p.Events {
			if e.Source != "jumpcloud" || e.ID == "" || e.Time.IsZero() {
				t.Fatalf("event %+v", e)
			}
		}
	})
}
