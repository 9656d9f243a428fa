package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

var testNow = time.Date(2026, 3, 12, 15, 30, 0, 0, time.UTC)

func all(t testing.TB, opt Options) []*audit.Event {
	t.Helper()
	r := Events(opt)
	var out []*audit.Event
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	// EOF is sticky
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next after EOF: %v", err)
	}
	return out
}

func digest(t testing.TB, opt Options) [32]byte {
	t.Helper()
	h := sha256.New()
	enc := json.NewEncoder(h)
	enc.SetEscapeHTML(false)
	r := Events(opt)
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
	}
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d
}

func TestDeterministic(t *testing.T) {
	opt := Options{Now: testNow}
	a, b := digest(t, opt), digest(t, opt)
	if a != b {
		t.Fatal("two runs with the same options differ")
	}
	if c := digest(t, Options{Now: testNow, Seed: 2}); c == a {
		t.Fatal("seed 2 gives the same data as seed 1")
	}
	// Zero Options are deterministic too (DefaultNow).
	if digest(t, Options{Count: 3000}) != digest(t, Options{Count: 3000, Now: DefaultNow, Days: 30, Seed: 1}) {
		t.Fatal("defaults are not applied consistently")
	}
}

var (
	reOID  = regexp.MustCompile(`^[0-9a-f]{24}$`)
	reUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	reEvt  = regexp.MustCompile(`^evt_[0-9a-f]{16}$`)
)

func checkStream(t *testing.T, opt Options, evs []*audit.Event) {
	t.Helper()
	o := opt.withDefaults()
	if len(evs) != o.Count {
		t.Fatalf("got %d events, want %d", len(evs), o.Count)
	}
	lo, hi := o.Now.Add(-time.Duration(o.Days)*24*time.Hour), o.Now
	ids := map[string]bool{}
	for i, e := range evs {
		if e.Time.Before(lo) || !e.Time.Before(hi) {
			t.Fatalf("event %d at %s outside [%s, %s)", i, e.Time, lo, hi)
		}
		if i > 0 && e.Time.Before(evs[i-1].Time) {
			t.Fatalf("event %d at %s before event %d at %s", i, e.Time, i-1, evs[i-1].Time)
		}
		if e.Time.Location() != time.UTC {
			t.Fatalf("event %d time not UTC", i)
		}
		if ids[e.Source+"/"+e.ID] {
			t.Fatalf("duplicate id %s/%s", e.Source, e.ID)
		}
		ids[e.Source+"/"+e.ID] = true
	}
}

func TestStream(t *testing.T) {
	opt := Options{Now: testNow}
	checkStream(t, opt, all(t, opt))
	// odd shapes: tiny counts, short windows, a Now off the millisecond
	for _, o := range []Options{
		{Now: testNow, Count: 1},
		{Now: testNow, Count: 7, Days: 1},
		{Now: testNow.Add(123456), Count: 5000, Days: 2, Seed: 9},
		{Now: testNow, Count: 1500, Days: 1, Seed: 3},
		{Now: testNow, Count: 30000, Days: 90, Seed: -4},
	} {
		checkStream(t, o, all(t, o))
	}
}

func TestEventShapes(t *testing.T) {
	evs := all(t, Options{Now: testNow})
	var rawTotal int
	for _, e := range evs {
		switch e.Source {
		case SourceDI:
			if !reOID.MatchString(e.ID) {
				t.Fatalf("DI id %q", e.ID)
			}
			if e.DurationMS != nil {
				t.Fatalf("DI event %s has a duration", e.ID)
			}
		case SourceKaseya, SourceVault:
			if !reUUID.MatchString(e.ID) {
				t.Fatalf("%s id %q", e.Source, e.ID)
			}
		case SourcePlatform:
			if !reEvt.MatchString(e.ID) {
				t.Fatalf("platform id %q", e.ID)
			}
		default:
			t.Fatalf("unknown source %q", e.Source)
		}
		if e.Source != SourceDI && e.DurationMS == nil {
			t.Fatalf("%s event %s has no duration", e.Source, e.ID)
		}
		if e.Description == "" || e.Action == "" || e.Service == "" || e.Category == "" || e.Tenant == "" || e.Actor == "" {
			t.Fatalf("event lacks basics: %+v", e)
		}
		if e.Status == audit.StatusFailure && e.Error == "" {
			t.Fatalf("failure without error: %s", e.Raw)
		}
		for name, doc := range map[string]json.RawMessage{"raw": e.Raw, "params": e.Params, "custom": e.Custom,
			"before": e.Before, "after": e.After, "geo": e.Geo} {
			if doc == nil {
				continue
			}
			var v map[string]any
			if err := json.Unmarshal(doc, &v); err != nil {
				t.Fatalf("%s of %s is not a JSON object: %v\n%s", name, e.ID, err, doc)
			}
		}
		var raw map[string]any
		if err := json.Unmarshal(e.Raw, &raw); err != nil {
			t.Fatal(err)
		}
		switch e.Source {
		case SourceDI:
			for _, k := range []string{"id", "event_type", "service", "organization", "timestamp", "initiated_by", "success"} {
				if _, ok := raw[k]; !ok {
					t.Fatalf("DI raw lacks %q: %s", k, e.Raw)
				}
			}
			ts, _ := time.Parse(time.RFC3339Nano, raw["timestamp"].(string))
			if raw["id"] != e.ID || raw["event_type"] != e.Action || !ts.Equal(e.Time) {
				t.Fatalf("DI raw disagrees with event: %s", e.Raw)
			}
		case SourceKaseya:
			if len(raw) != 17 {
				t.Fatalf("kaseya raw has %d columns: %s", len(raw), e.Raw)
			}
			if raw["WorkflowId"] != e.WorkflowID || raw["EventType"] != e.Action || raw["TenantId"] != e.Tenant {
				t.Fatalf("kaseya raw disagrees with event: %s", e.Raw)
			}
		}
		rawTotal += len(e.Raw)
		if len(e.Raw) > 1500 {
			t.Fatalf("raw too large (%d bytes): %s", len(e.Raw), e.Raw)
		}
	}
	if avg := rawTotal / len(evs); avg < 300 || avg > 800 {
		t.Errorf("average raw size %d bytes, want 300-800", avg)
	}
}

func set(evs []*audit.Event, f func(*audit.Event) string) map[string]int {
	m := map[string]int{}
	for _, e := range evs {
		if k := f(e); k != "" {
			m[k]++
		}
	}
	return m
}

func want(t *testing.T, what string, got map[string]int, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if got[k] == 0 {
			t.Errorf("%s: %q missing", what, k)
		}
	}
}

func TestCoverage(t *testing.T) {
	evs := all(t, Options{Now: testNow})
	bySource := func(src string) []*audit.Event {
		var out []*audit.Event
		for _, e := range evs {
			if e.Source == src {
				out = append(out, e)
			}
		}
		return out
	}
	sources := set(evs, func(e *audit.Event) string { return e.Source })
	for _, s := range []string{SourceDI, SourceVault, SourcePlatform, SourceKaseya} {
		if sources[s] < len(evs)/10 {
			t.Errorf("source %s has only %d events", s, sources[s])
		}
	}

	// seed 003: all 17 event types
	want(t, "platform event types", set(bySource(SourcePlatform), func(e *audit.Event) string { return e.Action }), PlatformEventTypes...)

	// seed 001: every DI service and the main event types
	di := bySource(SourceDI)
	want(t, "DI services", set(di, func(e *audit.Event) string { return e.Service }),
		"directory", "sso", "radius", "systems", "ldap", "mdm", "password_manager")
	want(t, "DI event types", set(di, func(e *audit.Event) string { return e.Action }),
		"user_login_attempt", "admin_login_attempt", "sso_auth", "radius_auth_attempt", "ldap_bind", "ldap_search",
		"login_attempt", "user_create", "user_update", "user_delete", "group_create", "mdm_command_result",
		"password_manager_invite_user")
	for _, e := range di {
		if e.IP != "" && len(e.Geo) == 0 {
			t.Fatalf("DI event without geo: %s", e.Raw)
		}
	}

	// seed 000: vault services and actions
	vault := bySource(SourceVault)
	want(t, "vault services", set(vault, func(e *audit.Event) string { return e.Service }), "vault", "session", "user", "resource")
	vaultActions := set(vault, func(e *audit.Event) string { return e.Action })
	want(t, "vault actions", vaultActions, "OpenConnection", "CloseConnection", "DeleteUser", "CreateUser", "UpdateUser",
		"Login", "CreateResource", "DeleteResource", "ListSessions", "DownloadRecording", "TerminateSession")
	var openParams bool
	for _, e := range vault {
		if e.Action == "OpenConnection" && strings.Contains(string(e.Params), `"protocol":"ssh","port":22`) {
			openParams = true
		}
	}
	if !openParams {
		t.Error("no OpenConnection with ssh/22 params")
	}

	// DeleteUser in the last 7 days, some failed
	week := testNow.Add(-7 * 24 * time.Hour)
	var delOK, delFail int
	for _, e := range vault {
		if e.Action == "DeleteUser" && !e.Time.Before(week) {
			if e.Status == audit.StatusFailure {
				delFail++
			} else {
				delOK++
			}
			var p map[string]any
			if json.Unmarshal(e.Params, &p) != nil || p["userId"] == nil || p["reason"] == nil {
				t.Errorf("DeleteUser params: %s", e.Params)
			}
		}
	}
	if delOK < 3 || delFail < 2 {
		t.Errorf("DeleteUser in the last 7 days: %d ok, %d failed", delOK, delFail)
	}
	// the deleted user does not act after the deletion, except failed logins
	var jordanDeleted time.Time
	for _, e := range vault {
		if e.Action == "DeleteUser" && e.Target == "jordan.reyes@acme.com" && e.Status == audit.StatusSuccess {
			jordanDeleted = e.Time
		}
	}
	if jordanDeleted.IsZero() || jordanDeleted.Before(week) {
		t.Fatalf("jordan.reyes deletion at %s", jordanDeleted)
	}
	for _, e := range evs {
		if strings.HasPrefix(e.Actor, "jordan.reyes") && e.Time.After(jordanDeleted) && e.Status != audit.StatusFailure {
			t.Errorf("deleted user acts: %s %s %s", e.Time, e.Source, e.Action)
		}
	}

	// seed 004: workflows
	kas := bySource(SourceKaseya)
	want(t, "categories", set(kas, func(e *audit.Event) string { return e.Category }), KaseyaCategories...)
	want(t, "initiator types", set(kas, func(e *audit.Event) string { return e.ActorType }),
		"tenant-user", "system-user", "system", "external-system", "vsa-user", "anonymous")
	want(t, "target types", set(kas, func(e *audit.Event) string { return e.TargetType }),
		"user", "scope", "globalScope", "userScope", "k1Scope", "epbAsset", "ebpPolicy", "ebpPolicyThreshold",
		"epbRestore", "epbReport", "deploymentToken", "cooperbotK1AccessGroups", "cooperbotK1User")
	wfTypes := set(kas, func(e *audit.Event) string { return e.WorkflowType })
	want(t, "workflow types", wfTypes, "user:creation", "user:deletion", "user:update", "group:creation", "scope:create",
		"epbpolicy:update", "asset:upsert", "token:creation", "restore:file-level", "report:schedule")
	want(t, "workflow event types", set(kas, func(e *audit.Event) string { return e.Action }),
		"user:creating", "user:created", "user:creation-failed")
	steps := set(kas, func(e *audit.Event) string { return e.WorkflowID })
	multi := 0
	for _, n := range steps {
		if n >= 2 {
			multi++
		}
		if n > 4 {
			t.Errorf("workflow with %d steps", n)
		}
	}
	if multi < 100 {
		t.Errorf("only %d workflows with >= 2 steps", multi)
	}
	var ba, wfFail, wfInProgress int
	first := map[string]time.Time{}
	for _, e := range kas {
		if len(e.Before) > 0 && len(e.After) > 0 && steps[e.WorkflowID] >= 2 {
			ba++
		}
		if e.Status == audit.StatusFailure {
			wfFail++
		}
		if e.Status == audit.StatusInProgress {
			wfInProgress++
		}
		if f, ok := first[e.WorkflowID]; !ok {
			first[e.WorkflowID] = e.Time
		} else if e.Time.Sub(f) > 2*time.Minute {
			t.Errorf("workflow %s spans %s", e.WorkflowID, e.Time.Sub(f))
		}
	}
	if ba < 20 || wfFail == 0 || wfInProgress == 0 {
		t.Errorf("workflows: %d with before/after, %d failed, %d in progress", ba, wfFail, wfInProgress)
	}

	// world
	tenants := set(evs, func(e *audit.Event) string { return e.Tenant })
	if len(tenants) < 3 {
		t.Errorf("%d tenants", len(tenants))
	}
	emails := set(evs, func(e *audit.Event) string {
		if e.Source == SourceVault && e.ActorType != "service_account" {
			return e.Actor
		}
		return ""
	})
	domains := map[string]bool{}
	for em := range emails {
		domains[em[strings.IndexByte(em, '@')+1:]] = true
	}
	if len(emails) < 40 || len(emails) > 80 || len(domains) != 3 {
		t.Errorf("%d users across %d domains", len(emails), len(domains))
	}
	want(t, "clients", set(evs, func(e *audit.Event) string { return e.Client }), "web", "cli", "api", "agent")
	uas := set(evs, func(e *audit.Event) string { return e.UserAgent })
	for _, fam := range []string{"Chrome/", "Firefox/", "Version/17.5 Safari", "Edg/", "curl/", "Go-http-client/", "python-requests/"} {
		found := false
		for ua := range uas {
			if strings.Contains(ua, fam) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no %s user agent", fam)
		}
	}
	var private, public bool
	for ip := range set(evs, func(e *audit.Event) string { return e.IP }) {
		if strings.HasPrefix(ip, "10.") || strings.HasPrefix(ip, "192.168.") {
			private = true
		} else {
			public = true
		}
	}
	if !private || !public {
		t.Error("want both office (private) and public addresses")
	}

	// outcomes and durations
	statuses := set(evs, func(e *audit.Event) string { return string(e.Status) })
	want(t, "statuses", statuses, "success", "failure", "warning", "in_progress")
	if f := float64(statuses["failure"]) / float64(len(evs)); f < 0.03 || f > 0.08 {
		t.Errorf("failure rate %.3f", f)
	}
	var slow, fast, withDur int
	for _, e := range evs {
		if d, ok := e.Duration(); ok {
			withDur++
			if d > 1000 {
				slow++
			}
			if d >= 5 && d <= 300 {
				fast++
			}
		}
	}
	if slow < 50 || fast < withDur/2 {
		t.Errorf("durations: %d slow, %d of %d in 5-300 ms", slow, fast, withDur)
	}

	// the story: password spraying from one foreign IP
	var spray []*audit.Event
	for _, e := range di {
		if e.IP == "185.220.101.47" && e.Status == audit.StatusFailure {
			spray = append(spray, e)
		}
	}
	burst := 0
	for i, j := 0, 0; j < len(spray); j++ {
		for spray[j].Time.Sub(spray[i].Time) > 15*time.Minute {
			i++
		}
		burst = max(burst, j-i+1)
	}
	if burst < 40 {
		t.Errorf("spraying: at most %d failures in 15 minutes", burst)
	}
	// an admin working at night on a weekend
	var night int
	for _, e := range evs {
		h, wd := e.Time.Hour(), e.Time.Weekday()
		if strings.HasPrefix(e.Actor, "victor.kane") && h < 5 && (wd == time.Saturday || wd == time.Sunday) &&
			e.Action != "Login" && e.Action != "admin_login_attempt" {
			night++
		}
	}
	if night < 8 {
		t.Errorf("off-hours admin changes: %d", night)
	}

	// diurnal and weekly rhythm
	var day, nightCount, weekday, weekend int
	for _, e := range evs {
		if h := e.Time.Hour(); h >= 9 && h < 17 {
			day++
		} else if h < 6 {
			nightCount++
		}
		if wd := e.Time.Weekday(); wd == time.Saturday || wd == time.Sunday {
			weekend++
		} else {
			weekday++
		}
	}
	if day < 4*nightCount || weekday < 5*weekend {
		t.Errorf("rhythm: day %d night %d, weekday %d weekend %d", day, nightCount, weekday, weekend)
	}
}

func TestLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	opt := Options{Now: testNow, Count: 300000}
	r := Events(opt)
	var prev time.Time
	n := 0
	seen := make(map[string]struct{}, opt.Count)
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Time.Before(prev) {
			t.Fatalf("out of order at %d", n)
		}
		if _, dup := seen[e.ID]; dup {
			t.Fatalf("duplicate id %s", e.ID)
		}
		seen[e.ID] = struct{}{}
		prev = e.Time
		n++
	}
	if n != opt.Count {
		t.Fatalf("%d events", n)
	}
	g := r.(*gen)
	if len(g.pending) > 1000 || cap(g.buf) > 10000 {
		t.Errorf("memory grows: %d pending, buffer %d", len(g.pending), cap(g.buf))
	}
}

func TestAppendTime(t *testing.T) {
	for _, ms := range []int64{0, 1, 999, 86399999, 951782400000, 1767225599999, 4102444800123, -1, -86400001} {
		got := string(appendTime(nil, ms))
		want := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
		if got != want {
			t.Errorf("appendTime(%d) = %s, want %s", ms, got, want)
		}
	}
}

func TestStr(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " and \ back`, "ctl \x01\n\t\r", "ünïcode ✓"} {
		var back string
		if err := json.Unmarshal(str(nil, s), &back); err != nil || back != s {
			t.Errorf("str(%q) = %s (%v)", s, str(nil, s), err)
		}
		if !bytes.Equal(str(nil, s), str(nil, []byte(s))) {
			t.Errorf("str string/bytes differ for %q", s)
		}
	}
}

func BenchmarkEvents(b *testing.B) {
	const n = 200000
	b.ReportAllocs()
	total := 0
	for i := 0; i < b.N; i++ {
		r := Events(Options{Now: testNow, Count: n})
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			total++
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/event")
}

func TestAddressesAreValid(t *testing.T) {
	r := Events(Options{Now: DefaultNow})
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		if e.IP == "" {
			continue
		}
		if _, err := netip.ParseAddr(e.IP); err != nil {
			t.Fatalf("event %s has an invalid ip %q", e.ID, e.IP)
		}
	}
}
