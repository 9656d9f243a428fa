package tui

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// clipboard runs the command a key returned and gives the text it puts
// on the clipboard (bubbletea's SetClipboard: OSC 52).
func clipboard(t *testing.T, cmd tea.Cmd) string {
	t.Helper()
	if cmd == nil {
		t.Fatal("no command")
	}
	msg := cmd()
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.String || !strings.Contains(reflect.TypeOf(msg).String(), "setClipboard") {
		t.Fatalf("the command gives %T, not a clipboard write", msg)
	}
	return v.String()
}

func pressKey(h *harness, name string) tea.Cmd {
	k := tea.KeyPressMsg{Code: []rune(name)[0], Text: name}
	if name == "enter" {
		k = tea.KeyPressMsg{Code: tea.KeyEnter}
	}
	_, cmd := h.m.Update(k)
	return cmd
}

// The detail panel's pages: v turns from the fields to the event as
// JSON (pretty-printed, scrollable) to the before/after diff; y copies a
// chosen value through OSC 52, says what it copied, and copies a hostile
// value as its visible escapes, never as control bytes.
func TestDetailPagesAndCopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	before, _ := json.Marshal(map[string]any{"name": "alice", "role": "user", "mfa": false})
	after, _ := json.Marshal(map[string]any{"name": "alice", "role": "admin", "mfa": true})
	evs := []*audit.Event{{ID: "ev-1", Source: "test", Time: now.Add(-time.Hour), Service: "directory", Action: "UpdateUser",
		Actor: "root\x1b]52;c;cm0gLXJmIH4=\x07@example.com", IP: "10.1.2.3", Status: audit.StatusSuccess, Before: before, After: after,
		WorkflowID: "wf-1"}}
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Import(context.Background(), &sliceReader{evs: evs}, sqlite.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	h := newLogsHarness(t, openDB(t, path), Options{}, 100, 40)
	h.key("enter")
	if s := h.view(); !strings.Contains(s, "User information") || !strings.Contains(s, "fields (v: JSON)") {
		t.Fatalf("the fields page:\n%s", s)
	}
	h.key("v")
	s := h.view()
	if !strings.Contains(s, `"action": "UpdateUser",`) || !strings.Contains(s, `"ip": "10.1.2.3",`) || !strings.Contains(s, "JSON (v: before/after)") {
		t.Fatalf("the JSON page:\n%s", s)
	}
	h.key("v")
	s = h.view()
	for _, want := range []string{"2 changes:", "changed  mfa", "changed  role", `-   "mfa": false,`, `+   "mfa": true,`, `-   "role": "user"`, `+   "role": "admin"`, `    "name": "alice",`} {
		if !strings.Contains(s, want) {
			t.Fatalf("the diff lacks %q:\n%s", want, s)
		}
	}
	h.key("v")
	if !strings.Contains(h.view(), "User information") {
		t.Fatal("v did not come back to the fields")
	}

	// y: the list of values; the actor's escape is copied as visible text
	h.key("y")
	if s := h.view(); !strings.Contains(s, "Copy which value?") || !strings.Contains(s, "Workflow ID") {
		t.Fatalf("no list of values:\n%s", s)
	}
	for h.m.detail.copying.items[h.m.detail.copying.sel].label != "Actor" {
		h.key("down")
	}
	got := clipboard(t, pressKey(h, "enter"))
	if got != `root\x1b]52;c;cm0gLXJmIH4=\x07@example.com` || strings.ContainsAny(got, "\x1b\x07") {
		t.Fatalf("copied %q", got)
	}
	if s := h.view(); !strings.Contains(s, "copied Actor (42 bytes) to the clipboard: root\\x1b]52") {
		t.Fatalf("the copy is not said:\n%s", s)
	}
	assertSafe(t, h.m.View().Content)
	// y from the table: the ID
	h.key("esc")
	h.key("y")
	got = clipboard(t, pressKey(h, "enter"))
	if got != "ev-1" {
		t.Fatalf("copied %q, want the ID", got)
	}
}

// The terminals known to drop OSC 52: the Linux console, a dumb one, tmux
// unless set-clipboard is on, GNU screen; anything else is given it.
func TestOSC52(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		tmux string
		err  error
		ok   bool
		why  string
	}{
		{env: map[string]string{"TERM": "xterm-256color"}, ok: true},
		{env: map[string]string{"TERM": "linux"}, why: "TERM=linux"},
		{env: map[string]string{"TERM": "dumb"}, why: "TERM=dumb"},
		{env: map[string]string{"TERM": "tmux-256color", "TMUX": "/tmp/tmux-1/default,1,0"}, tmux: "on\n", ok: true},
		{env: map[string]string{"TERM": "tmux-256color", "TMUX": "/tmp/tmux-1/default,1,0"}, tmux: "off\n", why: "tmux's set-clipboard is off"},
		{env: map[string]string{"TERM": "screen", "TMUX": "/tmp/tmux-1/default,1,0"}, tmux: "external\n", why: "set-clipboard is external"},
		{env: map[string]string{"TERM": "screen", "TMUX": "/tmp/tmux-1/default,1,0"}, err: errors.New("no server"), ok: true},
		{env: map[string]string{"TERM": "screen", "STY": "1234.pts-0"}, why: "GNU screen drops OSC 52"},
	} {
		calls := 0
		check := OSC52(func(k string) string { return c.env[k] }, func() (string, error) { calls++; return c.tmux, c.err })
		ok, why := check()
		if ok != c.ok || !strings.Contains(why, c.why) || (c.env["TMUX"] == "") != (calls == 0) {
			t.Errorf("%v (tmux %q): %v %q (%d calls to tmux), want %v %q", c.env, c.tmux, ok, why, calls, c.ok, c.why)
		}
	}
}

// Where the terminal drops OSC 52, y writes the value to a file (0600, a
// link at its place replaced, not followed) and says so instead of
// claiming a copy; asked at each copy, so turning tmux's set-clipboard on
// meanwhile copies through the terminal again.
func TestCopyToFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cache", "auditctl", "clipboard.txt")
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, file); err != nil {
		t.Fatal(err)
	}
	setClipboard := "off"
	check := OSC52(func(k string) string {
		return map[string]string{"TERM": "tmux-256color", "TMUX": "/tmp/x,1,0"}[k]
	}, func() (string, error) { return setClipboard, nil })
	h := newLogsHarness(t, demoDB(t), Options{Clipboard: check, CopyFile: file}, 160, 30)
	id := h.m.logs.selected().ID
	h.key("y")
	if cmd := pressKey(h, "enter"); cmd != nil {
		if msg := cmd(); msg != nil && strings.Contains(reflect.TypeOf(msg).String(), "setClipboard") {
			t.Fatal("an OSC 52 sequence was sent to a terminal that drops it")
		}
	}
	if s := h.view(); !strings.Contains(s, "wrote ID ("+itoa(len(id))+" bytes) to "+file+": tmux's set-clipboard is off") {
		t.Fatalf("the fallback is not said:\n%s", s)
	}
	b, err := os.ReadFile(file)
	st, serr := os.Lstat(file)
	if err != nil || string(b) != id || serr != nil || st.Mode().Type() != 0 || st.Mode().Perm() != 0o600 {
		t.Fatalf("the file: %q %v, mode %v %v", b, err, st.Mode(), serr)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Fatalf("the link was followed: the file it named holds %q", b)
	}
	setClipboard = "on"
	h.key("y")
	if got := clipboard(t, pressKey(h, "enter")); got != id {
		t.Fatalf("copied %q, want the ID", got)
	}
	if !strings.Contains(h.view(), "copied ID (") {
		t.Fatalf("the copy is not said:\n%s", h.view())
	}
}
