package demo_test

import (
	"os"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
)

// Every "Try next" hint runs as printed: the way this process was started,
// on the cache --db named.
func TestDemoHintsRunAsPrinted(t *testing.T) {
	t.Chdir(t.TempDir()) // logs export -O demo.csv writes here
	env := cmdtest.New(t)
	out := env.MustRun("demo", "--events", "2000")
	prefix := cmdutil.Invocation(os.Args[0], env.DBPath)
	if !strings.Contains(prefix, "--db "+env.DBPath) {
		t.Fatalf("prefix %q lacks --db", prefix)
	}
	_, tail, ok := strings.Cut(out, "Try next:\n")
	if !ok {
		t.Fatalf("no hints:\n%s", out)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimRight(tail, "\n"), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			continue
		}
		cmd, _, _ := strings.Cut(line, "   # ")
		rest, ok := strings.CutPrefix(cmd, prefix+" ")
		if !ok {
			t.Fatalf("hint %q does not start with %q", line, prefix)
		}
		args := shellWords(t, rest)
		if err := env.Run(args...); err != nil {
			t.Errorf("hint %q: %v\nstderr: %s", line, err, env.ErrOut)
		}
		n++
	}
	if n < 10 {
		t.Fatalf("%d hints", n)
	}
	if strings.Contains(tail, " ID ") {
		t.Errorf("a hint has a placeholder ID:\n%s", tail)
	}
}

// shellWords splits s as a POSIX shell would, for the single-quoted words
// the hints use.
func shellWords(t *testing.T, s string) []string {
	var words []string
	var w strings.Builder
	in, quoted := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted, in = !quoted, true
		case r == ' ' && !quoted:
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quote in %q", s)
	}
	if in {
		words = append(words, w.String())
	}
	return words
}
