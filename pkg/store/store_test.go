package store

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

// FuzzPhraseText: the PostgreSQL store's phrase test (a substring of
// PhraseText) agrees with Confirm, the SQLite store's, on any text and
// term with words.
func FuzzPhraseText(f *testing.F) {
	for _, s := range [][2]string{
		{"Break-Glass access by alice@example.com", "break glass"},
		{"break\nglass", "glass break"},
		{"alice@example.com", "example.com/alice"},
		{"Café société", "cafe societe"},
		{`{"a":"x y","b":["z", 1.5e3]}`, "y z"},
		{`{"k":"a\nb"}`, "a n b"},
		{"α-β γ", "β γ"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, text, term string) {
		words := Phrase(term)
		if len(words) == 0 {
			return
		}
		for _, e := range []*audit.Event{
			{Description: text},
			{Params: jsonString(text)},
			{Raw: json.RawMessage(text)}, // not necessarily JSON: both read it the same way
		} {
			want := Confirm(term, e.Description, string(e.Params), string(e.Custom), string(e.Raw))
			got := strings.Contains(PhraseText(e), PhraseNeedle(words))
			if got != want {
				t.Fatalf("term %q over description %q params %q raw %q: PhraseText says %v, Confirm %v\nphrase text %q", term, e.Description, e.Params, e.Raw, got, want, PhraseText(e))
			}
		}
	})
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(map[string]string{"v": s})
	return b
}

func TestLowerASCII(t *testing.T) {
	for in, want := range map[string]string{"": "", "abc": "abc", "AbC": "abc", "ÉCOLE Z": "École z", "İ": "İ"} {
		if got := LowerASCII(in); got != want {
			t.Errorf("LowerASCII(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsURLAndRedact(t *testing.T) {
	for s, want := range map[string]bool{"postgres://a@b/c": true, "POSTGRESQL://x": true, "audit.db": false, "/tmp/postgres://x": false, "": false} {
		if IsURL(s) != want {
			t.Errorf("IsURL(%q) = %v", s, !want)
		}
	}
	for in, want := range map[string]string{
		"postgres://alice:s3cret@db:5432/audit?sslmode=disable": "postgres://alice:xxxxx@db:5432/audit?sslmode=disable",
		"postgres://db/audit?password=s3cret&user=bob":          "postgres://db/audit?password=xxxxx&user=bob",
		"postgres://alice@db/audit":                             "postgres://alice@db/audit",
	} {
		if got := Redact(in); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
