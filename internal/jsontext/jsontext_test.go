package jsontext

import (
	"encoding/json"
	"testing"
)

func TestAppendStringDecodesLikeEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " backslash \ slash /`, "\x00\x01\x1f\x7f\n\r\t", "é中😀", "\u2028\u202e", "bad \xff\xfe utf8", "\xc3"} {
		b := AppendString(nil, s)
		if !json.Valid(b) {
			t.Fatalf("%q: invalid JSON %s", s, b)
		}
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(s) // encoding/json's reading of s (invalid UTF-8 → U+FFFD)
		var wantS string
		json.Unmarshal(want, &wantS)
		if got != wantS {
			t.Fatalf("%q: decodes to %q, encoding/json gives %q", s, got, wantS)
		}
	}
}
