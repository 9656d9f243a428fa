package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

func TestTokenizer(t *testing.T) {
	tok := newTokenizer()
	tok.reset()
	tok.add("Alice@Example.com deleted ÉLODIE's account; alice again", false)
	tok.addJSON([]byte(`{"note":"line1\nline2 \u00e9t\u00e9","x":"a\"b","n":-4.5e3,"ok":true}`))
	want := "alice example com deleted elodie s account again line1 line2 t a b 4 5e3"
	if got := tok.text(); got != want {
		t.Fatalf("tokens\n got %q\nwant %q", got, want)
	}
	if got := tokens("Break-Glass"); !reflect.DeepEqual(got, []string{"break", "glass"}) {
		t.Fatalf("term tokens %v", got)
	}
	if needsConfirm("cleanup") || needsConfirm("Café") || !needsConfirm("a.b") || !needsConfirm("--") || !needsConfirm("a a") {
		t.Fatal("needsConfirm")
	}
}

func TestFullTextSemantics(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mk := func(id, desc, params string) *audit.Event {
		e := ev(0, "X", "y", audit.StatusSuccess)
		e.ID, e.Description, e.Params, e.Raw = id, desc, json.RawMessage(params), nil
		return e
	}
	mustImport(t, db,
		mk("a", "login by alice@example.com", `{}`),
		mk("b", "login by com.example.alice", `{}`),
		mk("c", "break glass access", `{"ticket":"INC-42"}`),
		mk("d", "glass break drill", `{"path":"C:\\Temp\\evil.exe"}`),
		mk("e", "Café opened", `{"who":"Zoë"}`),
		mk("f", "vault RevealPassword", `{"reason":"Break-Glass","note":"glass"}`),
		mk("g", "outbreak glasses", `{"a":"break","b":"glass"}`),
	)
	cases := []struct {
		f    audit.Filter
		want []string
	}{
		{audit.Filter{Text: []string{"alice@example.com"}}, []string{"a"}},
		{audit.Filter{Text: []string{"ALICE"}}, []string{"b", "a"}},
		{audit.Filter{Text: []string{"break glass"}}, []string{"c", "f"}},
		{audit.Filter{Text: []string{"break-glass"}}, []string{"c", "f"}},
		{audit.Filter{Text: []string{"BREAK_GLASS"}}, []string{"c", "f"}},
		{audit.Filter{Text: []string{"glass break"}}, []string{"d"}},
		{audit.Filter{Text: []string{"glass", "break"}}, []string{"d", "c", "f", "g"}},
		{audit.Filter{NotText: []string{"break glass"}}, []string{"a", "b", "d", "e", "g"}},
		// FTS5 syntax in a term is text, never an operator
		{audit.Filter{Text: []string{`"break glass`}}, []string{"c", "f"}},
		{audit.Filter{Text: []string{"NEAR(break glass)"}}, []string{}},
		{audit.Filter{Text: []string{"break*"}}, []string{"c", "d", "f", "g"}},
		{audit.Filter{Text: []string{"^break"}}, []string{"c", "d", "f", "g"}},
		{audit.Filter{Text: []string{"reason:break"}}, []string{}},
		{audit.Filter{Text: []string{"description : break glass"}}, []string{}},
		{audit.Filter{Text: []string{"(break OR"}}, []string{}},
		{audit.Filter{Text: []string{"break AND glass"}}, []string{}},
		{audit.Filter{Text: []string{`""`}}, []string{}},
		{audit.Filter{Text: []string{")"}}, []string{}},
		{audit.Filter{Text: []string{"inc-42"}}, []string{"c"}},
		{audit.Filter{Text: []string{`temp\\evil`}}, []string{"d"}},
		{audit.Filter{Text: []string{"evil.exe"}}, []string{"d"}},
		{audit.Filter{Text: []string{"zoë"}}, []string{"e"}},
		{audit.Filter{Text: []string{"cafe"}}, []string{"e"}}, // diacritics folded by the index
		{audit.Filter{Text: []string{"login"}, NotText: []string{"alice@example.com"}}, []string{"b"}},
		{audit.Filter{NotText: []string{"glass"}}, []string{"e", "b", "a"}},
		{audit.Filter{Text: []string{"@@"}}, []string{}},
		{audit.Filter{Text: []string{"."}}, []string{"d", "b", "a"}},
	}
	for _, c := range cases {
		got, total, err := db.FindEvents(ctx, c.f, audit.Page{Limit: 10})
		if err != nil {
			t.Fatalf("%v: %v", c.f, err)
		}
		ids := []string{}
		for _, e := range got {
			ids = append(ids, e.ID)
		}
		// same-time events: order by key, which is by hash slot; compare as sets
		if !sameSet(ids, c.want) || total != len(c.want) {
			t.Errorf("%v: got %v (total %d), want %v", c.f, ids, total, c.want)
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return true
}

func BenchmarkTokenize(b *testing.B) {
	events := benchEvents(1000)
	t := newTokenizer()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t.document(events[i%len(events)])
	}
}

// FuzzSearchText runs any search text, as a term and as an excluded term,
// against a small cache: it never errors (no FTS5 syntax reaches the
// MATCH), and on ASCII text it selects exactly the events whose
// description holds the term's words in order, separated by anything but
// letters and digits (a regular expression as the oracle).
func FuzzSearchText(f *testing.F) {
	for _, s := range []string{"break glass", "break-glass", `"`, `"break" NEAR glass`, "col:x", "^a*", "(a OR b", "a AND NOT b",
		"NEAR(a b, 2)", "{description}: x", "- x", "\x00", "é", "a a", "@@", "."} {
		f.Add(s)
	}
	db, err := Open(context.Background(), filepath.Join(f.TempDir(), "audit.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	descs := []string{"break-glass access", "Break Glass", "glass break", "outbreak glasses", "a a b", "NEAR(a b) OR c*",
		`say "hi" to ^x`, "col:x and {description}: x", "a.b-c_d", "..."}
	var events []*audit.Event
	for i, d := range descs {
		e := ev(i, "X", "y", audit.StatusSuccess)
		e.Description, e.Params, e.Raw = d, json.RawMessage(`{}`), nil
		events = append(events, e)
	}
	if _, err := db.Import(context.Background(), reader(events...), ImportOptions{Name: "fuzz"}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, term string) {
		ctx := context.Background()
		got, _, err := db.FindEvents(ctx, audit.Filter{Text: []string{term}}, audit.Page{})
		if err != nil {
			t.Fatalf("search %q: %v", term, err)
		}
		not, _, err := db.FindEvents(ctx, audit.Filter{NotText: []string{term}}, audit.Page{})
		if err != nil {
			t.Fatalf("search -%q: %v", term, err)
		}
		if len(got)+len(not) != len(descs) {
			t.Fatalf("%q: %d match, %d do not, of %d", term, len(got), len(not), len(descs))
		}
		words := regexp.MustCompile(`[a-zA-Z0-9]+`).FindAllString(term, -1)
		if len(words) == 0 || !isASCII(term) {
			return
		}
		for i := range words {
			words[i] = strings.ToLower(words[i])
		}
		re := regexp.MustCompile(`(^|[^a-z0-9])` + strings.Join(words, `[^a-z0-9]+`) + `($|[^a-z0-9])`)
		want := map[string]bool{}
		for i, d := range descs {
			if re.MatchString(strings.ToLower(d)) {
				want[fmt.Sprintf("e%d", i)] = true
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%q: got %v, want %v", term, ids(got), want)
		}
		for _, e := range got {
			if !want[e.ID] {
				t.Fatalf("%q: got %v, want %v", term, ids(got), want)
			}
		}
	})
}

// TestFullTextTimeBounds: a full-text query's time bounds are also a range
// of the index's rowids; every window (bounds on, between and off the
// matches, nanosecond bounds that fall inside a microsecond) gives the
// matches a scan of all events gives, newest first, with the right total
// (capped or not), for a first page and for the window notice's shape (no
// lower bound, one event, a capped count).
func TestFullTextTimeBounds(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var evs []*audit.Event
	for i := range 120 {
		e := ev(i, "Login", "a@example.com", audit.StatusSuccess)
		e.Time = base.Add(time.Duration(i*i) * time.Second).Add(time.Duration(i%3) * 300 * time.Nanosecond)
		if i%4 == 0 {
			e.Description += " warehouse"
		}
		evs = append(evs, e)
	}
	if _, err := db.Import(ctx, reader(evs...), ImportOptions{Name: "t"}); err != nil {
		t.Fatal(err)
	}
	want := func(since, until time.Time) []string {
		var out []string
		for i := len(evs) - 1; i >= 0; i-- {
			e := evs[i]
			if strings.Contains(e.Description, "warehouse") && (since.IsZero() || !e.Time.Before(since)) && (until.IsZero() || e.Time.Before(until)) {
				out = append(out, e.ID)
			}
		}
		return out
	}
	bounds := []time.Time{{}, evs[0].Time, evs[8].Time, evs[8].Time.Add(time.Nanosecond), evs[40].Time.Add(-time.Nanosecond),
		evs[41].Time, evs[100].Time.Add(time.Microsecond), evs[119].Time.Add(time.Hour)}
	for _, since := range bounds {
		for _, until := range bounds {
			if !since.IsZero() && !until.IsZero() && !since.Before(until) {
				continue
			}
			f := audit.Filter{Since: since, Until: until, Text: []string{"warehouse"}}
			all := want(since, until)
			for _, p := range []audit.Page{{Limit: 50}, {Limit: 1, CountUpTo: 7}, {Limit: 5, Offset: 5}} {
				got, total, err := db.FindEvents(ctx, f, p)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, e := range got {
					ids = append(ids, e.ID)
				}
				lo, hi := min(p.Offset, len(all)), min(p.Offset+p.Limit, len(all))
				wantTotal := len(all)
				if p.CountUpTo > 0 && wantTotal > p.CountUpTo {
					wantTotal = p.CountUpTo
				}
				if !reflect.DeepEqual(ids, all[lo:hi]) && !(len(ids) == 0 && lo == hi) || total != wantTotal {
					t.Errorf("since %v until %v page %+v: %v (%d), want %v (%d)", since, until, p, ids, total, all[lo:hi], wantTotal)
				}
			}
		}
	}
}
