package dump

import (
	"bytes"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/player/vt"
)

// Only SGR sequences the emulator generated reach the output; text cells
// holding bidi or other format characters are shown escaped.
func TestScreenIsTerminalSafe(t *testing.T) {
	term := vt.New(30, 3)
	term.WriteString("\x1b[31mred\x1b[m \u202etxt.exe\x1b]52;c;cm0gLXJm\x07 done\r\n\x1b[1;44mbold\x1b[m")
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Screen(&buf, term, color); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.ContainsAny(out, "\u202e\x07") || strings.Contains(out, "\x1b]") {
			t.Errorf("color=%v: unsafe output %q", color, out)
		}
		if !strings.Contains(out, `\u202e`) || strings.Count(out, "\n") != 3 {
			t.Errorf("color=%v: %q", color, out)
		}
		if color != strings.Contains(out, "\x1b[") {
			t.Errorf("color=%v: SGR presence wrong in %q", color, out)
		}
	}
}

func TestAppendSafeANSI(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain", "plain"},
		{"\x1b[31mred\x1b[m", "\x1b[31mred\x1b[m"},
		{"a\u202eb\x1b[1mc", `a\u202eb` + "\x1b[1mc"},
		{"\x1b[", "\x1b["},
	} {
		if got := string(appendSafeANSI(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("appendSafeANSI(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
