package shellword

import (
	"os/exec"
	"strings"
	"testing"
)

// TestQuoteRoundTrip: sh reads every quoted word back as it was.
func TestQuoteRoundTrip(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	words := []string{"plain", "", "two words", "o'brien", `a"b`, "$HOME", "`id`", "a;b|c&d", "tab\there", "*", "~", "-n", "é ü", "x\\y", "!"}
	got, err := exec.Command("sh", "-c", "for a in "+Join(words)+"; do printf '[%s]\\n' \"$a\"; done").Output()
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, w := range words {
		want.WriteString("[" + w + "]\n")
	}
	if string(got) != want.String() {
		t.Errorf("sh read %q, want %q", got, want.String())
	}
	if Quote("a-b_c.d/e:f@g%h+i=j,k") != "a-b_c.d/e:f@g%h+i=j,k" {
		t.Error("a plain word was quoted")
	}
}
