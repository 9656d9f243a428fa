//go:build linux

package sessions_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// sessions terminate on a crafted active row (in a real cache) whose held
// lock file names the PID of an unrelated process: exit 5 saying why, the
// process survives, nothing is written beside the recording, the row stays
// active.
func TestTerminateRefusesUnrelatedProcess(t *testing.T) {
	sleep := exec.Command("sleep", "60")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { sleep.Wait(); close(exited) }()
	t.Cleanup(func() { sleep.Process.Kill(); <-exited })

	env := cmdtest.New(t)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, env.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(t.TempDir(), "crafted.rec")
	s := &session.Session{ID: "crafted", UserName: "bob", Start: cmdtest.Now.Add(-time.Minute), Status: session.StatusActive,
		Category: session.CategoryServer, HasRecording: true, RecordingPath: rec, RecorderPID: sleep.Process.Pid}
	if err := db.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	db.Close()
	lock, err := os.OpenFile(rec+".lock", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	fmt.Fprintf(lock, "%d crafted\n", sleep.Process.Pid)
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}

	err = env.Run("sessions", "terminate", "crafted")
	if code := cmdtestExit(err); code != 5 || !strings.Contains(err.Error(), fmt.Sprintf("pid %d is not the recorder of this session", sleep.Process.Pid)) ||
		!strings.Contains(err.Error(), `("sleep") is not auditctl`) {
		t.Fatalf("exit %d: %v", code, err)
	}
	select {
	case <-exited:
		t.Fatal("sleep was signalled")
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := os.Lstat(rec + ".terminate"); !os.IsNotExist(err) {
		t.Errorf("terminate request written: %v", err)
	}
	env.MustRun("sessions", "list", "--active", "-o", "json")
	if !strings.Contains(env.Out.String(), `"crafted"`) {
		t.Errorf("the row is no longer active: %s", env.Out)
	}
}
