//go:build unix

package recorder

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/google/uuid"

	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/session"
)

// helperEnv runs the test binary as a recorder (see TestMain): kill -9 and
// Terminate need the recorder in a process of its own.
const helperEnv = "AUDITCTL_RECORDER_TEST_HELPER"

type helperConfig struct {
	Command []string
	Dir     string
	Store   string
	ID      string
}

// sleepEnv makes the test binary wait that many seconds and exit: a
// process of the same program that holds no lock.
const sleepEnv = "AUDITCTL_RECORDER_TEST_SLEEP"

func TestMain(m *testing.M) {
	if secs := os.Getenv(sleepEnv); secs != "" {
		n, _ := strconv.Atoi(secs)
		time.Sleep(time.Duration(n) * time.Second)
		os.Exit(0)
	}
	if cfg := os.Getenv(helperEnv); cfg != "" {
		os.Exit(runHelper(cfg))
	}
	os.Exit(m.Run())
}

func runHelper(cfg string) int {
	var c helperConfig
	if err := json.Unmarshal([]byte(cfg), &c); err != nil {
		os.Stderr.WriteString(err.Error())
		return 100
	}
	res, err := Record(context.Background(), Options{
		Command: c.Command, Dir: c.Dir, Store: &fileStore{path: c.Store},
		Session: session.Session{ID: c.ID, UserName: "helper", Category: session.CategoryServer},
		Stdin:   os.Stdin, Stdout: os.Stdout, Env: testEnv(), Grace: 500 * time.Millisecond,
	})
	if err != nil {
		os.Stderr.WriteString("helper: " + err.Error() + "\n")
		return 101
	}
	return res.ExitCode
}

func testEnv() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "TERM=xterm", "LANG=C", "PS1=$ ", "SHELL=/bin/sh"}
}

// syncBuffer collects a terminal's output for polling.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recordResult is what Record returned.
type recordResult struct {
	res *Result
	err error
}

// recordAsync runs Record on a goroutine of its own.
func recordAsync(opt Options) <-chan recordResult {
	done := make(chan recordResult, 1)
	go func() {
		res, err := Record(context.Background(), opt)
		done <- recordResult{res, err}
	}()
	return done
}

// waitRecord waits for Record to return without an error.
func waitRecord(t *testing.T, done <-chan recordResult, d time.Duration, timeout string) recordResult {
	t.Helper()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r
	case <-time.After(d):
		t.Fatal(timeout)
	}
	panic("unreachable")
}

// readEvents reads a recording whole.
func readEvents(t *testing.T, path string) (recording.Header, []recording.Event) {
	t.Helper()
	rd, err := recording.Open(path, recording.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer rd.Close()
	var evs []recording.Event
	for {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		evs = append(evs, ev)
	}
	return rd.Header(), evs
}

func joined(evs []recording.Event, code string) string {
	var b strings.Builder
	for _, ev := range evs {
		if ev.Code == code {
			b.WriteString(ev.Data)
		}
	}
	return b.String()
}

func lastOf(evs []recording.Event, code string) (recording.Event, bool) {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Code == code {
			return evs[i], true
		}
	}
	return recording.Event{}, false
}

func TestRecordTTYBash(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer slave.Close()
	if err := pty.Setsize(slave, &pty.Winsize{Cols: 100, Rows: 30}); err != nil {
		t.Fatal(err)
	}
	var screen syncBuffer
	go io.Copy(&screen, master)

	dir := filepath.Join(t.TempDir(), "recordings")
	store := &fileStore{path: filepath.Join(t.TempDir(), "store.json")}
	id := uuid.NewString()
	done := recordAsync(Options{
		Command: []string{"bash", "--norc", "--noprofile", "-i"},
		Session: session.Session{ID: id, UserName: "alice", Category: session.CategoryServer},
		Dir:     dir, Store: store, Stdin: slave, Stdout: slave, Env: testEnv(),
	})
	path := filepath.Join(dir, id+".rec")
	waitFor(t, "the prompt", 10*time.Second, func() bool { return strings.Contains(screen.String(), "$ ") })
	row, err := store.FindSession(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if row.Status != session.StatusActive || row.RecorderPID != os.Getpid() || row.RecordingPath != path {
		t.Fatalf("active row = %+v", row)
	}
	io.WriteString(master, "echo hel''lo\r")
	waitFor(t, "hello", 10*time.Second, func() bool { return strings.Contains(screen.String(), "hello\r\n") })

	if err := pty.Setsize(slave, &pty.Winsize{Cols: 120, Rows: 40}); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(os.Getpid(), syscall.SIGWINCH)
	waitFor(t, "the resize event", 10*time.Second, func() bool {
		b, _ := os.ReadFile(path)
		return bytes.Contains(b, []byte(`"r", "120x40"`))
	})
	io.WriteString(master, "exit 3\r")
	r := waitRecord(t, done, 15*time.Second, "recorder did not return after exit")
	if r.res.ExitCode != 3 || r.res.Terminated {
		t.Fatalf("result = %+v", r.res)
	}

	hdr, evs := readEvents(t, path)
	if hdr.Width != 100 || hdr.Height != 30 || hdr.Env["TERM"] != "xterm" || !strings.Contains(hdr.Command, "bash") {
		t.Errorf("header = %+v", hdr)
	}
	var meta session.Session
	if err := json.Unmarshal(hdr.Audit, &meta); err != nil || meta.ID != id || meta.UserName != "alice" {
		t.Errorf("audit header = %s (%v)", hdr.Audit, err)
	}
	if out := joined(evs, "o"); !strings.Contains(out, "hello") {
		t.Errorf("output lacks hello: %q", out)
	}
	if in := joined(evs, "i"); in != "echo hel''lo\rexit 3\r" {
		t.Errorf("input = %q", in)
	}
	if ev, ok := lastOf(evs, "r"); !ok || ev.Data != "120x40" {
		t.Errorf("resize event = %+v", ev)
	}
	if ev := evs[len(evs)-1]; ev.Code != "x" || ev.Data != "3" {
		t.Errorf("last event = %+v, want x 3", ev)
	}
	checkFinalRow(t, store, id, path, session.StatusCompleted)
	checkModes(t, dir, path)
}

func checkFinalRow(t *testing.T, store session.Store, id, path string, want session.Status) *session.Session {
	t.Helper()
	row, err := store.FindSession(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := recording.FileSHA256(path)
	if err != nil {
		t.Fatal(err)
	}
	if row.Status != want || row.RecordingSHA256 != sum || row.End.IsZero() || row.Duration <= 0 ||
		row.RecorderPID != 0 || !row.HasRecording {
		t.Errorf("final row = %+v (sha %s), want status %s", row, sum, want)
	}
	if _, err := os.Stat(lockPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file left behind: %v", err)
	}
	return row
}

func checkModes(t *testing.T, dir, path string) {
	t.Helper()
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode = %v (%v), want 0700", fi.Mode().Perm(), err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
}

func TestRecordPipe(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	var out syncBuffer
	dir := filepath.Join(t.TempDir(), "rec")
	store := &fileStore{path: filepath.Join(t.TempDir(), "store.json")}
	id := uuid.NewString()
	go func() {
		io.WriteString(pw, "world\n")
		pw.Close()
	}()
	res, err := Record(context.Background(), Options{
		Command: []string{"sh", "-c", `read x; echo "got:$x"; stty size; cat; exit 5`},
		Session: session.Session{ID: id}, Dir: dir, Store: store,
		Stdin: pr, Stdout: &out, Env: testEnv(), Cols: 90, Rows: 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 5 {
		t.Fatalf("exit = %d, output %q", res.ExitCode, out.String())
	}
	hdr, evs := readEvents(t, res.Path)
	if hdr.Width != 90 || hdr.Height != 20 {
		t.Errorf("size = %dx%d", hdr.Width, hdr.Height)
	}
	o := joined(evs, "o")
	if !strings.Contains(o, "got:world") || !strings.Contains(o, "20 90") {
		t.Errorf("output = %q", o)
	}
	if o != out.String() {
		t.Errorf("recorded output %q differs from what the user got %q", o, out.String())
	}
	if in := joined(evs, "i"); in != "world\n" {
		t.Errorf("input = %q", in)
	}
	if ev := evs[len(evs)-1]; ev.Code != "x" || ev.Data != "5" {
		t.Errorf("last event = %+v", ev)
	}
	checkFinalRow(t, store, id, res.Path, session.StatusCompleted)
	checkModes(t, dir, res.Path)
}

// A flood of output: every byte recorded once, in order, and shown as
// recorded, in events no larger than a batch and its last read.
func TestRecordBulkOutput(t *testing.T) {
	var out syncBuffer
	res, err := Record(context.Background(), Options{
		Command: []string{"seq", "1", "300000"}, Session: session.Session{ID: uuid.NewString()},
		Dir: t.TempDir(), Stdout: &out, Env: testEnv(),
	})
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for i := 1; i <= 300000; i++ {
		want.WriteString(strconv.Itoa(i))
		want.WriteString("\r\n") // the terminal's ONLCR
	}
	_, evs := readEvents(t, res.Path)
	o := joined(evs, "o")
	if o != want.String() {
		t.Fatalf("recorded %d bytes, want %d (first difference at %d)", len(o), want.Len(), firstDiff(o, want.String()))
	}
	if out.String() != o {
		t.Fatalf("shown %d bytes differ from the %d recorded", len(out.String()), len(o))
	}
	var prev time.Duration
	for _, ev := range evs {
		if ev.Code == "o" && len(ev.Data) > 2*maxBatch {
			t.Errorf("event of %d bytes, more than a batch", len(ev.Data))
		}
		if ev.Time < prev {
			t.Errorf("time goes back: %v after %v", ev.Time, prev)
		}
		prev = ev.Time
	}
}

func firstDiff(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// COMMAND exits while a process it left behind, in a session of its own
// (so no SIGHUP reaches it), keeps writing to the terminal: the recording
// ends once the drain time has passed, whatever that process does.
func TestRecordDrainEndsWithCommand(t *testing.T) {
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("setsid not installed")
	}
	done := recordAsync(Options{
		Command: []string{"sh", "-c", `setsid sh -c 'while echo tick; do sleep 0.01; done' & sleep 0.2; echo started`},
		Session: session.Session{ID: uuid.NewString()}, Dir: t.TempDir(), Env: testEnv(),
	})
	res := waitRecord(t, done, 15*time.Second, "recorder still running 15 s after COMMAND exited: the drain did not end").res
	_, evs := readEvents(t, res.Path)
	if o := joined(evs, "o"); !strings.Contains(o, "started") || !strings.Contains(o, "tick") {
		t.Errorf("output = %q", o)
	}
	if ev := evs[len(evs)-1]; ev.Code != "x" || ev.Data != "0" {
		t.Errorf("last event = %+v", ev)
	}
}

func TestRecordErrors(t *testing.T) {
	dir := t.TempDir()
	for name, opt := range map[string]Options{
		"no command":  {Session: session.Session{ID: "a"}, Dir: dir},
		"no id":       {Command: []string{"true"}, Dir: dir},
		"not found":   {Command: []string{"no-such-command-auditctl"}, Session: session.Session{ID: "b"}, Dir: dir},
		"no dir":      {Command: []string{"true"}, Session: session.Session{ID: "c"}},
		"id with a /": {Command: []string{"true"}, Session: session.Session{ID: "../x"}, Dir: dir},
	} {
		if _, err := Record(context.Background(), opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// A session that cannot be registered is not recorded.
	bad := &fileStore{path: filepath.Join(dir, "no", "such", "dir", "store.json")}
	if _, err := Record(context.Background(), Options{Command: []string{"true"}, Session: session.Session{ID: "e"}, Dir: dir, Store: bad}); err == nil {
		t.Error("failing store: no error")
	}
	if _, err := os.Stat(filepath.Join(dir, "e.rec")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("recording left behind for an unregistered session: %v", err)
	}
	// An existing output file is never overwritten.
	existing := filepath.Join(dir, "keep.rec")
	os.WriteFile(existing, []byte("evidence"), 0o600)
	if _, err := Record(context.Background(), Options{Command: []string{"true"}, Session: session.Session{ID: "d"}, Output: existing}); err == nil {
		t.Error("existing -O file: no error")
	}
	if b, _ := os.ReadFile(existing); string(b) != "evidence" {
		t.Errorf("existing file changed: %q", b)
	}
}

// startHelper starts a recorder process running command.
func startHelper(t *testing.T, command ...string) (cmd *exec.Cmd, store *fileStore, id, path string, out *syncBuffer) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rec")
	store = &fileStore{path: filepath.Join(t.TempDir(), "store.json")}
	id = uuid.NewString()
	cfg, _ := json.Marshal(helperConfig{Command: command, Dir: dir, Store: store.path, ID: id})
	cmd = exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(cfg))
	out = &syncBuffer{}
	cmd.Stdout = out
	cmd.Stderr = out
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close() })
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	path = filepath.Join(dir, id+".rec")
	waitFor(t, "the recorder to start", 15*time.Second, func() bool { return strings.Contains(out.String(), "started") })
	return cmd, store, id, path, out
}

func TestKilledRecorderIsStale(t *testing.T) {
	cmd, store, id, path, _ := startHelper(t, "sh", "-c", "echo started; exec sleep 60")
	row, err := store.FindSession(context.Background(), id)
	if err != nil || row.Status != session.StatusActive || row.RecorderPID != cmd.Process.Pid {
		t.Fatalf("row = %+v, %v", row, err)
	}
	if n, err := MarkStale(context.Background(), store); err != nil || n != 0 {
		t.Fatalf("MarkStale with a live recorder = %d, %v", n, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	_, evs := readEvents(t, path)
	if o := joined(evs, "o"); !strings.Contains(o, "started") {
		t.Errorf("output = %q", o)
	}
	n, err := MarkStale(context.Background(), store)
	if err != nil || n != 1 {
		t.Fatalf("MarkStale = %d, %v", n, err)
	}
	row, _ = store.FindSession(context.Background(), id)
	sum, _ := recording.FileSHA256(path)
	if row.Status != session.StatusStale || row.RecorderPID != 0 || row.RecordingSHA256 != sum || row.End.Before(row.Start) {
		t.Errorf("stale row = %+v", row)
	}
	if err := Terminate(context.Background(), store, id, "bob"); err == nil {
		t.Error("Terminate of a stale session: no error")
	}
}

func TestTerminate(t *testing.T) {
	_, store, id, path, _ := startHelper(t, "sh", "-c", "echo started; exec sleep 60")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := Terminate(ctx, store, id, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	row := checkFinalRow(t, store, id, path, session.StatusTerminated)
	if row.TerminatedBy != "bob@example.com" {
		t.Errorf("terminated by %q", row.TerminatedBy)
	}
	_, evs := readEvents(t, path)
	if ev := evs[len(evs)-1]; ev.Code != "x" || ev.Data != strconv.Itoa(128+int(syscall.SIGHUP)) {
		t.Errorf("last event = %+v", ev)
	}
	if _, err := os.Stat(terminatePath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("terminate file left behind: %v", err)
	}
}

func TestTerminateChecksRecorder(t *testing.T) {
	_, store, id, path, _ := startHelper(t, "sh", "-c", "echo started; exec sleep 60")
	// A row naming another PID than the lock: not signalled.
	row, _ := store.FindSession(context.Background(), id)
	row.RecorderPID = 1
	store.UpdateSession(context.Background(), row)
	if err := Terminate(context.Background(), store, id, "bob"); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("Terminate with a wrong pid = %v", err)
	}
	if _, err := os.Stat(terminatePath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Error("terminate request written for a wrong pid")
	}
	// A session whose recorder is gone is marked terminated directly.
	gone := session.Session{ID: "gone", Start: time.Now().Add(-time.Minute), Status: session.StatusActive,
		RecordingPath: filepath.Join(t.TempDir(), "gone.rec"), RecorderPID: 999999}
	store.CreateSession(context.Background(), &gone)
	if err := Terminate(context.Background(), store, "gone", "bob"); err != nil {
		t.Fatal(err)
	}
	g, _ := store.FindSession(context.Background(), "gone")
	if g.Status != session.StatusTerminated || g.TerminatedBy != "bob" {
		t.Errorf("gone row = %+v", g)
	}
}

// TestTerminateKillsStubbornCommand: a COMMAND that ignores SIGHUP gets
// SIGKILL after the grace period.
func TestTerminateKillsStubbornCommand(t *testing.T) {
	_, store, id, path, _ := startHelper(t, "sh", "-c", `trap "" HUP; echo started; sleep 60`)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	start := time.Now()
	if err := Terminate(ctx, store, id, "carol"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("terminated after %v, before the grace period", d)
	}
	checkFinalRow(t, store, id, path, session.StatusTerminated)
	_, evs := readEvents(t, path)
	if ev := evs[len(evs)-1]; ev.Code != "x" || ev.Data != strconv.Itoa(128+int(syscall.SIGKILL)) {
		t.Errorf("last event = %+v", ev)
	}
}
