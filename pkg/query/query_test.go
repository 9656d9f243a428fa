package query

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/auditctl/auditctl/pkg/audit"
)

var now = time.Date(2026, 11, 8, 12, 0, 0, 0, time.UTC)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// normalize makes nil and empty maps and slices compare equal.
func normalize(f audit.Filter) audit.Filter {
	clean := func(m map[audit.Field][]string) map[audit.Field][]string {
		var out map[audit.Field][]string
		for k, vs := range m {
			if len(vs) == 0 {
				continue
			}
			if out == nil {
				out = map[audit.Field][]string{}
			}
			out[k] = vs
		}
		return out
	}
	f.Include, f.Exclude = clean(f.Include), clean(f.Exclude)
	if len(f.Text) == 0 {
		f.Text = nil
	}
	if len(f.NotText) == 0 {
		f.NotText = nil
	}
	return f
}

func equal(a, b audit.Filter) bool { return reflect.DeepEqual(normalize(a), normalize(b)) }

type M = map[audit.Field][]string

func TestParse(t *testing.T) {
	tests := []struct {
		q    string
		want audit.Filter
	}{
		{"", audit.Filter{}},
		{"   \t\n ", audit.Filter{}},
		{"action:DeleteUser", audit.Filter{Include: M{audit.FieldAction: {"DeleteUser"}}}},
		// What --action DeleteUser plus an excluded status would build.
		{"action:DeleteUser -status:success", audit.Filter{
			Include: M{audit.FieldAction: {"DeleteUser"}},
			Exclude: M{audit.FieldStatus: {"success"}},
		}},
		// Repeating a key ORs, like repeating a flag; so do commas.
		{"action:A action:B", audit.Filter{Include: M{audit.FieldAction: {"A", "B"}}}},
		{"action:A,B action:C", audit.Filter{Include: M{audit.FieldAction: {"A", "B", "C"}}}},
		{"-action:A,B -action:C", audit.Filter{Exclude: M{audit.FieldAction: {"A", "B", "C"}}}},
		// Aliases and case-insensitive keys.
		{"user:alice event:Login browser:Firefox* workflow:w1 org:acme", audit.Filter{Include: M{
			audit.FieldActor: {"alice"}, audit.FieldAction: {"Login"}, audit.FieldBrowser: {"Firefox*"},
			audit.FieldWorkflow: {"w1"}, audit.FieldTenant: {"acme"},
		}}},
		{"ACTOR:bob Client_IP:10.0.0.1", audit.Filter{Include: M{audit.FieldActor: {"bob"}, audit.FieldIP: {"10.0.0.1"}}}},
		// Quoting.
		{`actor:"Alice Smith"`, audit.Filter{Include: M{audit.FieldActor: {"Alice Smith"}}}},
		{`actor:"Smith, Alice",bob`, audit.Filter{Include: M{audit.FieldActor: {"Smith, Alice", "bob"}}}},
		{`actor:"say \"hi\" \\ \n"`, audit.Filter{Include: M{audit.FieldActor: {`say "hi" \ \n`}}}},
		{`actor:""`, audit.Filter{Include: M{audit.FieldActor: {""}}}},
		{`target:a:b:c`, audit.Filter{Include: M{audit.FieldTarget: {"a:b:c"}}}},
		{`actor:-x`, audit.Filter{Include: M{audit.FieldActor: {"-x"}}}},
		// Wildcards pass through.
		{"actor:*@example.com ip:10.0.*", audit.Filter{Include: M{audit.FieldActor: {"*@example.com"}, audit.FieldIP: {"10.0.*"}}}},
		// ip and status.
		{"ip:10.0.0.0/8 ip:::1 -ip:10.1.2.3", audit.Filter{
			Include: M{audit.FieldIP: {"10.0.0.0/8", "::1"}},
			Exclude: M{audit.FieldIP: {"10.1.2.3"}},
		}},
		{"status:failed,OK,inProgress,warn", audit.Filter{Include: M{audit.FieldStatus: {"failure", "success", "in_progress", "warning"}}}},
		{"error_state:error", audit.Filter{Include: M{audit.FieldStatus: {"failure"}}}},
		// Free text.
		{`login "free text" -noise -"two words"`, audit.Filter{Text: []string{"login", "free text"}, NotText: []string{"noise", "two words"}}},
		{`a,b "x:y" caf\é`, audit.Filter{Text: []string{"a,b", "x:y", `caf\é`}}},
		// Time.
		{"time:>=2026-11-01", audit.Filter{Since: day(2026, 11, 1)}},
		{"time:>2026-11-01T10:00:00Z", audit.Filter{Since: time.Date(2026, 11, 1, 10, 0, 0, 1, time.UTC)}},
		{"time:<2026-11-05T10:00", audit.Filter{Until: time.Date(2026, 11, 5, 10, 0, 0, 0, time.UTC)}},
		{"time:<=2026-11-05T10:00:00+01:00", audit.Filter{Until: time.Date(2026, 11, 5, 9, 0, 0, 1, time.UTC)}},
		// A date is its whole day.
		{"time:2026-11-01", audit.Filter{Since: day(2026, 11, 1), Until: day(2026, 11, 2)}},
		{"time:>2026-11-01", audit.Filter{Since: day(2026, 11, 2)}},
		{"time:<2026-11-05", audit.Filter{Until: day(2026, 11, 5)}},
		{"time:<=2026-11-05", audit.Filter{Until: day(2026, 11, 6)}},
		{"time:2026-11-01..2026-11-05", audit.Filter{Since: day(2026, 11, 1), Until: day(2026, 11, 6)}},
		{"time:2026-11-01..*", audit.Filter{Since: day(2026, 11, 1)}},
		{"time:..2026-11-05", audit.Filter{Until: day(2026, 11, 6)}},
		{"time:2026-11-01T10:00:00Z", audit.Filter{
			Since: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 1, 10, 0, 0, 1, time.UTC)}},
		{`created:"2026-11-01 10:00..2026-11-02"`, audit.Filter{
			Since: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), Until: day(2026, 11, 3)}},
		// Relative times.
		{"time:>7d", audit.Filter{Since: now.Add(-7*24*time.Hour + 1)}},
		{"time:>=24h", audit.Filter{Since: now.Add(-24 * time.Hour)}},
		{"time:24h", audit.Filter{Since: now.Add(-24 * time.Hour)}},
		{"time:<1w", audit.Filter{Until: now.Add(-7 * 24 * time.Hour)}},
		{"time:<=now", audit.Filter{Until: now.Add(1)}},
		{"time:7d..1d", audit.Filter{Since: now.Add(-7 * 24 * time.Hour), Until: now.Add(-24*time.Hour + 1)}},
		// Several time terms narrow.
		{"time:>=2026-11-01 time:>=2026-11-03 time:<2026-11-07 time:<=2026-11-05", audit.Filter{
			Since: day(2026, 11, 3), Until: day(2026, 11, 6)}},
		{"time:2026-11-01..2026-11-30 time:2026-11-05", audit.Filter{Since: day(2026, 11, 5), Until: day(2026, 11, 6)}},
		// Durations.
		{"duration:>500", audit.Filter{MinDuration: audit.Ms(501)}},
		{"duration:>=500", audit.Filter{MinDuration: audit.Ms(500)}},
		{"duration:<500", audit.Filter{MaxDuration: audit.Ms(499)}},
		{"duration:<=500", audit.Filter{MaxDuration: audit.Ms(500)}},
		{"duration:250", audit.Filter{MinDuration: audit.Ms(250), MaxDuration: audit.Ms(250)}},
		{"duration:100..500", audit.Filter{MinDuration: audit.Ms(100), MaxDuration: audit.Ms(500)}},
		{"duration:100..*", audit.Filter{MinDuration: audit.Ms(100)}},
		{"duration:>1.5s", audit.Filter{MinDuration: audit.Ms(1501)}},
		{"duration:>=500ms", audit.Filter{MinDuration: audit.Ms(500)}},
		{"duration:<2m", audit.Filter{MaxDuration: audit.Ms(119999)}},
		{"duration:>1.5", audit.Filter{MinDuration: audit.Ms(2)}},
		{"duration:>=1.5", audit.Filter{MinDuration: audit.Ms(2)}},
		{"duration:<1.5", audit.Filter{MaxDuration: audit.Ms(1)}},
		{"duration:<=1.5", audit.Filter{MaxDuration: audit.Ms(1)}},
		{"duration:<0", audit.Filter{MaxDuration: audit.Ms(-1)}},
		{"duration_ms:>100 duration:>300 duration:<900 duration:<=700", audit.Filter{
			MinDuration: audit.Ms(301), MaxDuration: audit.Ms(700)}},
		// Everything at once (the example of SPEC §4).
		{`action:DeleteUser actor:alice@example.com -status:success duration:>500 time:>=2026-11-01 "free text"`, audit.Filter{
			Since:       day(2026, 11, 1),
			Include:     M{audit.FieldAction: {"DeleteUser"}, audit.FieldActor: {"alice@example.com"}},
			Exclude:     M{audit.FieldStatus: {"success"}},
			MinDuration: audit.Ms(501),
			Text:        []string{"free text"},
		}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.q, now)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.q, err)
			continue
		}
		if !equal(got, tt.want) {
			t.Errorf("Parse(%q)\n got %#v\nwant %#v", tt.q, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		q      string
		column int
		msg    string // a part of the message
	}{
		{"actor:", 7, `expected a value after "actor:"`},
		{"action:X actor: bob", 16, `expected a value after "actor:"`},
		{"action:A,", 10, `expected a value after ","`},
		{"action:A,,B", 10, `expected a value after ","`},
		{"action:,A", 8, `expected a value after "action:"`},
		{`actor:"Alice`, 7, "unterminated quote"},
		{`ok "free text`, 4, "unterminated quote"},
		{`ok "free text\"`, 4, "unterminated quote"},
		{`ok -"x`, 5, "unterminated quote"},
		{`"a"b`, 4, `unexpected 'b' after closing quote`},
		{`actor:"a"b`, 10, `unexpected 'b' after closing quote`},
		{"foo:bar", 1, `unknown field "foo" (known: id, source`},
		{"x -foo:bar", 4, `unknown field "foo"`},
		{"héllo wörld:x", 7, `unknown field "wörld"`},
		{":x", 1, `expected a field name before ":"`},
		{"a - b", 3, `expected a term after "-"`},
		{"a -", 3, `expected a term after "-"`},
		{"status:bogus", 8, `unknown status "bogus"`},
		{"status:ok,bogus", 11, `unknown status "bogus"`},
		{"-status:bogus", 9, `unknown status "bogus"`},
		{"ip:10.0.0.0/33", 4, `invalid ip "10.0.0.0/33"`},
		{"ip:10.1.2.3,nope", 13, `invalid ip "nope"`},
		{"ip:999.1.1.1", 4, `invalid ip`},
		{"time:yesterday", 6, `invalid time "yesterday"`},
		{"time:>=nope", 8, `invalid time "nope"`},
		{"time:>=", 8, `expected a time after "time:>="`},
		{"time:2026-11-01..nope", 18, `invalid time "nope"`},
		{"time:2026-11-05..2026-11-01", 18, "time range ends before it starts"},
		{"time:..", 6, `expected a time before or after ".."`},
		{"time:2026-11-01,2026-11-02", 17, "takes one value"},
		{"-time:>2026-11-01", 1, "cannot negate time"},
		{"time:>9999-12-31", 6, "time out of range"},
		{"time:9999-12-31", 6, "time out of range"},
		{"duration:>abc", 11, `invalid duration "abc"`},
		{"duration:", 10, `expected a value after "duration:"`},
		{"duration:<", 11, `expected a duration after "duration:<"`},
		{"duration:500..100", 15, "duration range ends before it starts"},
		{"duration:1.5", 10, "not a whole number of milliseconds"},
		{"duration:-5ms", 10, "invalid duration"},
		{"duration:>9223372036854775807", 11, "duration out of range"},
		{"-duration:>5", 1, "cannot negate duration"},
		{"duration:1,2", 12, "takes one value"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.q, now)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q): error %v, want a *SyntaxError", tt.q, err)
			continue
		}
		if se.Column != tt.column || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("Parse(%q): got column %d %q, want column %d %q", tt.q, se.Column, se.Msg, tt.column, tt.msg)
		}
		if se.Query != tt.q {
			t.Errorf("Parse(%q): Query = %q", tt.q, se.Query)
		}
	}
}

func TestSyntaxErrorMapsToUsage(t *testing.T) {
	_, err := Parse(`action:X actor:`, now)
	if got, want := err.Error(), `query: column 16: expected a value after "actor:"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var ae *audit.Error
	if !errors.As(err, &ae) || ae.Code != audit.EUSAGE {
		t.Fatalf("errors.As(*audit.Error) = %v, want code %s", ae, audit.EUSAGE)
	}
	if ae.Message != err.Error() {
		t.Errorf("audit.Error message %q, want %q", ae.Message, err.Error())
	}
	if code := audit.ExitCode(err); code != 2 {
		t.Errorf("ExitCode = %d, want 2", code)
	}
	se := err.(*SyntaxError)
	if got, want := se.Caret(), "action:X actor:\n               ^"; got != want {
		t.Errorf("Caret() =\n%s\nwant\n%s", got, want)
	}
}

// roundTripQueries are parsed, formatted and parsed again.
var roundTripQueries = []string{
	"",
	"action:DeleteUser -status:success",
	`action:DeleteUser actor:alice@example.com -status:success duration:>500 time:>=2026-11-01 "free text"`,
	`actor:"Alice Smith","Smith, Alice",bob user:carol`,
	`actor:"say \"hi\" \\" target:a:b -actor:""`,
	`ip:10.0.0.0/8,::1 -ip:10.1.2.3 browser:Firefox* org:acme workflow:w1`,
	"status:failed,ok,pending",
	`login "free text" -noise -"two words" "x:y" "-dash" a,b caf\é ""`,
	"time:2026-11-01", "time:>2026-11-01T10:00:00.123Z", "time:<=2026-11-05", "time:2026-11-01..2026-11-05",
	"time:>7d", "time:24h", "time:7d..1d", "time:>=0000-01-01 time:<9999-12-31",
	"duration:>500", "duration:100..500", "duration:250", "duration:<0", "duration:-5..-1",
	"duration:>1.5s duration:<100", "duration:>=-9223372036854775808 duration:<=9223372036854775807",
	"id:a source:b service:c category:d workflow_type:e actor_id:f actor_type:g target_id:h target_type:i client:j error:k tenant:l",
	"a\u00a0b \u3000x", "\xff \"\xfe\" actor:\xfd",
}

func TestFormatRoundTrip(t *testing.T) {
	for _, q := range roundTripQueries {
		f, err := Parse(q, now)
		if err != nil {
			t.Errorf("Parse(%q): %v", q, err)
			continue
		}
		s := Format(f)
		g, err := Parse(s, now.Add(time.Hour)) // Format must not depend on now
		if err != nil {
			t.Errorf("Parse(Format(Parse(%q))) = Parse(%q): %v", q, s, err)
			continue
		}
		if !equal(f, g) {
			t.Errorf("round trip of %q through %q:\n got %#v\nwant %#v", q, s, g, f)
		}
	}
}

func TestFormat(t *testing.T) {
	f := audit.Filter{
		Since:       day(2026, 11, 1),
		Until:       time.Date(2026, 11, 5, 10, 0, 0, 5, time.FixedZone("X", 3600)),
		Include:     M{audit.FieldStatus: {"failure"}, audit.FieldAction: {"DeleteUser", "Add User"}},
		Exclude:     M{audit.FieldActor: {"bot,1"}},
		MinDuration: audit.Ms(500),
		Text:        []string{"free text", "word"},
		NotText:     []string{"a:b"},
	}
	want := `time:>=2026-11-01T00:00:00Z time:<2026-11-05T09:00:00.000000005Z action:DeleteUser,"Add User" -actor:"bot,1" status:failure duration:>=500 "free text" word -"a:b"`
	if got := Format(f); got != want {
		t.Errorf("Format =\n%s\nwant\n%s", got, want)
	}
	if got := Format(audit.Filter{}); got != "" {
		t.Errorf("Format(zero) = %q, want empty", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, q := range roundTripQueries {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		fl, err := Parse(q, now)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T %v is not a *SyntaxError", q, err, err)
			}
			if n := utf8.RuneCountInString(q); se.Column < 1 || se.Column > n+1 {
				t.Fatalf("Parse(%q): column %d outside 1..%d", q, se.Column, n+1)
			}
			if audit.ExitCode(err) != 2 {
				t.Fatalf("Parse(%q): exit code %d, want 2", q, audit.ExitCode(err))
			}
			return
		}
		s := Format(fl)
		g, err := Parse(s, now)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but Parse(Format) = Parse(%q): %v", q, s, err)
		}
		if !equal(fl, g) {
			t.Fatalf("round trip of %q through %q:\n got %#v\nwant %#v", q, s, g, fl)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	q := `action:DeleteUser,AddUser actor:"Alice Smith" -status:success ip:10.0.0.0/8 duration:>500 time:>=2026-11-01 time:<7d "free text" -noise`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(q, now); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseValues(t *testing.T) {
	for _, tc := range []struct {
		field audit.Field
		in    string
		want  []string
		err   string
	}{
		{audit.FieldAction, "CreateUser,AttachUserPolicy", []string{"CreateUser", "AttachUserPolicy"}, ""},
		{audit.FieldAction, "CreateUser, AttachUserPolicy ", []string{"CreateUser", "AttachUserPolicy"}, ""},
		{audit.FieldCategory, "User Management", []string{"User Management"}, ""},
		{audit.FieldActor, `"Smith, Alice",bob`, []string{"Smith, Alice", "bob"}, ""},
		{audit.FieldActor, `"say \"hi\""`, []string{`say "hi"`}, ""},
		{audit.FieldActor, "*@example.com,nina*", []string{"*@example.com", "nina*"}, ""},
		{audit.FieldStatus, "failed,OK", []string{"failure", "success"}, ""},
		{audit.FieldIP, "10.0.0.0/8,::1", []string{"10.0.0.0/8", "::1"}, ""},
		{audit.FieldAction, `""`, []string{""}, ""},
		{audit.FieldAction, "", nil, "column 1: expected a value"},
		{audit.FieldAction, "a,,b", nil, `column 3: expected a value after ","`},
		{audit.FieldAction, "a,", nil, `column 3: expected a value after ","`},
		{audit.FieldAction, `"a" b`, nil, `column 5: unexpected 'b' after closing quote`},
		{audit.FieldAction, `"a`, nil, "column 1: unterminated quote"},
		{audit.FieldStatus, "success,nope", nil, `column 9: unknown status "nope"`},
		{audit.FieldIP, "999.1.1.1", nil, `column 1: invalid ip "999.1.1.1"`},
	} {
		got, err := ParseValues(tc.field, tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseValues(%s, %q) = %q, %v; want error %q", tc.field, tc.in, got, err, tc.err)
			}
			if err != nil && audit.ExitCode(err) != 2 {
				t.Errorf("ParseValues(%q): exit code %d", tc.in, audit.ExitCode(err))
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseValues(%s, %q) = %q, %v; want %q", tc.field, tc.in, got, err, tc.want)
		}
	}
}

// FuzzParseValues checks that a flag's value means what the same text
// means after "key:" in a query, wherever the query can carry it (no white
// space outside quotes).
func FuzzParseValues(f *testing.F) {
	for _, s := range []string{"CreateUser,AttachUserPolicy", `"Smith, Alice",bob`, "a,,b", `"a\"b",*x*`, "failed,ok", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fld := range []audit.Field{audit.FieldAction, audit.FieldStatus, audit.FieldIP} {
			vs, err := ParseValues(fld, s)
			if err != nil {
				var se *SyntaxError
				if !errors.As(err, &se) || audit.ExitCode(err) != 2 {
					t.Fatalf("ParseValues(%q): %T %v", s, err, err)
				}
			}
			if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == utf8.RuneError }) >= 0 || s == "" {
				continue
			}
			key := string(fld)
			qf, qerr := Parse(key+":"+s, now)
			if (err == nil) != (qerr == nil) {
				t.Fatalf("%s: ParseValues(%q) err %v, Parse err %v", fld, s, err, qerr)
			}
			if err == nil && !reflect.DeepEqual(vs, qf.Include[fld]) {
				t.Fatalf("%s: ParseValues(%q) = %q, Parse gives %q", fld, s, vs, qf.Include[fld])
			}
		}
	})
}
