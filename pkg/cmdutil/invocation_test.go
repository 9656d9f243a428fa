package cmdutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestInvocation(t *testing.T) {
	goRun := filepath.Join(os.TempDir(), "go-build2931702385", "b001", "exe", "auditctl")
	for _, tc := range []struct{ arg0, db, want string }{
		{"auditctl", "", "auditctl"},
		{"/usr/local/bin/auditctl", "", "/usr/local/bin/auditctl"},
		{"./auditctl", "/tmp/demo.db", "./auditctl --db /tmp/demo.db"},
		{goRun, "", "go run ./cmd/auditctl"},
		{"/home/u/.cache/go-tmp/go-build1/b001/exe/auditctl", "", "go run ./cmd/auditctl"},
		{goRun, "/tmp/my demo.db", "go run ./cmd/auditctl --db '/tmp/my demo.db'"},
		{"auditctl", "it's.db", `auditctl --db 'it'\''s.db'`},
	} {
		if got := Invocation(tc.arg0, tc.db); got != tc.want {
			t.Errorf("Invocation(%q, %q) = %q, want %q", tc.arg0, tc.db, got, tc.want)
		}
	}
}
