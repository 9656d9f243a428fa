package sanitize

import (
	"bytes"
	"testing"
)

func TestWriterSanitizesAcrossWrites(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	// an escape sequence and a two-byte rune split across writes
	for _, part := range []string{"a,b\x1b", "[31mred\n", "caf\xc3", "\xa9,\u202eevil"} {
		if _, err := w.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "a,b\\x1b[31mred\ncafé,\\u202eevil"
	if out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}
