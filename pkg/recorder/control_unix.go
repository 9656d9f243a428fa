//go:build unix

package recorder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/session"
)

// The control files beside a recording.
func lockPath(rec string) string      { return rec + ".lock" }
func terminatePath(rec string) string { return rec + ".terminate" }

// acquireLock creates and locks the recorder's lock file, which names the
// recorder's PID and its session. The lock lives as long as the open file:
// the kernel drops it when the recorder dies, however it dies.
func acquireLock(path string, pid int, id string) (*os.File, error) {
	f, err := createControl(path)
	if err != nil {
		return nil, fmt.Errorf("recorder lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("recorder lock %s: another recorder holds it", path)
		}
		return nil, fmt.Errorf("recorder lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("recorder lock %s: %w", path, err)
	}
	if _, err := fmt.Fprintf(f, "%d %s\n", pid, id); err != nil {
		f.Close()
		return nil, fmt.Errorf("recorder lock %s: %w", path, err)
	}
	return f, nil
}

// lockState is what a probe of a lock file found.
type lockState struct {
	exists bool
	held   bool // a live recorder holds it
	pid    int
	id     string
}

func probeLock(path string) (lockState, error) {
	f, st, err := openLock(path)
	if f != nil {
		f.Close()
	}
	return st, err
}

// openLock probes the lock file at path and returns it open (nil when
// there is none).
func openLock(path string) (*os.File, lockState, error) {
	f, err := openProbe(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, lockState{}, nil
	}
	if err != nil {
		return nil, lockState{}, fmt.Errorf("recorder lock: %w", err)
	}
	st := lockState{exists: true}
	b, _ := io.ReadAll(io.LimitReader(f, 256))
	if fields := strings.Fields(string(b)); len(fields) == 2 {
		st.pid, _ = strconv.Atoi(fields[0])
		st.id = fields[1]
	}
	switch err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); {
	case err == nil:
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	case errors.Is(err, syscall.EWOULDBLOCK):
		st.held = true
	default:
		f.Close()
		return nil, st, fmt.Errorf("recorder lock %s: %w", path, err)
	}
	return f, st, nil
}

// terminateRequest is the content of the ".terminate" file.
type terminateRequest struct {
	By   string    `json:"by"`
	PID  int       `json:"pid"`
	Time time.Time `json:"time"`
}

func writeTerminateRequest(path string, req terminateRequest) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".terminate-*")
	if err != nil {
		return fmt.Errorf("terminate request: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("terminate request: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("terminate request: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("terminate request: %w", err)
	}
	return nil
}

// readTerminateRequest returns who asked for the termination, "" when no
// request is there.
func readTerminateRequest(path string) string {
	f, err := openControl(path, os.O_RDONLY)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<10+1))
	if err != nil || len(b) > 64<<10 {
		return ""
	}
	var req terminateRequest
	if json.Unmarshal(b, &req) != nil {
		return ""
	}
	return strings.TrimSpace(req.By)
}

// Terminate ends the active session id: it checks that the session's
// recorder is alive and is the recorder of that session (the lock file
// beside the recording is held and names the session's RecorderPID),
// leaves who terminates it (by) in the ".terminate" file, sends the
// recorder SIGTERM, and waits until the recorder has marked the session
// terminated (or ctx ends; 10 s when ctx has no deadline). A session whose
// recorder is already gone is marked terminated here.
func Terminate(ctx context.Context, store session.Store, id, by string) error {
	if store == nil {
		return errors.New("terminate: no session store")
	}
	s, err := store.FindSession(ctx, id)
	if err != nil {
		return fmt.Errorf("terminate %s: %w", id, err)
	}
	if s.Status != session.StatusActive {
		return audit.Errorf(audit.EINVALID, "terminate %s: session is not active (status %s)", id, s.Status)
	}
	if by == "" {
		by = "unknown"
	}
	lock, st, err := openLock(lockPath(s.RecordingPath))
	if err != nil {
		return fmt.Errorf("terminate %s: %w", id, err)
	}
	if lock != nil {
		defer lock.Close()
	}
	if !st.held {
		// The recorder is gone: nothing to signal.
		finishDead(s, session.StatusTerminated)
		s.TerminatedBy = by
		if err := store.UpdateSession(ctx, s); err != nil {
			return fmt.Errorf("terminate %s: %w", id, err)
		}
		return nil
	}
	if st.id != s.ID || st.pid <= 0 || st.pid != s.RecorderPID {
		return audit.Errorf(audit.ELOCAL, "terminate %s: the recorder lock names pid %d session %q, the session row pid %d: refusing to signal",
			id, st.pid, st.id, s.RecorderPID)
	}
	// The request is written once the recorder is proved, just before
	// the signal.
	request := func() error {
		return writeTerminateRequest(terminatePath(s.RecordingPath), terminateRequest{By: by, PID: os.Getpid(), Time: time.Now().UTC()})
	}
	if err := signalRecorder(st.pid, lock, syscall.SIGTERM, request); err != nil {
		return fmt.Errorf("terminate %s: %w", id, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		s, err := store.FindSession(ctx, id)
		if err == nil && s.Status != session.StatusActive {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("terminate %s: the recorder (pid %d) did not end the session: %w", id, st.pid, ctx.Err())
		case <-tick.C:
		}
	}
}

// MarkStale marks stale every active session whose recorder is gone (its
// lock file is missing or nobody holds it): status stale, End the time of
// the recording's last write, the SHA-256 of what it holds. It returns how
// many it marked.
func MarkStale(ctx context.Context, store session.Store) (int, error) {
	if store == nil {
		return 0, nil
	}
	var stale []*session.Session
	const limit = 500
	for off := 0; ; off += limit {
		rows, total, err := store.FindSessions(ctx, session.Filter{Status: []session.Status{session.StatusActive}},
			session.Page{Limit: limit, Offset: off})
		if err != nil {
			return 0, fmt.Errorf("stale sessions: %w", err)
		}
		for _, s := range rows {
			if s.Status != session.StatusActive {
				continue
			}
			alive := false
			if s.RecordingPath != "" {
				st, err := probeLock(lockPath(s.RecordingPath))
				switch {
				case errors.Is(err, errForeign):
					// No recorder made what is there: none is alive.
				case errors.Is(err, os.ErrPermission):
					// Another user's lock: theirs to close.
					alive = true
				case err != nil:
					return 0, fmt.Errorf("stale sessions: %s: %w", s.ID, err)
				default:
					alive = st.held
				}
			} else if s.RecorderPID > 0 {
				alive = syscall.Kill(s.RecorderPID, 0) == nil
			}
			if !alive {
				stale = append(stale, s)
			}
		}
		if len(rows) < limit || off+limit >= total {
			break
		}
	}
	n := 0
	for _, s := range stale {
		finishDead(s, session.StatusStale)
		if err := store.UpdateSession(ctx, s); err != nil {
			return n, fmt.Errorf("stale session %s: %w", s.ID, err)
		}
		// The dead recorder's control files stay: a path taken from a
		// row is never deleted (docs/security.md).
		n++
	}
	return n, nil
}

// finishDead closes the row of a session whose recorder died: End is the
// recording's last write (the Start when it cannot be read).
func finishDead(s *session.Session, status session.Status) {
	s.Status = status
	s.End = s.Start
	if fi, err := os.Stat(s.RecordingPath); err == nil && fi.ModTime().After(s.Start) {
		s.End = fi.ModTime()
	}
	s.Duration = s.End.Sub(s.Start)
	if sum, err := recording.FileSHA256(s.RecordingPath); err == nil {
		s.RecordingSHA256 = sum
	}
	s.RecorderPID = 0
}
