package output

import (
	"bytes"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

func TestWriteJQ(t *testing.T) {
	evs := sampleEvents()
	in, err := JQInput(evs)
	if err != nil {
		t.Fatal(err)
	}
	run := func(expr string, v any, tty bool) (string, error) {
		var buf bytes.Buffer
		err := WriteJQ(&buf, expr, v, tty)
		return buf.String(), err
	}
	for _, tt := range []struct{ expr, want string }{
		{".[].actor", "alice@example.com\ncarol.with.a.really.long.name@subsidiary.example.org\ndave\n"},
		{".[0].duration_ms", "153\n"},
		{"length", "3\n"},
		{".[0].params", `{"force":true,"userId":"64b0c0ffee"}` + "\n"},
		{".[0].nope", "null\n"},
		{"[.[].status]", `["success","failure","warning"]` + "\n"},
		{".[] | select(.status == \"failure\") | .id", "evt-2\n"},
		{"empty", ""},
		{".[0].duration_ms / 2", "76.5\n"},
	} {
		got, err := run(tt.expr, in, false)
		if err != nil || got != tt.want {
			t.Errorf("--jq %s = %q, %v; want %q", tt.expr, got, err, tt.want)
		}
	}

	big, _ := JQInput(map[string]any{"n": uint64(1<<63 + 1)})
	if got, _ := run(".n", big, false); got != "9223372036854775809\n" {
		t.Errorf("big integer: %q", got)
	}

	if _, err := run(".[", in, false); audit.ErrorCode(err) != audit.EUSAGE || !strings.HasPrefix(err.Error(), "--jq: ") {
		t.Errorf("parse error: %v, want a --jq usage error", err)
	}
	if _, err := run("nosuchfn(1)", in, false); audit.ErrorCode(err) != audit.EUSAGE {
		t.Errorf("compile error: %v, want usage error", err)
	}
	out, err := run(".[0].actor, error(\"boom\")", in, false)
	if audit.ErrorCode(err) != audit.EINVALID || out != "alice@example.com\n" {
		t.Errorf("runtime error: %q, %v; want the first result then EINVALID", out, err)
	}
	if out, err := run(".[0].actor, halt, 1", in, false); err != nil || out != "alice@example.com\n" {
		t.Errorf("halt: %q, %v", out, err)
	}

	// Hostile strings: raw when piped, sanitized on a terminal; JSON results
	// always terminal-safe.
	hin, _ := JQInput(hostileEvents())
	piped, err := run(".[].actor", hin, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(piped, "\x1b]52;c;") {
		t.Error("piped raw strings were altered")
	}
	tty, err := run(".[].actor", hin, true)
	if err != nil {
		t.Fatal(err)
	}
	assertTerminalSafe(t, "jq tty", strings.ReplaceAll(tty, "\t", " "))
	js, _ := run(".[] | {actor, params}", hin, false)
	assertTerminalSafe(t, "jq json", js)
}
