package sigma

import (
	"encoding/json"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

// FuzzParse: any file either gives usable rules or rules with an error;
// nothing panics, and a usable rule evaluates on any event without
// panicking (sigma-go included: its panics become the rule's error).
// Seed corpus: testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte("title: t\nlogsource: {product: aws}\ndetection:\n  s:\n    eventName|contains|all: [a, b]\n  f:\n    x|fieldref: y\n  condition: s and not 1 of f*\n"))
	f.Add([]byte("title: t\ndetection:\n  k: [a, 'b*']\n  condition: k\n"))
	events := []*audit.Event{
		{Source: "cloudtrail", ID: "1", Raw: json.RawMessage(`{"eventName":"a b","x":[1,{"y":null}],"y":"\u0041"}`)},
		{Source: "file:x", ID: "2", Action: "a", Params: json.RawMessage(`{"a":{"b":[true,"c"]}}`)},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range Parse(data, "fuzz.yml") {
			if r.Err != nil && r.Skip != "" {
				t.Fatalf("both an error and a skip: %v / %s", r.Err, r.Skip)
			}
			if !r.Usable() {
				continue
			}
			_ = r.Terms()
			for _, e := range events {
				r.Match(e)
			}
		}
	})
}

// FuzzLookupPath: reading a path from any bytes never panics, and from
// valid JSON gives what encoding/json finds for a top-level string member.
func FuzzLookupPath(f *testing.F) {
	f.Add([]byte(`{"a":{"b":["x",{"c":1}]},"a.b":"y","A":"z"}`), "a.b.c")
	f.Add([]byte(`[{"a":"\"q\""}]`), "a")
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		if len(path) == 0 || len(path) > 64 {
			return
		}
		out := lookupPath(doc, []string{path}, nil)
		var m map[string]any
		if json.Unmarshal(doc, &m) != nil {
			return
		}
		s, ok := m[path].(string)
		if !ok {
			return
		}
		dup := 0
		for k := range m {
			if len(k) == len(path) && k != path && equalFoldASCII(k, path) {
				dup++
			}
		}
		if dup == 0 && (len(out) != 1 || out[0] != s) {
			t.Fatalf("lookup %q in %s = %v, want %q", path, doc, out, s)
		}
	})
}

func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 32
		}
		if 'A' <= y && y <= 'Z' {
			y += 32
		}
		if x != y {
			return false
		}
	}
	return true
}
