package dump

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/recording"
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

// For output that only moves forward (a shell session), following live
// prints exactly what cat prints afterwards, whatever the event sizes.
func TestFollowEqualsCat(t *testing.T) {
	var stream strings.Builder
	for i := range 60 {
		fmt.Fprintf(&stream, "$ echo %d\r\n\x1b[3%dmline %d %s\x1b[m\r\n", i, i%8, i, strings.Repeat("x", i*3))
	}
	stream.WriteString("$ ")
	data := stream.String()
	for _, chunk := range []int{1, 7, 100, len(data)} {
		var rec bytes.Buffer
		w, _ := recording.NewWriter(&rec, recording.Header{Width: 40, Height: 10}, recording.WriterOptions{})
		for i := 0; i < len(data); i += chunk {
			w.WriteEvent(recording.Event{Time: time.Duration(i) * time.Millisecond, Code: "o", Data: data[i:min(i+chunk, len(data))]})
		}
		w.Close()
		var cat, follow bytes.Buffer
		rd, err := recording.NewReader("r", bytes.NewReader(rec.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if err := Cat(context.Background(), &cat, rd); err != nil {
			t.Fatal(err)
		}
		rd, _ = recording.NewReader("r", bytes.NewReader(rec.Bytes()))
		if err := Follow(&follow, rd, nil); err != nil {
			t.Fatal(err)
		}
		if cat.String() != follow.String() {
			t.Fatalf("chunk %d: follow\n%s\ncat\n%s", chunk, follow.String(), cat.String())
		}
		if !strings.Contains(cat.String(), "line 59 "+strings.Repeat("x", 177)) {
			t.Fatalf("chunk %d: long line not joined:\n%s", chunk, cat.String())
		}
	}
}

// Follow skips a bad line (reporting it) and goes on, as Cat does.
func TestFollowBadLine(t *testing.T) {
	data := "{\"version\":3,\"term\":{\"cols\":20,\"rows\":5}}\n[0.1,\"o\",\"one\\r\\n\"]\n[0.1,\"o\",42]\n[0.1,\"o\",\"two\\r\\n\"]\n"
	rd, err := recording.NewReader("r.rec", strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var bad []string
	if err := Follow(&out, rd, func(err error) { bad = append(bad, err.Error()) }); err != nil {
		t.Fatal(err)
	}
	if out.String() != "one\ntwo\n" || len(bad) != 1 || !strings.Contains(bad[0], "r.rec:3") {
		t.Fatalf("out %q, bad %q", out.String(), bad)
	}
	if d := rd.Damage(); d.Skipped != 1 {
		t.Fatalf("damage %+v", d)
	}
}
