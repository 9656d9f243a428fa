package tui

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/demo"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// now is the tests' clock: the demo data ends there.
var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// demoEvents is how many events the demo cache holds: enough for many
// chunks, little enough to import in a second under the race detector.
const demoEvents = 3000

var demoCache = struct {
	once sync.Once
	path string
	err  error
}{}

// demoDB opens the demo cache, a real SQLite file built once per test
// binary from pkg/demo's deterministic data.
func demoDB(t testing.TB) *sqlite.DB {
	t.Helper()
	demoCache.once.Do(func() {
		dir, err := os.MkdirTemp("", "auditctl-tui-test-")
		if err != nil {
			demoCache.err = err
			return
		}
		demoCache.path = filepath.Join(dir, "demo.db")
		db, err := sqlite.Open(context.Background(), demoCache.path)
		if err != nil {
			demoCache.err = err
			return
		}
		defer db.Close()
		_, demoCache.err = db.Import(context.Background(), demo.Events(demo.Options{Now: now, Count: demoEvents, Days: 30}), sqlite.ImportOptions{})
	})
	if demoCache.err != nil {
		t.Fatal(demoCache.err)
	}
	return openDB(t, demoCache.path)
}

func openDB(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.OpenExisting(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMain(m *testing.M) {
	sessionsRefresh = 0 // frames that do not change under the goldens; TestSessionsRefresh sets it
	code := m.Run()
	if demoCache.path != "" {
		os.RemoveAll(filepath.Dir(demoCache.path))
	}
	os.Exit(code)
}

// compiler is the command's compiler of queries (flags as given by args,
// the clock at now), as pkg/cmd/tui builds it.
func compiler(t testing.TB, args ...string) func(string) (audit.Filter, bool, error) {
	t.Helper()
	return compilerAt(t, func() time.Time { return now }, args...)
}

// compilerAt is compiler with the clock at clock().
func compilerAt(t testing.TB, clock func() time.Time, args ...string) func(string) (audit.Filter, bool, error) {
	t.Helper()
	var fo cmdutil.FilterOptions
	cmd := &cobra.Command{Use: "tui"}
	cmdutil.AddFilterFlags(cmd, &fo, true)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	return func(q string) (audit.Filter, bool, error) {
		o := fo
		o.Query = q
		f, err := o.Filter(clock(), true)
		return f, o.DefaultWindowApplied(), err
	}
}

// harness drives a Model as bubbletea would: commands run in goroutines
// and their messages come back through a channel.
type harness struct {
	t    testing.TB
	m    *Model
	msgs chan tea.Msg
	quit bool
}

func newHarness(t testing.TB, svc audit.EventService, o Options, w, h int, args ...string) *harness {
	t.Helper()
	o.Events = svc
	if o.Compile == nil {
		o.Compile = compiler(t, args...)
	}
	if o.Where == "" {
		o.Where = "cache demo.db"
	}
	if o.Now == nil {
		o.Now = func() time.Time { return now }
	}
	m := New(context.Background(), o)
	t.Cleanup(m.Close)
	hs := &harness{t: t, m: m, msgs: make(chan tea.Msg, 256)}
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.run(m.Init())
	hs.idle()
	return hs
}

// newLogsHarness is newHarness on the logs view (the console opens on
// the overview).
func newLogsHarness(t testing.TB, svc audit.EventService, o Options, w, h int, args ...string) *harness {
	t.Helper()
	hs := newHarness(t, svc, o, w, h, args...)
	hs.key("2")
	return hs
}

func (h *harness) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() { h.msgs <- cmd() }()
}

func (h *harness) send(msg tea.Msg) {
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			h.run(c)
		}
		return
	case tea.QuitMsg:
		h.quit = true
		return
	case nil:
		return
	}
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

// key sends a key press by name ("enter", "esc", "up", "pgdown"…) or a
// printable character.
func (h *harness) key(name string) { h.send(keyMsg(name)) }

// keyMsg is the key press called name ("enter", "esc", "up", "pgdown"…)
// or a printable character.
func keyMsg(name string) tea.KeyPressMsg {
	k := tea.KeyPressMsg{}
	switch name {
	case "up":
		k.Code = tea.KeyUp
	case "down":
		k.Code = tea.KeyDown
	case "pgup":
		k.Code = tea.KeyPgUp
	case "pgdown":
		k.Code = tea.KeyPgDown
	case "home":
		k.Code = tea.KeyHome
	case "end":
		k.Code = tea.KeyEnd
	case "enter":
		k.Code = tea.KeyEnter
	case "esc":
		k.Code = tea.KeyEscape
	case "backspace":
		k.Code = tea.KeyBackspace
	case "ctrl+c":
		k.Code, k.Mod = 'c', tea.ModCtrl
	case "ctrl+u":
		k.Code, k.Mod = 'u', tea.ModCtrl
	case "ctrl+x":
		k.Code, k.Mod = 'x', tea.ModCtrl
	case "tab":
		k.Code = tea.KeyTab
	case "shift+tab":
		k.Code, k.Mod = tea.KeyTab, tea.ModShift
	case "left":
		k.Code = tea.KeyLeft
	case "right":
		k.Code = tea.KeyRight
	default:
		r := []rune(name)[0]
		k.Code, k.Text = r, name
	}
	return k
}

func (h *harness) typeText(s string) {
	for _, r := range s {
		h.key(string(r))
	}
}

// settle processes messages until cond holds (or fails after 20 s).
func (h *harness) settle(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.After(20 * time.Second)
	for !cond() {
		select {
		case msg := <-h.msgs:
			h.send(msg)
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s; screen:\n%s", what, h.view())
		}
	}
}

// idle waits until no query, page or count is on its way, and no typed
// query waits to run.
func (h *harness) idle() {
	h.t.Helper()
	h.settle("the work to finish", func() bool {
		v := &h.m.logs
		return !v.loading && !v.older && !v.newer && (v.total >= 0 || v.err != nil) && len(h.msgs) == 0
	})
}

// search types q in the query bar, presses Enter and waits for the result.
func (h *harness) search(q string) {
	h.t.Helper()
	h.key("/")
	h.key("ctrl+u") // the bar opens on the current query
	h.typeText(q)
	h.key("enter")
	h.idle()
}

func (h *harness) view() string {
	return ansi.Strip(h.m.View().Content)
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// lines returns the view's lines with trailing spaces trimmed.
func lines(s string) []string {
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, " ")
	}
	return ls
}
