package jcserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func testServer(t *testing.T) *Server {
	t.Helper()
	s := New("k")
	s.Now = func() time.Time { return t0 }
	for i := 0; i < 30; i++ {
		svc := []string{"directory", "sso", "ldap"}[i%3]
		user := []string{"Alice", "bob", "carol"}[i%3]
		raw := fmt.Sprintf(`{"id":"e%02d","event_type":"login","service":%q,"organization":"o%d","timestamp":%q,"initiated_by":{"username":%q,"type":"user"},"success":%v,"tags":["x","Y"]}`,
			i, svc, i%2, t0.Add(-time.Duration(30-i)*time.Minute).Format(time.RFC3339Nano), user, i%4 != 0)
		if err := s.Add([]byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func post(t *testing.T, s http.Handler, path, key, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, Base+path, strings.NewReader(body))
	if key != "" {
		r.Header.Set("x-api-key", key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func ids(t *testing.T, w *httptest.ResponseRecorder) []string {
	t.Helper()
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var evs []struct{ ID string }
	if err := json.Unmarshal(w.Body.Bytes(), &evs); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

const start = `"start_time":"2026-11-22T00:00:00Z"`

func TestValidation(t *testing.T) {
	s := testServer(t)
	for _, c := range []struct {
		key, body string
		code      int
	}{
		{"", `{"service":["all"],` + start + `}`, 401},
		{"wrong", `{"service":["all"],` + start + `}`, 401},
		{"k", `{` + start + `}`, 400},
		{"k", `{"service":[],` + start + `}`, 400},
		{"k", `{"service":["nope"],` + start + `}`, 400},
		{"k", `{"service":["all"]}`, 400},
		{"k", `{"service":["all"],"start_time":"yesterday"}`, 400},
		{"k", `{"service":["all"],` + start + `,"limit":10001}`, 400},
		{"k", `{"service":["all"],` + start + `,"limit":0}`, 400},
		{"k", `{"service":["all"],` + start + `,"sort":"up"}`, 400},
		{"k", `{"service":["all"],` + start + `,"search_term":{"and":[{"service":"sso"}],"or":[{"service":"sso"}]}}`, 400},
		{"k", `{"service":["all"],` + start + `,"search_term":{"service":"sso"}}`, 400},
		{"k", `{"service":["all"],` + start + `,"search_term":{"and":[{"bad path!":"x"}]}}`, 400},
		{"k", `{"service":["all"],` + start + `,"search_term":{"and":[]}}`, 400},
		{"k", `{"service":["all"],` + start + `,"unknown":1}`, 400},
		{"k", `{"service":["all"],` + start + `,"end_time":"2026-11-21T00:00:00Z"}`, 400},
		{"k", `{"service":["all"],` + start + `,"limit":10000}`, 200},
	} {
		if w := post(t, s, "/events", c.key, c.body); w.Code != c.code {
			t.Errorf("%s %s: status %d, want %d (%s)", c.key, c.body, w.Code, c.code, w.Body)
		}
	}
	if w := post(t, s, "/nope", "k", `{}`); w.Code != 404 {
		t.Errorf("unknown path: %d", w.Code)
	}
	r := httptest.NewRequest(http.MethodGet, Base+"/events", nil)
	r.Header.Set("x-api-key", "k")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 405 {
		t.Errorf("GET: %d", w.Code)
	}
}

func TestPagingAndSort(t *testing.T) {
	s := testServer(t)
	var got []string
	body := `{"service":["all"],` + start + `,"limit":7,"sort":"ASC"}`
	for pages := 0; ; pages++ {
		w := post(t, s, "/events", "k", body)
		page := ids(t, w)
		got = append(got, page...)
		if w.Header().Get("X-Limit") != "7" || w.Header().Get("X-Result-Count") != fmt.Sprint(len(page)) {
			t.Fatalf("headers %v", w.Header())
		}
		if len(page) < 7 {
			break
		}
		body = `{"service":["all"],` + start + `,"limit":7,"sort":"ASC","search_after":` + w.Header().Get("X-Search_after") + `}`
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if len(got) != 30 || got[0] != "e00" || got[29] != "e29" {
		t.Fatalf("ASC pages: %v", got)
	}
	desc := ids(t, post(t, s, "/events", "k", `{"service":["all"],`+start+`,"limit":3}`))
	if strings.Join(desc, ",") != "e29,e28,e27" {
		t.Fatalf("DESC default: %v", desc)
	}
}

func TestSearchTerm(t *testing.T) {
	s := testServer(t)
	count := func(extra string, hdr ...string) int {
		w := post(t, s, "/events/count", "k", `{"service":["all"],`+start+extra+`}`, hdr...)
		var v struct{ Count int }
		if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &v) != nil {
			t.Fatalf("%s: %d %s", extra, w.Code, w.Body)
		}
		return v.Count
	}
	for _, c := range []struct {
		extra string
		want  int
	}{
		{``, 30},
		{`,"service":["sso","ldap"]`, 20},
		{`,"search_term":{"and":[{"initiated_by.username":"alice"}]}`, 10}, // values lowercased
		{`,"search_term":{"and":[{"initiated_by.username":"Alice"}]}`, 0},  // as the API wants them
		{`,"search_term":{"or":[{"initiated_by.username":["alice","bob"]}]}`, 20},
		{`,"search_term":{"not":[{"service":"sso"}]}`, 20},
		{`,"search_term":{"and":[{"success":false}]}`, 8},
		{`,"search_term":{"and":[{"tags":"y"},{"not":[{"service":"ldap"}]}]}`, 20},
		{`,"search_term":{"and":[{"or":[{"service":"sso"},{"service":"ldap"}]},{"organization":"o1"}]}`, 10},
		{`,"q":"carol"`, 10},
		{`,"end_time":"2026-11-22T11:45:00Z"`, 15},
	} {
		if got := count(c.extra); got != c.want {
			t.Errorf("%s: %d, want %d", c.extra, got, c.want)
		}
	}
	if got := count(``, "x-org-id", "o0"); got != 15 {
		t.Errorf("x-org-id: %d", got)
	}
	w := post(t, s, "/events/distinct", "k", `{"service":["all"],`+start+`,"field":"initiated_by.username"}`)
	if !strings.Contains(w.Body.String(), `{"key":"Alice","doc_count":10}`) {
		t.Errorf("distinct: %s", w.Body)
	}
	w = post(t, s, "/events/interval", "k", `{"service":["all"],`+start+`,"interval_unit":"m","interval_value":"10"}`)
	var iv struct {
		Buckets []struct {
			DocCount int `json:"doc_count"`
		}
	}
	json.Unmarshal(w.Body.Bytes(), &iv)
	if w.Code != 200 || len(iv.Buckets) != 3 || iv.Buckets[0].DocCount != 10 {
		t.Errorf("interval: %d %s", w.Code, w.Body)
	}
	w = post(t, s, "/events", "k", `{"service":["all"],`+start+`,"limit":1,"fields":["id","initiated_by.type"]}`)
	if strings.TrimSpace(w.Body.String()) != `[{"id":"e29","initiated_by":{"type":"user"}}]` {
		t.Errorf("fields: %s", w.Body)
	}
}

func TestFaults(t *testing.T) {
	s := testServer(t)
	s.Inject(Fault429, Fault503, Fault401)
	body := `{"service":["all"],` + start + `}`
	if w := post(t, s, "/events", "k", body); w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Errorf("429: %d %v", w.Code, w.Header())
	}
	if w := post(t, s, "/events", "k", body); w.Code != 503 {
		t.Errorf("503: %d", w.Code)
	}
	if w := post(t, s, "/events", "k", body); w.Code != 401 {
		t.Errorf("401: %d", w.Code)
	}
	if w := post(t, s, "/events", "k", body); w.Code != 200 {
		t.Errorf("after the faults: %d", w.Code)
	}
	hs := httptest.NewServer(s)
	defer hs.Close()
	s.Inject(FaultReset)
	req, _ := http.NewRequest(http.MethodPost, hs.URL+Base+"/events", strings.NewReader(body))
	req.Header.Set("x-api-key", "k")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		_, err = readAll(resp)
	}
	if err == nil {
		t.Error("a reset mid-page read without error")
	}
}

func readAll(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			if err.Error() == "EOF" {
				return []byte(b.String()), nil
			}
			return nil, err
		}
	}
}
