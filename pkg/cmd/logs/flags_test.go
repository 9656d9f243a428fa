package logs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
)

// export takes -o as it takes --format: the same formats, the same
// refusals, and a clear error when the two disagree.
func TestExportOutputFlagIsFormat(t *testing.T) {
	env := cmdtest.New(t)
	fixture(t, env)
	byFormat := env.MustRun("logs", "export", "--format", "csv")
	byOutput := env.MustRun("logs", "export", "-o", "csv")
	if byFormat != byOutput || !strings.HasPrefix(byOutput, "id,") {
		t.Fatalf("-o csv differs from --format csv:\n%.200s\n---\n%.200s", byOutput, byFormat)
	}
	if got := env.MustRun("logs", "export", "--output", "ndjson", "--format", "jsonl"); strings.Count(got, "\n") != 40 || !strings.HasPrefix(got, "{") {
		t.Fatalf("--output ndjson: %.200s", got)
	}
	// -o wins over the -O extension, as --format does
	path := filepath.Join(t.TempDir(), "out.csv")
	env.MustRun("logs", "export", "-o", "json", "-O", path)
	if b, _ := os.ReadFile(path); !strings.HasPrefix(string(b), "[") {
		t.Fatalf("-o json -O out.csv wrote %.100s", b)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "table"}, "-o table: export writes csv, json or ndjson"},
		{[]string{"-o", "yaml"}, "-o yaml: export writes csv, json or ndjson"},
		{[]string{"-o", "xml"}, `unknown output format "xml"`},
		{[]string{"-o", "csv", "--format", "json"}, "--format json and -o csv disagree"},
	} {
		err := env.Run(append([]string{"logs", "export"}, tc.args...)...)
		if code := cmdutil.ExitCode(err); code != 2 || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: exit %d, %v; want 2 and %q", tc.args, code, err, tc.want)
		}
	}
}

// An invalid address says what a valid one looks like, from the flag and
// from the query language alike.
func TestInvalidIPSaysWhatIsValid(t *testing.T) {
	env := cmdtest.New(t)
	fixture(t, env)
	for _, args := range [][]string{
		{"logs", "list", "--ip", "999.1.1.1"},
		{"logs", "count", "--ip", "10.0.0.0/33"},
		{"logs", "export", "--ip", "nope"},
		{"logs", "list", "-q", "ip:999.1.1.1"},
	} {
		err := env.Run(args...)
		if code := cmdutil.ExitCode(err); code != 2 {
			t.Fatalf("%v: exit %d", args, code)
		}
		msg := err.Error()
		for _, want := range []string{"invalid ip", "IPv4 or IPv6 address or a CIDR prefix", "10.0.0.1", "2001:db8::1", "185.220.101.0/24"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%v: %q lacks %q", args, msg, want)
			}
		}
	}
	if err := env.Run("logs", "list", "--ip", "999.1.1.1"); !strings.Contains(err.Error(), "IPv4 field has value >255") {
		t.Errorf("the reason is lost: %v", err)
	}
}
