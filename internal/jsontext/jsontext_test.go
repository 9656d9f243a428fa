package jsontext

import (
	"encoding/json"
	"strings"
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

func TestPlain8MatchesBytewise(t *testing.T) {
	plain := func(c byte) bool { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' }
	// Every byte value in every position, among plain and hostile neighbours.
	for _, fill := range []byte{'a', ' ', '~', 0x7f, '!', '#', '[', ']'} {
		for pos := 0; pos < 8; pos++ {
			for c := 0; c < 256; c++ {
				b := []byte{fill, fill, fill, fill, fill, fill, fill, fill}
				b[pos] = byte(c)
				want := true
				for _, x := range b {
					want = want && plain(x)
				}
				if got := plain8(load8(string(b), 0)); got != want {
					t.Fatalf("% x: plain8 %v, want %v", b, got, want)
				}
			}
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain text that is long enough", "a\"b\\c\x00\x1f\x7f\x80é中😀\xff", "0123456789abcdef\r\n0123456789"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := AppendString(nil, s)
		want, _ := json.Marshal(s)
		var got, wantS string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q: invalid JSON %s: %v", s, b, err)
		}
		json.Unmarshal(want, &wantS)
		if got != wantS {
			t.Fatalf("%q: decodes to %q, encoding/json gives %q", s, got, wantS)
		}
	})
}

func BenchmarkAppendStringTerminalText(b *testing.B) {
	line := "drwxr-xr-x  2 root root  4096 Nov 22 10:00 \x1b[01;34mbin\x1b[0m  some plain text of a log line\r\n"
	s := strings.Repeat(line, 200)
	b.SetBytes(int64(len(s)))
	var buf []byte
	for b.Loop() {
		buf = AppendString(buf[:0], s)
	}
}
