package root_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/jcserver"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmd/root"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/spf13/cobra"
)

// cacheUse says how each command uses the cache. Every runnable command of
// the tree must be listed (TestEveryCommandClassified), so that a new
// command is sorted into reading or writing when it is added.
var cacheUse = map[string]string{
	"logs list":             "reads",
	"logs show":             "reads",
	"logs count":            "reads",
	"logs export":           "reads",
	"logs tail":             "reads",
	"hunt":                  "reads",
	"verify":                "reads",
	"tui":                   "reads",
	"sessions list":         "reads",
	"sessions show":         "reads",
	"sessions watch":        "reads",
	"sessions terminate":    "reads", // changes a session that must already be there
	"sessions info":         "reads-id",
	"sessions play":         "reads-id",
	"sessions cat":          "reads-id",
	"sessions keystrokes":   "reads-id",
	"sessions queries":      "reads-id",
	"sessions convert":      "reads-id",
	"sessions export":       "reads-id",
	"retention status":      "reads",
	"retention apply":       "reads", // deletes from a cache that must already be there
	"import":                "writes",
	"demo":                  "writes",
	"sync":                  "writes",
	"sessions record":       "writes",
	"check":                 "reads", // --sync jumpcloud writes
	"sessions import":       "writes",
	"version":               "none",
	"db init":               "none", // a PostgreSQL store only: a cache path is a usage error
	"db copy":               "none", // --from names the cache it reads; --db or --to a PostgreSQL store
	"db tenant grant":       "none", // a PostgreSQL store only
	"db tenant revoke":      "none",
	"db tenant list":        "none",
	"completion bash":       "none",
	"completion zsh":        "none",
	"completion fish":       "none",
	"completion powershell": "none",
	// groups: help with no arguments (TestGroups)
	"":           "group",
	"logs":       "group",
	"sessions":   "group",
	"completion": "group",
	"retention":  "group",
	"db":         "group",
	"db tenant":  "group",
	"help":       "none",
}

// readers are command lines of every command that reads the cache, with
// the arguments each needs (an ID that a session or event could have).
func readers(dir string) [][]string {
	// check's policy and hunt's rule live beside dir, not in it (dir must
	// stay empty).
	policy := filepath.Join(filepath.Dir(dir), "check-policy.yaml")
	os.WriteFile(policy, []byte("rules:\n  - {id: x, events: {query: 'action:DeleteUser'}, condition: none}\n"), 0o600)
	rule := filepath.Join(filepath.Dir(dir), "hunt-rule.yml")
	os.WriteFile(rule, []byte("title: r\nlogsource: {product: auditctl}\ndetection:\n  s:\n    action: DeleteUser\n  condition: s\n"), 0o644)
	return [][]string{
		{"check", policy},
		{"hunt", "--sigma", rule},
		{"verify", "--allow-empty"},
		{"tui", "--all"},
		{"logs", "list"},
		{"retention", "status"},
		{"retention", "apply", "--dry-run"},
		{"retention", "apply"},
		{"logs", "list", "--all", "-o", "csv"},
		{"logs", "show", "ev-01"},
		{"logs", "count"},
		{"logs", "count", "--fail-if", ">0"},
		{"logs", "count", "--by", "actor"},
		{"logs", "count", "--interval", "1d"},
		{"logs", "export"},
		{"logs", "export", "-O", filepath.Join(dir, "out.csv")},
		{"logs", "tail"},
		{"sessions", "list"},
		{"sessions", "list", "--active"},
		{"sessions", "show", "s1"},
		{"sessions", "watch", "s1", "--no-tui"},
		{"sessions", "terminate", "s1"},
		{"sessions", "info", "s1"},
		{"sessions", "play", "s1", "--no-tui"},
		{"sessions", "cat", "s1"},
		{"sessions", "keystrokes", "s1"},
		{"sessions", "queries", "s1"},
		{"sessions", "convert", "s1", "-O", filepath.Join(dir, "out.rec")},
		{"sessions", "export", "s1", "-O", filepath.Join(dir, "out.rec")},
	}
}

// commandPath is cmd's path without the root's name.
func commandPath(cmd *cobra.Command) string {
	return strings.TrimPrefix(strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()), " ")
}

func walk(cmd *cobra.Command, fn func(*cobra.Command)) {
	fn(cmd)
	for _, c := range cmd.Commands() {
		walk(c, fn)
	}
}

func tree(t *testing.T) *cobra.Command {
	env := cmdtest.New(t)
	return root.NewCmdRoot(env.Factory)
}

func TestEveryCommandClassified(t *testing.T) {
	covered := map[string]bool{}
	for _, args := range readers(t.TempDir()) {
		covered[args[0]+" "+args[1]] = true
		covered[args[0]] = true
	}
	walk(tree(t), func(c *cobra.Command) {
		p := commandPath(c)
		use, ok := cacheUse[p]
		if !ok {
			t.Errorf("command %q is not in cacheUse: say whether it reads or writes the cache", p)
		}
		if strings.HasPrefix(use, "reads") && !covered[p] {
			t.Errorf("reading command %q has no command line in readers()", p)
		}
	})
}

func noSuchFiles(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		for _, q := range []string{p, p + "-wal", p + "-shm"} {
			if _, err := os.Lstat(q); err == nil {
				t.Errorf("%s exists", q)
			}
		}
	}
}

// TestReadingNeverCreatesACache: every reading command, given a cache path
// that does not exist (by --db or AUDITCTL_DB), fails with exit 5 "no
// cache at PATH" and creates nothing: no file, no -wal or -shm, no
// directory.
func TestReadingNeverCreatesACache(t *testing.T) {
	for _, how := range []string{"--db", "AUDITCTL_DB"} {
		for _, args := range readers(t.TempDir()) {
			t.Run(how+" "+strings.Join(args, " "), func(t *testing.T) {
				env := cmdtest.New(t)
				dir := filepath.Join(t.TempDir(), "nodir")
				path := filepath.Join(dir, "audit.db")
				line := args
				if how == "--db" {
					line = append([]string{"--db", path}, args...)
				} else {
					t.Setenv("AUDITCTL_DB", path)
				}
				code := env.Main(line...)
				want, msg := 5, "no cache at "+path+": run auditctl import, sync or demo first"
				if cacheUse[args[0]+" "+args[1]] == "reads-id" {
					// FILE or session ID: with no cache it is no file.
					want, msg = 3, "s1: no such file, and no cache at "+path+" to look up a session ID in"
				}
				if code != want || !strings.Contains(env.ErrOut.String(), msg) {
					t.Errorf("exit %d, want %d; stderr %q, want %q", code, want, env.ErrOut, msg)
				}
				noSuchFiles(t, path)
				if _, err := os.Stat(dir); err == nil {
					t.Errorf("directory %s was created", dir)
				}
			})
		}
	}
}

// sampleCache returns the bytes of a real cache holding a few events.
func sampleCache(t *testing.T) []byte {
	env := cmdtest.New(t)
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, `{"id":"ev-%02d","source":"fixture","time":"2026-11-2%dT10:00:00Z","action":"Login","actor":"user%d@example.com","description":"%s"}`+"\n",
			i, i%3, i, strings.Repeat("x", 400))
	}
	in := filepath.Join(t.TempDir(), "in.ndjson")
	if err := os.WriteFile(in, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	env.MustRun("import", in)
	data, err := os.ReadFile(env.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 64<<10 {
		t.Fatalf("sample cache is only %d bytes", len(data))
	}
	return data
}

// TestDamagedCache: every reading command over a cache that is not one
// (random bytes, a truncated cache, a directory, a text file, an empty
// file, an unreadable file) exits 5 with a message that names the path, and
// leaves the file as it was.
func TestDamagedCache(t *testing.T) {
	good := sampleCache(t)
	random := make([]byte, 64<<10)
	rand.Read(random)
	damages := []struct {
		name string
		make func(path string) error
		want string // in the message, after the path
	}{
		{"random bytes", func(p string) error { return os.WriteFile(p, random, 0o600) }, "not an auditctl cache"},
		{"truncated", func(p string) error { return os.WriteFile(p, good[:len(good)/2], 0o600) }, "is damaged"},
		{"header only", func(p string) error { return os.WriteFile(p, good[:100], 0o600) }, "is damaged"},
		{"text file", func(p string) error { return os.WriteFile(p, []byte("user,action\nalice,Login\n"), 0o600) }, "not an auditctl cache"},
		{"empty file", func(p string) error { return os.WriteFile(p, nil, 0o600) }, "the file is empty"},
		{"directory", func(p string) error { return os.Mkdir(p, 0o700) }, "is a directory"},
		{"mode 000", func(p string) error { return os.WriteFile(p, good, 0o000) }, "permission denied"},
	}
	for _, d := range damages {
		if d.name == "mode 000" && (runtime.GOOS == "windows" || os.Geteuid() == 0) {
			t.Logf("skipping %s: root (or Windows) reads any file", d.name)
			continue
		}
		dir := t.TempDir()
		for _, args := range readers(dir) {
			t.Run(d.name+"/"+strings.Join(args, " "), func(t *testing.T) {
				env := cmdtest.New(t)
				path := filepath.Join(t.TempDir(), "audit.db")
				if err := d.make(path); err != nil {
					t.Fatal(err)
				}
				before, _ := os.ReadFile(path)
				code := env.Main(append([]string{"--db", path}, args...)...)
				if code != 5 || !strings.Contains(env.ErrOut.String(), path) || !strings.Contains(env.ErrOut.String(), d.want) {
					t.Errorf("exit %d, want 5; stderr %q, want the path and %q", code, env.ErrOut, d.want)
				}
				if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
					t.Errorf("the damaged cache was changed")
				}
				if d.name != "directory" {
					for _, q := range []string{path + "-wal", path + "-shm"} {
						if _, err := os.Stat(q); err == nil {
							t.Errorf("%s was created", q)
						}
					}
				}
				if entries, _ := os.ReadDir(dir); len(entries) != 0 {
					t.Errorf("output written beside a failed read: %v", entries)
				}
			})
		}
	}
}

// TestUnwritableOutput: an -O that cannot be written exits 5 and leaves
// nothing behind, half-written or temporary.
func TestUnwritableOutput(t *testing.T) {
	env := cmdtest.New(t)
	in := filepath.Join(t.TempDir(), "in.ndjson")
	os.WriteFile(in, []byte(`{"id":"a","source":"s","time":"2026-11-20T10:00:00Z","action":"Login"}`+"\n"), 0o600)
	env.MustRun("import", in)
	rec := filepath.Join(t.TempDir(), "s.cast")
	os.WriteFile(rec, []byte("{\"version\":2,\"width\":80,\"height\":24}\n[0.1,\"o\",\"hi\"]\n"), 0o600)

	dir := t.TempDir()
	isDir := filepath.Join(dir, "adir")
	os.Mkdir(isDir, 0o700)
	ro := filepath.Join(dir, "readonly")
	os.Mkdir(ro, 0o500)
	targets := map[string]string{
		"missing directory": filepath.Join(dir, "nodir", "out.csv"),
		"a directory":       isDir,
	}
	if runtime.GOOS != "windows" && os.Geteuid() != 0 {
		targets["read-only directory"] = filepath.Join(ro, "out.csv")
	}
	for name, target := range targets {
		for _, args := range [][]string{
			{"logs", "export", "-O", target},
			{"logs", "export", "--format", "json", "-O", target},
			{"sessions", "convert", rec, "-O", target},
		} {
			t.Run(name+"/"+args[1], func(t *testing.T) {
				code := cmdutil.ExitCode(env.Run(args...))
				if code != 5 {
					t.Errorf("%v: exit %d, want 5 (%v)", args, code, env.Run(args...))
				}
				var left []string
				filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
					if err == nil && !info.IsDir() {
						left = append(left, p)
					}
					return nil
				})
				if len(left) > 0 {
					t.Errorf("left behind: %v", left)
				}
			})
		}
	}
}

// TestUnknownCommands: a mistyped command is a usage error (exit 2) that
// names it and suggests the nearest, for the root and every group; a group
// run alone prints its help and exits 0.
func TestUnknownCommands(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		message string
		suggest string
	}{
		{[]string{"logz"}, `unknown command "logz" for "auditctl"`, "logs"},
		{[]string{"logs", "lst"}, `unknown command "lst" for "auditctl logs"`, "list"},
		{[]string{"sessions", "plya", "x"}, `unknown command "plya" for "auditctl sessions"`, "play"},
		{[]string{"completion", "bsh"}, `unknown command "bsh" for "auditctl completion"`, "bash"},
		{[]string{"help", "lgs"}, `unknown command "lgs" for "auditctl"`, "logs"},
		{[]string{"help", "logs", "lst"}, `unknown command "lst" for "auditctl logs"`, "list"},
		{[]string{"--db", "x.db", "logs", "lst", "--all"}, `unknown command "lst" for "auditctl logs"`, "list"},
		{[]string{"sessions", "zzzzzzzz"}, `unknown command "zzzzzzzz" for "auditctl sessions"`, ""},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			env := cmdtest.New(t)
			code := env.Main(tt.args...)
			stderr := env.ErrOut.String()
			want := "auditctl: " + tt.message + "\n"
			if tt.suggest != "" {
				want += "\nDid you mean this?\n    " + tt.suggest + "\n"
			}
			if code != 2 || !strings.HasPrefix(stderr, want) || strings.Contains(stderr, `\n`) {
				t.Errorf("exit %d, want 2; stderr:\n%s\nwant it to start with:\n%s", code, stderr, want)
			}
			if env.Out.Len() != 0 {
				t.Errorf("stdout: %q", env.Out)
			}
		})
	}
	// Every group: no arguments is its help and exit 0; an argument that is
	// none of its commands exit 2.
	walk(tree(t), func(c *cobra.Command) {
		if !c.HasSubCommands() || cacheUse[commandPath(c)] != "group" {
			if c.HasSubCommands() {
				t.Errorf("%q has subcommands but is not a group in cacheUse", commandPath(c))
			}
			return
		}
		p := strings.Fields(commandPath(c))
		env := cmdtest.New(t)
		if code := env.Main(p...); code != 0 || !strings.Contains(env.Out.String(), "Available Commands:") {
			t.Errorf("auditctl %s: exit %d, stdout %q", commandPath(c), code, env.Out)
		}
		if code := env.Main(append(p, "nosuchcommand")...); code != 2 || !strings.Contains(env.ErrOut.String(), `unknown command "nosuchcommand"`) {
			t.Errorf("auditctl %s nosuchcommand: exit %d, stderr %q", commandPath(c), code, env.ErrOut)
		}
	})
	for _, p := range []string{"logs", "sessions", "completion"} {
		if !slices.ContainsFunc(tree(t).Commands(), func(c *cobra.Command) bool { return c.Name() == p }) {
			t.Errorf("no group %q", p)
		}
	}
}

// TestOnlyAMatchExitsOne audits the source: exit code 1 means "a check or
// --fail-if matched" and nothing else, so cmdutil.ErrSilent (the only error
// that ExitCode maps to 1) is used only by the commands that evaluate a
// condition, nothing calls os.Exit but main, and the only errors with an
// exit code of their own are a signal's and the recorded command's status
// (sessions record exits as the command it ran).
func TestOnlyAMatchExitsOne(t *testing.T) {
	allowed := map[string][]string{
		"cmdutil.ErrSilent":  {"pkg/cmd/logs/count/count.go", "pkg/cmd/check/check.go", "pkg/cmd/hunt/hunt.go", "pkg/cmd/verify/verify.go"},
		"os.Exit(":           {"cmd/auditctl/main.go"},
		") ExitCode() int {": {"pkg/cmdutil/signal.go", "pkg/cmd/sessions/record/record.go"},
	}
	top := filepath.Join("..", "..", "..")
	for _, dir := range []string{"cmd", "pkg", "player", "tui"} {
		filepath.WalkDir(filepath.Join(top, dir), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(top, p)
			rel = filepath.ToSlash(rel)
			for what, files := range allowed {
				if bytes.Contains(src, []byte(what)) && !slices.Contains(files, rel) {
					t.Errorf("%s uses %s: exit 1 is only for a matched check (see SPEC §5 and pkg/cmdutil/exit.go)", rel, what)
				}
			}
			return nil
		})
	}
}

// TestGateNoData: a --fail-if gate over a window that holds no events at
// all exits 6 (no data) whatever its condition, unless --allow-empty; a
// filter that matches nothing in a window with events is a genuine pass;
// --debug shows what the gate looked at. From the cache and from the
// JumpCloud API.
func TestGateNoData(t *testing.T) {
	env := cmdtest.New(t)
	var b strings.Builder
	ev := func(id, source string, ago time.Duration) {
		fmt.Fprintf(&b, `{"id":%q,"source":%q,"time":%q,"action":"Login","actor":"alice"}`+"\n", id, source, cmdtest.Now.Add(-ago).Format(time.RFC3339))
	}
	ev("a1", "fixture", 2*time.Hour)
	ev("a2", "fixture", 3*time.Hour)
	ev("a3", "fixture", 4*time.Hour)
	ev("o1", "old", 10*24*time.Hour)
	in := filepath.Join(t.TempDir(), "in.ndjson")
	os.WriteFile(in, []byte(b.String()), 0o600)
	env.MustRun("import", in)

	srv := jcserver.New("k")
	srv.Add(fmt.Appendf(nil, `{"id":"jc1","event_type":"user_login_attempt","service":"directory","timestamp":%q,"initiated_by":{"username":"u"},"success":true}`,
		cmdtest.Now.Add(-30*24*time.Hour).Format(time.RFC3339)))
	hs := httptest.NewServer(srv)
	defer hs.Close()
	t.Setenv("JUMPCLOUD_API_KEY", "k")
	remote := []string{"--remote", "jumpcloud", "--endpoint", hs.URL}

	for _, tt := range []struct {
		args   []string
		code   int
		stderr []string // each must appear
	}{
		// the window holds events: the count decides
		{[]string{"--since", "24h", "--fail-if", ">0"}, 1, []string{"the count is 3"}},
		{[]string{"--since", "24h", "--action", "DeleteUser", "--fail-if", ">0"}, 0, nil},
		{[]string{"--since", "24h", "--action", "DeleteUser", "--fail-if", "==0"}, 1, nil},
		{[]string{"--since", "24h", "--source", "fixture", "--fail-if", ">0"}, 1, nil},
		// no events at all in the window: no data, whatever the condition
		{[]string{"--since", "1h", "--fail-if", ">0"}, 6, []string{"no data", "time>=2026-11-22T11:00:00Z", "--allow-empty"}},
		{[]string{"--since", "1h", "--fail-if", "==0"}, 6, []string{"no data"}},
		{[]string{"--since", "1h", "--action", "Login", "--fail-if", ">0"}, 6, []string{"no data"}},
		{[]string{"--since", "24h", "--source", "old", "--fail-if", ">0"}, 6, []string{"source:old"}},
		{[]string{"--since", "1h", "--by", "actor", "--fail-if", ">0"}, 6, nil},
		{[]string{"--since", "1h", "--interval", "1h", "--fail-if", ">0"}, 6, nil},
		// --allow-empty: the count decides again
		{[]string{"--since", "1h", "--fail-if", ">0", "--allow-empty"}, 0, nil},
		{[]string{"--since", "1h", "--fail-if", "==0", "--allow-empty"}, 1, nil},
		// no gate, no check
		{[]string{"--since", "1h"}, 0, nil},
		// --debug: what the gate looked at
		{[]string{"--debug", "--since", "24h", "--action", "DeleteUser", "--fail-if", ">0"}, 0, []string{
			"gate: window time>=2026-11-21T12:00:00Z",
			"gate: events in the window: 3; matching the filter: 0",
			"gate: newest event of fixture: 2026-11-22T10:00:00Z; 3 in the window",
			"gate: newest event of old: 2026-11-12T12:00:00Z; 0 in the window",
		}},
		{[]string{"--debug", "--since", "1h", "--fail-if", ">0"}, 6, []string{"gate: events in the window: 0; matching the filter: 0", "no data"}},
		// the JumpCloud API: its one event is 30 days old
		{append([]string{"--since", "24h", "--fail-if", ">0"}, remote...), 6, []string{"no data"}},
		{append([]string{"--since", "40d", "--action", "nosuch", "--fail-if", ">0"}, remote...), 0, nil},
		{append([]string{"--since", "40d", "--fail-if", ">0"}, remote...), 1, nil},
		{append([]string{"--debug", "--since", "24h", "--fail-if", ">0"}, remote...), 6, []string{
			"gate: events in the window: 0; matching the filter: 0",
			"gate: newest event of all sources: 2026-10-23T12:00:00Z (source jumpcloud); 0 in the window",
		}},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code := env.Main(append([]string{"--db", env.DBPath, "logs", "count", "-o", "json"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, env.ErrOut)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(env.ErrOut.String(), s) {
					t.Errorf("stderr does not say %q:\n%s", s, env.ErrOut)
				}
			}
		})
	}
}

// TestExitCodesDocumented: every exit code auditctl can return is named in
// the root command's help, the README and the generated docs/cli.
func TestExitCodesDocumented(t *testing.T) {
	codes := map[int]bool{0: true, 1: true, 130: true, 143: true}
	for _, c := range []string{audit.EUSAGE, audit.EINVALID, audit.ENOTFOUND, audit.EREMOTE, audit.ELOCAL, audit.ENODATA, audit.EINTERNAL} {
		codes[audit.ExitCode(&audit.Error{Code: c})] = true
	}
	section := func(name, text string) string {
		i := strings.Index(text, "Exit codes")
		if i < 0 {
			t.Fatalf("%s has no \"Exit codes\"", name)
		}
		end := min(len(text), i+1200)
		return text[i:end]
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "cli", "auditctl.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"auditctl --help":      tree(t).Long,
		"README.md":            string(readme),
		"docs/cli/auditctl.md": string(ref),
	} {
		s := section(name, text)
		for code := range codes {
			if !regexp.MustCompile(fmt.Sprintf(`(^|[^0-9])%d([^0-9]|$)`, code)).MatchString(s) {
				t.Errorf("%s does not document exit code %d", name, code)
			}
		}
	}
}

// TestCorruptPages: a cache whose header and schema are sound but whose
// event pages are overwritten opens, and fails when a command reads those
// pages: exit 5 naming the cache, not 70.
func TestCorruptPages(t *testing.T) {
	good := sampleCache(t)
	bad := bytes.Clone(good)
	junk := make([]byte, len(bad)/2)
	rand.Read(junk)
	copy(bad[len(bad)/4:], junk) // pages 2… of a 16 KiB-page file, past the schema
	for _, args := range [][]string{
		{"logs", "count", "--all", "--search", "x"},
		{"logs", "count", "--all", "--by", "ip"},
		{"logs", "list", "--all", "--limit", "1000"},
		{"logs", "export"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			env := cmdtest.New(t)
			path := filepath.Join(t.TempDir(), "audit.db")
			os.WriteFile(path, bad, 0o600)
			code := env.Main(append([]string{"--db", path}, args...)...)
			if want := "cache " + path + " is damaged ("; code != 5 || !strings.Contains(env.ErrOut.String(), want) {
				t.Errorf("exit %d, want 5 saying %q; stderr %q", code, want, env.ErrOut)
			}
		})
	}
}
