package check_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
)

// shared is a directory that lives as long as the test process: the
// demo caches of demoCache.
var shared string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "auditctl-check-test-")
	if err != nil {
		panic(err)
	}
	shared = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var demos = struct {
	sync.Mutex
	m map[string]string
}{m: map[string]string{}}

// demoCache runs `auditctl ARGS` (a demo command: deterministic under the
// tests' fixed clock) once per test process, into a cache of its own, and
// copies that cache to db for this call and every later one with the same
// ARGS. Its recordings stay where the one run wrote them, in the shared
// directory. Under the race detector a demo run takes a minute: CI's time
// budget allows one per package.
func demoCache(t *testing.T, db string, args ...string) {
	t.Helper()
	key := strings.Join(args, "\x00")
	demos.Lock()
	defer demos.Unlock()
	src, ok := demos.m[key]
	if !ok {
		dir, err := os.MkdirTemp(shared, "demo-")
		if err != nil {
			t.Fatal(err)
		}
		src = filepath.Join(dir, "audit.db")
		env := cmdtest.New(t)
		if code := env.Main(append([]string{"--db", src}, args...)...); code != 0 {
			t.Fatalf("auditctl %s: exit %d\n%s", strings.Join(args, " "), code, env.ErrOut)
		}
		demos.m[key] = src
	}
	files, err := filepath.Glob(src + "*") // the cache and, were it left, its -wal
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(db+strings.TrimPrefix(f, src), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
